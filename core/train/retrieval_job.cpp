// Retrieval methods (see retrieval_job.h): the starting checkpoint and the towers, the method's
// losses as the training loop's step, dev evaluation and best-checkpoint choice as its hooks,
// then the test evaluation of the best checkpoint.
#include "core/train/retrieval_job.h"

#include <ATen/ATen.h>
#include <torch/optim/optimizer.h>
#include <torch/utils.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>

#include "core/jobs/job_environment.h"
#include "core/jobs/methods.h"
#include "core/model/checkpoint.h"
#include "core/model/retrieval_model.h"
#include "core/model/tokenizer.h"
#include "core/ot/sinkhorn.h"
#include "core/train/retrieval_batches.h"
#include "core/train/retrieval_losses.h"
#include "core/train/retrieval_ranking.h"
#include "core/train/retrieval_test.h"
#include "core/train/training_common.h"
#include "core/train/training_loop.h"

namespace clir::train {
namespace {

retrieval::TokenEncoder towerOf(model::RetrievalModel m) {
    return [m](const at::Tensor& ids, const at::Tensor& mask) mutable {
        return m->forward(ids, mask);
    };
}

retrieval::TermWeigher weigherOf(model::RetrievalModel m) {
    return [m](const at::Tensor& ids, const at::Tensor& mask) mutable {
        return m->termWeights(ids, mask);
    };
}

// retrieval.term_weights: uniform fixes every piece at 1; idf gives a new head (a run from an
// encoder) each piece's idf over the corpus pages. Weights move only when maxsim uses them.
void prepareTermWeights(model::RetrievalModel& net, const model::CheckpointMeta& start,
                        const RetrievalSettings& r, PageStore& pages,
                        const std::vector<std::string>& languages, const model::Tokenizer& tok,
                        nlohmann::json& summary) {
    if (r.termWeights == "uniform" || r.scoring != "maxsim") {
        if (r.termWeights == "uniform")
            net->setTermWeights(std::vector<double>(std::size_t(tok.vocabSize()), 1.0));
        net->term_weights.set_requires_grad(false);
        summary["term_weights"] = r.scoring == "maxsim" ? "uniform" : "unused (dense scoring)";
        return;
    }
    if (start.kind == "encoder") {
        net->setTermWeights(pieceIdf(pages, languages, tok));
        summary["term_weights"] = "idf (initialised here), learned";
    } else {
        summary["term_weights"] = "from the starting retrieval model, learned";
    }
}

ot::SinkhornOptions sinkhornOptionsOf(const OtSettings& ot) {
    ot::SinkhornOptions o;
    o.epsilon = ot.epsilon;
    o.maxIterations = int(ot.maxIterations);
    o.tolerance = ot.tolerance;
    o.checkEvery = int(ot.checkEvery);
    o.differentiate = ot.differentiate;
    return o;
}

// The model a run trains (the student for OPTICAL) and, for OPTICAL, its frozen teacher, both
// loaded from init.checkpoint after checking kind, preset and tokenizer.
struct StartingPoint {
    model::CheckpointMeta meta;
    std::unique_ptr<model::Tokenizer> tok;
    model::RetrievalModel net{nullptr}, teacher{nullptr};
};

StartingPoint loadStart(const MethodWiring& wiring, const InitSettings& init,
                        const ModelSettings& modelSettings, const OtSettings& ot,
                        c10::Device device, std::uint64_t seed) {
    StartingPoint s;
    s.meta = model::readCheckpointMeta(init.checkpoint);
    const bool optical = wiring.optical;
    // A method that starts from an encoder also accepts a retrieval model (a new head on it).
    const std::string wantKind = wiring.fromEncoder ? "encoder" : "retrieval";
    if (s.meta.kind != wantKind && !(wiring.fromEncoder && s.meta.kind == "retrieval"))
        throw std::runtime_error("init: " + init.checkpoint + " is a checkpoint of kind '" +
                                 s.meta.kind + "'; method '" + wiring.method + "' starts from " +
                                 (wantKind == "encoder" ? "a pretrained encoder (a pretrain run)"
                                                        : "a retrieval model (a teacher run)"));
    if (s.meta.encoder.preset != modelSettings.preset)
        throw std::runtime_error("init: " + init.checkpoint + " holds preset '" +
                                 s.meta.encoder.preset + "', model.preset is '" +
                                 modelSettings.preset + "'");
    s.tok = std::make_unique<model::Tokenizer>(s.meta.tokenizerPath);
    if (s.tok->hash() != s.meta.tokenizerHash)
        throw std::runtime_error(s.meta.tokenizerPath +
                                 ": changed since the checkpoint was written (SHA-256 differs)");
    const model::CheckpointExpectation expect{modelSettings.preset, s.tok->hash()};
    torch::manual_seed(seed);
    s.net = model::RetrievalModel(s.meta.encoder);
    s.net->encoder->setPieces(s.tok->vocabulary());
    if (s.meta.kind == "encoder")
        model::loadCheckpoint(init.checkpoint, *s.net->encoder, nullptr, expect);
    else
        model::loadCheckpoint(init.checkpoint, *s.net, s.meta.encoder, "retrieval", nullptr,
                              expect);
    s.net->to(device);
    if (optical) {
        s.teacher = model::RetrievalModel(s.meta.encoder);
        s.teacher->encoder->setPieces(s.tok->vocabulary());
        model::loadCheckpoint(init.checkpoint, *s.teacher, s.meta.encoder, "retrieval", nullptr,
                              expect);
        s.teacher->to(device);
        s.teacher->eval();
        for (auto& p : s.teacher->parameters()) p.set_requires_grad(false);
        // Scoring uses the teacher's head: the student keeps it, frozen.
        for (auto& p : s.net->head->parameters()) p.set_requires_grad(false);
        // ot.train lexical: only the tables that say which token is which move; shared
        // parameters (norms, positions, layers) would move every token at once.
        if (ot.train == "lexical") {
            bool any = false;
            for (auto& p : s.net->named_parameters()) {
                const bool lexical = isLexicalTable(p.key());
                if (!lexical) p.value().set_requires_grad(false);
                any |= lexical;
            }
            if (!any)
                throw std::runtime_error("ot.train lexical: the student has no lexical table");
        }
    }
    return s;
}

// The settings a training run reads, gathered from the job.
struct Recipe {
    const TrainSettings& train;
    const OtSettings& ot;
    std::string scoring;
    std::int64_t queryMaxLength;
    std::string configHash;
    std::uint64_t seed;
    c10::Device device;
};

// One step's loss for the method: hybrid or plain InfoNCE on a drawn batch, OPTICAL's <P, C> on
// drawn bitext, or both, weighted.
StepOutput methodStep(const Recipe& recipe, const MethodWiring& wiring, RetrievalBatches& batches,
                      const RetrievalRanking& ranking, const ot::SinkhornOptions& sinkhorn,
                      std::mt19937_64& rng, c10::Device device, TransportedWeights* transported) {
    const TrainSettings& t = recipe.train;
    StepOutput out;
    out.loss = at::zeros({}, at::kFloat).to(device);
    out.units = double(t.batchSize);
    if (wiring.contrastive) {
        // OPTICAL + hybrid: the student encodes queries, the frozen teacher pages.
        auto c = infoNce(ranking.trained(), wiring.optical ? ranking.teacher() : ranking.trained(),
                         batches.draw(t.batchSize, rng), recipe.scoring, t.temperature, device,
                         ranking.trainedWeights());
        out.parts.push_back({"loss/contrastive", c.item<double>()});
        out.loss = out.loss + (wiring.optical ? t.contrastiveWeight : 1.0) * c;
    }
    if (wiring.optical) {
        std::vector<Ids> english, other;
        batches.drawBitext(t.batchSize, rng, english, other);
        auto o = otLoss(ranking.teacher(), ranking.trained(), english, other, sinkhorn, device,
                        recipe.ot.anchorWeight > 0);
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
    ranking.sampleDev(train_.devQueries, recipe.seed, ctx.outputDir);
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
                          transported.get());
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
        if (transported) {  // the X pieces' weights from the plans so far
            auto current = at::softplus(net->term_weights.detach()).to(at::kCPU, at::kDouble);
            std::vector<double> w(current.data_ptr<double>(),
                                  current.data_ptr<double>() + current.numel());
            net->setTermWeights(transported->applyTo(std::move(w)));
        }
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
        if (wiring.optical && ot_.alignEvery > 0 && done % ot_.alignEvery == 0 &&
            done != train_.steps)
            saveAlignments(done);
    };
    TrainingLoop trainer(ctx, *optimizer, rng, loop, hooks);
    loopState = &trainer;
    const std::int64_t startStep = trainer.resume(env.checkpointDir, configHash_);
    if (startStep > 0) {
        bestDev = trainer.resumedState().value("best_dev", -1.0);
        bestStep = trainer.resumedState().value("best_step", std::int64_t(-1));
    } else {
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
    if (wiring.optical && !batches.alignmentSample().empty()) saveAlignments(train_.steps);
    summary["best_dev_map"] = bestDev;
    summary["best_step"] = bestStep;
    return best;
}

}  // namespace

RetrievalJob::RetrievalJob(const config::ExperimentSpec& spec)
    : method_(spec.method),
      corpus_(data::CorpusSettings::fromJson(spec.config.at("corpus"))),
      evaluation_(eval::EvaluationSettings::fromJson(spec.config.at("evaluation"))),
      model_(ModelSettings::fromJson(spec.config.at("model"))),
      init_(InitSettings::fromJson(spec.config.at("init"))),
      retrieval_(RetrievalSettings::fromJson(spec.config.at("retrieval"))),
      train_(TrainSettings::fields().defaults()),
      ot_(OtSettings::fields().defaults()),
      configHash_(spec.configHash),
      seed_(std::uint64_t(spec.seed)) {
    if (spec.config.contains("train")) train_ = TrainSettings::fromJson(spec.config.at("train"));
    if (spec.config.contains("ot")) ot_ = OtSettings::fromJson(spec.config.at("ot"));
    if (init_.checkpoint.empty())
        throw config::ConfigError(spec.source + ": field 'init.from': run '" + init_.from +
                                  "' is not resolved to a checkpoint yet (queue the run first)");
}

jobs::JobResult RetrievalJob::run(const jobs::JobContext& ctx) {
    auto env = jobs::JobEnvironment::prepare(corpus_, ctx);
    const c10::Device device = setUpCompute(model_.threads, model_.device);
    const auto wiring = MethodWiring::of(method_, corpus_, train_, ot_);

    ctx.report(0.0, "loading " + init_.checkpoint);
    auto start = loadStart(wiring, init_, model_, ot_, device, seed_);
    const model::Tokenizer& tok = *start.tok;
    model::RetrievalModel net = start.net;
    PageStore pages(env.corpusDir, tok, retrieval_.documentMaxLength);
    RetrievalRanking ranking(wiring, env, pages, tok, retrieval_, device);
    const auto& teacherNet = wiring.optical ? start.teacher : net;
    const bool weighted = retrieval_.termWeights == "idf" && retrieval_.scoring == "maxsim";
    ranking.setTowers(towerOf(net), towerOf(teacherNet),
                      weighted ? weigherOf(net) : retrieval::TermWeigher(),
                      weighted ? weigherOf(teacherNet) : retrieval::TermWeigher());

    jobs::JobResult result;
    result.corpus = env.corpusRecord();
    nlohmann::json summary = {
        {"method", method_}, {"init", init_.checkpoint}, {"scoring", retrieval_.scoring}};
    {
        std::vector<std::string> languages = corpus_.languages;
        if (std::find(languages.begin(), languages.end(), data::pivotLanguage()) == languages.end())
            languages.push_back(data::pivotLanguage());
        ctx.report(0.005, "query-term weights");
        prepareTermWeights(net, start.meta, retrieval_, pages, languages, tok, summary);
    }
    std::int64_t parameters = 0, trained = 0;
    for (const auto& p : net->encoder->parameters()) parameters += p.numel();
    for (const auto& p : net->parameters())
        if (p.requires_grad()) trained += p.numel();
    summary["parameters"] = parameters;
    if (wiring.trains) summary["trained_parameters"] = trained;
    if (wiring.optical) {
        summary["student_side"] = ot_.studentSide;
        summary["student_trains"] = ot_.train;
    }

    model::CheckpointMeta metaTemplate{start.meta.encoder, tok.path(), tok.hash(), 0,
                                       configHash_,        {},         "retrieval"};
    std::string best;
    if (wiring.trains) {
        Recipe recipe{train_, ot_,   retrieval_.scoring, retrieval_.queryMaxLength, configHash_,
                      seed_,  device};
        best = trainRetrieval(ctx, env, recipe, wiring, net, tok, ranking, pages, metaTemplate,
                              summary);
        model::loadCheckpoint(best, *net, start.meta.encoder, "retrieval", nullptr,
                              {model_.preset, tok.hash()});
        result.artifacts.push_back({"best_checkpoint", best});
        result.artifacts.push_back(
            {"checkpoint", env.checkpointDir + "/step-" +
                               std::to_string(summary.value("train_steps", train_.steps))});
    } else {
        // Nothing trained: the model is the starting checkpoint itself (zero-shot).
        best = !jobs::methodInfo(method_).retrieval.trains || start.meta.kind == "retrieval"
                   ? init_.checkpoint
                   : model::saveCheckpoint(env.checkpointDir, *net, nullptr, metaTemplate, "best",
                                           false);
        result.artifacts.push_back({"best_checkpoint", best});
    }

    // --- Test evaluation with the best checkpoint ---------------------------------------------
    net->eval();
    torch::NoGradGuard noGrad;
    const std::string netKey = model::checkpointWeightsKey(best);
    TestRecipe test{method_ + "-" + model_.preset,
                    corpus_.languages,
                    evaluation_,
                    retrieval_,
                    train_.devQueries,
                    seed_,
                    netKey,
                    wiring.optical ? model::checkpointWeightsKey(init_.checkpoint) : netKey};
    evaluateRetrievalTest(ctx, env, ranking, test, summary, result);
    summary["checkpoint"] = best;
    result.summary = summary;
    ctx.report(1.0, "evaluated " + test.tag);
    return result;
}

}  // namespace clir::train
