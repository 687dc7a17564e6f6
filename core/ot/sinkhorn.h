// Entropic optimal transport by batched, masked Sinkhorn (Cuturi 2013), for OPTICAL's token
// alignments (Huang et al., WSDM 2023): plan P minimising <P, C> - eps H(P) with marginals a
// (rows) and b (columns); padding rows and columns carry no mass. Two solvers, one iteration:
//  - scaling vectors (exp domain, Schmitzer 2019's stabilised form): the kernel exp(-C/eps) is
//    computed once per pair, each iteration is two matrix-vector products, and scaling vectors
//    that grow past 1e6 (float) / 1e12 (double) are absorbed into log-potentials with the kernel
//    recomputed. Each pair is solved start to end by one thread in plain loops (its kernel stays
//    in cache). Taken for a CPU pair when the cost range over eps allows the kernel in the type
//    (<= 50 for float, <= 600 for double) and gradients need not flow through the iterations;
//  - log domain (POT's ot.bregman.sinkhorn_log), every pair at once with tensor ops: the
//    fallback for small eps, unrolled gradients (differentiate) and other devices.
#pragma once

#include <ATen/ATen.h>

namespace clir::ot {

struct SinkhornOptions {
    double epsilon = 0.05;     // entropic regularisation (POT's reg), > 0
    int maxIterations = 1000;  // iteration cap (POT's numItermax)
    double tolerance = 1e-9;   // L2 error of the column marginal that counts as converged (stopThr)
    int checkEvery = 10;       // how often the error is measured, as POT
    bool differentiate = false;  // true: gradients through the unrolled iterations;
                                 // false: the plan is detached, so dL/dC = P (envelope theorem)
};

struct SinkhornResult {
    at::Tensor plan;           // [B, n, m]
    at::Tensor cost;           // [B] <P, C>_F, differentiable in C
    at::Tensor iterations;     // [B] int64, iterations each pair used
    at::Tensor marginalError;  // [B] L2 error of the column marginal at the end
    at::Tensor converged;      // [B] bool
    at::Tensor scaling;        // [B] bool: solved with scaling vectors (false: log domain)
    at::Tensor absorptions;    // [B] int64: scaling vectors absorbed into the potentials
};

// cost [B, n, m]; rowMask [B, n] and colMask [B, m] with 1 for real tokens; a, b optional
// weights ([B, n], [B, m], each summing to 1 over real entries; default uniform over them).
// Converged pairs stop updating, so each pair's result equals running it alone. Throws
// std::invalid_argument for eps <= 0, mismatched shapes, or a pair with no real row or column.
SinkhornResult sinkhorn(const at::Tensor& cost, const at::Tensor& rowMask,
                        const at::Tensor& colMask, const SinkhornOptions& options = {},
                        const at::Tensor& a = {}, const at::Tensor& b = {});

}  // namespace clir::ot
