// LibreOffice help pages (core/data/help_page_parser).
#include "core/data/help_page_parser.h"
#include "fuzz/fuzz_support.h"
#include "fuzz/fuzz_targets.h"

namespace clir::fuzz {

int helpPage(const std::uint8_t* data, std::size_t size) {
    expectCleanError("text/swriter/page.html",
                     [&] { data::parseHelpPage(asText(data, size), "text/swriter/page.html"); });
    return 0;
}

}  // namespace clir::fuzz

CLIRLAB_FUZZ_ENTRY(helpPage)
