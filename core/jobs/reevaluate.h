// Recomputes the measures of runs already stored from their TREC files, with the evaluator of
// this build (`clirlab reeval`): how results stored before an evaluation fix are brought up to
// date without rerunning a model. Each TREC file's sidecar names its language, query set and
// qrels; files from before sidecars are read by name (<language>.<set>.<split>.trec) with the
// direction the run's configuration implies.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/store/database.h"

namespace clir::jobs {

struct Reevaluated {
    std::string trecPath, language, querySet;
    std::size_t queries = 0;
    double mapBefore = 0, mapAfter = 0;    // NaN before when nothing was stored
    double ndcgBefore = 0, ndcgAfter = 0;  // ndcg_cut_10
};

// Throws naming the run or the file when a TREC file, its qrels or the run's corpus is missing;
// a file that fails leaves that run's stored values as they were.
std::vector<Reevaluated> reevaluateRun(store::Database& db, std::int64_t runId);

}  // namespace clir::jobs
