// BM25 job (see bm25_job.h).
#include "core/retrieval/bm25_job.h"

#include <map>
#include <memory>

#include <chrono>

#include "core/data/corpus_reader.h"
#include "core/jobs/job_environment.h"
#include "core/retrieval/test_evaluation.h"

namespace clir::retrieval {

const config::Fields<Bm25Settings>& bm25Fields() {
    using S = Bm25Settings;
    static const S d;  // the engine's defaults (bm25_index.h) are the experiment's
    static const auto f =
        config::Fields<S>("BM25 (Xapian BM25Weight)")
            .number("k1", &S::k1, "term-frequency saturation k1 (Xapian default)", d.k1, 0.0)
            .number("b", &S::b, "length normalisation b (Xapian default)", d.b, 0.0, 1.0)
            .integer("depth", &S::depth, "documents retrieved per query", d.depth, 1.0, 100000.0);
    return f;
}

const config::Fields<TranslationSettings>& TranslationSettings::fields() {
    using S = TranslationSettings;
    static const S d;
    static const auto f =
        config::Fields<S>("query translation into English before retrieval")
            .text("system", &S::system, "none (untranslated) or apertium (eu, es)", d.system,
                  {"none", "apertium"})
            .custom(
                "timeout_seconds",
                config::SchemaNode::number("longest one Apertium batch of 200 queries may take, s",
                                           d.apertium.batchTimeoutSeconds, 1.0),
                [](S& s, const nlohmann::json& j) {
                    s.apertium.batchTimeoutSeconds = j.get<double>();
                });
    return f;
}

Bm25Job::Bm25Job(const config::ExperimentSpec& spec)
    : corpus_(data::CorpusSettings::fromJson(spec.config.at("corpus"))),
      evaluation_(eval::EvaluationSettings::fromJson(spec.config.at("evaluation"))),
      bm25_(bm25Fields().read(spec.config.at("bm25"))),
      translation_(TranslationSettings::fields().read(spec.config.at("translation"))) {
    runTag_ = translation_.system == "none" ? "bm25" : "bm25-" + translation_.system;
}

std::vector<std::string> Bm25Job::queryLanguages() const {
    std::vector<std::string> out;
    for (const auto& l : corpus_.languages)
        if (translation_.system == "none" || !apertiumModeFor(l).empty()) out.push_back(l);
    return out;
}

jobs::JobResult Bm25Job::run(const jobs::JobContext& ctx) {
    using Clock = std::chrono::steady_clock;
    auto env = jobs::JobEnvironment::prepare(corpus_, ctx);
    const std::string& pivot = data::pivotLanguage();
    auto languages = queryLanguages();
    if (languages.empty())
        throw std::runtime_error("no configured language has an Apertium pair (eu, es)");

    ctx.report(0.0, "indexing English pages");
    std::map<std::string, std::unique_ptr<Bm25Index>> indexes;  // by page language
    auto indexOf = [&](const std::string& lang) -> Bm25Index& {
        auto& index = indexes[lang];
        if (!index)
            index = std::make_unique<Bm25Index>(env.bm25IndexDir(lang), env.corpusHash, lang,
                                                data::readDocuments(env.corpusDir, lang));
        return *index;
    };
    indexOf(pivot);

    jobs::JobResult result;
    result.corpus = env.corpusRecord();
    double searchSeconds = 0;
    std::size_t searched = 0;
    nlohmann::json failures = nlohmann::json::object();
    std::vector<Direction> directions;
    for (const auto& lang : languages) directions.push_back({lang, pivot, lang});
    std::map<std::string, std::vector<std::string>> translatedTexts;  // language/set -> texts
    auto rank = [&](const Direction& dir, const std::string& set,
                    const std::vector<data::CorpusQuery>& queries) -> std::optional<eval::Run> {
        const auto& lang = dir.queryLanguage;
        std::vector<std::string> texts;
        for (const auto& q : queries) texts.push_back(q.text);
        auto cached =
            translatedTexts.find(lang + "/" + set);  // the pool ranks them once per language
        if (cached != translatedTexts.end()) {
            texts = cached->second;
        } else if (translation_.system == "apertium" && lang != pivot) {
            std::string mode = apertiumModeFor(lang);
            auto translated = translateWithApertium(texts, mode, translation_.apertium,
                                                    [&](std::size_t) { return !ctx.cancelled(); });
            ctx.checkCancelled();
            int failed = 0;
            for (std::size_t i = 0; i < queries.size(); ++i) {
                const auto& t = translated[i];
                result.translations.push_back(
                    {lang, set, queries[i].qid, "apertium:" + mode, t.source, t.target, t.error});
                if (!t.error.empty())
                    ++failed;  // falls back to the untranslated query
                else
                    texts[i] = t.target;
            }
            failures[lang][set] = failed;
            translatedTexts[lang + "/" + set] = texts;
        }
        eval::Run run;
        auto start = Clock::now();
        for (std::size_t i = 0; i < queries.size(); ++i)
            run.byQuery[queries[i].qid] = indexOf(dir.pageLanguage).search(texts[i], bm25_);
        searchSeconds += std::chrono::duration<double>(Clock::now() - start).count();
        searched += queries.size();
        return run;
    };
    auto perLanguage =
        evaluateTestSets(ctx, {env.corpusDir, ctx.outputDir, evaluation_, runTag_, bm25_.depth},
                         directions, rank, result);
    if (evaluation_.pool == "all") {  // one pool of every language's pages, one index each
        const TestEvaluation pooled{env.corpusDir, ctx.outputDir, evaluation_, runTag_,
                                    bm25_.depth};
        auto all = evaluatePooledSets(ctx, pooled, languages, corpus_.languages, rank, result);
        for (auto& [lang, sets] : all.items())
            for (auto& [set, value] : sets.items()) perLanguage[lang][set] = value;
    }
    for (const auto& [lang, sets] : failures.items())
        for (const auto& [set, failed] : sets.items())
            perLanguage[lang][set]["translation_failures"] = failed;
    if (searchSeconds > 0) ctx.record("queries_per_second", 0, double(searched) / searchSeconds);
    result.summary = {{"tag", runTag_}, {"per_language", perLanguage}};
    ctx.report(1.0, "evaluated " + std::to_string(searched) + " queries");
    return result;
}

}  // namespace clir::retrieval
