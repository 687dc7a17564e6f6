// Exact neural retrieval (SPEC 4): queries and pages encoded (neural_encoding.h) and ranked by
// dense cosine, or by ColBERT MaxSim over every passage of every page with per-token query
// weights; or BM25's top k re-ranked.
#pragma once

#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "core/eval/trec_io.h"
#include "core/retrieval/neural_encoding.h"
#include "core/retrieval/soft_tf.h"

namespace clir::retrieval {

// MaxSim scores [count, P] of queries [from, from + count) against pages `rows` (every page
// when empty): for each query token the best token of the page (plus its soft term frequency
// when tf is on), weighted; 0 for a page without tokens.
at::Tensor maxSimScores(const EncodedTexts& queries, std::int64_t from, std::int64_t count,
                        const PageIndex& pages, const std::vector<std::int64_t>& rows = {},
                        const SoftTf& tf = {});

// Every query against every page, top `depth` each. scoring: dense | maxsim.
eval::Run rankAll(const std::string& scoring, const EncodedTexts& queries,
                  const std::vector<std::string>& qids, const PageIndex& pages,
                  const std::vector<std::string>& docids, std::size_t depth, const SoftTf& tf = {});

// Each query's candidates (by docid) re-scored; candidates missing from `docids` are skipped.
eval::Run rerank(const std::string& scoring, const EncodedTexts& queries,
                 const std::vector<std::string>& qids, const PageIndex& pages,
                 const std::vector<std::string>& docids,
                 const std::vector<std::vector<eval::ScoredDoc>>& candidates,
                 const SoftTf& tf = {});

}  // namespace clir::retrieval
