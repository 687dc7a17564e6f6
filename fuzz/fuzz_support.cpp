// Shared pieces of the fuzz targets (see fuzz_support.h).
#include "fuzz/fuzz_support.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace clir::fuzz {

void violation(const std::string& message) {
#ifdef CLIRLAB_LIBFUZZER
    std::fprintf(stderr, "clirlab fuzz violation: %s\n", message.c_str());
    std::abort();
#else
    throw Violation(message);
#endif
}

namespace {
// Removes the scratch folder when the process exits normally.
struct Scratch {
    std::string dir;
    ~Scratch() {
        std::error_code ignored;
        std::filesystem::remove_all(dir, ignored);
    }
};
}  // namespace

const std::string& scratchDir() {
    static const Scratch scratch{[] {
        const char* tmp = std::getenv("TMPDIR");
        std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/clirlab-fuzz-XXXXXX";
        if (!mkdtemp(pattern.data())) {
            std::perror("mkdtemp");
            std::abort();
        }
        return pattern;
    }()};
    return scratch.dir;
}

std::string writeScratch(const std::string& name, std::string_view bytes) {
    std::filesystem::path path = std::filesystem::path(scratchDir()) / name;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), std::streamsize(bytes.size()));
    if (!out.flush()) violation("cannot write the scratch file " + path.string());
    return path.string();
}

}  // namespace clir::fuzz
