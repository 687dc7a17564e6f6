// The help's index, bookmarks.js (core/data/bookmarks_parser).
#include "core/data/bookmarks_parser.h"
#include "fuzz/fuzz_support.h"
#include "fuzz/fuzz_targets.h"

namespace clir::fuzz {

int bookmarks(const std::uint8_t* data, std::size_t size) {
    expectCleanError("de/bookmarks.js", [&] {
        for (const auto& entry : data::parseBookmarks(asText(data, size), "de", "de/bookmarks.js"))
            data::entryHeading(entry.text);
    });
    return 0;
}

}  // namespace clir::fuzz

CLIRLAB_FUZZ_ENTRY(bookmarks)
