// The scaling part of the report (see report_scaling.h).
#include "core/jobs/report_scaling.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "core/eval/comparison.h"

namespace clir::jobs {
namespace {

double meanOf(const std::vector<double>& v) {
    double m = 0;
    for (double x : v) m += x;
    return v.empty() ? std::nan("") : m / double(v.size());
}

// The spread over seeds; NaN for one (printed without "±").
double sdOf(const std::vector<double>& v) {
    return v.size() < 2 ? std::nan("") : eval::sampleSd(v);
}

// Least-squares slope of y on x; NaN with fewer than two distinct x.
double slopeOf(const std::vector<double>& x, const std::vector<double>& y) {
    double intercept = 0, slope = 0;
    return eval::fitLine(x, y, intercept, slope) ? slope : std::nan("");
}

std::string withSd(double mean, double sd) {
    return fixedDigits(mean) + (std::isnan(sd) ? std::string() : " ± " + fixedDigits(sd));
}

}  // namespace

std::string fixedDigits(double v, int digits) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
    return buf;
}

std::string scalingMarkdown(std::vector<ScalingSize> all, const std::string& set) {
    std::map<std::string, std::vector<ScalingSize>> byMethod;
    for (auto& z : all) byMethod[z.method].push_back(std::move(z));
    std::ostringstream md, fits;
    md << "\n### Scaling: MAP and the high − low gap against model size (" << set << " queries)\n\n"
       << "| configuration | preset | parameters | low-resource | high-resource | "
          "mean | gap (high − low) |\n|---|---|---:|---:|---:|---:|---:|\n";
    for (auto& [method, sizes] : byMethod) {
        std::sort(sizes.begin(), sizes.end(),
                  [](const ScalingSize& a, const ScalingSize& b) { return a.params < b.params; });
        std::vector<double> x, mean, gap;
        for (const auto& z : sizes) {
            std::vector<double> m, d;
            for (std::size_t k = 0; k < z.low.size(); ++k) {
                m.push_back((z.low[k] + z.high[k]) / 2);
                d.push_back(z.high[k] - z.low[k]);
            }
            md << "| " << z.configuration << " | " << z.preset << " | "
               << fixedDigits(z.params / 1e6, 2) << " M | " << withSd(meanOf(z.low), sdOf(z.low))
               << " | " << withSd(meanOf(z.high), sdOf(z.high)) << " | "
               << withSd(meanOf(m), sdOf(m)) << " | " << withSd(meanOf(d), sdOf(d)) << " |\n";
            x.push_back(std::log10(z.params));
            mean.push_back(meanOf(m));
            gap.push_back(meanOf(d));
        }
        if (sizes.size() < 2) continue;
        // Each seed present at every size fitted alone, paired by seed number.
        std::vector<std::vector<std::pair<std::int64_t, double>>> meanBySeed, gapBySeed;
        for (const auto& z : sizes) {
            meanBySeed.emplace_back();
            gapBySeed.emplace_back();
            for (std::size_t k = 0; k < z.low.size() && k < z.seeds.size(); ++k) {
                meanBySeed.back().push_back({z.seeds[k], (z.low[k] + z.high[k]) / 2});
                gapBySeed.back().push_back({z.seeds[k], z.high[k] - z.low[k]});
            }
        }
        const auto meanSlopes = eval::perSeedSlopes(x, meanBySeed);
        const auto gapSlopes = eval::perSeedSlopes(x, gapBySeed);
        const double decades = x.back() - x.front();
        fits << "- **" << method << "** over " << sizes.size() << " sizes ("
             << fixedDigits(decades, 3) << " decades of parameters): mean MAP "
             << (slopeOf(x, mean) >= 0 ? "+" : "") << fixedDigits(slopeOf(x, mean)) << " per decade"
             << (meanSlopes.size() > 1 ? " (sd over " + std::to_string(meanSlopes.size()) +
                                             " seeds " + fixedDigits(sdOf(meanSlopes)) + ")"
                                       : std::string())
             << "; gap " << (slopeOf(x, gap) >= 0 ? "+" : "") << fixedDigits(slopeOf(x, gap))
             << " per decade"
             << (gapSlopes.size() > 1 ? " (sd " + fixedDigits(sdOf(gapSlopes)) + ")"
                                      : std::string())
             << "; the gap goes from " << fixedDigits(gap.front()) << " at " << sizes.front().preset
             << " to " << fixedDigits(gap.back()) << " at " << sizes.back().preset << ".\n";
    }
    md << "\nFitted by least squares against log10(parameters):\n\n" << fits.str();
    return md.str();
}

}  // namespace clir::jobs
