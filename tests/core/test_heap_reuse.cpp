// ScopedHeapReuse: inside the scope a freed large block is reused from the heap (no page faults
// when it is allocated and written again); after the scope glibc's defaults are back (a large
// block is a fresh mapping again, faulted page by page).
#include <QtTest>

#include <sys/resource.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "core/util/heap_reuse.h"

namespace {

constexpr std::size_t kBlock = 64u << 20;  // above glibc's largest mmap threshold (32 MB)

long minorFaults() {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    return usage.ru_minflt;
}

// Allocates, writes and frees one large block; returns the minor page faults that took.
long faultsOfOneBlock() {
    const long before = minorFaults();
    auto* p = static_cast<unsigned char*>(std::malloc(kBlock));
    if (!p) return -1;
    std::memset(p, 0x5a, kBlock);
    asm volatile("" : : "r"(p) : "memory");  // the compiler may not drop the block as unused
    std::free(p);
    return minorFaults() - before;
}

// Transparent huge pages "always": a fresh mapping may fault 2 MB at a time.
bool hugePagesAlways() {
    std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
    std::string mode;
    std::getline(in, mode);
    return mode.find("[always]") != std::string::npos;
}

}  // namespace

class TestHeapReuse : public QObject {
    Q_OBJECT
  private slots:
    void largeBlocksReusedInsideTheScope() {
#ifndef __GLIBC__
        QSKIP("mallopt is glibc's");
#endif
        const long pages = long(kBlock / 4096);
        {
            clir::ScopedHeapReuse reuse;
            {
                clir::ScopedHeapReuse nested;  // a second job at the same time
            }
            QVERIFY(faultsOfOneBlock() >= 0);  // the first one grows the heap
            const long again = faultsOfOneBlock();
            QVERIFY2(
                again < pages / 16,
                qPrintable(QString("%1 faults for a reused %2-page block").arg(again).arg(pages)));
        }
        if (hugePagesAlways()) return;  // the default path may fault per 2 MB, not per page
        faultsOfOneBlock();
        const long fresh = faultsOfOneBlock();
        QVERIFY2(fresh > pages / 2, qPrintable(QString("%1 faults for a fresh %2-page block "
                                                       "after the scope")
                                                   .arg(fresh)
                                                   .arg(pages)));
    }
};

QTEST_GUILESS_MAIN(TestHeapReuse)
#include "test_heap_reuse.moc"
