// Soft term frequency on top of MaxSim (SPEC 4; issue 13): query token i also earns
//   weight * log(1 + tf_i(p) / (len(p) / avglen)^lengthNorm),
// tf_i(p) the occurrences on page p of tokens whose cosine with it is >= threshold, len(p) the
// page's content tokens and avglen their mean over every page of the index. MaxSim takes one
// maximum per query token, so a page that names a term once ties with the page about it; this
// counts the matches, saturated and length-normalised as BM25 does. weight 0: plain MaxSim.
// No LibTorch here: the retrieval settings hold one.
#pragma once

namespace clir::retrieval {

struct SoftTf {
    double weight = 0.0;
    double threshold = 0.9;
    double lengthNorm = 0.75;
    bool on() const { return weight > 0.0; }
};

}  // namespace clir::retrieval
