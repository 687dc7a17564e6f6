// The training loop (see training_loop.h).
#include "core/train/training_loop.h"

#include <torch/nn/module.h>
#include <torch/csrc/autograd/profiler_legacy.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <limits>
#include <stdexcept>

#include "core/train/data_parallel.h"
#include "core/train/lexical_adamw.h"
#include "core/util/fault.h"
#include "core/train/lr_schedule.h"
#include "core/train/training_common.h"

namespace clir::train {

bool isLexicalTable(const std::string& name) {
    for (const char* table : {"word_embeddings.weight", "char_ngrams.weight", "term_weights"})
        if (name.find(table) != std::string::npos) return true;
    return false;
}

std::unique_ptr<torch::optim::Optimizer> makeAdamW(torch::nn::Module& module,
                                                   const AdamWSettings& s) {
    std::vector<at::Tensor> decay, noDecay, lexical;
    for (const auto& p : module.named_parameters()) {
        if (!p.value().requires_grad()) continue;
        if (s.sparseLearningRate > 0 && isLexicalTable(p.key()))
            lexical.push_back(p.value());
        else
            (p.value().dim() == 1 && !s.decayVectors ? noDecay : decay).push_back(p.value());
    }
    using torch::optim::AdamWOptions;
    auto options = [&](double weightDecay, double lr) {
        return std::make_unique<AdamWOptions>(
            AdamWOptions(lr).betas({s.beta1, s.beta2}).eps(s.epsilon).weight_decay(weightDecay));
    };
    std::vector<torch::optim::OptimizerParamGroup> groups;
    if (!decay.empty()) groups.emplace_back(decay, options(s.weightDecay, s.learningRate));
    if (!noDecay.empty()) groups.emplace_back(noDecay, options(0.0, s.learningRate));
    if (!lexical.empty()) groups.emplace_back(lexical, options(0.0, s.sparseLearningRate));
    if (groups.empty()) throw std::runtime_error("no parameter of the model is trained");
    if (!lexical.empty()) useSparseGradients(module, lexical);
    return std::make_unique<LexicalAdamW>(std::move(groups));
}

double clipGradNorm(const std::vector<at::Tensor>& params, double maxNorm) {
    at::NoGradGuard noGrad;
    std::vector<at::Tensor> grads, norms;
    for (const auto& p : params) {
        if (!p.grad().defined()) continue;
        auto& g = const_cast<at::Tensor&>(p).mutable_grad();
        if (g.is_sparse() && !g.is_coalesced()) g = g.coalesce();
        grads.push_back(g);
        norms.push_back(at::norm(g.is_sparse() ? g._values() : g, 2));
    }
    if (grads.empty()) return 0.0;
    // torch's arithmetic (in the gradients' type), so dense results equal clip_grad_norm_'s.
    auto total = norms.size() == 1 ? norms[0] : at::norm(at::stack(norms), 2);
    auto scale = (maxNorm / (total + 1e-6)).clamp_max(1.0);
    if (scale.item<double>() < 1.0)
        for (auto& g : grads)
            if (!g.is_sparse()) g.mul_(scale);
    return total.item<double>();
}

namespace {

// A data-parallel step's loss and recorded parts: each rank's value is the mean over its share
// of the batch, so the mean over ranks is the whole batch's (every rank records and checks the
// same numbers).
void averageOverRanks(DataParallel& parallel, double& loss, StepOutput& out) {
    std::vector<double> values = {loss};
    for (const auto& part : out.parts) values.push_back(part.second);
    for (const auto& w : out.window) values.push_back(w.second);
    values = parallel.average(values);
    loss = values[0];
    std::size_t i = 1;
    for (auto& part : out.parts) part.second = values[i++];
    for (auto& w : out.window) w.second = values[i++];
}

}  // namespace

TrainingLoop::TrainingLoop(const jobs::JobContext& context, torch::optim::Optimizer& optimizer,
                           std::mt19937_64& samplerRng, LoopSettings settings, LoopHooks hooks)
    : ctx_(context),
      optimizer_(optimizer),
      rng_(samplerRng),
      settings_(std::move(settings)),
      hooks_(std::move(hooks)) {
    if (!hooks_.step || !hooks_.save || !hooks_.load)
        throw std::logic_error("TrainingLoop needs the step, save and load hooks");
    // Each group's peak rate relative to the loop's, read before a resume restores the groups'
    // current (scheduled) rates.
    for (auto& group : optimizer_.param_groups())
        rateScale_.push_back(
            settings_.learningRate > 0 ? group.options().get_lr() / settings_.learningRate : 1.0);
}

nlohmann::json TrainingLoop::state() const {
    return {{"sampler_rng", rngState(rng_)}};
}

std::int64_t TrainingLoop::resume(const std::string& dir, const std::string& configHash) {
    auto last = model::latestCheckpoint(dir);
    if (!last) return start_ = 0;
    auto meta = hooks_.load(*last);
    if (meta.configHash != configHash)
        throw std::runtime_error(*last + ": written by another configuration; start a new run");
    setRngState(rng_, meta.training.at("sampler_rng").get<std::string>());
    resumed_ = meta.training;
    resumedPath_ = *last;
    start_ = meta.step;
    ctx_.report(settings_.progressFrom, "resumed at step " + std::to_string(start_));
    return start_;
}

std::string TrainingLoop::run() {
    using Clock = std::chrono::steady_clock;
    const auto& s = settings_;
    // Every parameter the optimizer updates counts in grad_norm (see clipGradNorm).
    std::vector<at::Tensor> trained;
    for (auto& group : optimizer_.param_groups())
        for (auto& p : group.params()) trained.push_back(p);
    const double clip = s.clipNorm > 0 ? s.clipNorm : std::numeric_limits<double>::infinity();

    if (resumed_.contains("stopped_at")) return resumedPath_;  // it stopped early: done
    DataParallel* parallel = ctx_.parallel;
    const bool primary = ctx_.primary();
    if (parallel) {
        // The other ranks start their job once rank 0 is here (its data, caches, step-0
        // evaluation and any checkpoint to resume from are on disk), then train from rank 0's
        // weights.
        if (primary) parallel->barrier();
        parallel->broadcast(trained);
        // Rank 0's sampler: a job may have drawn from it before (NMT's tokenizer sample, which
        // a worker finds already trained), and every rank must draw the same whole batches.
        std::string sampler = rngState(rng_);
        parallel->broadcastText(sampler);
        setRngState(rng_, sampler);
    }
    std::string lastCheckpoint;
    auto windowStart = Clock::now();
    double windowUnits = 0;
    // CLIRLAB_PROFILE=FILE: the third to fifth steps of this run under LibTorch's profiler, as a
    // Chrome trace (bench/profile_summary.py FILE prints the time per operator).
    std::unique_ptr<torch::autograd::profiler::RecordProfile> profile;
    const char* trace = std::getenv("CLIRLAB_PROFILE");
    for (std::int64_t step = start_; step < s.steps; ++step) {
        if (trace && *trace && step == start_ + 2)
            profile =
                std::make_unique<torch::autograd::profiler::RecordProfile>(std::string(trace));
        if (profile && step == start_ + 5) profile.reset();
        ctx_.checkCancelled();
        const std::int64_t done = step + 1;
        const double lr = linearWarmupDecay(step, s.warmupSteps, s.steps, s.learningRate);
        for (std::size_t g = 0; g < optimizer_.param_groups().size(); ++g)
            optimizer_.param_groups()[g].options().set_lr(lr * rateScale_[g]);

        StepOutput out = hooks_.step(step);
        double lossValue = out.loss.item<double>();
        if (parallel) averageOverRanks(*parallel, lossValue, out);
        requireFiniteLoss(lossValue, done);
        optimizer_.zero_grad();
        out.loss.backward();
        if (parallel) {
            if (!primary) fault::point("parallel.worker");
            parallel->averageGradients(trained);
        }
        const double gradNorm = clipGradNorm(trained, clip);
        optimizer_.step();
        windowUnits += out.units;

        ctx_.record("loss", done, lossValue);
        for (const auto& [name, value] : out.parts) ctx_.record(name, done, value);
        const bool last = done == s.steps;
        if (done % s.logEvery == 0 || last) {
            double secs = std::chrono::duration<double>(Clock::now() - windowStart).count();
            ctx_.record("lr", done, lr);
            ctx_.record("grad_norm", done, gradNorm);
            ctx_.record(s.rateName, done, windowUnits / std::max(secs, 1e-9));
            for (const auto& [name, value] : out.window) ctx_.record(name, done, value);
            windowStart = Clock::now();
            windowUnits = 0;
        }
        if (hooks_.afterStep) hooks_.afterStep(done);
        const double fraction =
            s.progressFrom + (s.progressTo - s.progressFrom) * double(done) / double(s.steps);
        bool paused = false;  // evaluation and checkpoints do not count toward the rate
        if (hooks_.evaluate && ((s.evalEvery > 0 && done % s.evalEvery == 0) || last)) {
            ctx_.report(fraction, "step " + std::to_string(done) + ": evaluation");
            hooks_.evaluate(done);  // every rank: the job's hook evaluates on rank 0 alone
            paused = true;
            if (hooks_.stop && !last) {
                bool stop = primary && hooks_.stop(done);  // rank 0 decides for all
                if (parallel) stop = parallel->broadcastFlag(stop);
                if (stop) {
                    if (!primary) return {};
                    ctx_.persistMetrics();
                    auto st = state();
                    st["stopped_at"] = done;
                    ctx_.report(s.progressTo, "stopped early at step " + std::to_string(done));
                    return hooks_.save(done, st);
                }
            }
        }
        if (((s.checkpointEvery > 0 && done % s.checkpointEvery == 0) || last) && primary) {
            ctx_.persistMetrics();  // the store holds every step up to the checkpoint
            lastCheckpoint = hooks_.save(done, state());
            paused = true;
        }
        if (paused) windowStart = Clock::now();
        ctx_.report(fraction, "step " + std::to_string(done) + "/" + std::to_string(s.steps) +
                                  "  loss " + std::to_string(lossValue).substr(0, 6));
    }
    if (lastCheckpoint.empty() && primary) {
        // Resumed at the last step: the newest checkpoint already is the final one.
        lastCheckpoint = hooks_.save(s.steps, state());
    }
    return lastCheckpoint;
}

}  // namespace clir::train
