// NMT baseline (see nmt_job.h).
#include "core/train/nmt_job.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <numeric>
#include <random>

#include "core/data/corpus_reader.h"
#include "core/jobs/job_environment.h"
#include "core/eval/mt_metrics.h"
#include "core/model/checkpoint.h"
#include "core/model/nmt_model.h"
#include "core/model/retrieval_model.h"
#include "core/model/tokenizer.h"
#include "core/retrieval/apertium.h"
#include "core/retrieval/bm25_job.h"
#include "core/retrieval/neural_search.h"
#include "core/retrieval/test_evaluation.h"
#include "core/train/training_common.h"
#include "core/train/data_parallel.h"
#include "core/train/training_loop.h"
#include "core/train/nmt_translation.h"
#include "core/train/translation_cache.h"
#include "core/util/blas_threads.h"
#include "core/util/fs.h"

namespace clir::train {
namespace {

using Ids = std::vector<std::int64_t>;
// The bitext of one language and split, English and the other side (no empty pair reaches a
// loss: data::readBitext drops them).
std::vector<data::BitextPair> readPairs(const std::string& corpusDir, const std::string& lang,
                                        const std::string& split, std::size_t limit) {
    auto pairs = data::readBitext(corpusDir, lang, split, limit);
    if (pairs.empty())
        throw std::runtime_error(corpusDir + "/bitext/" + lang + "." + split +
                                 ".tsv: no bitext pairs");
    return pairs;
}

using Translator = std::function<std::vector<std::string>(const std::vector<std::string>&)>;
using TranslatorFor = std::function<Translator(const std::string& language)>;

// Trains the tokenizer and the model; returns the final checkpoint.
std::string trainNmt(const jobs::JobContext& ctx, const jobs::JobEnvironment& env,
                     const NmtSettings& nmt_, std::uint64_t seed_, const std::string& configHash_,
                     const std::vector<std::string>& xLanguages, c10::Device device) {
    // Tokenizer and model, trained on the train-split bitext only.
    ctx.report(0.0, "reading bitext");
    std::map<std::string, std::vector<data::BitextPair>> pairs;
    for (const auto& x : xLanguages) pairs[x] = readPairs(env.corpusDir, x, "train", SIZE_MAX);
    std::mt19937_64 rng(seed_);
    auto draw = [&](std::size_t n) {
        return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
    };
    const std::string tokPath = ctx.outputDir + "/nmt-tokenizer.model";
    if (!std::filesystem::exists(tokPath)) {
        ctx.report(0.01, "training the shared tokenizer");
        std::vector<std::string> sentences;
        for (std::int64_t i = 0; i < nmt_.tokenizerSentences / 2; ++i) {
            const auto& x = xLanguages[std::size_t(i) % xLanguages.size()];
            const auto& pool = pairs[x];
            const auto& p = pool[draw(pool.size())];
            sentences.push_back(p.english);
            sentences.push_back(languageTag(x) + p.other);
        }
        model::Tokenizer::train(sentences, nmt_.vocabSize, ctx.outputDir + "/nmt-tokenizer", seed_);
    }
    model::Tokenizer tok(tokPath);
    model::EncoderConfig cfg;
    cfg.preset = "nmt";
    cfg.vocabSize = tok.vocabSize();
    cfg.hidden = nmt_.hidden;
    cfg.layers = nmt_.layers;
    cfg.heads = nmt_.heads;
    cfg.ffn = nmt_.ffn;
    cfg.maxPositions = nmt_.maxLength;
    cfg.dropout = nmt_.dropout;
    torch::manual_seed(seed_);
    model::NmtModel net(cfg);
    net->to(device);
    auto optimizer = makeAdamW(
        *net, {nmt_.learningRate, nmt_.weightDecay, 0.9, nmt_.adamBeta2, nmt_.adamEpsilon, true});

    const LoopSettings loop{
        nmt_.steps,     nmt_.warmupSteps,     nmt_.learningRate,   nmt_.clipNorm, nmt_.logEvery,
        nmt_.evalEvery, nmt_.checkpointEvery, "tokens_per_second", 0.02,          0.62};
    const auto maxLen = std::size_t(nmt_.maxLength);
    LoopHooks hooks;
    DataParallel* parallel = ctx.parallel;
    if (parallel && nmt_.batchSize % parallel->worldSize() != 0)
        throw config::ConfigError("field 'nmt.batch_size': " + std::to_string(nmt_.batchSize) +
                                  " pairs do not split into equal shares for " +
                                  std::to_string(parallel->worldSize()) + " workers (--nproc)");
    hooks.step = [&](std::int64_t) {
        std::vector<Ids> src, tgt;
        double tokens = 0;
        for (std::int64_t i = 0; i < nmt_.batchSize; ++i) {
            const auto& x = xLanguages[draw(xLanguages.size())];
            const auto& pool = pairs[x];
            const auto& p = pool[draw(pool.size())];
            src.push_back(tok.encode(languageTag(x) + p.other, maxLen));
            tgt.push_back(tok.encode(p.english, maxLen));
            tokens += double(tgt.back().size());
        }
        double predicted = 0;  // target positions of the whole batch (after <s>)
        for (const auto& ids : tgt) predicted += double(ids.size() - 1);
        if (parallel) {  // this rank's pairs of the whole batch
            const auto share = src.size() / std::size_t(parallel->worldSize());
            const auto first = std::size_t(parallel->rank()) * share;
            src = {src.begin() + long(first), src.begin() + long(first + share)};
            tgt = {tgt.begin() + long(first), tgt.begin() + long(first + share)};
        }
        auto s = model::padBatch(src).ids.to(device);
        auto t = model::padBatch(tgt).ids.to(device);
        auto tgtIn = t.narrow(1, 0, t.size(1) - 1), tgtOut = t.narrow(1, 1, t.size(1) - 1);
        // Only real target positions reach the vocabulary projection (most of the cost).
        auto real = tgtOut.ne(model::Tokenizer::kPad);
        auto logits = net->project(net->forward(s, tgtIn).index({real}));
        // Data-parallel: the rank's share of the whole batch's mean, times the ranks (the loop
        // averages).
        auto loss =
            parallel ? at::cross_entropy_loss(logits, tgtOut.index({real}), {}, at::Reduction::Sum,
                                              model::Tokenizer::kPad, nmt_.labelSmoothing) *
                           double(parallel->worldSize()) / std::max(predicted, 1.0)
                     : at::cross_entropy_loss(logits, tgtOut.index({real}), {}, at::Reduction::Mean,
                                              model::Tokenizer::kPad, nmt_.labelSmoothing);
        return StepOutput{loss, {}, {}, tokens};
    };
    hooks.load = [&](const std::string& path) {
        return model::loadCheckpoint(path, *net, cfg, "nmt", optimizer.get(), {"", tok.hash()},
                                     true);
    };
    // Early stopping on dev chrF (nmt.eval_every): greedy translations of the first
    // eval_sentences dev pairs of each language, chrF averaged over the languages.
    double bestChrf = -1;
    std::int64_t sinceBest = 0, bestStep = 0;
    std::string best;
    std::map<std::string, std::pair<std::vector<std::string>, std::vector<std::string>>> dev;
    if (nmt_.evalEvery > 0)
        for (const auto& x : xLanguages)
            for (const auto& p :
                 readPairs(env.corpusDir, x, "dev", std::size_t(nmt_.evalSentences))) {
                dev[x].first.push_back(p.other);
                dev[x].second.push_back(p.english);
            }
    auto stateOf = [&](nlohmann::json state) {
        state["languages"] = xLanguages;
        state["best_dev_chrf"] = bestChrf;
        state["best_step"] = bestStep;
        state["evaluations_since_best"] = sinceBest;
        return state;
    };
    hooks.save = [&](std::int64_t step, nlohmann::json state) {
        model::CheckpointMeta meta{cfg,         tokPath,        tok.hash(), step,
                                   configHash_, stateOf(state), "nmt"};
        return model::saveCheckpoint(env.checkpointDir, *net, optimizer.get(), meta);
    };
    const TrainingLoop* loopState = nullptr;
    if (nmt_.evalEvery > 0) {
        hooks.evaluate = [&](std::int64_t done) {
            if (!ctx.primary()) return;  // rank 0 alone translates dev and decides
            torch::NoGradGuard noGrad;
            net->eval();
            model::DecodeOptions greedy;
            greedy.beamSize = 1;
            greedy.maxLength = nmt_.maxLength;
            double sum = 0;
            for (const auto& [x, sides] : dev) {
                auto hyp = translateAll(*net, tok, x, sides.first, greedy,
                                        std::size_t(nmt_.maxLength), &ctx);
                const double chrf = eval::corpusChrf(hyp, {sides.second});
                ctx.record("dev_chrf/" + x, done, chrf);
                sum += chrf;
            }
            net->train();
            const double chrf = sum / double(std::max<std::size_t>(dev.size(), 1));
            ctx.record("dev_chrf", done, chrf);
            if (chrf > bestChrf) {
                bestChrf = chrf;
                bestStep = done;
                sinceBest = 0;
                model::CheckpointMeta meta{cfg,  tokPath,     tok.hash(),
                                           done, configHash_, stateOf(loopState->state()),
                                           "nmt"};
                best = model::saveCheckpoint(env.checkpointDir, *net, nullptr, meta, "best", false);
            } else {
                ++sinceBest;
            }
        };
        hooks.stop = [&](std::int64_t) { return nmt_.patience > 0 && sinceBest >= nmt_.patience; };
    }
    TrainingLoop trainer(ctx, *optimizer, rng, loop, hooks);
    loopState = &trainer;
    trainer.resume(env.checkpointDir, configHash_);
    const auto& resumed = trainer.resumedState();
    bestChrf = resumed.value("best_dev_chrf", -1.0);
    bestStep = resumed.value("best_step", std::int64_t(0));
    sinceBest = resumed.value("evaluations_since_best", std::int64_t(0));
    if (bestStep > 0) best = env.checkpointDir + "/best";
    net->train();
    const std::string last = trainer.run();
    // The model: the best checkpoint by dev chrF when checked, else the last.
    return nmt_.evalEvery > 0 && !best.empty() ? best : last;
}

// chrF and BLEU on dev bitext per language, next to Apertium where it has the pair.
nlohmann::json devQuality(const jobs::JobContext& ctx, const jobs::JobEnvironment& env,
                          const NmtSettings& nmt_, const std::vector<std::string>& xLanguages,
                          TranslationCache& cache, const TranslatorFor& translator,
                          jobs::JobResult& result, std::int64_t step) {
    nlohmann::json quality = nlohmann::json::object();
    for (std::size_t li = 0; li < xLanguages.size(); ++li) {
        const auto& x = xLanguages[li];
        ctx.report(0.62 + 0.13 * double(li) / double(xLanguages.size()), x + ": dev chrF and BLEU");
        auto pairs = readPairs(env.corpusDir, x, "dev", std::size_t(nmt_.devSentences));
        std::vector<std::string> sources, refs;
        for (const auto& p : pairs) {
            sources.push_back(p.other);
            refs.push_back(p.english);
        }
        auto hyp = cache.translate(x, sources, translator(x));
        double chrf = eval::corpusChrf(hyp, {refs}), bleu = eval::corpusBleu(hyp, {refs}).score;
        result.results.push_back({x, "translation", "chrf", chrf});
        result.results.push_back({x, "translation", "bleu", bleu});
        quality[x] = {{"chrf", chrf}, {"bleu", bleu}, {"sentences", sources.size()}};
        ctx.record("chrf/" + x, step, chrf);
        if (!nmt_.compareApertium || retrieval::apertiumModeFor(x).empty()) continue;
        try {
            auto ap =
                retrieval::translateWithApertium(sources, retrieval::apertiumModeFor(x), {},
                                                 [&](std::size_t) { return !ctx.cancelled(); });
            std::vector<std::string> apHyp;
            for (const auto& t : ap) apHyp.push_back(t.error.empty() ? t.target : t.source);
            double apChrf = eval::corpusChrf(apHyp, {refs});
            double apBleu = eval::corpusBleu(apHyp, {refs}).score;
            result.results.push_back({x, "translation", "apertium_chrf", apChrf});
            result.results.push_back({x, "translation", "apertium_bleu", apBleu});
            quality[x]["apertium_chrf"] = apChrf;
            quality[x]["apertium_bleu"] = apBleu;
        } catch (const jobs::Cancelled&) {
            throw;
        } catch (const std::exception& e) {
            quality[x]["apertium_error"] = e.what();
        }
    }
    return quality;
}

// The teacher run's model and its encoded English pages (nmt.retriever: teacher).
struct TeacherPages {
    std::unique_ptr<model::Tokenizer> tok;
    retrieval::TokenEncoder tower;
    retrieval::TermWeigher weigher;
    retrieval::PageIndex pages;
    std::vector<std::string> pageIds;
};

TeacherPages loadTeacher(const std::string& checkpoint,
                         const std::vector<data::CorpusDocument>& docs,
                         const jobs::JobEnvironment& env, const RetrievalSettings& r,
                         c10::Device device) {
    TeacherPages t;
    auto meta = model::readCheckpointMeta(checkpoint);
    t.tok = std::make_unique<model::Tokenizer>(meta.tokenizerPath);
    model::RetrievalModel net(meta.encoder);
    net->encoder->setPieces(t.tok->vocabulary());
    model::loadCheckpoint(checkpoint, *net, meta.encoder, "retrieval", nullptr,
                          {"", t.tok->hash()});
    net->to(device);
    net->eval();
    t.tower = [net](const at::Tensor& ids, const at::Tensor& mask) mutable {
        return net->forward(ids, mask);
    };
    if (r.termWeights == "idf")
        t.weigher = [net](const at::Tensor& ids, const at::Tensor& mask) mutable {
            return net->termWeights(ids, mask);
        };
    std::vector<std::string> texts;
    for (const auto& d : docs) {
        texts.push_back(d.title + "\n" + d.text);
        t.pageIds.push_back(d.id);
    }
    const auto& pivot = data::pivotLanguage();
    t.pages = retrieval::encodePagesCached(
        env.encodedPagesPath(model::checkpointWeightsKey(checkpoint), pivot, r.documentMaxLength,
                             r.scoring),
        t.tower, *t.tok, texts, r.documentMaxLength, r.encodeBatch, r.scoring == "maxsim", device);
    return t;
}

}  // namespace

NmtJob::NmtJob(const config::ExperimentSpec& spec)
    : corpus_(data::CorpusSettings::fromJson(spec.config.at("corpus"))),
      evaluation_(eval::EvaluationSettings::fromJson(spec.config.at("evaluation"))),
      model_(ModelSettings::fromJson(spec.config.at("model"))),
      init_(InitSettings::fromJson(spec.config.at("init"))),
      retrieval_(RetrievalSettings::fromJson(spec.config.at("retrieval"))),
      nmt_(NmtSettings::fromJson(spec.config.at("nmt"))),
      configHash_(spec.configHash),
      seed_(std::uint64_t(spec.seed)) {
    bm25_ = retrieval::bm25Fields().read(spec.config.at("bm25"));
    if (nmt_.retriever == "teacher" && init_.checkpoint.empty())
        throw config::ConfigError(spec.source +
                                  ": field 'init.from': nmt.retriever 'teacher' needs the teacher "
                                  "run (resolved when the run is queued)");
    if (!nmt_.modelFrom.empty() && nmt_.modelCheckpoint.empty())
        throw config::ConfigError(spec.source + ": field 'nmt.model_from': run '" + nmt_.modelFrom +
                                  "' is not resolved yet (queue the run first)");
}

jobs::JobResult NmtJob::run(const jobs::JobContext& ctx) {
    // One BLAS thread: at these widths OpenBLAS's threads only contend with LibTorch's (training
    // ran 1.6x faster in tokens/s, decoding 3-4x; see blas_threads.h).
    ScopedBlasThreads oneBlasThread(1);
    auto env = jobs::JobEnvironment::prepare(corpus_, ctx);
    const std::string& pivot = data::pivotLanguage();
    const c10::Device device = setUpCompute(model_.threads, model_.device);
    std::vector<std::string> xLanguages;
    for (const auto& l : nmt_.languages.empty() ? corpus_.languages : nmt_.languages)
        if (l != pivot) xLanguages.push_back(l);
    if (xLanguages.empty())
        throw std::runtime_error("nmt needs a language besides en-US in corpus.languages");

    jobs::JobResult result;
    result.corpus = env.corpusRecord();
    nlohmann::json summary = {{"retriever", nmt_.retriever}, {"languages", xLanguages}};
    std::string checkpoint = nmt_.modelCheckpoint;
    if (ctx.parallel && !checkpoint.empty())
        throw config::ConfigError(
            "--nproc: this nmt run reuses the model of nmt.model_from and "
            "trains nothing; run it in one process");
    if (checkpoint.empty())
        checkpoint = trainNmt(ctx, env, nmt_, seed_, configHash_, xLanguages, device);
    if (!ctx.primary()) return {};  // a data-parallel worker: rank 0 translates and stores
    result.artifacts.push_back({"nmt_checkpoint", checkpoint});
    summary["checkpoint"] = checkpoint;

    auto loaded = loadNmt(checkpoint);
    loaded.net->to(device);
    for (const auto& x : xLanguages)
        if (std::find(loaded.languages.begin(), loaded.languages.end(), x) ==
            loaded.languages.end())
            throw std::runtime_error(checkpoint + ": the model was not trained on '" + x + "'");
    model::DecodeOptions decode;
    decode.beamSize = nmt_.beamSize;
    decode.lengthPenalty = nmt_.lengthPenalty;
    decode.maxLength = loaded.meta.encoder.maxPositions;
    const auto maxLen = std::size_t(loaded.meta.encoder.maxPositions);
    TranslationCache cache(checkpoint, decode);
    TranslatorFor translator = [&](const std::string& lang) -> Translator {
        return [&, lang](const std::vector<std::string>& t) {
            return translateAll(*loaded.net, *loaded.tok, lang, t, decode, maxLen, &ctx);
        };
    };

    summary["dev_translation"] =
        devQuality(ctx, env, nmt_, xLanguages, cache, translator, result, loaded.meta.step);

    // --- Translate-then-retrieve on the test queries ---------------------------------------------
    std::unique_ptr<retrieval::Bm25Index> bm25;
    TeacherPages teacher;
    auto docs = data::readDocuments(env.corpusDir, pivot);
    if (nmt_.retriever == "bm25") {
        bm25 = std::make_unique<retrieval::Bm25Index>(env.bm25IndexDir(pivot), env.corpusHash,
                                                      pivot, docs);
    } else {
        ctx.report(0.76, "encoding the English pages with the teacher");
        teacher = loadTeacher(init_.checkpoint, docs, env, retrieval_, device);
    }
    const std::string system = "nmt:" + std::to_string(loaded.meta.step) + "-steps";
    auto rank = [&](const retrieval::Direction& dir, const std::string& set,
                    const std::vector<data::CorpusQuery>& queries) -> std::optional<eval::Run> {
        const auto& lang = dir.queryLanguage;
        std::vector<std::string> texts;
        for (const auto& q : queries) texts.push_back(q.text);
        if (lang != pivot) {
            if (std::find(loaded.languages.begin(), loaded.languages.end(), lang) ==
                loaded.languages.end())
                return std::nullopt;  // the model does not translate this language
            auto translated = cache.translate(lang, texts, translator(lang));
            for (std::size_t i = 0; i < queries.size(); ++i) {
                result.translations.push_back(
                    {lang, set, queries[i].qid, system, texts[i], translated[i], ""});
                texts[i] = translated[i];
            }
        }
        eval::Run run;
        if (bm25) {
            for (std::size_t i = 0; i < queries.size(); ++i)
                run.byQuery[queries[i].qid] = bm25->search(texts[i], bm25_);
            return run;
        }
        std::vector<std::string> qids;
        for (const auto& q : queries) qids.push_back(q.qid);
        auto encoded = retrieval::encodeTexts(
            teacher.tower, *teacher.tok, texts, retrieval_.queryMaxLength, retrieval_.encodeBatch,
            retrieval_.scoring == "maxsim", device, teacher.weigher);
        return retrieval::rankAll(retrieval_.scoring, encoded, qids, teacher.pages, teacher.pageIds,
                                  std::size_t(retrieval_.depth));
    };
    std::vector<retrieval::Direction> directions;
    for (const auto& lang : corpus_.languages) directions.push_back({lang, pivot, lang});
    retrieval::TestEvaluation test{env.corpusDir,
                                   ctx.outputDir,
                                   evaluation_,
                                   "nmt-" + nmt_.retriever,
                                   bm25 ? bm25_.depth : std::size_t(retrieval_.depth),
                                   0.78,
                                   1.0};
    summary["per_language"] = retrieval::evaluateTestSets(ctx, test, directions, rank, result);
    result.summary = summary;
    ctx.report(1.0, "translated and retrieved with " + nmt_.retriever);
    return result;
}

}  // namespace clir::train
