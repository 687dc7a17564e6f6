// Sinkhorn (see sinkhorn.h). With marginals a, b and kernel K = exp(-C/eps), one iteration is
//   v = b / (K^T u),  u = a / (K v)            (scaling vectors), or in logs, as POT's
//   sinkhorn_log, g = log b - LSE_i(-C/eps + f),  f = log a - LSE_j(-C/eps + g);
// the plan is diag(u) K diag(v) = exp(-C/eps + f + g). Both start from u = 1 (f = 0) on real
// rows and update the columns first, and check the column marginal after iterations 1, 1 + k,
// 1 + 2k, ... (POT's ii % 10 == 0), so they stop at the same iteration.
#include "core/ot/sinkhorn.h"

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

std::string shape(const at::Tensor& t) {
    std::string s = "[";
    for (std::int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
    return s + "]";
}

at::Tensor uniform(const at::Tensor& mask, at::ScalarType type) {
    auto m = mask.to(type);
    return m / m.sum(-1, true);
}

// --- Scaling vectors, one pair start to end in plain loops -------------------------------------

template <typename T>
struct Limits;
template <>
struct Limits<float> {
    static constexpr double range = 50;  // max (max C - min C) / eps: the kernel stays >= e^-50
    static constexpr double absorb = 1e6;
};
template <>
struct Limits<double> {
    static constexpr double range = 600;
    static constexpr double absorb = 1e12;
};

struct PairOutcome {
    enum Status { Solved, NonFiniteCost, TooWide, Unstable } status = Solved;
    std::int64_t iterations = 0;
    double error = std::numeric_limits<double>::infinity();
    std::int64_t absorptions = 0;
};

// Vectors of 32 bytes (GCC/Clang vector extensions): AVX2 registers in the AVX2 build, pairs of
// SSE registers in the baseline one.
template <typename T>
struct Lanes {
    static constexpr std::size_t width = 32 / sizeof(T);
    typedef T Vector __attribute__((vector_size(32)));
};

template <typename T>
inline __attribute__((always_inline)) typename Lanes<T>::Vector load(const T* p) {
    typename Lanes<T>::Vector v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}

template <typename T>
inline __attribute__((always_inline)) T lanesSum(typename Lanes<T>::Vector v) {
    T s = 0;
    for (std::size_t k = 0; k < Lanes<T>::width; ++k) s += v[k];
    return s;
}

// x[j] = exp(x[j]) for j < count. Float: 8 lanes at a time, Cephes' expf polynomial (about 1 ulp)
// times 2^k built in the exponent bits; double, and the tail: std::exp.
template <typename T>
inline __attribute__((always_inline)) void expInPlace(T* x, std::size_t count) {
    std::size_t j = 0;
    if constexpr (std::is_same_v<T, float>) {
        using V = typename Lanes<float>::Vector;
        typedef std::int32_t I __attribute__((vector_size(32)));
        constexpr std::size_t W = Lanes<float>::width;
        for (; j + W <= count; j += W) {
            V v = load(x + j);
            v = v < -87.3f ? V{} - 87.3f : v;
            v = v > 88.7f ? V{} + 88.7f : v;
            // k = round(v / ln 2) by the 1.5 * 2^23 trick; r = v - k ln 2 in two parts.
            const V kf = (v * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
            const V r = v - kf * 0.693359375f + kf * 2.12194440e-4f;
            V p = r * 1.9875691500e-4f + 1.3981999507e-3f;
            p = p * r + 8.3334519073e-3f;
            p = p * r + 4.1665795894e-2f;
            p = p * r + 1.6666665459e-1f;
            p = p * r + 5.0000001201e-1f;
            p = p * r * r + r + 1.0f;
            const I bits = (__builtin_convertvector(kf, I) + 127) << 23;
            V scale;
            __builtin_memcpy(&scale, &bits, sizeof scale);
            p *= scale;
            __builtin_memcpy(x + j, &p, sizeof p);
        }
    }
    for (; j < count; ++j) x[j] = std::exp(x[j]);
}

// A zero-filled buffer on a 64-byte boundary: rows of K and the vectors start on cache lines, so
// no 32-byte load straddles two (std::vector's 16-byte alignment makes every other one do so).
template <typename T>
class AlignedBuffer {
  public:
    explicit AlignedBuffer(std::size_t count)
        : data_(static_cast<T*>(std::aligned_alloc(64, (count * sizeof(T) + 63) / 64 * 64))) {
        if (!data_) throw std::bad_alloc();
        std::fill(data_, data_ + count, T(0));
    }
    ~AlignedBuffer() { std::free(data_); }
    AlignedBuffer(const AlignedBuffer&) = delete;
    AlignedBuffer& operator=(const AlignedBuffer&) = delete;
    T* data() { return data_; }
    T& operator[](std::size_t i) { return data_[i]; }

  private:
    T* data_;
};

// One pass over K [rows, ld] (ld a multiple of the vector width, zero-padded, as are v and
// acc): for each row i, u[i] = a[i] / <K row i, v>, then acc += u[i] K row i. So one read of K
// gives the row update and K^T u for the next column update (and the error check); a block of
// rows shares the loads of v and acc. With v null, u is kept and only acc = K^T u is formed.
template <typename T, std::size_t R>
inline __attribute__((always_inline)) void rowBlock(const T* K, std::size_t i, std::size_t ld,
                                                    const T* v, const T* a, T* u, T* acc) {
    using V = typename Lanes<T>::Vector;
    constexpr std::size_t W = Lanes<T>::width;
    const T* k[R];
    for (std::size_t r = 0; r < R; ++r) k[r] = K + (i + r) * ld;
    if (v) {
        V s[R] = {};
        for (std::size_t j = 0; j < ld; j += W) {
            const V x = load(v + j);
            for (std::size_t r = 0; r < R; ++r) s[r] += load(k[r] + j) * x;
        }
        for (std::size_t r = 0; r < R; ++r) u[i + r] = a[i + r] / lanesSum<T>(s[r]);
    }
    T w[R];
    for (std::size_t r = 0; r < R; ++r) w[r] = u[i + r];
    for (std::size_t j = 0; j < ld; j += W) {
        V x = load(acc + j);
        for (std::size_t r = 0; r < R; ++r) x += load(k[r] + j) * w[r];
        __builtin_memcpy(acc + j, &x, sizeof x);
    }
}

template <typename T>
inline __attribute__((always_inline)) void rowPass(const T* K, std::size_t rows, std::size_t ld,
                                                   const T* v, const T* a, T* u, T* acc) {
    std::fill(acc, acc + ld, T(0));
    std::size_t i = 0;
    // Eight rows at a time: eight independent dot-product chains keep both FMA units busy.
    for (; i + 8 <= rows; i += 8) rowBlock<T, 8>(K, i, ld, v, a, u, acc);
    for (; i < rows; ++i) rowBlock<T, 1>(K, i, ld, v, a, u, acc);
}

// One pair: C is [n, m] row-major; rows/cols its real indices; a, b the marginals (length n, m);
// plan [n, m] receives the plan on the real entries (zero elsewhere, as given).
template <typename T>
inline __attribute__((always_inline)) PairOutcome scalingPair(const T* C, std::int64_t m,
                                                              const std::vector<std::int64_t>& rows,
                                                              const std::vector<std::int64_t>& cols,
                                                              const T* a, const T* b, double eps,
                                                              int maxIterations, double tolerance,
                                                              int checkEvery, T* plan) {
    constexpr std::size_t W = Lanes<T>::width;
    const std::size_t nr = rows.size(), mc = cols.size();
    const std::size_t mcPad = (mc + W - 1) / W * W;
    PairOutcome out;
    // The cost range over eps decides whether the kernel fits the type (else: the log domain).
    using V = typename Lanes<T>::Vector;
    // Real columns in one run (no padding between them, the usual case): rows are read a vector
    // at a time below.
    const bool run = cols.back() - cols.front() + 1 == std::int64_t(mc);
    const std::size_t c0 = std::size_t(cols.front()), whole = run ? mc / W * W : 0;
    T cmin = std::numeric_limits<T>::infinity(), cmax = -cmin;
    bool finite = true;
    {
        V lo = V{} + cmin, hi = V{} + cmax, bad = {};
        for (auto r : rows) {
            const T* c = C + r * m + c0;
            for (std::size_t j = 0; j < whole; j += W) {
                const V x = load(c + j);
                bad += (x - x) != 0 ? V{} + 1 : V{};  // inf - inf and NaN - NaN are NaN
                lo = x < lo ? x : lo;
                hi = x > hi ? x : hi;
            }
            for (std::size_t j = whole; j < mc; ++j) {
                const T x = C[r * m + cols[j]];
                finite = finite && std::isfinite(x);
                cmin = std::min(cmin, x), cmax = std::max(cmax, x);
            }
        }
        for (std::size_t k = 0; k < W; ++k) {
            finite = finite && bad[k] == 0;
            cmin = std::min(cmin, lo[k]), cmax = std::max(cmax, hi[k]);
        }
    }
    if (!finite) {
        out.status = PairOutcome::NonFiniteCost;
        return out;
    }
    if (double(cmax) - double(cmin) > Limits<T>::range * eps) {
        out.status = PairOutcome::TooWide;
        return out;
    }
    // K [nr, mcPad], zero-padded; shifting C by its minimum scales K, which u and v absorb.
    AlignedBuffer<T> K(nr * mcPad), v(mcPad), ktu(mcPad);
    std::vector<T> alpha(nr, 0), beta(mc, 0), u(nr, 1), aw(nr), bw(mc);
    for (std::size_t i = 0; i < nr; ++i) aw[i] = a[rows[i]];
    for (std::size_t j = 0; j < mc; ++j) bw[j] = b[cols[j]];
    const T invEps = T(1.0 / eps);
    auto kernel = [&] {
        for (std::size_t i = 0; i < nr; ++i) {
            const T* c = C + rows[i] * m;
            T* k = K.data() + i * mcPad;
            for (std::size_t j = 0; j < mc; ++j)
                k[j] = (alpha[i] + beta[j] - (c[cols[j]] - cmin)) * invEps;
            expInPlace(k, mc);
        }
    };
    kernel();
    rowPass<T>(K.data(), nr, mcPad, nullptr, aw.data(), u.data(), ktu.data());  // K^T 1
    out.iterations = maxIterations;
    const T absorb = T(Limits<T>::absorb);
    for (int it = 1; it <= maxIterations; ++it) {
        for (std::size_t j = 0; j < mc; ++j) v[j] = bw[j] / ktu[j];
        rowPass<T>(K.data(), nr, mcPad, v.data(), aw.data(), u.data(), ktu.data());
        // Absorb scaling vectors that grew (or shrank) too far into the log-potentials.
        T hi = 0, lo = std::numeric_limits<T>::infinity();
        for (std::size_t i = 0; i < nr; ++i) hi = std::max(hi, u[i]), lo = std::min(lo, u[i]);
        for (std::size_t j = 0; j < mc; ++j) hi = std::max(hi, v[j]), lo = std::min(lo, v[j]);
        if (!(hi < absorb && lo > 1 / absorb)) {
            if (!std::isfinite(hi) || !(lo > 0)) {
                out.status = PairOutcome::Unstable;
                return out;
            }
            for (std::size_t i = 0; i < nr; ++i) alpha[i] += T(eps) * std::log(u[i]), u[i] = 1;
            for (std::size_t j = 0; j < mc; ++j) beta[j] += T(eps) * std::log(v[j]), v[j] = 1;
            kernel();
            ++out.absorptions;
            // The error below and the next column update need K^T u for the new kernel.
            rowPass<T>(K.data(), nr, mcPad, nullptr, aw.data(), u.data(), ktu.data());
        }
        if ((it - 1) % checkEvery == 0 || it == maxIterations) {
            double err = 0;  // column marginal of diag(u) K diag(v): v * K^T u
            for (std::size_t j = 0; j < mc; ++j) {
                const double d = double(v[j]) * double(ktu[j]) - double(bw[j]);
                err += d * d;
            }
            out.error = std::sqrt(err);
            if (out.error < tolerance) {
                out.iterations = it;
                break;
            }
        }
    }
    V bad = {};
    for (std::size_t i = 0; i < nr; ++i) {
        const T* k = K.data() + i * mcPad;
        T* row = plan + rows[i] * m;
        for (std::size_t j = 0; j < whole; j += W) {
            const V p = load(k + j) * load(v.data() + j) * u[i];
            bad += (p - p) != 0 ? V{} + 1 : V{};
            __builtin_memcpy(row + c0 + j, &p, sizeof p);
        }
        for (std::size_t j = whole; j < mc; ++j) {
            const T p = u[i] * k[j] * v[j];
            if (!std::isfinite(p)) out.status = PairOutcome::Unstable;
            row[cols[j]] = p;
        }
    }
    for (std::size_t k = 0; k < W; ++k)
        if (bad[k] != 0) out.status = PairOutcome::Unstable;
    return out;
}

// Non-template entry points, built twice (AVX2 + FMA, and the baseline x86-64) and chosen at
// load time, so that the products run vectorised where the CPU has it.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define CLIR_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define CLIR_VECTOR_CLONES
#endif

CLIR_VECTOR_CLONES PairOutcome scalingPairFloat(const float* C, std::int64_t m,
                                                const std::vector<std::int64_t>& rows,
                                                const std::vector<std::int64_t>& cols,
                                                const float* a, const float* b, double eps,
                                                int maxIterations, double tolerance, int checkEvery,
                                                float* plan) {
    return scalingPair<float>(C, m, rows, cols, a, b, eps, maxIterations, tolerance, checkEvery,
                              plan);
}

CLIR_VECTOR_CLONES PairOutcome scalingPairDouble(const double* C, std::int64_t m,
                                                 const std::vector<std::int64_t>& rows,
                                                 const std::vector<std::int64_t>& cols,
                                                 const double* a, const double* b, double eps,
                                                 int maxIterations, double tolerance,
                                                 int checkEvery, double* plan) {
    return scalingPair<double>(C, m, rows, cols, a, b, eps, maxIterations, tolerance, checkEvery,
                               plan);
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
    // <P, C> per pair as a batched dot product (no [B, n, m] temporary); differentiable in C.
    auto masked = padded
                      ? cost.masked_fill((rows.unsqueeze(2) & cols.unsqueeze(1)).logical_not(), 0.0)
                      : cost;
    r.cost = at::bmm(r.plan.reshape({B, 1, n * m}), masked.reshape({B, n * m, 1})).reshape({B});
    r.iterations = iterations;
    r.marginalError = error;
    r.converged = error.lt(o.tolerance);
    r.scaling = scaling;
    r.absorptions = absorptions;
    return r;
}

}  // namespace clir::ot
