// A transformer encoder-decoder for translate-then-retrieve (SPEC 4; Vaswani et al. 2017):
// one SentencePiece vocabulary shared by source, target and the output layer (tied embeddings
// scaled by sqrt(d)), sinusoidal positions, LibTorch's post-LN transformer layers. Greedy and
// beam search (GNMT length penalty) decode in batches with a length guard.
//
// Incremental decoding: LibTorch 1.13's C++ TransformerDecoderLayer has no incremental-state
// interface, so decodeStep() runs each layer's parts (self-attention, cross-attention,
// feed-forward, post-LN) for the newest position only, attending over a cache of that layer's
// inputs so far. The cache holds layer inputs rather than projected keys and values, so key/value
// projections are redone each step (cheap at these widths); everything else is computed once per
// position. Causal masking makes this exactly the full-prefix computation; the tests compare the
// two.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>

#include <vector>

#include "core/model/encoder_config.h"

namespace clir::model {

class NmtModelImpl : public torch::nn::Module {
  public:
    // Uses vocabSize, hidden, layers (encoder and decoder each), heads, ffn, maxPositions,
    // dropout and padId of the config.
    explicit NmtModelImpl(const EncoderConfig& config);

    // src [B, S] (padded with padId) -> memory [S, B, H]
    at::Tensor encode(const at::Tensor& src);
    // Logits [B, T, V] for target prefixes tgt [B, T] given the memory of their sources.
    at::Tensor decode(const at::Tensor& tgt, const at::Tensor& memory, const at::Tensor& srcPad);
    // Decoder states [B, T, H] (decode() is their projection onto the vocabulary).
    at::Tensor decodeStates(const at::Tensor& tgt, const at::Tensor& memory,
                            const at::Tensor& srcPad);
    // Logits over the vocabulary for states [..., H] (the tied output layer).
    at::Tensor project(const at::Tensor& states);
    // Per-layer inputs of the positions decoded so far ([t, B, H] each), for decodeStep().
    struct DecoderCache {
        std::vector<at::Tensor> inputs;
        void reorder(const at::Tensor& rows);  // beam search: rows of the batch to keep, in order
    };
    // The decoder state [B, H] of position `position` given its input tokens [B] and the cache of
    // the earlier positions (extended in place). Equal to decodeStates(prefix)[:, position].
    at::Tensor decodeStep(const at::Tensor& tokens, std::int64_t position, const at::Tensor& memory,
                          const at::Tensor& srcPad, DecoderCache& cache);
    // Teacher-forced decoder states [B, T, H]; project only the positions that count.
    at::Tensor forward(const at::Tensor& src, const at::Tensor& tgtIn);

    const EncoderConfig& config() const { return config_; }

    torch::nn::Embedding embed{nullptr};
    torch::nn::ModuleList encoder{nullptr}, decoder{nullptr};

  private:
    at::Tensor embedTokens(const at::Tensor& ids);  // [B, T] -> [T, B, H]
    EncoderConfig config_;
    at::Tensor positions_;  // [maxPositions, H] sinusoidal
};
TORCH_MODULE(NmtModel);

struct DecodeOptions {
    int beamSize = 1;             // 1: greedy
    double lengthPenalty = 0.6;   // GNMT alpha: score / ((5 + length) / 6)^alpha
    std::int64_t maxLength = 64;  // target tokens incl. <s> and </s>
    // Per-sentence guard as well: at most lengthRatio * source tokens + lengthSlack target
    // tokens (0 turns it off). An undertrained model that loops stops there, not at maxLength.
    double lengthRatio = 2.0;
    std::int64_t lengthSlack = 10;
    std::int64_t bos = 0, eos = 2, pad = 1;
    bool incremental = true;  // false re-runs the decoder over the whole prefix each step
};

// Translates a batch of tokenised sources; returns target ids without <s> and </s>.
std::vector<std::vector<std::int64_t>> translate(NmtModelImpl& model,
                                                 const std::vector<std::vector<std::int64_t>>& src,
                                                 const DecodeOptions& options);

}  // namespace clir::model
