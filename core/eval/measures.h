// Retrieval measures with trec_eval's names and semantics (trec_eval 9.x, relevance level 1):
// map, ndcg_cut_10, recip_rank, P_10, recall_100, recall_1000, num_rel_ret, num_rel, num_ret.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/eval/trec_io.h"

namespace clir::eval {

// The measures computed for every query, in trec_eval's print order.
const std::vector<std::string>& measureNames();
bool isCountMeasure(const std::string& name);  // summed, printed as integers (num_*)

struct EvalOptions {
    bool complete = false;  // trec_eval -c: average over every qrels query, missing ones as 0
};

struct Evaluation {
    std::map<std::string, std::map<std::string, double>> perQuery;  // qid -> measure -> value
    std::map<std::string, double> mean;                               // "all"
    std::size_t numQueries = 0;                                       // num_q
};

// Re-sorts each query's documents as trec_eval does; queries absent from the qrels are ignored.
Evaluation evaluate(const Run& run, const Qrels& qrels, const EvalOptions& options = {});

// trec_eval's relational output: "measure<TAB>qid<TAB>value" lines (per query with -q, then all).
std::string formatTrecEval(const Evaluation& e, const std::vector<std::string>& measures,
                           bool perQuery, const std::string& runTag);

}  // namespace clir::eval
