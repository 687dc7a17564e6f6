// Exact neural retrieval (SPEC 4): texts encoded in length-sorted batches, pages cached per
// checkpoint, ranked by dense cosine or ColBERT MaxSim over every page, or BM25's top k
// re-ranked.
#pragma once

#include <ATen/ATen.h>
#include <c10/core/Device.h>

#include <functional>
#include <string>
#include <vector>

#include "core/eval/trec_io.h"
#include "core/model/tokenizer.h"

namespace clir::retrieval {

// ids [B, T], mask [B, T] -> unit token vectors [B, T, D] (a tower: encoder plus head).
using TokenEncoder = std::function<at::Tensor(const at::Tensor& ids, const at::Tensor& mask)>;

struct EncodedTexts {
    at::Tensor dense;   // [N, D]
    at::Tensor tokens;  // [N, T, D], kept for maxsim only
    at::Tensor mask;    // [N, T]
    std::int64_t size() const { return dense.defined() ? dense.size(0) : 0; }
};

EncodedTexts encodeTexts(const TokenEncoder& tower, const model::Tokenizer& tokenizer,
                         const std::vector<std::string>& texts, std::int64_t maxLength,
                         std::int64_t batchSize, bool keepTokens, c10::Device device);

// The same, read from `cacheFile` when present and written there (atomically) otherwise.
EncodedTexts encodeTextsCached(const std::string& cacheFile, const TokenEncoder& tower,
                               const model::Tokenizer& tokenizer,
                               const std::vector<std::string>& texts, std::int64_t maxLength,
                               std::int64_t batchSize, bool keepTokens, c10::Device device);

// Every query against every document, top `depth` each. scoring: dense | maxsim.
eval::Run rankAll(const std::string& scoring, const EncodedTexts& queries,
                  const std::vector<std::string>& qids, const EncodedTexts& docs,
                  const std::vector<std::string>& docids, std::size_t depth);

// Each query's candidates (by docid) re-scored; candidates missing from `docids` are skipped.
eval::Run rerank(const std::string& scoring, const EncodedTexts& queries,
                 const std::vector<std::string>& qids, const EncodedTexts& docs,
                 const std::vector<std::string>& docids,
                 const std::vector<std::vector<eval::ScoredDoc>>& candidates);

}  // namespace clir::retrieval
