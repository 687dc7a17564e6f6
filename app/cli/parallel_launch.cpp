// Data-parallel runs from the command line (see parallel_launch.h).
#include "app/cli/parallel_launch.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "app/cli/args.h"
#include "core/config/schema.h"
#include "core/jobs/job_factory.h"
#include "core/jobs/job_runner.h"
#include "core/jobs/methods.h"
#include "core/store/run_store.h"
#include "core/util/heap_reuse.h"

namespace clir::cli {
namespace {

constexpr const char* kRunKey = "clirlab/run";

// A free TCP port on the loopback interface for the rendezvous.
int freeLoopbackPort() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw std::runtime_error(std::string("--nproc: socket: ") + std::strerror(errno));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof(a);
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
                    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
    ::close(fd);
    if (!ok) throw std::runtime_error("--nproc: no free port on 127.0.0.1 for the rendezvous");
    return ntohs(a.sin_port);
}

// This process's command line, as it was started.
std::vector<std::string> ownCommandLine() {
    std::ifstream in("/proc/self/cmdline", std::ios::binary);
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::string> args;
    std::string current;
    for (char c : all) {
        if (c == '\0') {
            args.push_back(current);
            current.clear();
        } else {
            current += c;
        }
    }
    if (args.empty()) throw std::runtime_error("--nproc: cannot read /proc/self/cmdline");
    return args;
}

// Starts the command line again as rank `rank`: it dies with this process (PDEATHSIG) and
// leaves Ctrl-C to rank 0, which stops the workers itself.
pid_t startWorker(const std::vector<std::string>& command, int rank) {
    const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
    std::vector<char*> argv;
    for (const auto& a : command) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const std::string rankText = std::to_string(rank);
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error(std::string("--nproc: fork: ") + std::strerror(errno));
    if (pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(1);
        ::setenv("RANK", rankText.c_str(), 1);
        ::setenv("LOCAL_RANK", rankText.c_str(), 1);
        ::signal(SIGINT, SIG_IGN);
        ::execv(self.c_str(), argv.data());
        std::fprintf(stderr, "worker %s: cannot start %s: %s\n", rankText.c_str(), self.c_str(),
                     std::strerror(errno));
        ::_exit(127);
    }
    return pid;
}

std::string describeExit(int rank, pid_t pid, int status) {
    const std::string who = "worker " + std::to_string(rank) + " (pid " + std::to_string(pid) + ")";
    if (WIFSIGNALED(status))
        return who + " was killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
               strsignal(WTERMSIG(status)) + ")";
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
        return who + " exited with code " + std::to_string(WEXITSTATUS(status));
    return {};
}

}  // namespace

bool isParallelWorker() {
    return train::LaunchEnvironment::fromEnvironment().rank > 0;
}

std::unique_ptr<ParallelLaunch> ParallelLaunch::start(int nproc, const std::string& method) {
    auto env = train::LaunchEnvironment::fromEnvironment();
    if (nproc < 1 || nproc > 256)
        throw UsageError("--nproc " + std::to_string(nproc) + ": expected 1 to 256 processes");
    if (nproc > 1 && env.distributed())
        throw UsageError("--nproc " + std::to_string(nproc) + " under a launcher's WORLD_SIZE=" +
                         std::to_string(env.worldSize) + ": use one or the other");
    if (nproc == 1 && !env.distributed()) return nullptr;
    const auto& info = jobs::methodInfo(method);
    const bool trains = info.kind == jobs::JobKind::Pretrain || info.kind == jobs::JobKind::Nmt ||
                        (info.kind == jobs::JobKind::Retrieval && info.retrieval.trains);
    if (!trains)
        throw config::ConfigError(
            "data-parallel training (--nproc, WORLD_SIZE) covers the methods that train "
            "(pretrain, teacher, fine-tune, hybrid, optical, optical+hybrid, nmt); '" +
            method + "' runs in one process");
    auto launch = std::unique_ptr<ParallelLaunch>(new ParallelLaunch());
    if (nproc > 1) {
        env.worldSize = nproc;
        env.rank = 0;
        env.masterAddress = "127.0.0.1";
        env.masterPort = freeLoopbackPort();
        ::setenv("WORLD_SIZE", std::to_string(nproc).c_str(), 1);
        ::setenv("LOCAL_WORLD_SIZE", std::to_string(nproc).c_str(), 1);
        ::setenv("MASTER_ADDR", env.masterAddress.c_str(), 1);
        ::setenv("MASTER_PORT", std::to_string(env.masterPort).c_str(), 1);
        ::setenv("RANK", "0", 1);
        ::setenv("LOCAL_RANK", "0", 1);
        const auto command = ownCommandLine();
        for (int rank = 1; rank < nproc; ++rank)
            launch->workers_.push_back(startWorker(command, rank));
    }
    std::fprintf(stderr, "data-parallel: rank 0 of %d, rendezvous at %s:%d\n", env.worldSize,
                 env.masterAddress.c_str(), env.masterPort);
    launch->group_ = std::make_unique<train::DataParallel>(env, std::chrono::seconds(120));
    return launch;
}

ParallelLaunch::~ParallelLaunch() {
    finish(false);
}

void ParallelLaunch::announce(std::int64_t runId) {
    group_->publish(kRunKey, std::to_string(runId));
}

std::string ParallelLaunch::finish(bool finished) {
    std::string report;
    for (std::size_t i = 0; i < workers_.size(); ++i) {
        if (!finished) ::kill(workers_[i], SIGTERM);
        int status = 0;
        if (::waitpid(workers_[i], &status, 0) < 0) continue;
        // A worker stopped here after the run failed says nothing new.
        if (finished || !(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM)) {
            auto line = describeExit(int(i) + 1, workers_[i], status);
            if (!line.empty()) report += (report.empty() ? "" : "\n") + line;
        }
    }
    workers_.clear();
    return report;
}

int runParallelWorker(const GlobalOptions& g) {
    const auto env = train::LaunchEnvironment::fromEnvironment();
    const std::string who = "worker " + std::to_string(env.rank);
    try {
        train::DataParallel group(env, std::chrono::seconds(120));
        const std::int64_t id = std::stoll(group.lookup(kRunKey));
        store::Database db(g.databasePath);
        auto run = store::RunStore(db).run(id);
        if (!run) throw std::runtime_error("no run " + std::to_string(id) + " in " + db.path());
        auto experiment = jobs::experimentOfRun(*run);
        auto job = jobs::makeJob(experiment);
        // Rank 0 meets this barrier when its training loop starts: its caches and checkpoints
        // are written by then.
        group.barrier();
        jobs::JobContext ctx;
        ctx.parallel = &group;
        ctx.rank = group.rank();
        ctx.outputDir = db.path() + ".runs/" + std::to_string(id);
        ScopedHeapReuse heapReuse;  // as JobRunner::execute runs rank 0's job
        job->run(ctx);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: %s\n", who.c_str(), e.what());
        return 1;
    }
}

}  // namespace clir::cli
