// The package pin file, resources/pins/libreoffice-help.json (core/data/pins).
#include "core/data/pins.h"
#include "fuzz/fuzz_support.h"
#include "fuzz/fuzz_targets.h"

namespace clir::fuzz {

int pins(const std::uint8_t* data, std::size_t size) {
    const std::string source = "pins/libreoffice-help.json";
    expectCleanError(source, [&] {
        auto pinSet = data::parsePins(std::string(asText(data, size)), source);
        for (const auto& [language, pin] : pinSet.byLanguage) pin.debFileName();
    });
    return 0;
}

}  // namespace clir::fuzz

CLIRLAB_FUZZ_ENTRY(pins)
