// Stored runs as the comparison reads them (SPEC 5): per language, the per-query values of one
// measure on one query set, and each experiment's latest finished run. The one query behind
// `clirlab compare`, a suite's tables and the workbench's results and scaling charts.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/eval/comparison.h"
#include "core/store/run_store.h"

namespace clir::jobs {

// Languages without values are left out; so is the pivot (English queries, not a cross-lingual
// result) unless includePivot.
// The configuration a stored run is one seed of: its config's "group" (a sweep sets it), else
// its name.
std::string runGroup(const store::RunRecord& run);

// How a pooled row's runs are counted in its label: "3 seeds", or "21 runs, 3 seeds" for a
// configuration with one run per language and seed (a run without a seed counts as its own).
std::string seedsLabel(store::RunStore& runs, const std::vector<std::int64_t>& ids);

eval::ComparedRun storedRunValues(store::RunStore& runs, std::int64_t runId,
                                  const std::string& measure, const std::string& querySet,
                                  bool includePivot, const std::string& label);

// Every experiment name's latest finished run (a rerun replaces the earlier one), oldest first.
std::vector<std::int64_t> latestFinishedRuns(store::RunStore& runs);

}  // namespace clir::jobs
