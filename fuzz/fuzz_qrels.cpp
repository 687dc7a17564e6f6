// TREC qrels (core/eval/trec_io).
#include "core/eval/trec_io.h"
#include "fuzz/fuzz_support.h"
#include "fuzz/fuzz_targets.h"

namespace clir::fuzz {

int qrels(const std::uint8_t* data, std::size_t size) {
    expectCleanError("input.qrels",
                     [&] { eval::parseQrels(std::string(asText(data, size)), "input.qrels"); });
    return 0;
}

}  // namespace clir::fuzz

CLIRLAB_FUZZ_ENTRY(qrels)
