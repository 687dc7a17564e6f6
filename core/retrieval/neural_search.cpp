// Neural retrieval (see neural_search.h).
#include "core/retrieval/neural_search.h"

#include <torch/serialize.h>

#include <filesystem>
#include <numeric>
#include <unordered_map>

#include "core/model/retrieval_model.h"

namespace clir::retrieval {

EncodedTexts encodeTexts(const TokenEncoder& tower, const model::Tokenizer& tokenizer,
                         const std::vector<std::string>& texts, std::int64_t maxLength,
                         std::int64_t batchSize, bool keepTokens, c10::Device device) {
    torch::NoGradGuard noGrad;
    std::vector<std::vector<std::int64_t>> ids;
    ids.reserve(texts.size());
    for (const auto& t : texts) ids.push_back(tokenizer.encode(t, std::size_t(maxLength)));
    // Length-sorted batches waste no time on padding; results go back to the input order.
    std::vector<std::size_t> order(ids.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return ids[a].size() < ids[b].size(); });
    EncodedTexts out;
    const auto n = std::int64_t(texts.size());
    std::int64_t longest = 0;
    for (const auto& s : ids) longest = std::max(longest, std::int64_t(s.size()));
    for (std::size_t start = 0; start < order.size(); start += std::size_t(batchSize)) {
        std::size_t end = std::min(order.size(), start + std::size_t(batchSize));
        std::vector<std::vector<std::int64_t>> seqs;
        for (std::size_t k = start; k < end; ++k) seqs.push_back(ids[order[k]]);
        auto batch = model::padBatch(seqs);
        auto mask = batch.mask.to(device);
        auto tokens = tower(batch.ids.to(device), mask).to(at::kFloat);
        auto dense = model::denseVectors(tokens, mask).cpu();
        if (!out.dense.defined()) {
            out.dense = at::zeros({n, dense.size(1)}, at::kFloat);
            if (keepTokens) {
                out.tokens = at::zeros({n, longest, dense.size(1)}, at::kFloat);
                out.mask = at::zeros({n, longest}, at::kLong);
            }
        }
        auto index = at::tensor(
            std::vector<std::int64_t>(order.begin() + long(start), order.begin() + long(end)),
            at::kLong);
        out.dense.index_copy_(0, index, dense);
        if (keepTokens) {
            const auto t = tokens.size(1);
            out.tokens.narrow(1, 0, t).index_copy_(0, index, tokens.cpu());
            out.mask.narrow(1, 0, t).index_copy_(0, index, batch.mask);
        }
    }
    if (!out.dense.defined()) out.dense = at::zeros({0, 0}, at::kFloat);
    return out;
}

EncodedTexts encodeTextsCached(const std::string& cacheFile, const TokenEncoder& tower,
                               const model::Tokenizer& tokenizer,
                               const std::vector<std::string>& texts, std::int64_t maxLength,
                               std::int64_t batchSize, bool keepTokens, c10::Device device) {
    if (std::filesystem::exists(cacheFile)) {
        try {
            std::vector<at::Tensor> saved;
            torch::load(saved, cacheFile);
            if (saved.size() == 3 && saved[0].size(0) == std::int64_t(texts.size()) &&
                (!keepTokens || saved[1].dim() == 3))
                return {saved[0], keepTokens ? saved[1] : at::Tensor(),
                        keepTokens ? saved[2] : at::Tensor()};
        } catch (const c10::Error&) {
            // an unreadable cache is rebuilt below
        }
    }
    auto encoded = encodeTexts(tower, tokenizer, texts, maxLength, batchSize, true, device);
    std::filesystem::create_directories(std::filesystem::path(cacheFile).parent_path());
    std::string tmp = cacheFile + ".partial";
    std::vector<at::Tensor> saved = {encoded.dense, encoded.tokens, encoded.mask};
    torch::save(saved, tmp);
    std::filesystem::rename(tmp, cacheFile);
    if (!keepTokens) encoded.tokens = encoded.mask = at::Tensor();
    return encoded;
}

namespace {

constexpr std::int64_t kQueryChunk = 32, kDocChunk = 512;

// Scores [q, N] for a slice of queries against all documents.
at::Tensor scoreSlice(const std::string& scoring, const EncodedTexts& q, std::int64_t from,
                      std::int64_t count, const EncodedTexts& d) {
    if (scoring == "dense") return at::matmul(q.dense.narrow(0, from, count), d.dense.t());
    auto qt = q.tokens.narrow(0, from, count), qm = q.mask.narrow(0, from, count);
    std::vector<at::Tensor> parts;
    for (std::int64_t s = 0; s < d.size(); s += kDocChunk) {
        auto c = std::min(kDocChunk, d.size() - s);
        parts.push_back(
            model::scoreMatrix("maxsim", qt, qm, d.tokens.narrow(0, s, c), d.mask.narrow(0, s, c)));
    }
    return at::cat(parts, 1);
}

}  // namespace

eval::Run rankAll(const std::string& scoring, const EncodedTexts& queries,
                  const std::vector<std::string>& qids, const EncodedTexts& docs,
                  const std::vector<std::string>& docids, std::size_t depth) {
    torch::NoGradGuard noGrad;
    eval::Run run;
    const auto k = std::min<std::int64_t>(std::int64_t(depth), docs.size());
    for (std::int64_t s = 0; s < queries.size(); s += kQueryChunk) {
        auto c = std::min(kQueryChunk, queries.size() - s);
        auto top = scoreSlice(scoring, queries, s, c, docs).topk(k, 1);
        auto values = std::get<0>(top).contiguous(), index = std::get<1>(top).contiguous();
        auto va = values.accessor<float, 2>();
        auto ia = index.accessor<std::int64_t, 2>();
        for (std::int64_t i = 0; i < c; ++i) {
            auto& ranked = run.byQuery[qids[std::size_t(s + i)]];
            for (std::int64_t j = 0; j < k; ++j)
                ranked.push_back({docids[std::size_t(ia[i][j])], double(va[i][j])});
        }
    }
    return run;
}

eval::Run rerank(const std::string& scoring, const EncodedTexts& queries,
                 const std::vector<std::string>& qids, const EncodedTexts& docs,
                 const std::vector<std::string>& docids,
                 const std::vector<std::vector<eval::ScoredDoc>>& candidates) {
    torch::NoGradGuard noGrad;
    std::unordered_map<std::string, std::int64_t> row;
    for (std::size_t i = 0; i < docids.size(); ++i) row[docids[i]] = std::int64_t(i);
    eval::Run run;
    for (std::int64_t i = 0; i < queries.size(); ++i) {
        std::vector<std::int64_t> rows;
        for (const auto& c : candidates[std::size_t(i)])
            if (auto it = row.find(c.docid); it != row.end()) rows.push_back(it->second);
        if (rows.empty()) continue;  // nothing retrieved: the query counts as 0 (trec_eval -c)
        auto& ranked = run.byQuery[qids[std::size_t(i)]];
        auto index = at::tensor(rows, at::kLong);
        EncodedTexts subset{
            docs.dense.index_select(0, index),
            docs.tokens.defined() ? docs.tokens.index_select(0, index) : at::Tensor(),
            docs.mask.defined() ? docs.mask.index_select(0, index) : at::Tensor()};
        auto scores = scoreSlice(scoring, queries, i, 1, subset).contiguous();
        auto acc = scores.accessor<float, 2>();
        for (std::size_t j = 0; j < rows.size(); ++j)
            ranked.push_back({docids[std::size_t(rows[j])], double(acc[0][std::int64_t(j)])});
    }
    return run;
}

}  // namespace clir::retrieval
