// See heap_reuse.h.
#include "core/util/heap_reuse.h"

#include <climits>
#include <mutex>

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace clir {
namespace {

std::mutex gMutex;
int gDepth = 0;  // open scopes in the process

#ifdef __GLIBC__
// glibc's documented defaults (mallopt(3)).
constexpr int kDefaultMmapMax = 65536;
constexpr int kDefaultTrimThreshold = 128 * 1024;
#endif

}  // namespace

ScopedHeapReuse::ScopedHeapReuse() {
    std::lock_guard<std::mutex> lock(gMutex);
    if (gDepth++ > 0) return;
#ifdef __GLIBC__
    ::mallopt(M_TRIM_THRESHOLD, INT_MAX);
    ::mallopt(M_MMAP_MAX, 0);
#endif
}

ScopedHeapReuse::~ScopedHeapReuse() {
    std::lock_guard<std::mutex> lock(gMutex);
    if (--gDepth > 0) return;
#ifdef __GLIBC__
    ::mallopt(M_MMAP_MAX, kDefaultMmapMax);
    ::mallopt(M_TRIM_THRESHOLD, kDefaultTrimThreshold);
    ::malloc_trim(0);
#endif
}

}  // namespace clir
