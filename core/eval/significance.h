// Paired significance tests on per-query scores (usually AP) of two systems over the same
// queries, and Bonferroni correction across languages (SPEC 5).
#pragma once

#include <cstdint>
#include <vector>

namespace clir::eval {

struct TestResult {
    double statistic = 0;  // t for the t-test; the observed mean difference for randomisation
    double pValue = 1;     // two-sided
    std::size_t n = 0;
};

// Student's paired t-test, two-sided. With zero variance of the differences: p = 1 when the
// mean difference is 0, else p = 0.
TestResult pairedTTest(const std::vector<double>& a, const std::vector<double>& b);

// Paired randomisation (sign-flip permutation) test, two-sided, with a fixed seed:
// p = (1 + #{|mean of flipped differences| >= |observed|}) / (1 + permutations).
TestResult pairedRandomisationTest(const std::vector<double>& a, const std::vector<double>& b,
                                   std::size_t permutations = 10000, std::uint64_t seed = 42);

// min(1, p * comparisons).
double bonferroni(double p, std::size_t comparisons);

// Regularised incomplete beta I_x(a, b) (continued fraction), used for the t distribution.
double incompleteBeta(double a, double b, double x);

}  // namespace clir::eval
