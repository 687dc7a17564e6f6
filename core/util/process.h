// Runs an external program (apt-get, dpkg-deb, later apertium) without a shell, with a
// timeout, capturing its output.
#pragma once

#include <string>
#include <vector>

namespace clir {

struct ProcessResult {
    int exitCode = -1;  // -1 when it did not exit normally
    bool timedOut = false;
    bool startFailed = false;  // the program could not be executed at all
    std::string out;
    std::string err;
};

struct ProcessOptions {
    std::string workingDirectory;  // empty: inherit
    std::string input;             // written to the child's stdin
    double timeoutSeconds = 0;     // 0: no limit
};

ProcessResult runProcess(const std::vector<std::string>& argv, const ProcessOptions& options = {});

// Searches PATH like execvp does; empty when not found.
std::string findExecutable(const std::string& name);

}  // namespace clir
