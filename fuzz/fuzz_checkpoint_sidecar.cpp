// Checkpoint sidecars, checkpoint.json (core/model/checkpoint_meta).
#include "core/model/checkpoint_meta.h"
#include "fuzz/fuzz_support.h"
#include "fuzz/fuzz_targets.h"

namespace clir::fuzz {

int checkpointSidecar(const std::uint8_t* data, std::size_t size) {
    const std::string source = "step-40/checkpoint.json";
    expectCleanError(source, [&] {
        auto sidecar = model::parseCheckpointSidecar(std::string(asText(data, size)), source);
        for (const auto& file : sidecar.files)
            if (file.name.find('/') != std::string::npos)
                violation("file name with a path accepted: " + file.name);
        // What loading does with an accepted encoder block.
        sidecar.meta.encoder.toJson().dump();
    });
    return 0;
}

}  // namespace clir::fuzz

CLIRLAB_FUZZ_ENTRY(checkpointSidecar)
