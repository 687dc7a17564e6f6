// Score fusion of a neural run with BM25 (SPEC 4): per query, each run's scores become z-scores
// over the documents it retrieved (mean 0, population standard deviation 1; all equal: 0), a
// document one run did not retrieve takes that run's lowest z-score, and the fused score is
// alpha * z_neural + (1 - alpha) * z_bm25. alpha is chosen on dev queries only, from a fixed
// grid, by dev MAP (-c), and stored with the run.
#pragma once

#include <vector>

#include "core/eval/trec_io.h"

namespace clir::retrieval {

// Queries in either run; each fused ranking sorted by score (docid breaks ties), cut to depth.
eval::Run fuseZScores(const eval::Run& neural, const eval::Run& bm25, double alpha,
                      std::size_t depth);

struct AlphaChoice {
    double alpha = 1.0;
    double devMap = 0;              // the fused dev MAP at alpha
    std::vector<double> grid, map;  // every alpha tried and its dev MAP
};

// The alpha of the grid (0, 0.05, ..., 1) with the highest mean dev MAP over the given dev sets
// (one neural run, one BM25 run and the qrels per set); ties go to the larger alpha.
struct DevFusionSet {
    const eval::Run* neural;
    const eval::Run* bm25;
    const eval::Qrels* qrels;
};
AlphaChoice chooseAlpha(const std::vector<DevFusionSet>& dev, std::size_t depth);

}  // namespace clir::retrieval
