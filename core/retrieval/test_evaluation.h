// The one way a job evaluates on the test queries: for every direction (query language, page
// language) and query set, a ranker ranks the queries, the run is written as a TREC file with a
// sidecar naming its qrels, evaluated from that file with trec_eval's -c semantics (a query
// that retrieved nothing counts as 0), and the means, per-query values and the metric
// map/<label>/<set> are recorded. `clirlab reeval` recomputes stored runs from the same files.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/data/corpus_reader.h"
#include "core/eval/evaluation_settings.h"
#include "core/eval/measures.h"
#include "core/eval/trec_io.h"
#include "core/jobs/job.h"

namespace clir::retrieval {

struct Direction {
    std::string queryLanguage, pageLanguage;
    std::string label;  // the results' language column
};

// Ranks one direction's queries of one query set; std::nullopt skips the pair (for example a
// language the translator does not know).
using Ranker =
    std::function<std::optional<eval::Run>(const Direction& direction, const std::string& querySet,
                                           const std::vector<data::CorpusQuery>& queries)>;

struct TestEvaluation {
    std::string corpusDir, outputDir;
    eval::EvaluationSettings settings;
    std::string tag;        // the TREC files' tag column
    std::size_t depth = 0;  // documents written per query
    double progressFrom = 0, progressTo = 1;
    // Appended to the recorded query set and the file names ("+bm25": a fused run), so the
    // fused and the plain results of one run sit side by side.
    std::string setSuffix = "";
};

// Returns per_language: label -> set -> {map, queries, direction}.
nlohmann::json evaluateTestSets(const jobs::JobContext& context, const TestEvaluation& test,
                                const std::vector<Direction>& directions, const Ranker& rank,
                                jobs::JobResult& result);

// The multilingual pool (evaluation.pool "all"; the hybrid-batch paper's multilingual
// retrieval): each query language's queries of every set ranked by `rank` against the pages of
// every pool language, the rankings merged by score into one of "<language>:<docid>" (the
// ranker's scores must be comparable across page languages), written as
// <language>.<set>@all.<split>.trec with generated qrels in which the query's page is relevant
// in each pool language that has it, evaluated as any run, with the language bias per query.
nlohmann::json evaluatePooledSets(const jobs::JobContext& context, const TestEvaluation& test,
                                  const std::vector<std::string>& queryLanguages,
                                  const std::vector<std::string>& poolLanguages, const Ranker& rank,
                                  jobs::JobResult& result);

// Language bias per query (SPEC 5) of a pooled run: the max - min over the languages of its
// relevant pages ("<language>:<docid>") of the rank of that language's best-ranked relevant
// page; a language none of whose relevant pages was retrieved counts one past the query's last
// rank. Queries with relevant pages in fewer than two languages have none.
std::map<std::string, double> languageBias(const eval::Run& run, const eval::Qrels& qrels);

// Evaluates a TREC file against its qrels (-c) into result rows of one language and set.
eval::Evaluation recordEvaluation(const std::string& trecPath, const std::string& qrelsPath,
                                  const std::string& language, const std::string& querySet,
                                  std::vector<store::ResultRow>& results,
                                  std::vector<store::QueryResultRow>& queryResults);

// The sidecar `<file>.trec.json` written beside each test run: language, query set, qrels path
// and corpus folder, read back by reevaluation.
struct TrecSidecar {
    std::string language, querySet, qrelsPath;
    static std::string pathFor(const std::string& trecPath) { return trecPath + ".json"; }
    static std::optional<TrecSidecar> read(const std::string& trecPath);
};

}  // namespace clir::retrieval
