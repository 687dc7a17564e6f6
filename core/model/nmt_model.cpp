// NMT model and decoding (see nmt_model.h).
#include "core/model/nmt_model.h"

#include <torch/nn/modules/transformerlayer.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/model/retrieval_model.h"
#include "core/util/blas_threads.h"

namespace clir::model {

NmtModelImpl::NmtModelImpl(const EncoderConfig& c) : config_(c) {
    embed = register_module(
        "embed", torch::nn::Embedding(
                     torch::nn::EmbeddingOptions(c.vocabSize, c.hidden).padding_idx(c.padId)));
    encoder = register_module("encoder", torch::nn::ModuleList());
    decoder = register_module("decoder", torch::nn::ModuleList());
    for (std::int64_t i = 0; i < c.layers; ++i) {
        encoder->push_back(torch::nn::TransformerEncoderLayer(
            torch::nn::TransformerEncoderLayerOptions(c.hidden, c.heads)
                .dim_feedforward(c.ffn)
                .dropout(c.dropout)));
        decoder->push_back(torch::nn::TransformerDecoderLayer(
            torch::nn::TransformerDecoderLayerOptions(c.hidden, c.heads)
                .dim_feedforward(c.ffn)
                .dropout(c.dropout)));
    }
    auto pos = at::arange(c.maxPositions, at::kFloat).unsqueeze(1);
    auto div =
        at::exp(at::arange(0, c.hidden, 2, at::kFloat) * (-std::log(10000.0) / double(c.hidden)));
    positions_ = at::zeros({c.maxPositions, c.hidden});
    positions_.index_put_({at::indexing::Slice(), at::indexing::Slice(0, at::indexing::None, 2)},
                          at::sin(pos * div));
    positions_.index_put_({at::indexing::Slice(), at::indexing::Slice(1, at::indexing::None, 2)},
                          at::cos(pos * div));
    positions_ = register_buffer("positions", positions_);
    torch::NoGradGuard g;
    embed->weight.normal_(0, std::pow(double(c.hidden), -0.5));
    embed->weight[c.padId].zero_();
}

at::Tensor NmtModelImpl::embedTokens(const at::Tensor& ids) {
    const auto t = ids.size(1);
    if (t > config_.maxPositions)
        throw std::invalid_argument("sequence of " + std::to_string(t) +
                                    " tokens exceeds the model's " +
                                    std::to_string(config_.maxPositions) + " positions");
    auto x = embed(ids) * std::sqrt(double(config_.hidden)) + positions_.narrow(0, 0, t);
    return at::dropout(x, config_.dropout, is_training()).transpose(0, 1);
}

at::Tensor NmtModelImpl::encode(const at::Tensor& src) {
    auto x = embedTokens(src);
    auto pad = src.eq(config_.padId);
    for (const auto& layer : *encoder)
        x = layer->as<torch::nn::TransformerEncoderLayer>()->forward(x, {}, pad);
    return x;
}

at::Tensor NmtModelImpl::decode(const at::Tensor& tgt, const at::Tensor& memory,
                                const at::Tensor& srcPad) {
    return project(decodeStates(tgt, memory, srcPad));
}

at::Tensor NmtModelImpl::project(const at::Tensor& states) {
    return at::matmul(states, embed->weight.t());
}

at::Tensor NmtModelImpl::decodeStates(const at::Tensor& tgt, const at::Tensor& memory,
                                      const at::Tensor& srcPad) {
    auto x = embedTokens(tgt);
    const auto t = tgt.size(1);
    auto causal = at::triu(
        at::full({t, t}, -std::numeric_limits<float>::infinity(), tgt.options().dtype(at::kFloat)),
        1);
    auto tgtPad = tgt.eq(config_.padId);
    for (const auto& layer : *decoder)
        x = layer->as<torch::nn::TransformerDecoderLayer>()->forward(x, memory, causal, {}, tgtPad,
                                                                     srcPad);
    return x.transpose(0, 1);
}

void NmtModelImpl::DecoderCache::reorder(const at::Tensor& rows) {
    for (auto& t : inputs) t = t.index_select(1, rows);
}

at::Tensor NmtModelImpl::decodeStep(const at::Tensor& tokens, std::int64_t position,
                                    const at::Tensor& memory, const at::Tensor& srcPad,
                                    DecoderCache& cache) {
    if (is_training())
        throw std::logic_error("decodeStep skips dropout: call eval() on the model first");
    if (position >= config_.maxPositions)
        throw std::invalid_argument("position " + std::to_string(position) +
                                    " exceeds the model's " + std::to_string(config_.maxPositions) +
                                    " positions");
    auto x = (embed(tokens) * std::sqrt(double(config_.hidden)) + positions_[position])
                 .unsqueeze(0);  // [1, B, H]
    if (cache.inputs.size() != decoder->size()) cache.inputs.assign(decoder->size(), at::Tensor());
    for (std::size_t l = 0; l < decoder->size(); ++l) {
        auto& layer = *decoder[l]->as<torch::nn::TransformerDecoderLayer>();
        auto& past = cache.inputs[l];
        past = past.defined() ? at::cat({past, x}, 0) : x;
        // TransformerDecoderLayer::forward in eval mode (post-LN, ReLU: the options' defaults).
        auto selfAttn = std::get<0>(layer.self_attn->forward(x, past, past, at::Tensor(), false));
        x = layer.norm1(x + selfAttn);
        auto cross = std::get<0>(layer.multihead_attn->forward(x, memory, memory, srcPad, false));
        x = layer.norm2(x + cross);
        x = layer.norm3(x + layer.linear2(at::relu(layer.linear1(x))));
    }
    return x.squeeze(0);
}

at::Tensor NmtModelImpl::forward(const at::Tensor& src, const at::Tensor& tgtIn) {
    return decodeStates(tgtIn, encode(src), src.eq(config_.padId));
}

namespace {

// Each sentence's own guard (its last position may only end it): ratio * source length + slack,
// capped at maxLen; maxLen becomes the longest guard.
std::vector<std::int64_t> lengthGuards(const std::vector<std::vector<std::int64_t>>& src,
                                       const DecodeOptions& o, std::int64_t& maxLen) {
    std::vector<std::int64_t> limit(src.size(), maxLen);
    if (o.lengthRatio <= 0) return limit;
    std::int64_t longest = 0;
    for (std::size_t i = 0; i < src.size(); ++i) {
        limit[i] =
            std::min(maxLen, std::int64_t(o.lengthRatio * double(src[i].size())) + o.lengthSlack);
        longest = std::max(longest, limit[i]);
    }
    maxLen = longest;
    return limit;
}

}  // namespace

std::vector<std::vector<std::int64_t>> translate(NmtModelImpl& model,
                                                 const std::vector<std::vector<std::int64_t>>& src,
                                                 const DecodeOptions& o) {
    torch::NoGradGuard noGrad;
    ScopedBlasThreads oneBlasThread(1);  // small products: LibTorch's threads are enough
    if (src.empty()) return {};
    const auto device = model.embed->weight.device();
    auto batch = padBatch(src, o.pad);
    auto srcIds = batch.ids.to(device);
    auto memory = model.encode(srcIds);
    auto srcPad = srcIds.eq(o.pad);
    const auto n = std::int64_t(src.size());
    const std::int64_t beam = std::max(1, o.beamSize);
    std::int64_t maxLen = std::min(o.maxLength, model.config().maxPositions);
    auto limit = lengthGuards(src, o, maxLen);
    auto limitRows = at::from_blob(limit.data(), {n}, at::kLong)
                         .clone()
                         .repeat_interleave(beam)
                         .to(device);  // [n * beam]
    auto penalty = [&](std::int64_t length) {
        return std::pow((5.0 + double(length)) / 6.0, o.lengthPenalty);
    };

    // Hypotheses live in rows of [n * beam] tensors; row i*beam + k is beam k of sentence i.
    memory = memory.repeat_interleave(beam, 1);
    srcPad = srcPad.repeat_interleave(beam, 0);
    auto tokens = at::full({n * beam, 1}, o.bos, at::kLong).to(device);
    auto scores = at::zeros({n, beam}, at::kFloat).to(device);
    if (beam > 1)  // all beams start identical: only the first may expand at step 1
        scores.narrow(1, 1, beam - 1).fill_(-1e9);
    auto finished = at::zeros({n * beam}, at::kBool).to(device);
    NmtModelImpl::DecoderCache cache;
    struct Done {
        std::vector<std::int64_t> ids;
        double score;
    };
    std::vector<std::vector<Done>> done(static_cast<std::size_t>(n));
    for (std::int64_t step = 1; step < maxLen; ++step) {
        // Only the last position is projected onto the vocabulary.
        auto state = o.incremental
                         ? model.decodeStep(tokens.select(1, tokens.size(1) - 1), step - 1, memory,
                                            srcPad, cache)
                         : model.decodeStates(tokens, memory, srcPad).select(1, tokens.size(1) - 1);
        auto logits = model.project(state);
        auto logp = at::log_softmax(logits.to(at::kFloat), -1);  // [n*beam, V]
        const auto v = logp.size(1);
        // The guard: a row at its last position can only end the sentence.
        auto atLimit = limitRows.eq(step + 1).unsqueeze(1);
        if (atLimit.any().item<bool>()) {
            auto forced = at::full_like(logp, -1e9);
            forced.select(1, o.eos).copy_(logp.select(1, o.eos));
            logp = at::where(atLimit, forced, logp);
        }
        // A finished row only extends with padding at no cost.
        auto padRow = at::full({v}, -1e9, logp.options());
        padRow[o.pad] = 0;
        logp = at::where(finished.unsqueeze(1), padRow.unsqueeze(0), logp);
        auto total = (scores.reshape({n * beam, 1}) + logp).reshape({n, beam * v});
        auto top = total.topk(beam, 1);
        auto topScores = std::get<0>(top), topIndex = std::get<1>(top);
        auto fromBeam = topIndex.div(v, "floor"), token = topIndex.remainder(v);
        auto rows =
            (at::arange(n, at::kLong).to(device).unsqueeze(1) * beam + fromBeam).reshape(-1);
        tokens = at::cat({tokens.index_select(0, rows), token.reshape({-1, 1})}, 1);
        if (beam > 1) cache.reorder(rows);
        finished = finished.index_select(0, rows).logical_or(token.reshape(-1).eq(o.eos));
        scores = topScores;
        // Beam search: a hypothesis that just ended is kept aside with its normalised score.
        if (beam > 1) {
            auto endedT = token.eq(o.eos).cpu();
            auto tokCpu = tokens.cpu().contiguous();
            auto scCpu = topScores.cpu().contiguous();
            auto ended = endedT.accessor<bool, 2>();
            auto sc = scCpu.accessor<float, 2>();
            auto tk = tokCpu.accessor<std::int64_t, 2>();
            std::vector<std::int64_t> stopped;
            for (std::int64_t i = 0; i < n; ++i)
                for (std::int64_t k = 0; k < beam; ++k)
                    if (ended[i][k] && sc[i][k] > -1e8f) {
                        std::vector<std::int64_t> ids;
                        for (std::int64_t j = 1; j < tk.size(1); ++j) {
                            auto id = tk[i * beam + k][j];
                            if (id == o.eos || id == o.pad) break;
                            ids.push_back(id);
                        }
                        done[std::size_t(i)].push_back(
                            {ids, double(sc[i][k]) / penalty(std::int64_t(ids.size()) + 1)});
                        stopped.push_back(i * beam + k);  // this beam stops here
                    }
            if (!stopped.empty())
                scores.view(-1).index_fill_(0, at::tensor(stopped, at::kLong).to(device), -1e9);
            finished = at::zeros_like(finished);
            bool all = true;
            for (std::int64_t i = 0; i < n && all; ++i)
                all = std::int64_t(done[std::size_t(i)].size()) >= beam;
            if (all) break;
        } else if (finished.all().item<bool>()) {
            break;
        }
    }
    std::vector<std::vector<std::int64_t>> out(static_cast<std::size_t>(n));
    auto tokCpu = tokens.cpu();
    for (std::int64_t i = 0; i < n; ++i) {
        if (beam > 1 && !done[std::size_t(i)].empty()) {
            out[std::size_t(i)] =
                std::max_element(done[std::size_t(i)].begin(), done[std::size_t(i)].end(),
                                 [](const Done& a, const Done& b) { return a.score < b.score; })
                    ->ids;
            continue;
        }
        auto row = tokCpu[i * beam];
        for (std::int64_t j = 1; j < row.size(0); ++j) {
            auto id = row[j].item<std::int64_t>();
            if (id == o.eos || id == o.pad) break;
            out[std::size_t(i)].push_back(id);
        }
    }
    return out;
}

}  // namespace clir::model
