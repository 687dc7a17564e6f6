// Resource profile (see resource_profile.h).
#include "core/train/resource_profile.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace clir::train {

const std::map<std::string, double>& cc100Sizes() {
    static const std::map<std::string, double> sizes = {
        {"en-US", 300.8}, {"de", 66.6}, {"fr", 56.8}, {"es", 53.3},
        {"eu", 2.0},      {"km", 1.5},  {"om", 0.1},  {"dz", 0.0}};
    return sizes;
}

std::map<std::string, double> samplingProbabilities(const std::vector<std::string>& languages,
                                                    const std::map<std::string, double>& sizes,
                                                    double exponent) {
    double total = 0;
    for (const auto& l : languages) {
        auto it = sizes.find(l);
        double n = it == sizes.end() ? 0.0 : it->second;
        if (n < 0) throw std::invalid_argument("resource profile: negative size for '" + l + "'");
        total += n;
    }
    if (total <= 0) throw std::invalid_argument("resource profile: every language has size 0");
    std::map<std::string, double> p;
    double norm = 0;
    for (const auto& l : languages) {
        auto it = sizes.find(l);
        double q = (it == sizes.end() ? 0.0 : it->second) / total;
        p[l] = q > 0 ? std::pow(q, exponent) : 0.0;
        norm += p[l];
    }
    for (auto& [l, v] : p) v /= norm;
    return p;
}

std::map<std::string, double> tokenizerShares(const std::map<std::string, double>& probabilities,
                                              double floor) {
    std::map<std::string, double> out;
    double norm = 0;
    for (const auto& [lang, p] : probabilities) norm += out[lang] = std::max(p, floor);
    if (norm <= 0) throw std::invalid_argument("tokenizer shares: no language has a share");
    for (auto& [lang, v] : out) v /= norm;
    return out;
}

}  // namespace clir::train
