// Per-language comparison of runs on one measure (SPEC 5): means per language, the
// high-minus-low-resource gap, and paired significance against a baseline run with Bonferroni
// correction across languages.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace clir::eval {

struct ComparedRun {
    std::string label;
    bool isBaseline = false;
    // language -> qid -> per-query value of the measure (for seeds pooled: the mean over seeds)
    std::map<std::string, std::map<std::string, double>> perLanguage;
    // Seeds pooled into one row (poolSeeds): language -> each seed's mean of the measure.
    std::map<std::string, std::vector<double>> seedMeans;
};

// The runs of one configuration over several seeds as one row: each query's value is its mean
// over the seeds that have it (the paired tests then compare per-query values averaged over
// seeds), and each language keeps every seed's own mean for the spread.
ComparedRun poolSeeds(const std::vector<ComparedRun>& seeds, const std::string& label);

// Each seed's mean over the low-resource and over the high-resource languages, from a row's
// per-language seed means (index k: the k-th run of every language); false when a seed lacks a
// language of either group.
bool seedGroupMeans(const std::map<std::string, std::vector<double>>& seedMeans,
                    std::vector<double>& low, std::vector<double>& high);
// A row's per-language seed means: pooled seeds' own, else the one run's means.
std::map<std::string, std::vector<double>> seedMeansOf(const ComparedRun& row);
// Sample standard deviation (n - 1); 0 below two values.
double sampleSd(const std::vector<double>& v);
// Least squares y = intercept + slope * x; false with fewer than two distinct x.
bool fitLine(const std::vector<double>& x, const std::vector<double>& y, double& intercept,
             double& slope);
// The slope of y on x fitted once per seed, pairing each x's values by seed number (not by
// position: sizes of a ladder can have different seeds, or list them in another order). Only
// the seeds present at every x count; a seed with several values at one x (a rerun) uses their
// mean. bySeed[i]: (seed, y) at x[i]. Returns the slopes in seed order (none below two x).
std::vector<double> perSeedSlopes(
    const std::vector<double>& x,
    const std::vector<std::vector<std::pair<std::int64_t, double>>>& bySeed);

struct ComparisonCell {
    bool present = false;
    double mean = 0;
    std::size_t queries = 0;
    std::size_t seeds = 1;  // more than one: mean and sd are over the seeds' own means
    double sd = 0;          // sample standard deviation over seeds
    double pTTest = 1, pRandomisation = 1;  // Bonferroni-corrected; 1 for the baseline
    bool significantT = false, significantRandomisation = false;
};

struct Comparison {
    std::vector<std::string> languages;  // low-resource, then high-resource, then the rest
    std::vector<std::string> labels;
    std::vector<std::vector<ComparisonCell>> cells;  // [run][language]
    std::vector<double> gap;                         // high mean - low mean; NaN if incomplete
    double alpha = 0.05;
};

Comparison compareRuns(const std::vector<ComparedRun>& runs, std::size_t permutations = 10000,
                       std::uint64_t seed = 42, double alpha = 0.05);
std::string formatComparison(const Comparison& c, const std::string& measure,
                             const std::string& querySet);

// One table with markers against several baselines at once: a cell carries a baseline's marker
// (a superscript of its label's first letter, or of its number when letters repeat) when the
// paired randomisation test finds it different from that baseline at p < alpha after Bonferroni
// correction across languages. A legend follows the table.
std::string formatAgainstBaselines(const std::vector<ComparedRun>& runs,
                                   const std::vector<std::size_t>& baselines,
                                   const std::string& measure, const std::string& querySet,
                                   std::size_t permutations = 10000, std::uint64_t seed = 42,
                                   double alpha = 0.05);

}  // namespace clir::eval
