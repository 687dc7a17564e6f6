// Encoding for neural retrieval (see neural_encoding.h).
#include "core/retrieval/neural_encoding.h"

#include <torch/serialize.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <limits>
#include <numeric>
#include <unordered_map>

#include "core/model/checkpoint.h"
#include "core/model/retrieval_model.h"
#include "core/util/fs.h"
#include "core/util/sha256.h"
#include "core/util/text.h"

namespace clir::retrieval {
namespace {

// Length-sorted batches of `sequences` through the tower (no time lost on padding); calls
// use(batch rows in input order, token vectors [b, T, D] float on the CPU, batch).
void encodeSorted(const TokenEncoder& tower,
                  const std::vector<std::vector<std::int64_t>>& sequences, std::int64_t batchSize,
                  c10::Device device,
                  const std::function<void(const std::vector<std::int64_t>&, const at::Tensor&,
                                           const model::TokenBatch&)>& use) {
    std::vector<std::size_t> order(sequences.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return sequences[a].size() < sequences[b].size();
    });
    for (std::size_t start = 0; start < order.size(); start += std::size_t(batchSize)) {
        const std::size_t end = std::min(order.size(), start + std::size_t(batchSize));
        std::vector<std::vector<std::int64_t>> seqs;
        std::vector<std::int64_t> rows;
        for (std::size_t k = start; k < end; ++k) {
            seqs.push_back(sequences[order[k]]);
            rows.push_back(std::int64_t(order[k]));
        }
        auto batch = model::padBatch(seqs);
        auto tokens = tower(batch.ids.to(device), batch.mask.to(device)).to(at::kFloat).cpu();
        use(rows, tokens, batch);
    }
}

// Written into every cache file; a file without it (an older layout) is rebuilt.
constexpr std::int64_t kIndexFormat = 3;  // 3: term counts

std::uint64_t hashRow(const std::uint16_t* row, std::int64_t d) {
    std::uint64_t h = 1469598103934665603ULL;
    for (std::int64_t i = 0; i < d; ++i) {
        h ^= row[i];
        h *= 1099511628211ULL;
    }
    return h;
}

}  // namespace

EncodedTexts encodeTexts(const TokenEncoder& tower, const model::Tokenizer& tokenizer,
                         const std::vector<std::string>& texts, std::int64_t maxLength,
                         std::int64_t batchSize, bool keepTokens, c10::Device device,
                         const TermWeigher& weigher) {
    torch::NoGradGuard noGrad;
    std::vector<std::vector<std::int64_t>> ids;
    ids.reserve(texts.size());
    std::int64_t longest = 0;
    for (const auto& t : texts) {
        ids.push_back(tokenizer.encode(t, std::size_t(maxLength)));
        longest = std::max(longest, std::int64_t(ids.back().size()));
    }
    EncodedTexts out;
    const auto n = std::int64_t(texts.size());
    encodeSorted(
        tower, ids, batchSize, device,
        [&](const std::vector<std::int64_t>& rows, const at::Tensor& tokens,
            const model::TokenBatch& batch) {
            auto dense = model::denseVectors(tokens, batch.mask);
            const auto d = dense.size(1), t = tokens.size(1);
            if (!out.dense.defined()) {
                out.dense = at::zeros({n, d}, at::kFloat);
                if (keepTokens) {
                    out.tokens = at::zeros({n, longest, d}, at::kFloat);
                    out.mask = at::zeros({n, longest}, at::kLong);
                    out.weights = at::zeros({n, longest}, at::kFloat);
                }
            }
            auto index = at::tensor(rows, at::kLong);
            out.dense.index_copy_(0, index, dense);
            if (!keepTokens) return;
            auto content = model::contentMask(batch.ids, batch.mask);
            auto weights =
                weigher
                    ? weigher(batch.ids.to(device), batch.mask.to(device)).to(at::kFloat).cpu() *
                          content.to(at::kFloat)
                    : content.to(at::kFloat);
            out.tokens.narrow(1, 0, t).index_copy_(0, index, tokens);
            out.mask.narrow(1, 0, t).index_copy_(0, index, content);
            out.weights.narrow(1, 0, t).index_copy_(0, index, model::normaliseWeights(weights));
        });
    if (!out.dense.defined()) out.dense = at::zeros({0, 0}, at::kFloat);
    return out;
}

std::int64_t PageIndex::size() const {
    if (offsets.defined()) return offsets.size(0) - 1;
    return dense.defined() ? dense.size(0) : 0;
}

std::int64_t PageIndex::bytes() const {
    std::int64_t total = 0;
    for (const auto* t : {&dense, &vectors, &ids, &counts, &offsets})
        if (t->defined()) total += t->numel() * std::int64_t(t->element_size());
    return total;
}

std::vector<std::vector<std::int64_t>> passagesOf(const model::Tokenizer& tokenizer,
                                                  const std::string& text, std::int64_t maxLength) {
    return passagesOf(tokenizer, tokenizer.encode(text, std::numeric_limits<std::size_t>::max()),
                      maxLength);
}

