// Sinkhorn's scaling-vector solver for one pair (see sinkhorn.h for the method): plain loops
// over 32-byte vectors, built twice (AVX2 + FMA and baseline x86-64) and chosen at load time.
// No LibTorch here: this file is compiled at -O3 on its own.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

namespace clir::ot::detail {

// How one pair ended; anything but Solved is left to the log domain.
struct PairOutcome {
    enum Status { Solved, NonFiniteCost, TooWide, Unstable } status = Solved;
    std::int64_t iterations = 0;
    double error = std::numeric_limits<double>::infinity();
    std::int64_t absorptions = 0;
};

// C is [n, m] row-major; rows/cols its real indices; a, b the marginals (length n, m); plan
// [n, m] receives the plan on the real entries (zero elsewhere, as given).
PairOutcome scalingPairFloat(const float* C, std::int64_t m, const std::vector<std::int64_t>& rows,
                             const std::vector<std::int64_t>& cols, const float* a, const float* b,
                             double eps, int maxIterations, double tolerance, int checkEvery,
                             float* plan);
PairOutcome scalingPairDouble(const double* C, std::int64_t m,
                              const std::vector<std::int64_t>& rows,
                              const std::vector<std::int64_t>& cols, const double* a,
                              const double* b, double eps, int maxIterations, double tolerance,
                              int checkEvery, double* plan);

}  // namespace clir::ot::detail
