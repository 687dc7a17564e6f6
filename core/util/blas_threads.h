// OpenBLAS's own thread pool, set for a scope. OpenBLAS (libopenblas0-pthread, installed for its
// GEMM speed) spins its threads on top of LibTorch's intra-op threads; for the many small matrix
// products of step-by-step decoding that contention made decoding about 4x slower than with one
// BLAS thread (bench_translate). A no-op when the BLAS in use is not OpenBLAS.
#pragma once

namespace clir {

class ScopedBlasThreads {
  public:
    explicit ScopedBlasThreads(int threads);
    ~ScopedBlasThreads();
    ScopedBlasThreads(const ScopedBlasThreads&) = delete;
    ScopedBlasThreads& operator=(const ScopedBlasThreads&) = delete;

  private:
    int previous_ = 0;  // 0: nothing to restore
};

}  // namespace clir
