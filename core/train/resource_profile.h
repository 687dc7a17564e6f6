// The resource profile of multilingual pretraining (SPEC 2): how much text of each language the
// encoder sees. Default: CC-100 sizes as reported for XLM-R (Conneau et al. 2020, Table 6, GiB),
// with exponent-0.3 sampling: p_i = q_i^a / sum_j q_j^a with q_i = n_i / sum_j n_j.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace clir::train {

// CC-100 sizes in GiB for the study's languages; a language absent from CC-100 (dz) is 0.
const std::map<std::string, double>& cc100Sizes();

// Sampling probabilities for `languages` (a size of 0 gives probability 0). Throws when every
// language has size 0 or a size is negative.
std::map<std::string, double> samplingProbabilities(const std::vector<std::string>& languages,
                                                    const std::map<std::string, double>& sizes,
                                                    double exponent);

// The tokenizer's share of each language (SPEC 3): the sampling probabilities with every
// language raised to at least `floor`, then renormalised, so that a language the encoder never
// pretrains on (dz) still gets pieces of its own script instead of byte fallback.
std::map<std::string, double> tokenizerShares(const std::map<std::string, double>& probabilities,
                                              double floor);

}  // namespace clir::train
