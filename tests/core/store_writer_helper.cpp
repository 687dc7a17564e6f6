// Test helper: writes runs and metrics into a database as fast as it can, so that two copies
// started together contend for the write lock. Usage: store_writer_helper DB RUNS METRICS TAG
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/store/database.h"
#include "core/store/run_store.h"

int main(int argc, char** argv) {
    if (argc != 5) {
        std::fprintf(stderr, "usage: store_writer_helper DB RUNS METRICS TAG\n");
        return 2;
    }
    try {
        clir::store::Database db(argv[1]);
        clir::store::RunStore runs(db);
        int nRuns = std::atoi(argv[2]), nMetrics = std::atoi(argv[3]);
        for (int i = 0; i < nRuns; ++i) {
            clir::store::RunRecord r;
            r.name = std::string(argv[4]) + "-" + std::to_string(i);
            r.method = "corpus";
            r.config = "{}";
            r.configHash = "h";
            r.codeVersion = "test";
            auto id = runs.createRun(r);
            runs.markRunning(id, clir::store::ProcessIdentity::current());
            for (int k = 0; k < nMetrics; k += 10) {
                std::vector<clir::store::MetricPoint> batch;
                for (int j = k; j < k + 10 && j < nMetrics; ++j)
                    batch.push_back({"loss", j, 1.0 / (j + 1), 0});
                runs.appendMetrics(id, batch);
            }
            runs.finish(id, clir::store::RunStatus::Finished);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
    return 0;
}
