// Entropic optimal transport by batched, masked, log-domain Sinkhorn (Cuturi 2013; the
// log-domain stabilisation of Schmitzer 2019 / POT's ot.bregman.sinkhorn_log), for OPTICAL's
// token alignments (Huang et al., WSDM 2023): plan P minimising <P, C> - eps H(P) with marginals
// a (rows) and b (columns); padding rows and columns carry no mass.
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
};

// cost [B, n, m]; rowMask [B, n] and colMask [B, m] with 1 for real tokens; a, b optional
// weights ([B, n], [B, m], each summing to 1 over real entries; default uniform over them).
// Converged pairs stop updating, so each pair's result equals running it alone. Throws
// std::invalid_argument for eps <= 0, mismatched shapes, or a pair with no real row or column.
SinkhornResult sinkhorn(const at::Tensor& cost, const at::Tensor& rowMask,
                        const at::Tensor& colMask, const SinkhornOptions& options = {},
                        const at::Tensor& a = {}, const at::Tensor& b = {});

}  // namespace clir::ot
