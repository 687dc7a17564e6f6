// Retrieval methods (see retrieval_job.h): the starting checkpoint and the towers, training
// (retrieval_training.h), then the test evaluation of the best checkpoint.
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
#include "core/train/retrieval_training.h"
#include "core/train/training_common.h"
#include "core/train/training_loop.h"
#include "core/util/blas_threads.h"

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
    // Another preset of the lexical ladder grows from the checkpoint: its tables and any layers
    // copied, the new layers' gates closed, so it starts scoring exactly as the checkpoint.
    model::EncoderConfig target = s.meta.encoder;
    if (s.meta.encoder.preset != modelSettings.preset) {
        target = model::presetConfig(modelSettings.preset, s.meta.encoder.vocabSize);
        model::setInputLayer(target, modelSettings.norm, modelSettings.charNgrams);
        const std::string problem = model::growthProblem(s.meta.encoder, target);
        if (!problem.empty())
            throw std::runtime_error("init: " + init.checkpoint + " holds preset '" +
                                     s.meta.encoder.preset + "', model.preset is '" +
                                     modelSettings.preset +
                                     "' and it cannot grow into it: " + problem);
    }
    if (modelSettings.dropout >= 0) target.dropout = modelSettings.dropout;
    s.tok = std::make_unique<model::Tokenizer>(s.meta.tokenizerPath);
    if (s.tok->hash() != s.meta.tokenizerHash)
        throw std::runtime_error(s.meta.tokenizerPath +
                                 ": changed since the checkpoint was written (SHA-256 differs)");
    const model::CheckpointExpectation expect{s.meta.encoder.preset, s.tok->hash()};
    torch::manual_seed(seed);
    auto loadInto = [&](model::RetrievalModel& net) {
        if (s.meta.kind == "encoder")
            model::loadCheckpoint(init.checkpoint, *net->encoder, nullptr, expect);
        else
            model::loadCheckpoint(init.checkpoint, *net, s.meta.encoder, "retrieval", nullptr,
                                  expect);
    };
    s.net = model::RetrievalModel(target);
    s.net->encoder->setPieces(s.tok->vocabulary());
    if (target.preset == s.meta.encoder.preset) {
        loadInto(s.net);
    } else {
        model::RetrievalModel source(s.meta.encoder);
        source->encoder->setPieces(s.tok->vocabulary());
        loadInto(source);
        model::growInto(*source, *s.net);
    }
    const model::EncoderConfig sourceShape = s.meta.encoder;
    s.meta.encoder = target;  // what this run's checkpoints hold
    s.net->to(device);
    if (optical) {
        s.teacher = model::RetrievalModel(sourceShape);  // the teacher as it was trained
        s.teacher->encoder->setPieces(s.tok->vocabulary());
        model::loadCheckpoint(init.checkpoint, *s.teacher, sourceShape, "retrieval", nullptr,
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
    // One BLAS thread, as pretraining and NMT (see blas_threads.h).
    ScopedBlasThreads oneBlasThread(1);
    auto env = jobs::JobEnvironment::prepare(corpus_, ctx);
    const c10::Device device = setUpCompute(model_.threads, model_.device);
    const auto wiring = MethodWiring::of(method_, corpus_, train_, ot_);
    if (ctx.parallel && !wiring.trains)
        throw config::ConfigError("--nproc: " + method_ +
                                  " trains nothing here (zero-shot, or train.steps 0); run it "
                                  "in one process");

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
    if (retrieval_.tfWeight > 0.0)
        summary["soft_tf"] = {{"weight", retrieval_.tfWeight},
                              {"threshold", retrieval_.tfThreshold},
                              {"length_norm", retrieval_.tfLengthNorm}};
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
        if (!ctx.primary()) return {};  // a data-parallel worker: rank 0 evaluates
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
