// The training of the retrieval methods (see retrieval_training.h).
#include "core/train/retrieval_training.h"

#include <ATen/ATen.h>
#include <torch/utils.h>

#include <memory>
#include <random>

#include "core/config/schema.h"
#include "core/ot/sinkhorn.h"
#include "core/train/data_parallel.h"
#include "core/train/retrieval_losses.h"
#include "core/train/training_common.h"
#include "core/train/training_loop.h"

namespace clir::train {
namespace {

ot::SinkhornOptions sinkhornOptionsOf(const OtSettings& ot) {
    ot::SinkhornOptions o;
    o.epsilon = ot.epsilon;
    o.maxIterations = int(ot.maxIterations);
    o.tolerance = ot.tolerance;
    o.checkEvery = int(ot.checkEvery);
    o.differentiate = ot.differentiate;
    return o;
}

// Query-page pairs of a step's InfoNCE batch: optical+hybrid may draw fewer than its bitext.
std::int64_t contrastivePairs(const TrainSettings& t, const MethodWiring& wiring) {
    return wiring.optical && t.contrastiveBatch > 0 ? t.contrastiveBatch : t.batchSize;
}

// One step's loss for the method: hybrid or plain InfoNCE on a drawn batch, OPTICAL's <P, C> on
// drawn bitext, or both, weighted.
// Data-parallel: every rank draws the same whole batch (the same sampler state) and trains its
// share of it.
StepOutput methodStep(const Recipe& recipe, const MethodWiring& wiring, RetrievalBatches& batches,
                      const RetrievalRanking& ranking, const ot::SinkhornOptions& sinkhorn,
                      std::mt19937_64& rng, c10::Device device, TransportedWeights* transported,
                      DataParallel* parallel) {
    const TrainSettings& t = recipe.train;
    StepOutput out;
    out.loss = at::zeros({}, at::kFloat).to(device);
    out.units = double(t.batchSize);
    if (wiring.contrastive) {
        // OPTICAL + hybrid: the student encodes queries, the frozen teacher pages.
        auto c = infoNce(ranking.trained(), wiring.optical ? ranking.teacher() : ranking.trained(),
                         batches.draw(contrastivePairs(t, wiring), rng), recipe.scoring,
                         t.temperature, device, ranking.trainedWeights(), parallel);
        out.parts.push_back({"loss/contrastive", c.item<double>()});
        out.loss = out.loss + (wiring.optical ? t.contrastiveWeight : 1.0) * c;
    }
    if (wiring.optical) {
        std::vector<Ids> english, other;
        batches.drawBitext(t.batchSize, rng, english, other);
        double anchorTokens = 0;  // alone: the batch's own
        if (parallel) {
            // The pairs are independent: a rank's share, its mean <P, C> averaged over ranks.
            const auto world = std::size_t(parallel->worldSize()), share = english.size() / world;
            const auto first = std::size_t(parallel->rank()) * share;
            if (recipe.ot.anchorWeight > 0) {
                auto eb = model::padBatch(english);
                anchorTokens =
                    model::contentMask(eb.ids, eb.mask).sum().item<double>() / double(world);
            }
            english = {english.begin() + long(first), english.begin() + long(first + share)};
            other = {other.begin() + long(first), other.begin() + long(first + share)};
        }
        auto o = otLoss(ranking.teacher(), ranking.trained(), english, other, sinkhorn, device,
                        recipe.ot.anchorWeight > 0, anchorTokens);
        out.parts.push_back({"loss/ot", o.loss.item<double>()});
        if (transported) {
            torch::NoGradGuard noGrad;
            auto eb = model::padBatch(english), ob = model::padBatch(other);
            auto w = ranking.teacherWeights()(eb.ids.to(device), eb.mask.to(device));
            transported->add(o.result.plan, w, ob.ids, model::contentMask(ob.ids, ob.mask));
        }
        if (o.anchor.defined()) {
            out.parts.push_back({"loss/anchor", o.anchor.item<double>()});
            out.loss = out.loss + recipe.ot.anchorWeight * o.anchor;
        }
        out.window.push_back(
            {"ot/iterations", o.result.iterations.to(at::kDouble).mean().item<double>()});
        out.window.push_back(
            {"ot/converged", o.result.converged.to(at::kDouble).mean().item<double>()});
        out.window.push_back({"ot/plan_entropy", o.planEntropy});
        out.window.push_back({"ot/student_cosine", o.studentCosine});
        out.loss = out.loss + t.otWeight * o.loss;
    }
    return out;
}

}  // namespace

// Trains the method on the loop; returns the best checkpoint by dev MAP (step 0 included).
std::string trainRetrieval(const jobs::JobContext& ctx, const jobs::JobEnvironment& env,
                           const Recipe& recipe, const MethodWiring& wiring,
                           model::RetrievalModel& net, const model::Tokenizer& tok,
                           RetrievalRanking& ranking, PageStore& pages,
                           const model::CheckpointMeta& metaTemplate, nlohmann::json& summary) {
    TrainSettings train_ = recipe.train;
    const OtSettings& ot_ = recipe.ot;
    const std::string& configHash_ = recipe.configHash;
    ctx.report(0.01, "reading training data");
    RetrievalBatches batches(wiring, env, pages, tok, train_, ot_, recipe.queryMaxLength,
                             recipe.scoring == "maxsim" && train_.passage == "best");
    batches.load(summary);
    if (wiring.optical && ot_.epochs > 0)  // the length in passes over the bitext
        train_.steps = std::max<std::int64_t>(
            1, std::int64_t(std::ceil(ot_.epochs * double(batches.bitextPairs()) /
                                      double(train_.batchSize))));
    summary["train_steps"] = train_.steps;
    if (wiring.contrastive) summary["contrastive_batch"] = contrastivePairs(train_, wiring);
    DataParallel* parallel = ctx.parallel;
    if (parallel) {
        // Each rank trains an equal share of every batch.
        const auto world = std::int64_t(parallel->worldSize());
        std::vector<std::pair<std::string, std::int64_t>> sizes = {
            {"train.batch_size", train_.batchSize}};
        if (wiring.contrastive)
            sizes.push_back({"train.contrastive_batch", contrastivePairs(train_, wiring)});
        for (const auto& [field, size] : sizes)
            if (size % world != 0)
                throw config::ConfigError("field '" + field + "': " + std::to_string(size) +
                                          " pairs do not split into equal shares for " +
                                          std::to_string(world) + " workers (--nproc)");
    }
    const bool primary = ctx.primary();  // evaluates, saves and writes alignments
    if (primary) ranking.sampleDev(train_.devQueries, recipe.seed, ctx.outputDir);
    const auto sinkhorn = sinkhornOptionsOf(ot_);
    const c10::Device device = recipe.device;
    auto saveAlignments = [&](std::int64_t step) {
        torch::NoGradGuard noGrad;
        net->eval();
        for (const auto& b : batches.alignmentSample()) {
            auto a = alignmentOf(ranking.teacher(), ranking.trained(), tok, b.english, b.other,
                                 sinkhorn, device);
            a.step = step;
            a.pairKey = b.key;
            ctx.saveAlignment(a);
        }
        net->train();
    };

    auto optimizer = makeAdamW(*net, {train_.learningRate, train_.weightDecay, 0.9, 0.999, 1e-8,
                                      false, train_.sparseLearningRate});
    std::mt19937_64 rng(recipe.seed);
    double bestDev = -1;
    std::int64_t bestStep = -1;
    std::string best = env.checkpointDir + "/best";
    auto save = [&](std::int64_t step, nlohmann::json state, const std::string& name, bool latest) {
        auto meta = metaTemplate;
        meta.step = step;
        state["best_dev"] = bestDev;
        state["best_step"] = bestStep;
        state["method"] = wiring.method;
        meta.training = state;
        return model::saveCheckpoint(env.checkpointDir, *net, latest ? optimizer.get() : nullptr,
                                     meta, name, latest);
    };

    // The latest checkpoint is written at every dev evaluation.
    const LoopSettings loop{train_.steps,
                            train_.warmupSteps,
                            train_.learningRate,
                            train_.clipNorm,
                            train_.logEvery,
                            train_.evalEvery,
                            train_.evalEvery,
                            "pairs_per_second",
                            0.05,
                            0.85};
    LoopHooks hooks;
    std::unique_ptr<TransportedWeights> transported;
    if (wiring.optical && ot_.termWeights == "transported") {
        if (!ranking.teacherWeights())
            throw config::ConfigError(
                "ot.term_weights 'transported' needs weighted MaxSim (retrieval.scoring maxsim, "
                "retrieval.term_weights idf)");
        transported = std::make_unique<TransportedWeights>(net->term_weights.size(0));
    }
    hooks.step = [&](std::int64_t) {
        return methodStep(recipe, wiring, batches, ranking, sinkhorn, rng, device,
                          transported.get(), parallel);
    };
    hooks.load = [&](const std::string& path) {
        return model::loadCheckpoint(path, *net, metaTemplate.encoder, "retrieval", optimizer.get(),
                                     {metaTemplate.encoder.preset, tok.hash()}, true);
    };
    const TrainingLoop* loopState = nullptr;  // the loop's sidecar state for "best"
    hooks.save = [&](std::int64_t step, const nlohmann::json& state) {
        return save(step, state, "", true);
    };
    hooks.evaluate = [&](std::int64_t done) {
        if (transported) {  // the X pieces' weights from the plans so far (every rank's)
            TransportedWeights all(0);
            all.sum = transported->sum.clone();
            all.count = transported->count.clone();
            if (parallel) {
                parallel->allReduceSum(all.sum);
                parallel->allReduceSum(all.count);
            }
            auto current = at::softplus(net->term_weights.detach()).to(at::kCPU, at::kDouble);
            std::vector<double> w(current.data_ptr<double>(),
                                  current.data_ptr<double>() + current.numel());
            net->setTermWeights(all.applyTo(std::move(w)));
        }
        if (!primary) return;
        net->eval();
        double dev = ranking.evaluateDev(ctx, done);
        net->train();
        if (dev > bestDev) {
            bestDev = dev;
            bestStep = done;
            save(done, loopState->state(), "best", false);
        }
    };
    hooks.afterStep = [&](std::int64_t done) {
        if (primary && wiring.optical && ot_.alignEvery > 0 && done % ot_.alignEvery == 0 &&
            done != train_.steps)
            saveAlignments(done);
    };
    TrainingLoop trainer(ctx, *optimizer, rng, loop, hooks);
    loopState = &trainer;
    const std::int64_t startStep = trainer.resume(env.checkpointDir, configHash_);
    if (startStep > 0) {
        bestDev = trainer.resumedState().value("best_dev", -1.0);
        bestStep = trainer.resumedState().value("best_step", std::int64_t(-1));
    } else if (primary) {
        if (wiring.optical && !batches.alignmentSample().empty()) saveAlignments(0);
        // The starting point is a candidate too: training that only hurts keeps it.
        ctx.report(0.04, "step 0: dev evaluation");
        net->eval();
        bestDev = ranking.evaluateDev(ctx, 0);
        net->train();
        bestStep = 0;
        save(0, trainer.state(), "best", false);
    }
    net->train();
    trainer.run();
    if (!primary) return {};
    if (wiring.optical && !batches.alignmentSample().empty()) saveAlignments(train_.steps);
    summary["best_dev_map"] = bestDev;
    summary["best_step"] = bestStep;
    return best;
}

}  // namespace clir::train
