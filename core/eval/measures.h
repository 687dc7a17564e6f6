// Retrieval measures with trec_eval 10.0's names and semantics (relevance level 1):
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
// The averaged measures results are reported in (tables, charts, the suite's comparison).
const std::vector<std::string>& reportedMeasures();

struct EvalOptions {
    // trec_eval -c: every qrels query is evaluated (missing ones on an empty ranking).
    bool complete = false;
};

struct Evaluation {
    // qid -> measure -> value; with -c also the qrels queries the run lacks.
    std::map<std::string, std::map<std::string, double>> perQuery;
    std::map<std::string, double> mean;  // "all"
    std::size_t numQueries = 0;          // num_q
};

// Re-sorts each query's documents as trec_eval does; queries absent from the qrels are ignored.
Evaluation evaluate(const Run& run, const Qrels& qrels, const EvalOptions& options = {});

// The same for a run file, read in pieces: per line a score, a judgement and the line number,
// never the file's text nor a string per line, so a 1M-line run takes about a third of the
// memory of readRun + evaluate. Errors are readRun's (file:line), and `tag` receives the run tag
// of the first line.
Evaluation evaluateRunFile(const std::string& runPath, const Qrels& qrels,
                           const EvalOptions& options = {}, std::string* tag = nullptr);

// trec_eval's relational output: "measure<TAB>qid<TAB>value" lines (per query with -q, then all).
std::string formatTrecEval(const Evaluation& e, const std::vector<std::string>& measures,
                           bool perQuery, const std::string& runTag);

}  // namespace clir::eval
