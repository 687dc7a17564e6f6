// Page splitter (see splitter.h).
#include "core/data/splitter.h"

#include "core/util/sha256.h"

namespace clir::data {

const char* toString(Split s) {
    switch (s) {
        case Split::Train:
            return "train";
        case Split::Dev:
            return "dev";
        case Split::Test:
            return "test";
    }
    return "?";
}

double pageHashUnit(const std::string& page, std::uint64_t seed) {
    std::string hex = Sha256::hex(std::to_string(seed) + ":" + page);
    std::uint64_t v = std::stoull(hex.substr(0, 13), nullptr, 16);  // 52 bits: exact in a double
    return static_cast<double>(v) / static_cast<double>(1ULL << 52);
}

Split assignSplit(const std::string& page, const SplitSettings& settings) {
    double u = pageHashUnit(page, settings.seed);
    if (u < settings.train) return Split::Train;
    if (u < settings.train + settings.dev) return Split::Dev;
    return Split::Test;
}

}  // namespace clir::data
