// Sinkhorn (see sinkhorn.h). With K = -C/eps and log-potentials u (rows), v (columns), one
// iteration is POT's sinkhorn_log:  v = log b - LSE_i(K + u),  u = log a - LSE_j(K + v);
// the plan is exp(K + u + v). Masked entries have log-weight -inf and drop out of every LSE.
#include "core/ot/sinkhorn.h"

#include <limits>
#include <stdexcept>
#include <string>

namespace clir::ot {
namespace {

std::string shape(const at::Tensor& t) {
    std::string s = "[";
    for (std::int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
    return s + "]";
}

at::Tensor uniform(const at::Tensor& mask, at::ScalarType type) {
    auto m = mask.to(type);
    return m / m.sum(-1, true);
}

}  // namespace

SinkhornResult sinkhorn(const at::Tensor& cost, const at::Tensor& rowMask,
                        const at::Tensor& colMask, const SinkhornOptions& o, const at::Tensor& aIn,
                        const at::Tensor& bIn) {
    if (!(o.epsilon > 0))
        throw std::invalid_argument("sinkhorn: epsilon must be > 0, got " +
                                    std::to_string(o.epsilon));
    if (o.maxIterations < 1 || o.checkEvery < 1)
        throw std::invalid_argument("sinkhorn: maxIterations and checkEvery must be >= 1");
    if (cost.dim() != 3)
        throw std::invalid_argument("sinkhorn: cost must be [B, n, m], got " + shape(cost));
    const auto B = cost.size(0), n = cost.size(1), m = cost.size(2);
    if (rowMask.sizes() != at::IntArrayRef({B, n}) || colMask.sizes() != at::IntArrayRef({B, m}))
        throw std::invalid_argument("sinkhorn: masks " + shape(rowMask) + " and " + shape(colMask) +
                                    " do not match cost " + shape(cost));
    auto rows = rowMask.to(at::kBool), cols = colMask.to(at::kBool);
    auto emptyRows = rows.logical_not().all(1), emptyCols = cols.logical_not().all(1);
    if (emptyRows.any().item<bool>() || emptyCols.any().item<bool>()) {
        auto which = (emptyRows | emptyCols).nonzero().flatten();
        throw std::invalid_argument(
            "sinkhorn: pair " + std::to_string(which[0].item<std::int64_t>()) +
            " has no real token on one side (an empty sentence or all padding)");
    }
    if (!at::isfinite(cost).masked_select(rows.unsqueeze(2) & cols.unsqueeze(1)).all().item<bool>())
        throw std::invalid_argument("sinkhorn: cost has NaN or infinite entries");
    const auto type = cost.scalar_type();
    auto a = aIn.defined() ? aIn.to(type) : uniform(rowMask, type);
    auto b = bIn.defined() ? bIn.to(type) : uniform(colMask, type);
    if (a.sizes() != rowMask.sizes() || b.sizes() != colMask.sizes())
        throw std::invalid_argument("sinkhorn: weights " + shape(a) + ", " + shape(b) +
                                    " do not match the masks");

    const double ninf = -std::numeric_limits<double>::infinity();
    auto logA = at::where(rows, a.log(), at::full_like(a, ninf));
    auto logB = at::where(cols, b.log(), at::full_like(b, ninf));
    auto C = o.differentiate ? cost : cost.detach();
    // Padding is excluded through logA/logB; zeroing its cost keeps -inf + inf out of K.
    auto K =
        -(C.masked_fill((rows.unsqueeze(2) & cols.unsqueeze(1)).logical_not(), 0.0)) / o.epsilon;
    // Padding rows start at -inf too, or they would add mass to the first column update.
    auto u = at::zeros({B, n}, cost.options()).masked_fill(rows.logical_not(), ninf);
    auto v = at::zeros({B, m}, cost.options());
    auto active = at::ones({B}, at::kBool).to(cost.device());
    auto iterations = at::full({B}, o.maxIterations, at::kLong);
    auto error = at::full({B}, std::numeric_limits<double>::infinity(), at::kDouble);

    auto colError = [&](const at::Tensor& uu, const at::Tensor& vv) {
        auto plan = (K + uu.unsqueeze(2) + vv.unsqueeze(1)).exp();
        return (plan.sum(1) - b.masked_fill(cols.logical_not(), 0.0))
            .masked_fill(cols.logical_not(), 0.0)
            .norm(2, 1);
    };
    for (int it = 1; it <= o.maxIterations; ++it) {
        auto vNew = logB - at::logsumexp(K + u.unsqueeze(2), 1);
        auto uNew = logA - at::logsumexp(K + vNew.unsqueeze(1), 2);
        // Converged pairs keep their potentials: each pair behaves as if run alone.
        v = at::where(active.unsqueeze(1), vNew, v);
        u = at::where(active.unsqueeze(1), uNew, u);
        // Checked after iterations 1, 1 + k, 1 + 2k, ... as POT does (ii % 10 == 0, 0-based).
        if ((it - 1) % o.checkEvery == 0 || it == o.maxIterations) {
            at::NoGradGuard noGrad;
            auto err = colError(u.detach(), v.detach()).to(at::kDouble).cpu();
            auto done = err.lt(o.tolerance) & active.cpu();
            iterations.masked_fill_(done, it);
            error = at::where(active.cpu(), err, error);
            active = active & done.logical_not().to(active.device());
            if (!active.any().item<bool>()) break;
        }
    }
    SinkhornResult r;
    r.plan = (K + u.unsqueeze(2) + v.unsqueeze(1)).exp();
    if (!o.differentiate) r.plan = r.plan.detach();
    r.cost = (r.plan * cost.masked_fill((rows.unsqueeze(2) & cols.unsqueeze(1)).logical_not(), 0.0))
                 .sum({1, 2});
    r.iterations = iterations;
    r.marginalError = error;
    r.converged = error.lt(o.tolerance);
    return r;
}

}  // namespace clir::ot
