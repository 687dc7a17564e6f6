// BM25 job (see bm25_job.h).
#include "core/retrieval/bm25_job.h"

#include <chrono>
#include <filesystem>
#include <set>

#include "core/data/corpus_reader.h"
#include "core/data/corpus_stats.h"
#include "core/eval/measures.h"
#include "core/retrieval/run_evaluation.h"
#include "core/util/fs.h"

namespace clir::retrieval {

config::SchemaNode bm25Schema() {
    using config::SchemaNode;
    SchemaNode k1 = SchemaNode::number("term-frequency saturation k1 (Xapian default)", 1.2, 0.0);
    return SchemaNode::object(
        "BM25 (Xapian BM25Weight)",
        {{"k1", k1},
         {"b", SchemaNode::number("length normalisation b (Xapian default)", 0.75, 0.0, 1.0)},
         {"depth", SchemaNode::integer("documents retrieved per query", 1000, 1.0, 100000.0)}});
}

config::SchemaNode translationSchema() {
    using config::SchemaNode;
    return SchemaNode::object(
        "query translation into English before retrieval",
        {{"system", SchemaNode::string("none (untranslated) or apertium (eu, es)", "none",
                                       {"none", "apertium"})},
         {"timeout_seconds",
          SchemaNode::number("longest one Apertium batch of 200 queries may take, s", 300.0,
                             1.0)}});
}

Bm25Job::Bm25Job(const config::ExperimentSpec& spec)
    : corpus_(data::CorpusSettings::fromJson(spec.config.at("corpus"))),
      evaluation_(eval::EvaluationSettings::fromJson(spec.config.at("evaluation"))) {
    const auto& b = spec.config.at("bm25");
    bm25_.k1 = b.at("k1").get<double>();
    bm25_.b = b.at("b").get<double>();
    bm25_.depth = b.at("depth").get<std::size_t>();
    const auto& t = spec.config.at("translation");
    translation_.system = t.at("system").get<std::string>();
    translation_.apertium.batchTimeoutSeconds = t.at("timeout_seconds").get<double>();
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
    const std::string corpusDir = data::defaultCorpusDir(corpus_.name);
    auto manifest = data::loadManifest(corpusDir);
    const std::string hash = manifest.at("hash").get<std::string>();
    const std::string& pivot = data::pivotLanguage();
    auto languages = queryLanguages();
    if (languages.empty())
        throw std::runtime_error("no configured language has an Apertium pair (eu, es)");

    ctx.report(0.0, "indexing English pages");
    auto docs = data::readDocuments(corpusDir, pivot);
    Bm25Index index(fs::dataDir() + "/indexes/" + hash.substr(0, 16) + "/" + pivot, hash, pivot,
                    docs);

    jobs::JobResult result;
    result.corpus = store::CorpusRecord{0, corpus_.name, corpusDir, hash, manifest.dump(), ""};
    std::filesystem::create_directories(ctx.outputDir);
    const double steps = double(languages.size() * evaluation_.querySets.size());
    double done = 0, searchSeconds = 0;
    std::size_t searched = 0;
    nlohmann::json summary = nlohmann::json::object();
    for (const auto& lang : languages) {
        for (const auto& set : evaluation_.querySets) {
            ctx.checkCancelled();
            ctx.report(done / steps, lang + " " + set + ": " + runTag_);
            auto queries = data::readQueries(corpusDir, lang, set, evaluation_.split);
            std::vector<std::string> texts;
            for (const auto& q : queries) texts.push_back(q.text);
            if (translation_.system == "apertium" && lang != pivot) {
                std::string mode = apertiumModeFor(lang);
                auto translated =
                    translateWithApertium(texts, mode, translation_.apertium,
                                          [&](std::size_t) { return !ctx.cancelled(); });
                ctx.checkCancelled();
                int failed = 0;
                for (std::size_t i = 0; i < queries.size(); ++i) {
                    const auto& t = translated[i];
                    result.translations.push_back({lang, set, queries[i].qid, "apertium:" + mode,
                                                   t.source, t.target, t.error});
                    if (!t.error.empty())
                        ++failed;  // falls back to the untranslated query
                    else
                        texts[i] = t.target;
                }
                summary[lang][set]["translation_failures"] = failed;
            }
            eval::Run run;
            auto start = Clock::now();
            for (std::size_t i = 0; i < queries.size(); ++i) {
                auto& ranked = run.byQuery[queries[i].qid];
                ranked = index.search(texts[i], bm25_);
            }
            searchSeconds += std::chrono::duration<double>(Clock::now() - start).count();
            searched += queries.size();
            std::string trecPath =
                ctx.outputDir + "/" + lang + "." + set + "." + evaluation_.split + ".trec";
            auto qrels =
                eval::readQrels(data::qrelsPath(corpusDir, lang, pivot, set, evaluation_.split));
            auto e = evaluateAndRecord(run, trecPath, runTag_, bm25_.depth, qrels, queries, lang,
                                       set, result);
            summary[lang][set]["map"] = e.mean.at("map");
            summary[lang][set]["queries"] = e.numQueries;
            ctx.record("map/" + lang + "/" + set, 0, e.mean.at("map"));
            ++done;
        }
    }
    if (searchSeconds > 0) ctx.record("queries_per_second", 0, double(searched) / searchSeconds);
    result.summary = {{"tag", runTag_}, {"per_language", summary}};
    ctx.report(1.0, "evaluated " + std::to_string(searched) + " queries");
    return result;
}

}  // namespace clir::retrieval
