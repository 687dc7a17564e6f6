// The one training loop (STYLE 11; fairseq's Trainer, Lightning's hooks): pretraining, the
// retrieval methods and the NMT baseline supply a step function that builds the loss and a few
// hooks; the loop owns resume, the learning-rate schedule, the finite-loss stop, gradient
// clipping over every trained parameter, the metric window, periodic evaluation, checkpoints,
// progress and cancel. A fix here reaches every method at once. Data-parallel (JobContext::
// parallel): each rank's loss and parts averaged over the ranks, gradients averaged before
// clipping, rank 0 alone checkpoints and decides early stops. LibTorch parts only.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/jobs/job.h"
#include "core/model/checkpoint.h"

namespace torch::nn {
class Module;
}
namespace torch::optim {
class Optimizer;
}

namespace clir::train {

// AdamW (Loshchilov & Hutter 2019) as each job configures it; the values come from its settings.
struct AdamWSettings {
    double learningRate = 0;  // peak; the loop's schedule sets the current one
    double weightDecay = 0;
    double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
    // false: 1-D parameters (biases, LayerNorm) are not decayed (BERT's recipe).
    bool decayVectors = false;
    // The lexical tables (piece embeddings, character n-grams, query-term weights): their own
    // peak rate and no weight decay. 0: they train with the dense layers' settings.
    double sparseLearningRate = 0;
};

// Whether a parameter is one of the lexical tables (by its module path).
bool isLexicalTable(const std::string& parameterName);

// AdamW over the module's parameters that require gradients, in up to three groups: decayed,
// not decayed, and (with sparseLearningRate) the lexical tables. The loop's schedule scales
// every group's rate by the same factor, so the ratios between groups hold. With
// sparseLearningRate the embedding and n-gram tables switch to sparse gradients and update
// only the rows a batch touched (LexicalAdamW).
std::unique_ptr<torch::optim::Optimizer> makeAdamW(torch::nn::Module& module,
                                                   const AdamWSettings& settings);

// torch::nn::utils::clip_grad_norm_ with its results, faster on sparse gradients: returns the
// global L2 norm of the gradients of `params` and, when it exceeds maxNorm (infinity: measured
// only), scales the dense gradients by maxNorm / (norm + 1e-6). Sparse gradients (the lexical
// tables) count in the norm but keep their scale, as in PyTorch 1.13 (Python and C++), where
// the scaling of a sparse gradient through .data()/.detach() never reaches it: every run
// stored so far and the Python references train that way, and lazy Adam's update is nearly
// invariant to the scale. They are coalesced in place, once, so their norm is that of their
// values and LexicalAdamW's step reuses the coalesced rows (torch coalesced them twice).
double clipGradNorm(const std::vector<at::Tensor>& params, double maxNorm);

struct LoopSettings {
    std::int64_t steps = 0;
    std::int64_t warmupSteps = 0;
    double learningRate = 0;           // peak of the linear warm-up / linear decay schedule
    double clipNorm = 0;               // global L2 norm over all trained parameters; 0: none
    std::int64_t logEvery = 1;         // steps between lr, grad_norm and rate points
    std::int64_t evalEvery = 0;        // steps between evaluate hooks (and the last); 0: none
    std::int64_t checkpointEvery = 0;  // steps between latest checkpoints (and the last); 0: last
    std::string rateName = "tokens_per_second";  // what StepOutput::units counts, per second
    double progressFrom = 0, progressTo = 1;     // the share of the job's progress bar
};

// What one step hands back to the loop.
struct StepOutput {
    at::Tensor loss;  // scalar; the loop checks it, backpropagates and steps
    std::vector<std::pair<std::string, double>> parts;   // recorded every step ("loss/ot")
    std::vector<std::pair<std::string, double>> window;  // recorded at log steps ("ot/iterations")
    double units = 0;                                    // counted toward rateName
};

struct LoopHooks {
    // Builds the loss of 0-based step `step` (the model is in training mode).
    std::function<StepOutput(std::int64_t step)> step;
    // Loads a checkpoint into the model and optimizer (resume); returns its sidecar.
    std::function<model::CheckpointMeta(const std::string& checkpoint)> load;
    // Writes the latest checkpoint of `done` steps with `state` in its sidecar; returns its path.
    std::function<std::string(std::int64_t done, const nlohmann::json& state)> save;
    // Optional: runs at evalEvery steps and the last, before that step's checkpoint.
    std::function<void(std::int64_t done)> evaluate;
    // Optional: runs after every step (for example saving alignments).
    std::function<void(std::int64_t done)> afterStep;
    // Optional: asked after each evaluation; true ends training there (early stopping): that
    // step's checkpoint is written with "stopped_at" in its state, and a resume from it trains
    // no further.
    std::function<bool(std::int64_t done)> stop;
};

class TrainingLoop {
  public:
    TrainingLoop(const jobs::JobContext& context, torch::optim::Optimizer& optimizer,
                 std::mt19937_64& samplerRng, LoopSettings settings, LoopHooks hooks);

    // Continues from the newest checkpoint in `dir`; it must have been written by the same
    // configuration. Restores the sampler RNG; returns the step to start from (0: fresh).
    std::int64_t resume(const std::string& dir, const std::string& configHash);
    // The sidecar's "training" object of the checkpoint resumed from (empty when fresh).
    const nlohmann::json& resumedState() const { return resumed_; }
    // What the loop keeps in every checkpoint sidecar (the sampler RNG); jobs add their fields.
    nlohmann::json state() const;
    // Trains from the resumed step to the last; returns the last checkpoint's path.
    std::string run();

  private:
    const jobs::JobContext& ctx_;
    torch::optim::Optimizer& optimizer_;
    std::mt19937_64& rng_;
    LoopSettings settings_;
    LoopHooks hooks_;
    std::int64_t start_ = 0;
    std::vector<double> rateScale_;  // per parameter group: its peak rate / the loop's
    nlohmann::json resumed_ = nlohmann::json::object();
    std::string resumedPath_;
};

}  // namespace clir::train
