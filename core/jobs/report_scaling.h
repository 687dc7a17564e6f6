// The scaling part of the report (RQ1): per configuration size the mean MAP of the low- and
// high-resource languages, their mean and gap (± sd over seeds), and per method the fitted change
// per decade of parameters with the slope's sd over seeds (each seed present at every size
// fitted alone, paired by seed number).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace clir::jobs {

struct ScalingSize {
    std::string configuration, method, preset;
    double params = 0;
    std::vector<double> low, high;    // each seed's low- and high-resource means
    std::vector<std::int64_t> seeds;  // the seed of each entry of low and high
};

// The Markdown table and fits of the sizes (least squares on log10(parameters)).
std::string scalingMarkdown(std::vector<ScalingSize> sizes, const std::string& querySet);

// v with `digits` decimals ("%.*f").
std::string fixedDigits(double v, int digits = 4);

}  // namespace clir::jobs
