// fork/exec with three pipes and poll(), so neither output can fill up and block the child.
#include "core/util/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "core/util/text.h"

namespace clir {

ProcessResult runProcess(const std::vector<std::string>& argv, const ProcessOptions& options) {
    ProcessResult result;
    if (argv.empty()) {
        result.startFailed = true;
        return result;
    }
    int inPipe[2], outPipe[2], errPipe[2], execPipe[2];
    if (::pipe2(inPipe, O_CLOEXEC) || ::pipe2(outPipe, O_CLOEXEC) || ::pipe2(errPipe, O_CLOEXEC) ||
        ::pipe2(execPipe, O_CLOEXEC)) {
        result.startFailed = true;
        result.err = "pipe failed";
        return result;
    }
    // A child that exits without reading its input must not kill us with SIGPIPE: the write
    // fails with EPIPE instead. Children get the default disposition back before exec.
    static const bool ignorePipe = [] {
        ::signal(SIGPIPE, SIG_IGN);
        return true;
    }();
    (void)ignorePipe;
    pid_t pid = ::fork();
    if (pid == 0) {
        ::signal(SIGPIPE, SIG_DFL);
        ::dup2(inPipe[0], 0);
        ::dup2(outPipe[1], 1);
        ::dup2(errPipe[1], 2);
        if (!options.workingDirectory.empty() && ::chdir(options.workingDirectory.c_str()) != 0)
            _exit(127);
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        ::execvp(args[0], args.data());
        int err = errno;
        ssize_t ignored = ::write(execPipe[1], &err, sizeof(err));
        (void)ignored;
        _exit(127);
    }
    ::close(inPipe[0]);
    ::close(outPipe[1]);
    ::close(errPipe[1]);
    ::close(execPipe[1]);
    int execErr = 0;
    if (::read(execPipe[0], &execErr, sizeof(execErr)) == sizeof(execErr))
        result.startFailed = true;
    ::close(execPipe[0]);

    std::size_t written = 0;
    int inFd = inPipe[1];
    if (options.input.empty()) {
        ::close(inFd);
        inFd = -1;
    } else {
        ::fcntl(inFd, F_SETFL, O_NONBLOCK);
    }
    auto start = std::chrono::steady_clock::now();
    int outFd = outPipe[0], errFd = errPipe[0];
    char buf[65536];
    while (outFd >= 0 || errFd >= 0) {
        pollfd fds[3];
        int n = 0;
        if (outFd >= 0) fds[n++] = {outFd, POLLIN, 0};
        if (errFd >= 0) fds[n++] = {errFd, POLLIN, 0};
        if (inFd >= 0) fds[n++] = {inFd, POLLOUT, 0};
        int rc = ::poll(fds, n, 100);
        if (rc < 0 && errno != EINTR) break;
        for (int i = 0; i < n && rc > 0; ++i) {
            if (!fds[i].revents) continue;
            if (fds[i].fd == inFd) {
                ssize_t w =
                    ::write(inFd, options.input.data() + written, options.input.size() - written);
                if (w > 0) written += static_cast<std::size_t>(w);
                if (w < 0 && errno != EAGAIN) written = options.input.size();
                if (written >= options.input.size()) {
                    ::close(inFd);
                    inFd = -1;
                }
                continue;
            }
            ssize_t r = ::read(fds[i].fd, buf, sizeof(buf));
            if (r > 0) {
                (fds[i].fd == outFd ? result.out : result.err)
                    .append(buf, static_cast<std::size_t>(r));
            } else if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
                if (fds[i].fd == outFd) {
                    ::close(outFd);
                    outFd = -1;
                } else {
                    ::close(errFd);
                    errFd = -1;
                }
            }
        }
        if (options.timeoutSeconds > 0) {
            double elapsed =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            if (elapsed > options.timeoutSeconds) {
                result.timedOut = true;
                ::kill(pid, SIGKILL);
                break;
            }
        }
    }
    for (int fd : {inFd, outFd, errFd})
        if (fd >= 0) ::close(fd);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status)) result.exitCode = WEXITSTATUS(status);
    return result;
}

std::string findExecutable(const std::string& name) {
    if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0 ? name : "";
    const char* path = std::getenv("PATH");
    for (const auto& dir : text::split(path ? path : "/usr/bin:/bin", ':')) {
        std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
        if (::access(candidate.c_str(), X_OK) == 0 && !std::filesystem::is_directory(candidate))
            return candidate;
    }
    return "";
}

}  // namespace clir
