// The research report (SPEC 8, `clirlab report`): for each suite (RQ2's method comparison,
// RQ1's scaling ladder) the latest finished run of every experiment it lists, read from the
// database alone; per-language tables of MAP, nDCG@10 and MRR with the seeds of a configuration
// as mean ± sd and markers against the suite's baselines (paired randomisation test on per-query
// values averaged over seeds, Bonferroni across languages); OPTICAL's relative MAP change over
// each NMT baseline; a method section per configuration; and the configuration hash, corpus
// hash and code version of every run used. Charts are requested, not drawn: the workbench's
// chart code draws them (clirlab-workbench --charts).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/store/database.h"

namespace clir::jobs {

struct ChartRequest {
    std::string panel;  // results | scaling
    std::vector<std::int64_t> runs;
    std::string measure, querySet;
    std::int64_t baseline = 0;  // results: the run whose group the stars compare against
    std::string file;           // without suffix: <file>.png and <file>.svg are drawn
    std::string caption;
};

struct Report {
    std::string markdown;
    std::vector<ChartRequest> charts;
    std::size_t runsUsed = 0, runsMissing = 0;
};

// The shipped suites that exist: experiments/rq2.json, rq1-scaling.json and mlir.json.
std::vector<std::string> shippedSuites();

// suiteFiles: experiment files of method "suite". Throws config::ConfigError for a bad file.
Report buildReport(store::Database& db, const std::vector<std::string>& suiteFiles,
                   std::size_t permutations = 10000);

}  // namespace clir::jobs
