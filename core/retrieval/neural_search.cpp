// Neural ranking (see neural_search.h).
#include "core/retrieval/neural_search.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace clir::retrieval {
namespace {

constexpr std::int64_t kQueryChunk = 64;
// Floats of one block of query-token x page-token similarities (64 MiB).
constexpr std::int64_t kSimBlock = std::int64_t(16) << 20;

// Pages with their token ids sorted: page p is ids[offsets[p] .. offsets[p + 1]), token t
// occurring counts[t] times (1 when counts is null).
struct PageTokens {
    const std::int32_t* ids;
    const std::int64_t* offsets;
    std::int64_t pages;
    const std::int32_t* counts = nullptr;
};

// best [R, P]: for each query token (rows of q) the best score among each page's tokens, the
// tokens being rows of `vectors` (half) taken a block of columns at a time. With `tf` (a
// defined [R, P] float tensor of zeros) also the occurrences of tokens scoring >= threshold.
at::Tensor bestPerPage(const at::Tensor& q, const at::Tensor& vectors, const PageTokens& pt,
                       at::Tensor tf = {}, float threshold = 0.0f) {
    const std::int64_t r = q.size(0), k = vectors.size(0), p = pt.pages;
    auto best = at::full({r, p}, -std::numeric_limits<float>::infinity(), at::kFloat);
    if (r == 0 || p == 0 || k == 0) return best.zero_();
    float* tfData = tf.defined() ? tf.data_ptr<float>() : nullptr;
    const std::int64_t block = std::max<std::int64_t>(1024, kSimBlock / r);
    std::vector<std::int64_t> cursor(pt.offsets, pt.offsets + p), from(std::size_t(p), 0);
    float* bestData = best.data_ptr<float>();
    for (std::int64_t c0 = 0; c0 < k; c0 += block) {
        const std::int64_t c1 = std::min(k, c0 + block);
        // Each page's tokens in [c0, c1): a run starting at its cursor (ids are sorted).
        for (std::int64_t j = 0; j < p; ++j) {
            from[std::size_t(j)] = cursor[std::size_t(j)];
            auto& c = cursor[std::size_t(j)];
            while (c < pt.offsets[j + 1] && pt.ids[c] < c1) ++c;
        }
        auto sim = at::mm(q, vectors.narrow(0, c0, c1 - c0).to(at::kFloat).t()).contiguous();
        const float* simData = sim.data_ptr<float>();
        const std::int64_t width = c1 - c0;
        at::parallel_for(0, r, 1, [&](std::int64_t begin, std::int64_t end) {
            for (std::int64_t i = begin; i < end; ++i) {
                const float* row = simData + i * width - c0;
                float* out = bestData + i * p;
                if (!tfData) {
                    for (std::int64_t j = 0; j < p; ++j) {
                        float m = out[j];
                        for (std::int64_t t = from[std::size_t(j)]; t < cursor[std::size_t(j)]; ++t)
                            m = std::max(m, row[pt.ids[t]]);
                        out[j] = m;
                    }
                    continue;
                }
                float* count = tfData + i * p;
                for (std::int64_t j = 0; j < p; ++j) {
                    float m = out[j], c = count[j];
                    for (std::int64_t t = from[std::size_t(j)]; t < cursor[std::size_t(j)]; ++t) {
                        const float s = row[pt.ids[t]];
                        m = std::max(m, s);
                        if (s >= threshold) c += pt.counts ? float(pt.counts[t]) : 1.0f;
                    }
                    out[j] = m;
                    count[j] = c;
                }
            }
        });
    }
    // A page without tokens matches nothing: 0, as MaxSim over an empty document.
    return best.masked_fill_(best.isinf(), 0.0);
}

// The index's counts, or null when it has none (each entry then occurs once).
const std::int32_t* countsOf(const PageIndex& pages) {
    return pages.counts.defined() && pages.counts.numel() > 0
               ? pages.counts.data_ptr<std::int32_t>()
               : nullptr;
}

// 1 / (len / avglen)^b for every page of the index (len its content tokens, the sum of its
// counts), 0 for a page without tokens: the soft term frequency's length normalisation, computed
// once per ranking. Empty when soft TF is off.
at::Tensor lengthFactors(const PageIndex& pages, const SoftTf& tf) {
    if (!tf.on() || !pages.hasTokens()) return {};
    const auto n = pages.size();
    const auto* offsets = pages.offsets.data_ptr<std::int64_t>();
    const auto* counts = countsOf(pages);
    std::vector<double> length(std::size_t(n), 0.0);
    double mean = 0.0;
    for (std::int64_t p = 0; p < n; ++p) {
        for (auto t = offsets[p]; t < offsets[p + 1]; ++t)
            length[std::size_t(p)] += counts ? counts[t] : 1;
        mean += length[std::size_t(p)] / double(n);
    }
    std::vector<float> factor;
    for (auto len : length)
        factor.push_back(len > 0.0 ? float(std::pow(len / mean, -tf.lengthNorm)) : 0.0f);
    return at::tensor(factor, at::kFloat);
}

// maxSimScores with the pages' length factors (lengthFactors) given.
at::Tensor maxSim(const EncodedTexts& queries, std::int64_t from, std::int64_t count,
                  const PageIndex& pages, const std::vector<std::int64_t>& rows, const SoftTf& tf,
                  const at::Tensor& factors) {
    if (!queries.tokens.defined() || !pages.hasTokens())
        throw std::logic_error("maxsim scoring needs query tokens and a page token index");
    // The chunk's content tokens as rows, and W [count, R] placing each row's weight in its
    // query's line: scores = W x best.
    auto content = queries.mask.narrow(0, from, count).nonzero();
    auto owner = content.select(1, 0), position = content.select(1, 1);
    auto q = queries.tokens.narrow(0, from, count).index({owner, position}).contiguous();
    auto w = queries.weights.narrow(0, from, count).index({owner, position});
    auto weights = at::zeros({count, q.size(0)}, at::kFloat);
    weights.index_put_({owner, at::arange(q.size(0), at::kLong)}, w);
    const auto* counts = countsOf(pages);
    const auto columns = rows.empty() ? pages.size() : std::int64_t(rows.size());
    auto found = tf.on() ? at::zeros({q.size(0), columns}, at::kFloat) : at::Tensor();
    at::Tensor best;
    if (rows.empty()) {
        best = bestPerPage(q, pages.vectors,
                           {pages.ids.data_ptr<std::int32_t>(),
                            pages.offsets.data_ptr<std::int64_t>(), pages.size(), counts},
                           found, float(tf.threshold));
    } else {
        // The selected pages' tokens, renumbered over just the vectors they use.
        const auto* ids = pages.ids.data_ptr<std::int32_t>();
        const auto* offsets = pages.offsets.data_ptr<std::int64_t>();
        std::vector<std::int32_t> used;
        for (auto r : rows) used.insert(used.end(), ids + offsets[r], ids + offsets[r + 1]);
        std::sort(used.begin(), used.end());
        used.erase(std::unique(used.begin(), used.end()), used.end());
        std::vector<std::int32_t> local, localCounts;
        std::vector<std::int64_t> localOffsets = {0};
        for (auto r : rows) {
            for (auto t = offsets[r]; t < offsets[r + 1]; ++t) {
                local.push_back(std::int32_t(std::lower_bound(used.begin(), used.end(), ids[t]) -
                                             used.begin()));
                localCounts.push_back(counts ? counts[t] : 1);
            }
            localOffsets.push_back(std::int64_t(local.size()));
        }
        auto vectors = pages.vectors.index_select(
            0, at::tensor(std::vector<std::int64_t>(used.begin(), used.end()), at::kLong));
        best = bestPerPage(
            q, vectors,
            {local.data(), localOffsets.data(), std::int64_t(rows.size()), localCounts.data()},
            found, float(tf.threshold));
    }
    if (tf.on()) {
        auto f = rows.empty() ? factors : factors.index_select(0, at::tensor(rows, at::kLong));
        best.add_(at::log1p(found * f.unsqueeze(0)), tf.weight);
    }
    return at::mm(weights, best);
}

at::Tensor scoreSlice(const std::string& scoring, const EncodedTexts& q, std::int64_t from,
                      std::int64_t count, const PageIndex& pages, const SoftTf& tf,
                      const at::Tensor& factors, const std::vector<std::int64_t>& rows = {}) {
    if (scoring == "dense") {
        auto d =
            rows.empty() ? pages.dense : pages.dense.index_select(0, at::tensor(rows, at::kLong));
        return at::matmul(q.dense.narrow(0, from, count), d.t());
    }
    if (tf.on() && scoring != "maxsim")
        throw std::invalid_argument("soft term frequency needs maxsim scoring");
    if (scoring == "maxsim") return maxSim(q, from, count, pages, rows, tf, factors);
    throw std::invalid_argument("unknown scoring '" + scoring + "' (dense or maxsim)");
}

}  // namespace

