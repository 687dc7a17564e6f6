// The commands that load LibTorch, in the light `clirlab`: each hands the whole command line to
// clirlab-torch beside this executable (execv: the same process id, environment and terminal),
// so that every other command starts without loading LibTorch (about 160 MiB and 0.3 s).
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "app/cli/commands.h"

namespace clir::cli {
namespace {

char** gArgv = nullptr;

[[noreturn]] void forward(const char* command) {
    std::error_code ec;
    auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    const std::string torch =
        ((ec ? std::filesystem::path(gArgv[0]).parent_path() : self.parent_path()) /
         "clirlab-torch")
            .string();
    if (::access(torch.c_str(), X_OK) != 0)
        throw std::runtime_error(std::string("'") + command + "' runs models with LibTorch in " +
                                 torch + ", which is missing (cmake --build build builds it)");
    ::execv(torch.c_str(), gArgv);
    throw std::runtime_error("cannot start " + torch + ": " + std::strerror(errno));
}

}  // namespace

void setForwardedArguments(char** argv) {
    gArgv = argv;
}

int runExperiment(const GlobalOptions&, const std::vector<std::string>&) {
    forward("run");
}
int resumeRun(const GlobalOptions&, const std::vector<std::string>&) {
    forward("resume");
}
int modelInfo(const GlobalOptions&, const std::vector<std::string>&) {
    forward("model info");
}
int translateCommand(const GlobalOptions&, const std::vector<std::string>&) {
    forward("translate");
}
int alignCommand(const GlobalOptions&, const std::vector<std::string>&) {
    forward("align");
}

}  // namespace clir::cli
