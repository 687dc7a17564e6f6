// Sinkhorn's scaling-vector solver (see sinkhorn_scaling.h).
#include "core/ot/sinkhorn_scaling.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <type_traits>
#include <vector>

namespace clir::ot::detail {
namespace {

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

}  // namespace

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

}  // namespace clir::ot::detail
