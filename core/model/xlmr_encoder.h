// XLM-R/RoBERTa encoder in LibTorch (Conneau et al. 2020; Liu et al. 2019): learned positions
// offset by the padding id, post-LN transformer layers with GELU, a pooler, and the masked-LM
// head with its decoder tied to the word embeddings. Module names follow Hugging Face's
// XLMRobertaForMaskedLM (embeddings.word_embeddings, encoder.layer.N.attention.self.query, ...)
// so real weights load by name (checkpoint.h).
//
// Lexical encoders (config.norm "pre", SPEC 3) keep the same modules and add: hashed character
// n-grams of each piece's word (embeddings.char_ngrams, a mean bag) summed with the piece
// embedding; pre-LN layers whose attention branch reads LayerNorm(x + positions) and whose
// feed-forward branch reads LayerNorm(x), each scaled by a gate (gate_attention, gate_ffn)
// initialised to 0. The residual stream carries token identity only, so with closed gates (or
// 0 layers, the "static" preset) a token's vector is word + n-grams.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <memory>

#include "core/model/char_ngrams.h"
#include "core/model/encoder_config.h"

namespace clir::model {

struct EmbeddingsImpl : torch::nn::Module {
    explicit EmbeddingsImpl(const EncoderConfig& c);
    // post: dropout(LayerNorm(lexical + positional)); pre: dropout(lexical).
    torch::Tensor forward(const torch::Tensor& ids);
    // Word embedding plus, with n-grams, the mean of the word's n-gram rows: [B, T, H].
    torch::Tensor lexical(const torch::Tensor& ids);
    torch::Tensor ngramBags(const torch::Tensor& ids);  // the n-gram part alone
    // Position (and token type) embeddings: [B, T, H].
    torch::Tensor positional(const torch::Tensor& ids);
    std::int64_t padId;
    bool preNorm;
    torch::nn::Embedding word_embeddings{nullptr}, position_embeddings{nullptr},
        token_type_embeddings{nullptr};
    torch::nn::EmbeddingBag char_ngrams{nullptr};  // only with config.charNgramBuckets > 0
    torch::nn::LayerNorm LayerNorm{nullptr};
    torch::nn::Dropout dropout{nullptr};
    std::shared_ptr<const CharNgrams> words;  // set by XlmrEncoderImpl::setPieces
};
TORCH_MODULE(Embeddings);

struct SelfAttentionImpl : torch::nn::Module {
    explicit SelfAttentionImpl(const EncoderConfig& c);
    // keyBias: [B, 1, 1, T], 0 for real tokens and a large negative value for padding.
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& keyBias);
    std::int64_t heads, headDim;
    torch::nn::Linear query{nullptr}, key{nullptr}, value{nullptr};
    torch::nn::Dropout dropout{nullptr};
};
TORCH_MODULE(SelfAttention);

struct DenseNormImpl : torch::nn::Module {  // dense -> dropout -> LayerNorm(x + residual)
    DenseNormImpl(std::int64_t in, std::int64_t out, const EncoderConfig& c);
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& residual);
    torch::nn::Linear dense{nullptr};
    torch::nn::LayerNorm LayerNorm{nullptr};
    torch::nn::Dropout dropout{nullptr};
};
TORCH_MODULE(DenseNorm);

struct AttentionImpl : torch::nn::Module {
    explicit AttentionImpl(const EncoderConfig& c);
    SelfAttention self{nullptr};
    DenseNorm output{nullptr};
};
TORCH_MODULE(Attention);

struct IntermediateImpl : torch::nn::Module {
    explicit IntermediateImpl(const EncoderConfig& c);
    torch::nn::Linear dense{nullptr};
};
TORCH_MODULE(Intermediate);

struct LayerImpl : torch::nn::Module {
    explicit LayerImpl(const EncoderConfig& c);
    // positions: the positional embeddings (pre-LN only; undefined for post-LN).
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& keyBias,
                          const torch::Tensor& positions = {});
    bool preNorm;
    Attention attention{nullptr};
    Intermediate intermediate{nullptr};
    DenseNorm output{nullptr};
    torch::Tensor gate_attention, gate_ffn;  // pre-LN only, [1], initialised to 0
};
TORCH_MODULE(Layer);

struct EncoderStackImpl : torch::nn::Module {
    explicit EncoderStackImpl(const EncoderConfig& c);
    torch::nn::ModuleList layer{nullptr};
};
TORCH_MODULE(EncoderStack);

struct LmHeadImpl : torch::nn::Module {
    explicit LmHeadImpl(const EncoderConfig& c);
    torch::nn::Linear dense{nullptr};
    torch::nn::LayerNorm layer_norm{nullptr};
    torch::Tensor bias;
};
TORCH_MODULE(LmHead);

struct PoolerImpl : torch::nn::Module {
    explicit PoolerImpl(const EncoderConfig& c);
    torch::nn::Linear dense{nullptr};
};
TORCH_MODULE(Pooler);

class XlmrEncoderImpl : public torch::nn::Module {
  public:
    explicit XlmrEncoderImpl(const EncoderConfig& config);

    // ids: [B, T] int64; mask: [B, T] (1 real token, 0 padding). Returns hidden states [B, T, H].
    torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& mask);
    // Masked-LM logits [N, V] for hidden states [N, H] (only the masked positions, for speed).
    torch::Tensor mlmLogits(const torch::Tensor& hidden);
    // Tanh pooler over the first (<s>) token, as XLM-R's pooler_output.
    torch::Tensor pooled(const torch::Tensor& hidden);

    const EncoderConfig& config() const { return config_; }
    std::int64_t parameterCount() const;
    // The tokenizer's pieces by id (Tokenizer::vocabulary()): words for the character n-grams.
    // Needed before forward when config.charNgramBuckets > 0; harmless otherwise.
    void setPieces(const std::vector<std::string>& pieces);

    Embeddings embeddings{nullptr};
    EncoderStack encoder{nullptr};
    Pooler pooler{nullptr};
    LmHead lm_head{nullptr};

  private:
    EncoderConfig config_;
};
TORCH_MODULE(XlmrEncoder);

// The key-padding bias for attention: [B, 1, 1, T].
torch::Tensor attentionBias(const torch::Tensor& mask, torch::ScalarType dtype);

}  // namespace clir::model
