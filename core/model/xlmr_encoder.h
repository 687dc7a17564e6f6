// XLM-R/RoBERTa encoder in LibTorch (Conneau et al. 2020; Liu et al. 2019): learned positions
// offset by the padding id, post-LN transformer layers with GELU, a pooler, and the masked-LM
// head with its decoder tied to the word embeddings. Module names follow Hugging Face's
// XLMRobertaForMaskedLM (embeddings.word_embeddings, encoder.layer.N.attention.self.query, ...)
// so real weights load by name (checkpoint.h).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include "core/model/encoder_config.h"

namespace clir::model {

struct EmbeddingsImpl : torch::nn::Module {
    explicit EmbeddingsImpl(const EncoderConfig& c);
    torch::Tensor forward(const torch::Tensor& ids);
    std::int64_t padId;
    torch::nn::Embedding word_embeddings{nullptr}, position_embeddings{nullptr},
        token_type_embeddings{nullptr};
    torch::nn::LayerNorm LayerNorm{nullptr};
    torch::nn::Dropout dropout{nullptr};
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
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& keyBias);
    Attention attention{nullptr};
    Intermediate intermediate{nullptr};
    DenseNorm output{nullptr};
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
