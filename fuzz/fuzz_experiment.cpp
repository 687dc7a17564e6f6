// Experiment files (core/jobs/experiment): parsing, validation against the schema and the
// expansion of sweeps and suites.
#include "core/jobs/experiment.h"
#include "fuzz/fuzz_support.h"
#include "fuzz/fuzz_targets.h"

namespace clir::fuzz {

int experiment(const std::uint8_t* data, std::size_t size) {
    const std::string source = scratchDir() + "/experiment.json";
    expectCleanError(source,
                     [&] { jobs::expandExperiment(std::string(asText(data, size)), source); });
    return 0;
}

}  // namespace clir::fuzz

CLIRLAB_FUZZ_ENTRY(experiment)
