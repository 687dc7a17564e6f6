// NMT baseline (see nmt_job.h).
#include "core/train/nmt_job.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <filesystem>
#include <functional>

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
#include "core/train/nmt_training.h"
#include "core/train/nmt_translation.h"
#include "core/train/translation_cache.h"
#include "core/util/blas_threads.h"
#include "core/util/fs.h"

namespace clir::train {
namespace {

using Translator = std::function<std::vector<std::string>(const std::vector<std::string>&)>;
using TranslatorFor = std::function<Translator(const std::string& language)>;

// chrF and BLEU on dev bitext per language, next to Apertium where it has the pair.
nlohmann::json devQuality(const jobs::JobContext& ctx, const jobs::JobEnvironment& env,
                          const NmtSettings& nmt, const std::vector<std::string>& xLanguages,
                          TranslationCache& cache, const TranslatorFor& translator,
                          jobs::JobResult& result, std::int64_t step) {
    nlohmann::json quality = nlohmann::json::object();
    for (std::size_t li = 0; li < xLanguages.size(); ++li) {
        const auto& x = xLanguages[li];
        ctx.report(0.62 + 0.13 * double(li) / double(xLanguages.size()), x + ": dev chrF and BLEU");
        auto pairs = readBitextPairs(env.corpusDir, x, "dev", std::size_t(nmt.devSentences));
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
        if (!nmt.compareApertium || retrieval::apertiumModeFor(x).empty()) continue;
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
                                  std::size_t(retrieval_.depth), retrieval_.softTf());
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
