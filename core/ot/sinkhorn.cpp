// Sinkhorn (see sinkhorn.h). With marginals a, b and kernel K = exp(-C/eps), one iteration is
//   v = b / (K^T u),  u = a / (K v)            (scaling vectors), or in logs, as POT's
//   sinkhorn_log, g = log b - LSE_i(-C/eps + f),  f = log a - LSE_j(-C/eps + g);
// the plan is diag(u) K diag(v) = exp(-C/eps + f + g). Both start from u = 1 (f = 0) on real
// rows and update the columns first, and check the column marginal after iterations 1, 1 + k,
// 1 + 2k, ... (POT's ii % 10 == 0), so they stop at the same iteration.
#include "core/ot/sinkhorn.h"

#include "core/ot/sinkhorn_scaling.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <new>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace clir::ot {
namespace {

using detail::PairOutcome;
using detail::scalingPairDouble;
using detail::scalingPairFloat;

std::string shape(const at::Tensor& t) {
    std::string s = "[";
    for (std::int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
    return s + "]";
}

at::Tensor uniform(const at::Tensor& mask, at::ScalarType type) {
    auto m = mask.to(type);
    return m / m.sum(-1, true);
}

// --- Log domain, every pair of a (sub-)batch at once ----------------------------------------

struct LogOutcome {
    at::Tensor plan, iterations, error;
};

LogOutcome logDomain(const at::Tensor& C, const at::Tensor& rows, const at::Tensor& cols,
                     const at::Tensor& a, const at::Tensor& b, const SinkhornOptions& o) {
    const auto B = C.size(0), n = C.size(1), m = C.size(2);
    const double ninf = -std::numeric_limits<double>::infinity();
    auto logA = at::where(rows, a.log(), at::full_like(a, ninf));
    auto logB = at::where(cols, b.log(), at::full_like(b, ninf));
    // Padding is excluded through logA/logB; zeroing its cost keeps -inf + inf out of K.
    auto K =
        -(C.masked_fill((rows.unsqueeze(2) & cols.unsqueeze(1)).logical_not(), 0.0)) / o.epsilon;
    // Padding rows start at -inf too, or they would add mass to the first column update.
    auto u = at::zeros({B, n}, C.options()).masked_fill(rows.logical_not(), ninf);
    auto v = at::zeros({B, m}, C.options());
    auto active = at::ones({B}, at::kBool).to(C.device());
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
    return {(K + u.unsqueeze(2) + v.unsqueeze(1)).exp(), iterations, error};
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
    const bool padded = !(rows.all().item<bool>() && cols.all().item<bool>());
    auto nonFinite = [] {
        return std::invalid_argument("sinkhorn: cost has NaN or infinite entries");
    };
    const auto type = cost.scalar_type();
    auto a = aIn.defined() ? aIn.to(type) : uniform(rowMask, type);
    auto b = bIn.defined() ? bIn.to(type) : uniform(colMask, type);
    if (a.sizes() != rowMask.sizes() || b.sizes() != colMask.sizes())
        throw std::invalid_argument("sinkhorn: weights " + shape(a) + ", " + shape(b) +
                                    " do not match the masks");

    auto C = o.differentiate ? cost : cost.detach();
    // Without padding every entry of a pair is written (by either solver): no zeroing needed.
    at::Tensor plan = padded ? at::zeros({B, n, m}, cost.options().requires_grad(false))
                             : at::empty({B, n, m}, cost.options().requires_grad(false));
    auto iterations = at::full({B}, o.maxIterations, at::kLong);
    auto error = at::full({B}, std::numeric_limits<double>::infinity(), at::kDouble);
    auto scaling = at::zeros({B}, at::kBool);
    auto absorptions = at::zeros({B}, at::kLong);

    // Scaling vectors for every CPU pair whose kernel fits the type (each pair checks its own
    // cost: finite, range); the rest in the log domain.
    const bool floating = type == at::kFloat || type == at::kDouble;
    if (cost.device().is_cpu() && floating && !o.differentiate) {
        at::NoGradGuard noGrad;
        auto Cc = C.contiguous();
        auto rc = rows.contiguous(), cc = cols.contiguous();
        auto ac = a.detach().contiguous(), bc = b.detach().contiguous();
        const bool* rp = rc.data_ptr<bool>();
        const bool* cp = cc.data_ptr<bool>();
        auto* itp = iterations.data_ptr<std::int64_t>();
        auto* errp = error.data_ptr<double>();
        auto* scp = scaling.data_ptr<bool>();
        auto* abp = absorptions.data_ptr<std::int64_t>();
        std::atomic<bool> badCost{false};
        at::parallel_for(0, B, 1, [&](std::int64_t begin, std::int64_t end) {
            std::vector<std::int64_t> ri, ci;
            for (std::int64_t p = begin; p < end; ++p) {
                ri.clear(), ci.clear();
                for (std::int64_t i = 0; i < n; ++i)
                    if (rp[p * n + i]) ri.push_back(i);
                for (std::int64_t j = 0; j < m; ++j)
                    if (cp[p * m + j]) ci.push_back(j);
                PairOutcome r;
                if (type == at::kFloat)
                    r = scalingPairFloat(Cc.data_ptr<float>() + p * n * m, m, ri, ci,
                                         ac.data_ptr<float>() + p * n, bc.data_ptr<float>() + p * m,
                                         o.epsilon, o.maxIterations, o.tolerance, o.checkEvery,
                                         plan.data_ptr<float>() + p * n * m);
                else
                    r = scalingPairDouble(
                        Cc.data_ptr<double>() + p * n * m, m, ri, ci, ac.data_ptr<double>() + p * n,
                        bc.data_ptr<double>() + p * m, o.epsilon, o.maxIterations, o.tolerance,
                        o.checkEvery, plan.data_ptr<double>() + p * n * m);
                if (r.status == PairOutcome::NonFiniteCost) badCost = true;
                if (r.status != PairOutcome::Solved) continue;  // left to the log domain
                itp[p] = r.iterations;
                errp[p] = r.error;
                abp[p] = r.absorptions;
                scp[p] = true;
            }
        });
        if (badCost) throw nonFinite();
    }
    auto rest = scaling.logical_not().nonzero().flatten();
    if (rest.numel() > 0) {
        auto idx = rest.to(cost.device());
        const bool all = rest.numel() == B;
        auto Cr = all ? C : C.index_select(0, idx);
        auto rr = all ? rows : rows.index_select(0, idx),
             cr = all ? cols : cols.index_select(0, idx);
        if (!at::isfinite(Cr).masked_select(rr.unsqueeze(2) & cr.unsqueeze(1)).all().item<bool>())
            throw nonFinite();
        auto part = logDomain(Cr, rr, cr, all ? a : a.index_select(0, idx),
                              all ? b : b.index_select(0, idx), o);
        if (all) {
            plan = part.plan;  // keeps the graph through the iterations when differentiating
        } else {
            plan.index_fill_(0, idx, 0.0);
            plan.index_copy_(0, idx, part.plan.detach());
        }
        iterations.index_copy_(0, rest, part.iterations);
        error.index_copy_(0, rest, part.error);
    }
    SinkhornResult r;
    r.plan = o.differentiate ? plan : plan.detach();
    // Padding may hold any cost (NaN too): it is zeroed, not multiplied by the plan's zeros.
    // <P, C> per pair, differentiable in C. An element-wise product and a sum: bmm of
    // [B, 1, nm] x [B, nm, 1] took 20x as long (1.8 ms against 0.09 ms at B 64, n = m = 128).
    auto masked = padded
                      ? cost.masked_fill((rows.unsqueeze(2) & cols.unsqueeze(1)).logical_not(), 0.0)
                      : cost;
    r.cost = (r.plan * masked).sum({1, 2});
    r.iterations = iterations;
    r.marginalError = error;
    r.converged = error.lt(o.tolerance);
    r.scaling = scaling;
    r.absorptions = absorptions;
    return r;
}

}  // namespace clir::ot
