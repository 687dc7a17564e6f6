// Test-set evaluation of any ranker (see test_evaluation.h).
#include "core/retrieval/test_evaluation.h"

#include <filesystem>

#include "core/config/schema.h"
#include "core/util/fs.h"

namespace clir::retrieval {

eval::Evaluation recordEvaluation(const std::string& trecPath, const std::string& qrelsPath,
                                  const std::string& language, const std::string& querySet,
                                  std::vector<store::ResultRow>& results,
                                  std::vector<store::QueryResultRow>& queryResults) {
    // -c: every qrels query counts, one that retrieved nothing as 0. Evaluated from the file, so
    // the stored figures are exactly what trec_eval gives for the exported run.
    auto e = eval::evaluate(eval::readRun(trecPath), eval::readQrels(qrelsPath), {true});
    for (const auto& [measure, value] : e.mean)
        results.push_back({language, querySet, measure, value});
    for (const auto& [qid, values] : e.perQuery)
        for (const auto& [measure, value] : values)
            queryResults.push_back({language, querySet, qid, measure, value});
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
                test.outputDir + "/" + dir.label + "." + recorded + "." + split + ".trec";
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