std::vector<std::vector<std::int64_t>> passagesOf(const model::Tokenizer& tokenizer,
                                                  const std::vector<std::int64_t>& all,
                                                  std::int64_t maxLength) {
    if (maxLength < 3)
        throw std::invalid_argument("a passage needs room for one piece between <s> and </s>");
    if (all.size() < 2) throw std::invalid_argument("passagesOf: not an encoding (<s> ... </s>)");
    // all = <s> pieces... </s>
    const std::size_t first = 1, last = all.size() - 1, window = std::size_t(maxLength - 2);
    std::vector<std::vector<std::int64_t>> out;
    const auto& wordStart = tokenizer.wordStarts();
    auto isStart = [&](std::int64_t id) {
        return id >= 0 && std::size_t(id) < wordStart.size() && wordStart[std::size_t(id)];
    };
    for (std::size_t begin = first; begin < last || out.empty();) {
        std::size_t end = std::min(last, begin + window);
        if (end < last) {
            // Back off to the start of the word the window would cut, if the window holds one.
            std::size_t cut = end;
            while (cut > begin && !isStart(all[cut])) --cut;
            if (cut > begin) end = cut;
        }
        std::vector<std::int64_t> p;
        p.reserve(end - begin + 2);
        p.push_back(model::Tokenizer::kBos);
        p.insert(p.end(), all.begin() + long(begin), all.begin() + long(end));
        p.push_back(model::Tokenizer::kEos);
        out.push_back(std::move(p));
        if (end == begin) break;  // an empty text
        begin = end;
    }
    return out;
}

PageIndex encodePages(const TokenEncoder& tower, const model::Tokenizer& tokenizer,
                      const std::vector<std::string>& texts, std::int64_t maxLength,
                      std::int64_t batchSize, bool keepTokens, c10::Device device) {
    torch::NoGradGuard noGrad;
    PageIndex index;
    if (!keepTokens) {
        index.dense =
            encodeTexts(tower, tokenizer, texts, maxLength, batchSize, false, device).dense;
        return index;
    }
    std::vector<std::vector<std::vector<std::int64_t>>> pagePassages;
    pagePassages.reserve(texts.size());
    for (const auto& t : texts) pagePassages.push_back(passagesOf(tokenizer, t, maxLength));
    return encodePassages(tower, pagePassages, batchSize, device);
}

void appendPageEntries(std::vector<std::int32_t>& pageIds, std::vector<std::int32_t>& ids,
                       std::vector<std::int32_t>& counts) {
    std::sort(pageIds.begin(), pageIds.end());
    for (std::size_t t = 0; t < pageIds.size(); ++t) {
        if (t > 0 && pageIds[t] == pageIds[t - 1]) {
            ++counts.back();
            continue;
        }
        ids.push_back(pageIds[t]);
        counts.push_back(1);
    }
}

PageIndex encodePassages(const TokenEncoder& tower,
                         const std::vector<std::vector<std::vector<std::int64_t>>>& pagePassages,
                         std::int64_t batchSize, c10::Device device) {
    torch::NoGradGuard noGrad;
    PageIndex index;
    std::vector<std::vector<std::int64_t>> passages;
    std::vector<std::int64_t> firstPassage;  // per page, then one past the last
    for (const auto& page : pagePassages) {
        firstPassage.push_back(std::int64_t(passages.size()));
        passages.insert(passages.end(), page.begin(), page.end());
    }
    firstPassage.push_back(std::int64_t(passages.size()));
    // Each passage's content-token vectors, fp16 (the index's precision).
    std::vector<at::Tensor> content(passages.size());
    std::int64_t dim = 0;
    encodeSorted(
        tower, passages, batchSize, device,
        [&](const std::vector<std::int64_t>& rows, const at::Tensor& tokens,
            const model::TokenBatch&) {
            dim = tokens.size(2);
            for (std::size_t i = 0; i < rows.size(); ++i) {
                const auto len = std::int64_t(passages[std::size_t(rows[i])].size());
                content[std::size_t(rows[i])] =
                    tokens[std::int64_t(i)].narrow(0, 1, len - 2).to(at::kHalf).contiguous();
            }
        });
    // Distinct vectors over the whole index; each page lists the distinct ones it holds.
    std::vector<std::uint16_t> store;
    std::unordered_map<std::uint64_t, std::vector<std::int32_t>> byHash;
    std::vector<std::int32_t> ids, counts, pageIds;
    std::vector<std::int64_t> offsets = {0};
    for (std::size_t page = 0; page + 1 < firstPassage.size(); ++page) {
        pageIds.clear();
        for (auto p = firstPassage[page]; p < firstPassage[page + 1]; ++p) {
            const auto& c = content[std::size_t(p)];
            const auto* data = reinterpret_cast<const std::uint16_t*>(c.data_ptr<at::Half>());
            for (std::int64_t row = 0; row < c.size(0); ++row) {
                const std::uint16_t* v = data + row * dim;
                auto& bucket = byHash[hashRow(v, dim)];
                std::int32_t id = -1;
                for (auto candidate : bucket)
                    if (std::memcmp(store.data() + std::size_t(candidate) * std::size_t(dim), v,
                                    std::size_t(dim) * sizeof(std::uint16_t)) == 0)
                        id = candidate;
                if (id < 0) {
                    id = std::int32_t(store.size() / std::size_t(dim));
                    store.insert(store.end(), v, v + dim);
                    bucket.push_back(id);
                }
                pageIds.push_back(id);
            }
            index.pageTokens += c.size(0);
            content[std::size_t(p)] = at::Tensor();
        }
        appendPageEntries(pageIds, ids, counts);
        offsets.push_back(std::int64_t(ids.size()));
    }
    const auto k = dim > 0 ? std::int64_t(store.size()) / dim : 0;
    index.vectors = at::empty({k, dim}, at::kHalf);
    if (k > 0) std::memcpy(index.vectors.data_ptr(), store.data(), store.size() * 2);
    index.ids = ids.empty() ? at::zeros({0}, at::kInt) : at::tensor(ids, at::kInt);
    index.counts = counts.empty() ? at::zeros({0}, at::kInt) : at::tensor(counts, at::kInt);
    index.offsets = at::tensor(offsets, at::kLong);
    return index;
}

