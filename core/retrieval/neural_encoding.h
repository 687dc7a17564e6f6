// Encoding for neural retrieval (SPEC 4): texts through a tower in length-sorted batches, pages
// cut into passages at word starts, and the page index (dense page vectors, or every distinct
// content-token vector of every passage for MaxSim) with its on-disk cache per checkpoint.
#pragma once

#include <ATen/ATen.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/model/tokenizer.h"

namespace clir::retrieval {

// ids [B, T], mask [B, T] -> unit token vectors [B, T, D] (a tower: encoder plus head).
using TokenEncoder = std::function<at::Tensor(const at::Tensor& ids, const at::Tensor& mask)>;
// ids [B, T], mask [B, T] -> the query-term weight of each token [B, T], >= 0, zero at <s>,
// </s> and padding. An empty one weighs every content token the same.
using TermWeigher = std::function<at::Tensor(const at::Tensor& ids, const at::Tensor& mask)>;

// Encoded queries (or any short texts, cut to the max length).
struct EncodedTexts {
    at::Tensor dense;    // [N, D]
    at::Tensor tokens;   // [N, T, D], kept for maxsim only
    at::Tensor mask;     // [N, T] content tokens (no <s>, </s>, padding), with tokens
    at::Tensor weights;  // [N, T] query-term weights summing to 1 per text, with tokens
    std::int64_t size() const { return dense.defined() ? dense.size(0) : 0; }
};

EncodedTexts encodeTexts(const TokenEncoder& tower, const model::Tokenizer& tokenizer,
                         const std::vector<std::string>& texts, std::int64_t maxLength,
                         std::int64_t batchSize, bool keepTokens, c10::Device device,
                         const TermWeigher& weigher = {});

// Pages ready for ranking. Dense scoring keeps one vector per page (its first passage); MaxSim
// keeps every distinct content-token vector of every passage: `vectors` holds each distinct
// vector once (fp16; a static model repeats a word's vector on every page, a contextual one
// rarely), and page p's tokens are ids[offsets[p] .. offsets[p + 1]) into it, each once, with
// counts[t] the times ids[t] occurs on the page (its term frequency; the counts of page p sum to
// its content tokens).
struct PageIndex {
    at::Tensor dense;             // [N, D] float (dense scoring)
    at::Tensor vectors;           // [K, D] half (maxsim)
    at::Tensor ids;               // [M] int32 rows of `vectors`
    at::Tensor counts;            // [M] int32 occurrences; undefined: 1 each
    at::Tensor offsets;           // [N + 1] int64
    std::int64_t pageTokens = 0;  // content tokens over all passages before deduplication
    std::int64_t size() const;
    bool hasTokens() const { return vectors.defined(); }
    std::int64_t bytes() const;  // memory of the tensors above
};

// A page's passages: its pieces cut into windows of at most maxLength - 2 pieces, each cut
// moved back to the start of a word when one lies in the window, each passage wrapped in <s>
// ... </s> (words begin as Tokenizer::wordStarts says). An empty text gives one passage of no
// pieces (<s> </s>).
std::vector<std::vector<std::int64_t>> passagesOf(const model::Tokenizer& tokenizer,
                                                  const std::string& text, std::int64_t maxLength);
// The same from the text's full encoding (<s> every piece </s>).
std::vector<std::vector<std::int64_t>> passagesOf(const model::Tokenizer& tokenizer,
                                                  const std::vector<std::int64_t>& all,
                                                  std::int64_t maxLength);

// Appends one page to an index's entries: each distinct id of `pageIds` (any order; sorted here)
// once to `ids`, with the times it occurs to `counts`.
void appendPageEntries(std::vector<std::int32_t>& pageIds, std::vector<std::int32_t>& ids,
                       std::vector<std::int32_t>& counts);

// keepTokens (maxsim): the token index over all passages; otherwise the dense vectors of each
// page's first maxLength pieces.
PageIndex encodePages(const TokenEncoder& tower, const model::Tokenizer& tokenizer,
                      const std::vector<std::string>& texts, std::int64_t maxLength,
                      std::int64_t batchSize, bool keepTokens, c10::Device device);

// The token index over pages given as their passages (passagesOf), so a caller that holds the
// pages' pieces does not tokenize them again.
PageIndex encodePassages(const TokenEncoder& tower,
                         const std::vector<std::vector<std::vector<std::int64_t>>>& pagePassages,
                         std::int64_t batchSize, c10::Device device);

// The index read from `cacheFile` when it holds one of this kind (keepTokens) for `pages`
// pages, and otherwise `build()`, written there atomically.
PageIndex cachedPageIndex(const std::string& cacheFile, std::int64_t pages, bool keepTokens,
                          const std::function<PageIndex()>& build);

// encodePages through cachedPageIndex.
PageIndex encodePagesCached(const std::string& cacheFile, const TokenEncoder& tower,
                            const model::Tokenizer& tokenizer,
                            const std::vector<std::string>& texts, std::int64_t maxLength,
                            std::int64_t batchSize, bool keepTokens, c10::Device device);

}  // namespace clir::retrieval
