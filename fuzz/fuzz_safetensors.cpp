// Safetensors headers (core/model/safetensors): every tensor the reader accepts lies inside the
// file with as many bytes as its shape and dtype need.
#include "core/model/safetensors.h"
#include "fuzz/fuzz_support.h"
#include "fuzz/fuzz_targets.h"

namespace clir::fuzz {

int safetensors(const std::uint8_t* data, std::size_t size) {
    const std::string path = writeScratch("weights.safetensors", asText(data, size));
    expectCleanError(path, [&] {
        for (const auto& t : model::readSafetensorsHeader(path)) {
            std::uint64_t count = 1;
            for (auto d : t.shape) count *= std::uint64_t(d);
            if (t.begin > t.end || t.end > size || t.end - t.begin != count * t.elementBytes)
                violation("tensor '" + t.name + "' accepted with data outside the file");
        }
    });
    return 0;
}

}  // namespace clir::fuzz

CLIRLAB_FUZZ_ENTRY(safetensors)