PageIndex encodePagesCached(const std::string& cacheFile, const TokenEncoder& tower,
                            const model::Tokenizer& tokenizer,
                            const std::vector<std::string>& texts, std::int64_t maxLength,
                            std::int64_t batchSize, bool keepTokens, c10::Device device) {
    return cachedPageIndex(cacheFile, std::int64_t(texts.size()), keepTokens, [&] {
        return encodePages(tower, tokenizer, texts, maxLength, batchSize, keepTokens, device);
    });
}

PageIndex cachedPageIndex(const std::string& cacheFile, std::int64_t n, bool keepTokens,
                          const std::function<PageIndex()>& build) {
    // The cache is used only when its SHA-256 matches the one recorded when it was written: a
    // truncated or altered file (a bit flip that still loads) is rebuilt, never silently used.
    const std::string hashFile = cacheFile + ".sha256";
    std::error_code ignored;
    if (std::filesystem::exists(cacheFile) && std::filesystem::exists(hashFile) &&
        text::trim(fs::readFile(hashFile)) == Sha256::hexOfFile(cacheFile)) {
        try {
            std::vector<at::Tensor> saved;
            torch::load(saved, cacheFile);
            if (saved.size() == 7 && saved[0].numel() == 2 &&
                saved[0][0].item<std::int64_t>() == kIndexFormat &&
                saved[0][1].item<std::int64_t>() == (keepTokens ? 1 : 0)) {
                PageIndex index;
                if (!keepTokens && saved[1].dim() == 2 && saved[1].size(0) == n) {
                    index.dense = saved[1];
                    return index;
                }
                if (keepTokens && saved[4].numel() == n + 1 && saved[2].dim() == 2 &&
                    saved[4][n].item<std::int64_t>() == saved[3].numel() &&
                    saved[6].numel() == saved[3].numel()) {
                    index.vectors = saved[2];
                    index.ids = saved[3];
                    index.counts = saved[6];
                    index.offsets = saved[4];
                    index.pageTokens = saved[5].item<std::int64_t>();
                    return index;
                }
            }
        } catch (const c10::Error&) {
            // an unreadable cache is rebuilt below
        }
    }
    auto index = build();
    std::filesystem::create_directories(std::filesystem::path(cacheFile).parent_path());
    const std::string tmp = cacheFile + ".partial";
    auto none = at::zeros({0}, at::kFloat);
    std::vector<at::Tensor> saved = {
        at::tensor(std::vector<std::int64_t>{kIndexFormat, keepTokens ? 1 : 0}, at::kLong),
        keepTokens ? none : index.dense,
        keepTokens ? index.vectors : none,
        keepTokens ? index.ids : none,
        keepTokens ? index.offsets : none,
        at::tensor(std::vector<std::int64_t>{index.pageTokens}, at::kLong),
        !keepTokens              ? none
        : index.counts.defined() ? index.counts
                                 : at::ones({index.ids.numel()}, at::kInt)};
    {
        torch::serialize::OutputArchive archive;  // the layout torch::save gives a vector
        for (std::size_t i = 0; i < saved.size(); ++i) archive.write(std::to_string(i), saved[i]);
        try {
            model::writeArchiveFile(archive, tmp);
        } catch (...) {
            std::filesystem::remove(tmp, ignored);
            throw;
        }
    }
    std::filesystem::remove(hashFile, ignored);  // no stale hash beside the new file
    std::filesystem::rename(tmp, cacheFile);
    fs::writeFileAtomic(hashFile, Sha256::hexOfFile(cacheFile) + "\n");
    return index;
}

}  // namespace clir::retrieval
