// Significance tests (see significance.h). The t distribution's two-sided tail is
// I_{df/(df+t^2)}(df/2, 1/2); the incomplete beta uses Lentz's continued fraction.
#include "core/eval/significance.h"

#include <cmath>
#include <random>
#include <stdexcept>

namespace clir::eval {
namespace {

void checkPaired(const std::vector<double>& a, const std::vector<double>& b) {
    if (a.size() != b.size())
        throw std::invalid_argument("paired test needs the same queries for both systems (" +
                                    std::to_string(a.size()) + " vs " + std::to_string(b.size()) + ")");
}

double betaContinuedFraction(double a, double b, double x) {
    const double tiny = 1e-300, eps = 1e-15;
    double qab = a + b, qap = a + 1, qam = a - 1;
    double c = 1, d = 1 - qab * x / qap;
    if (std::fabs(d) < tiny) d = tiny;
    d = 1 / d;
    double h = d;
    for (int m = 1; m <= 10000; ++m) {
        int m2 = 2 * m;
        double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1 + aa * d;
        if (std::fabs(d) < tiny) d = tiny;
        c = 1 + aa / c;
        if (std::fabs(c) < tiny) c = tiny;
        d = 1 / d;
        h *= d * c;
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1 + aa * d;
        if (std::fabs(d) < tiny) d = tiny;
        c = 1 + aa / c;
        if (std::fabs(c) < tiny) c = tiny;
        d = 1 / d;
        double del = d * c;
        h *= del;
        if (std::fabs(del - 1) < eps) break;
    }
    return h;
}

}  // namespace

double incompleteBeta(double a, double b, double x) {
    if (x <= 0) return 0;
    if (x >= 1) return 1;
    double lnFront = std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) +
                     b * std::log1p(-x);
    double front = std::exp(lnFront);
    if (x < (a + 1) / (a + b + 2)) return front * betaContinuedFraction(a, b, x) / a;
    return 1 - front * betaContinuedFraction(b, a, 1 - x) / b;
}

TestResult pairedTTest(const std::vector<double>& a, const std::vector<double>& b) {
    checkPaired(a, b);
    TestResult r;
    r.n = a.size();
    if (r.n < 2) return r;
    double mean = 0;
    for (std::size_t i = 0; i < r.n; ++i) mean += a[i] - b[i];
    mean /= double(r.n);
    double ss = 0;
    for (std::size_t i = 0; i < r.n; ++i) ss += (a[i] - b[i] - mean) * (a[i] - b[i] - mean);
    double sd = std::sqrt(ss / double(r.n - 1));
    if (sd == 0) {
        r.statistic = mean == 0 ? 0 : std::copysign(INFINITY, mean);
        r.pValue = mean == 0 ? 1 : 0;
        return r;
    }
    double t = mean / (sd / std::sqrt(double(r.n)));
    double df = double(r.n - 1);
    r.statistic = t;
    r.pValue = incompleteBeta(df / 2, 0.5, df / (df + t * t));
    return r;
}

TestResult pairedRandomisationTest(const std::vector<double>& a, const std::vector<double>& b,
                                   std::size_t permutations, std::uint64_t seed) {
    checkPaired(a, b);
    TestResult r;
    r.n = a.size();
    if (r.n == 0) return r;
    std::vector<double> diff(r.n);
    double observed = 0;
    for (std::size_t i = 0; i < r.n; ++i) {
        diff[i] = a[i] - b[i];
        observed += diff[i];
    }
    observed = std::fabs(observed / double(r.n));
    r.statistic = observed;
    std::mt19937_64 rng(seed);
    std::size_t atLeast = 0;
    // A relative tolerance keeps floating-point noise from deciding exact ties.
    const double tolerance = 1e-12 * std::max(1.0, observed);
    for (std::size_t p = 0; p < permutations; ++p) {
        double sum = 0;
        std::uint64_t bits = 0;
        for (std::size_t i = 0; i < r.n; ++i) {
            if (i % 64 == 0) bits = rng();
            sum += (bits & 1) ? -diff[i] : diff[i];
            bits >>= 1;
        }
        if (std::fabs(sum / double(r.n)) >= observed - tolerance) ++atLeast;
    }
    r.pValue = double(atLeast + 1) / double(permutations + 1);
    return r;
}

double bonferroni(double p, std::size_t comparisons) {
    return std::min(1.0, p * double(std::max<std::size_t>(1, comparisons)));
}

}  // namespace clir::eval
