// Fault injection (see fault.h).
#include "core/util/fault.h"

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>

namespace clir::fault {

namespace {

struct Armed {
    std::string point;
    long hitsLeft = 0;  // the point fires when this reaches 0
};

// Read once; empty point: nothing armed.
Armed& armed() {
    static Armed a = [] {
        Armed out;
        const char* spec = std::getenv("CLIRLAB_FAULT");
        if (!spec || !*spec) return out;
        std::string s(spec);
        auto at = s.find('@');
        out.point = s.substr(0, at);
        out.hitsLeft = at == std::string::npos ? 1 : std::strtol(s.c_str() + at + 1, nullptr, 10);
        if (out.hitsLeft < 1) out.hitsLeft = 1;
        return out;
    }();
    return a;
}

std::atomic<long> hits{0};

}  // namespace

void point(const char* name) {
    const Armed& a = armed();
    if (a.point.empty() || a.point != name) return;
    if (hits.fetch_add(1) + 1 < a.hitsLeft) return;
    static const char message[] = "clirlab: CLIRLAB_FAULT fired, killing this process\n";
    [[maybe_unused]] auto written = ::write(2, message, sizeof message - 1);
    ::kill(::getpid(), SIGKILL);
}

}  // namespace clir::fault
