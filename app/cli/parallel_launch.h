// Data-parallel runs from the command line (SPEC 10): `clirlab run|resume --nproc N` starts
// N - 1 local worker processes (this command line again, with RANK 1..N-1) and is their rank 0;
// under a launcher's environment (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT, as torchrun sets
// them) the same command is rank 0 or a worker of a group that spans machines. Rank 0 records
// the run and tells the workers its id through the rendezvous store; a worker reads the run's
// configuration from the same database (a shared path across machines), trains its share and
// writes nothing. Part of clirlab-torch.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "app/cli/commands.h"
#include "core/train/data_parallel.h"

namespace clir::cli {

class ParallelLaunch {
  public:
    // Null when the run trains alone (nproc 1 and no launcher's WORLD_SIZE > 1). Throws
    // ConfigError when `method` cannot train data-parallel, UsageError on a bad nproc.
    static std::unique_ptr<ParallelLaunch> start(int nproc, const std::string& method);
    ~ParallelLaunch();  // stops and reaps local workers still running

    train::DataParallel& group() { return *group_; }
    // Tells the workers which run to train (after rank 0 has recorded it).
    void announce(std::int64_t runId);
    // After the run: waits for the local workers when it finished, else stops them. Returns a
    // line for each worker that ended badly (exit code or signal), empty when none did.
    std::string finish(bool finished);

  private:
    std::vector<pid_t> workers_;
    std::unique_ptr<train::DataParallel> group_;
};

// Whether this process is a worker (RANK > 0 in its environment).
bool isParallelWorker();
// A worker's life: joins the group, trains the run rank 0 announces (its stored configuration,
// from the database of `g`), and returns the exit code. It writes nothing, so SIGTERM (rank 0
// stopping it after a failure or Ctrl-C) simply ends it.
int runParallelWorker(const GlobalOptions& g);

}  // namespace clir::cli
