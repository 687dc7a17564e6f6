// Runs a job as a stored run: queued -> running -> finished | failed | cancelled. Metrics are
// buffered and flushed at least every second (and before every checkpoint, through
// JobContext::persist), so a crash loses at most the last second and never a checkpointed step.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/config/experiment_spec.h"
#include "core/jobs/job.h"
#include "core/store/database.h"
#include "core/store/run_store.h"

namespace clir::jobs {

// "<project version>+<git describe --always --dirty --tags>" of the build (generated at every
// build by cmake/write_version.cmake), recorded with every run.
std::string codeVersion();

// The experiment a stored run executes (resume, or a run the workbench queued): its stored
// configuration, under the configuration hash it was enqueued with. The stored configuration
// holds its inputs resolved (init.checkpoint, init.from_run) while the hash names them by their
// runs' configurations (resolveInputs), so hashing the stored text again would give another
// hash, and the run's own checkpoints would be refused as "written by another configuration".
config::ExperimentSpec experimentOfRun(const store::RunRecord& run);

// The newest finished run of the experiment's name and (resolved) configuration hash; with
// needFiles only one whose checkpoint is on this machine (not one restored from an archive).
std::optional<store::RunRecord> finishedRunOf(store::RunStore& runs,
                                              const config::ExperimentSpec& experiment,
                                              bool needFiles);
// Of a suite's experiments (inputs before the runs that start from them), the names whose
// checkpoint must be on this machine: those an experiment that still has to run starts from,
// directly or through another that must run again. A run restored from an archive is trained
// again only then.
std::set<std::string> runsNeedingCheckpoints(
    store::Database& db, const std::vector<config::ExperimentSpec>& experiments);
// The order a suite runs its experiments in (indices into them): the listed order, except that
// an input in `needed` (runsNeedingCheckpoints) runs just before the first experiment that starts
// from it, and the experiments that start from the same such input follow the first of them. A
// suite continued from its archives then trains each restored input again once, right before its
// runs (a sweep over sizes and seeds: every seed of one size, then the next size's teacher),
// instead of all inputs first and the sizes interleaved seed by seed.
std::vector<std::size_t> suiteRunOrder(const std::vector<config::ExperimentSpec>& experiments,
                                       const std::set<std::string>& needed);

struct RunOutcome {
    std::int64_t runId = 0;
    store::RunStatus status = store::RunStatus::Queued;
    std::string error;
    JobResult result;
};

struct RunnerListener {
    std::function<void(std::int64_t runId, const Progress&)> progress;
    std::function<void(std::int64_t runId, const std::string& name, std::int64_t step,
                       double value)>
        metric;
};

class JobRunner {
  public:
    explicit JobRunner(store::Database& db) : db_(db) {}

    // Fills in what an experiment takes from earlier runs: init.from (a run name, or "#id") becomes
    // init.checkpoint (that run's best checkpoint) and init.from_run, nmt.model_from likewise.
    // The configuration hash then names the input by that run's configuration hash. Throws
    // ConfigError naming the field when no finished run matches, or (requireFiles) when its
    // checkpoint is not on this machine; without requireFiles such a run (restored from an
    // archive) still gives the hash, enough to find a finished run to reuse. Call before makeJob
    // and enqueue.
    void resolveInputs(config::ExperimentSpec& spec, bool requireFiles = true);
    // Records the run as queued and returns its id.
    std::int64_t enqueue(const config::ExperimentSpec& spec);
    // Runs a queued run to its end. Never throws for job failures: they become the status.
    // With resume, the run's output folder (checkpoints) is kept so the job continues from it.
    RunOutcome execute(std::int64_t runId, const config::ExperimentSpec& spec, Job& job,
                       const std::atomic<bool>* cancel = nullptr,
                       const RunnerListener& listener = {}, bool resume = false);

    // The group of a data-parallel run; this process is its rank 0 (JobContext::parallel).
    train::DataParallel* parallel = nullptr;
    double metricFlushSeconds = 1.0;    // longest a metric waits in memory
    double progressWriteSeconds = 0.5;  // store writes of progress are throttled to this

  private:
    store::Database& db_;
};

}  // namespace clir::jobs
