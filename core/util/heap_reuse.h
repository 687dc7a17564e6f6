// Freed memory kept in the process heap for the length of a job. glibc serves every allocation
// above its mmap threshold (at most 32 MB) with a fresh mmap and unmaps it on free, and the
// kernel zero-fills a fresh mapping one 4 KB page fault at a time. A lexical encoder's attention
// scores (64 pages x 4 heads x 256 x 256 floats: 67 MB) are allocated and freed several times a
// step, so a training process spent 22-28 % of its CPU time in those faults (20-66 k per
// second). Inside the scope such blocks come from the heap and freed ones are reused instead
// (M_MMAP_MAX 0; M_TRIM_THRESHOLD at its maximum so the heap's top is not given back after each
// step); when the last scope ends, glibc's defaults come back and the free memory is returned to
// the system (malloc_trim). Allocation does not touch arithmetic: a run's numbers are the same
// bit for bit. Scopes nest and may overlap across threads (the workbench runs jobs on worker
// threads); the settings are process-wide. A no-op where the C library is not glibc.
#pragma once

namespace clir {

class ScopedHeapReuse {
  public:
    ScopedHeapReuse();
    ~ScopedHeapReuse();
    ScopedHeapReuse(const ScopedHeapReuse&) = delete;
    ScopedHeapReuse& operator=(const ScopedHeapReuse&) = delete;
};

}  // namespace clir
