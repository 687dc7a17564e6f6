// What every fuzz target checks (issue 16): a parser given any bytes either accepts them or
// throws a std::exception whose message names the input (the file, or the source name it was
// given), as every error in clirlab must. Anything else is a violation: a crash or sanitizer
// report (caught by the instrumentation), an exception that escapes the std hierarchy, a message
// that does not say which file is wrong (a bare nlohmann or libstdc++ message), or a result two
// readers of the same format disagree on. Under libFuzzer a violation aborts, so the input is
// saved as a crash; in the normal test suite (fuzz/test_fuzz_corpora.cpp replays the committed
// corpora and every crash found) it throws Violation and the test fails with the message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace clir::fuzz {

struct Violation : std::logic_error {
    using std::logic_error::logic_error;
};

[[noreturn]] void violation(const std::string& message);

// Runs `parse`; an exception must name `source`.
template <typename Parse>
void expectCleanError(const std::string& source, Parse&& parse) {
    try {
        parse();
    } catch (const Violation&) {
        throw;
    } catch (const std::exception& e) {
        if (std::string_view(e.what()).find(source) == std::string_view::npos)
            violation("error message does not name '" + source + "': " + e.what());
    }
}

// A folder of this process's own for inputs that a reader takes as files (made once).
const std::string& scratchDir();
// Writes `bytes` to scratchDir()/name (creating parent folders) and returns the path.
std::string writeScratch(const std::string& name, std::string_view bytes);

inline std::string_view asText(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

}  // namespace clir::fuzz

// Each target defines clir::fuzz::<name>(data, size) and, in the libFuzzer build only, the
// LLVMFuzzerTestOneInput that calls it.
#ifdef CLIRLAB_LIBFUZZER
#define CLIRLAB_FUZZ_ENTRY(name)                                                        \
    extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) { \
        return clir::fuzz::name(data, size);                                            \
    }
#else
#define CLIRLAB_FUZZ_ENTRY(name)
#endif