at::Tensor maxSimScores(const EncodedTexts& queries, std::int64_t from, std::int64_t count,
                        const PageIndex& pages, const std::vector<std::int64_t>& rows,
                        const SoftTf& tf) {
    return maxSim(queries, from, count, pages, rows, tf, lengthFactors(pages, tf));
}

eval::Run rankAll(const std::string& scoring, const EncodedTexts& queries,
                  const std::vector<std::string>& qids, const PageIndex& pages,
                  const std::vector<std::string>& docids, std::size_t depth, const SoftTf& tf) {
    torch::NoGradGuard noGrad;
    eval::Run run;
    const auto k = std::min<std::int64_t>(std::int64_t(depth), pages.size());
    const auto factors = scoring == "maxsim" ? lengthFactors(pages, tf) : at::Tensor();
    for (std::int64_t s = 0; s < queries.size(); s += kQueryChunk) {
        auto c = std::min(kQueryChunk, queries.size() - s);
        auto top = scoreSlice(scoring, queries, s, c, pages, tf, factors).topk(k, 1);
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
                 const std::vector<std::string>& qids, const PageIndex& pages,
                 const std::vector<std::string>& docids,
                 const std::vector<std::vector<eval::ScoredDoc>>& candidates, const SoftTf& tf) {
    torch::NoGradGuard noGrad;
    std::unordered_map<std::string, std::int64_t> row;
    for (std::size_t i = 0; i < docids.size(); ++i) row[docids[i]] = std::int64_t(i);
    eval::Run run;
    const auto factors = scoring == "maxsim" ? lengthFactors(pages, tf) : at::Tensor();
    for (std::int64_t i = 0; i < queries.size(); ++i) {
        std::vector<std::int64_t> rows;
        for (const auto& c : candidates[std::size_t(i)])
            if (auto it = row.find(c.docid); it != row.end()) rows.push_back(it->second);
        if (rows.empty()) continue;  // nothing retrieved: the query counts as 0 (trec_eval -c)
        auto& ranked = run.byQuery[qids[std::size_t(i)]];
        auto scores = scoreSlice(scoring, queries, i, 1, pages, tf, factors, rows).contiguous();
        auto acc = scores.accessor<float, 2>();
        for (std::size_t j = 0; j < rows.size(); ++j)
            ranked.push_back({docids[std::size_t(rows[j])], double(acc[0][std::int64_t(j)])});
    }
    return run;
}

}  // namespace clir::retrieval
