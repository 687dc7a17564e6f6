// Runs one benchmark part in a forked child so its peak resident memory is its own.
#pragma once

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

namespace clir::bench {

struct ChildResult {
    std::string output;  // what the work returned
    double peakMiB = 0;
};

template <typename Work>
ChildResult inChild(Work work) {
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
    pid_t pid = ::fork();
    if (pid == 0) {
        ::close(fds[0]);
        std::string out;
        try {
            out = work();
        } catch (const std::exception& e) {
            out = std::string("error: ") + e.what();
        }
        ssize_t ignored = ::write(fds[1], out.data(), out.size());
        (void)ignored;
        ::_exit(0);
    }
    ::close(fds[1]);
    ChildResult r;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof(buf))) > 0) r.output.append(buf, std::size_t(n));
    ::close(fds[0]);
    int status = 0;
    struct rusage usage {};
    ::wait4(pid, &status, 0, &usage);
    r.peakMiB = double(usage.ru_maxrss) / 1024.0;
    return r;
}

}  // namespace clir::bench
