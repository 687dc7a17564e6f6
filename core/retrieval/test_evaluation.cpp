// Test-set evaluation of any ranker (see test_evaluation.h).
#include "core/retrieval/test_evaluation.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

#include "core/config/schema.h"
#include "core/data/corpus_settings.h"
#include "core/util/fs.h"

namespace clir::retrieval {

eval::Evaluation recordEvaluation(const std::string& trecPath, const std::string& qrelsPath,
                                  const std::string& language, const std::string& querySet,
                                  std::vector<store::ResultRow>& results,
                                  std::vector<store::QueryResultRow>& queryResults) {
    // -c: every qrels query counts, one that retrieved nothing as 0. Evaluated from the file, so
    // the stored figures are exactly what trec_eval gives for the exported run.
    const auto run = eval::readRun(trecPath);
    const auto qrels = eval::readQrels(qrelsPath);
    auto e = eval::evaluate(run, qrels, {true});
    for (const auto& [measure, value] : e.mean)
        results.push_back({language, querySet, measure, value});
    for (const auto& [qid, values] : e.perQuery)
        for (const auto& [measure, value] : values)
            queryResults.push_back({language, querySet, qid, measure, value});
    if (querySet.find("@all") != std::string::npos) {  // a pooled run: its language bias too
        const auto bias = languageBias(run, qrels);
        double sum = 0;
        for (const auto& [qid, value] : bias) {
            queryResults.push_back({language, querySet, qid, "language_bias", value});
            sum += value;
        }
        if (!bias.empty())
            results.push_back({language, querySet, "language_bias", sum / double(bias.size())});
    }
    return e;
}

nlohmann::json evaluateTestSets(const jobs::JobContext& ctx, const TestEvaluation& test,
                                const std::vector<Direction>& directions, const Ranker& rank,
                                jobs::JobResult& result) {
    std::filesystem::create_directories(test.outputDir);
    const auto& split = test.settings.split;
    const double total = double(directions.size() * test.settings.querySets.size());
    double done = 0;
    nlohmann::json perLanguage = nlohmann::json::object();
    for (const auto& dir : directions) {
        for (const auto& set : test.settings.querySets) {
            ctx.checkCancelled();
            ctx.report(test.progressFrom + (test.progressTo - test.progressFrom) * done / total,
                       dir.label + " " + set + ": ranking");
            ++done;
            auto queries = data::readQueries(test.corpusDir, dir.queryLanguage, set, split);
            auto run = rank(dir, set, queries);
            if (!run) continue;
            const std::string qrels =
                data::qrelsPath(test.corpusDir, dir.queryLanguage, dir.pageLanguage, set, split);
            const std::string recorded = set + test.setSuffix;
            const std::string trecPath =
                test.outputDir + "/" + dir.label + "." + recorded + "." + split + ".trec.gz";
            eval::writeRun(trecPath, *run, test.tag, test.depth);
            fs::writeFileAtomic(
                TrecSidecar::pathFor(trecPath),
                nlohmann::json{{"language", dir.label}, {"query_set", recorded}, {"qrels", qrels}}
                    .dump(2));
            result.artifacts.push_back({"trec_run", trecPath});
            auto e = recordEvaluation(trecPath, qrels, dir.label, recorded, result.results,
                                      result.queryResults);
            perLanguage[dir.label][recorded] = {
                {"map", e.mean.at("map")},
                {"queries", e.numQueries},
                {"direction", dir.queryLanguage + " -> " + dir.pageLanguage}};
            ctx.record("map/" + dir.label + "/" + recorded, 0, e.mean.at("map"));
        }
    }
    return perLanguage;
}

namespace {

// "<language>:<docid>" -> the language.
std::string poolLanguageOf(const std::string& docid) {
    return docid.substr(0, docid.find(':'));
}

}  // namespace

std::map<std::string, double> languageBias(const eval::Run& run, const eval::Qrels& qrels) {
    std::map<std::string, double> out;
    for (const auto& [qid, judged] : qrels.byQuery) {
        std::set<std::string> languages;
        for (const auto& [doc, rel] : judged)
            if (rel > 0) languages.insert(poolLanguageOf(doc));
        if (languages.size() < 2) continue;
        std::vector<eval::ScoredDoc> docs;
        if (auto it = run.byQuery.find(qid); it != run.byQuery.end()) docs = it->second;
        eval::sortTrecOrder(docs);
        std::map<std::string, std::size_t> best;
        for (std::size_t i = 0; i < docs.size(); ++i) {
            auto rel = judged.find(docs[i].docid);
            if (rel == judged.end() || rel->second <= 0) continue;
            best.try_emplace(poolLanguageOf(docs[i].docid), i + 1);
        }
        std::size_t lo = SIZE_MAX, hi = 0;
        for (const auto& lang : languages) {
            auto it = best.find(lang);
            const std::size_t rank = it == best.end() ? docs.size() + 1 : it->second;
            lo = std::min(lo, rank);
            hi = std::max(hi, rank);
        }
        out[qid] = double(hi - lo);
    }
    return out;
}

nlohmann::json evaluatePooledSets(const jobs::JobContext& ctx, const TestEvaluation& test,
                                  const std::vector<std::string>& queryLanguages,
                                  const std::vector<std::string>& poolLanguages, const Ranker& rank,
                                  jobs::JobResult& result) {
    const auto& split = test.settings.split;
    const std::string& pivot = data::pivotLanguage();
    std::filesystem::create_directories(test.outputDir + "/qrels");
    // Which pages each pool language has (a page missing in a language is not relevant there).
    std::map<std::string, std::set<std::string>> pagesIn;
    for (const auto& lang : poolLanguages)
        for (const auto& d : data::readDocuments(test.corpusDir, lang)) pagesIn[lang].insert(d.id);
    nlohmann::json perLanguage = nlohmann::json::object();
    const double total = double(queryLanguages.size() * test.settings.querySets.size());
    double done = 0;
    for (const auto& x : queryLanguages) {
        for (const auto& set : test.settings.querySets) {
            ctx.checkCancelled();
            ctx.report(test.progressFrom + (test.progressTo - test.progressFrom) * done / total,
                       x + " " + set + "@all: ranking in every language");
            ++done;
            auto queries = data::readQueries(test.corpusDir, x, set, split);
            eval::Run pooled;
            for (const auto& lang : poolLanguages) {
                auto run = rank({x, lang, x + "->" + lang}, set, queries);
                if (!run) continue;
                for (auto& [qid, docs] : run->byQuery)
                    for (auto& d : docs)
                        pooled.byQuery[qid].push_back({lang + ":" + d.docid, d.score});
            }
            // The query's relevant pages (judged against English pages) in every pool language.
            const auto judged =
                eval::readQrels(data::qrelsPath(test.corpusDir, x, pivot, set, split));
            eval::Qrels qrels;
            for (const auto& [qid, docs] : judged.byQuery)
                for (const auto& [doc, rel] : docs)
                    for (const auto& lang : poolLanguages)
                        if (pagesIn[lang].count(doc)) qrels.byQuery[qid][lang + ":" + doc] = rel;
            const std::string recorded = set + "@all";
            const std::string qrelsFile =
                test.outputDir + "/qrels/" + x + ".all." + set + "." + split + ".qrels";
            eval::writeQrels(qrelsFile, qrels);
            const std::string trecPath =
                test.outputDir + "/" + x + "." + recorded + "." + split + ".trec.gz";
            eval::writeRun(trecPath, pooled, test.tag, test.depth);
            fs::writeFileAtomic(
                TrecSidecar::pathFor(trecPath),
                nlohmann::json{{"language", x}, {"query_set", recorded}, {"qrels", qrelsFile}}.dump(
                    2));
            result.artifacts.push_back({"trec_run", trecPath});
            auto e = recordEvaluation(trecPath, qrelsFile, x, recorded, result.results,
                                      result.queryResults);
            double bias = std::nan("");
            for (const auto& r : result.results)
                if (r.language == x && r.querySet == recorded && r.measure == "language_bias")
                    bias = r.value;
            perLanguage[x][recorded] = {{"map", e.mean.at("map")},
                                        {"queries", e.numQueries},
                                        {"language_bias", bias},
                                        {"pool", poolLanguages}};
            ctx.record("map/" + x + "/" + recorded, 0, e.mean.at("map"));
        }
    }
    return perLanguage;
}

std::optional<TrecSidecar> TrecSidecar::read(const std::string& trecPath) {
    const std::string path = pathFor(trecPath);
    if (!std::filesystem::exists(path)) return std::nullopt;
    auto j = config::parseJson(fs::readFile(path), path);
    try {
        return TrecSidecar{j.at("language").get<std::string>(),
                           j.at("query_set").get<std::string>(), j.at("qrels").get<std::string>()};
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(path + ": " + e.what());
    }
}

}  // namespace clir::retrieval
