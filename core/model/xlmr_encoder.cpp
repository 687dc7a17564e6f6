// XLM-R encoder (see xlmr_encoder.h). Shapes and initialisation follow Hugging Face's
// modeling_xlm_roberta (normal(0, 0.02) weights, zero biases, unit LayerNorm).
#include "core/model/xlmr_encoder.h"

#include <cmath>
#include <stdexcept>
#include <torch/nn/functional/activation.h>
#include <torch/nn/init.h>

namespace clir::model {
namespace {

constexpr double kInitStd = 0.02;  // BERT/RoBERTa initializer_range

torch::nn::LayerNorm layerNorm(const EncoderConfig& c) {
    return torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.hidden}).eps(c.layerNormEps));
}

}  // namespace

torch::Tensor attentionBias(const torch::Tensor& mask, torch::ScalarType dtype) {
    // A finite large negative keeps fully padded rows free of NaN (softmax of all -inf).
    auto bias = (1.0 - mask.to(dtype)) * -1e9;
    return bias.unsqueeze(1).unsqueeze(2);
}

EmbeddingsImpl::EmbeddingsImpl(const EncoderConfig& c) : padId(c.padId), preNorm(c.preNorm()) {
    word_embeddings = register_module(
        "word_embeddings",
        torch::nn::Embedding(
            torch::nn::EmbeddingOptions(c.vocabSize, c.hidden).padding_idx(c.padId)));
    position_embeddings = register_module(
        "position_embeddings",
        torch::nn::Embedding(
            torch::nn::EmbeddingOptions(c.maxPositions, c.hidden).padding_idx(c.padId)));
    token_type_embeddings =
        register_module("token_type_embeddings", torch::nn::Embedding(c.typeVocabSize, c.hidden));
    if (c.charNgramBuckets > 0)
        char_ngrams = register_module(
            "char_ngrams",
            torch::nn::EmbeddingBag(
                torch::nn::EmbeddingBagOptions(c.charNgramBuckets, c.hidden).mode(torch::kMean)));
    LayerNorm = register_module("LayerNorm", layerNorm(c));
    dropout = register_module("dropout", torch::nn::Dropout(c.dropout));
}

torch::Tensor EmbeddingsImpl::ngramBags(const torch::Tensor& ids) {
    if (!words)
        throw std::logic_error(
            "an encoder with character n-grams needs its tokenizer's pieces (setPieces)");
    auto cpuIds = ids.to(torch::kCPU, torch::kLong).contiguous();
    std::vector<std::int64_t> indices, offsets, tokenBag;
    words->distinctBags(cpuIds.data_ptr<std::int64_t>(), ids.size(0), ids.size(1), indices, offsets,
                        tokenBag);
    const auto device = char_ngrams->weight.device();
    auto bags = char_ngrams(torch::tensor(indices, torch::kLong).to(device),
                            torch::tensor(offsets, torch::kLong).to(device));
    return bags.index_select(0, torch::tensor(tokenBag, torch::kLong).to(device))
        .view({ids.size(0), ids.size(1), -1});
}

torch::Tensor EmbeddingsImpl::lexical(const torch::Tensor& ids) {
    auto x = word_embeddings(ids);
    if (char_ngrams) x = x + ngramBags(ids);
    return x;
}

torch::Tensor EmbeddingsImpl::positional(const torch::Tensor& ids) {
    // RoBERTa positions: padId + 1, padId + 2, ... for real tokens; padId for padding.
    auto notPad = ids.ne(padId).to(torch::kLong);
    auto positions = notPad.cumsum(1) * notPad + padId;
    return position_embeddings(positions) + token_type_embeddings(torch::zeros_like(ids));
}

torch::Tensor EmbeddingsImpl::forward(const torch::Tensor& ids) {
    if (preNorm) return dropout(lexical(ids));
    return dropout(LayerNorm(lexical(ids) + positional(ids)));
}

SelfAttentionImpl::SelfAttentionImpl(const EncoderConfig& c)
    : heads(c.heads), headDim(c.hidden / c.heads) {
    query = register_module("query", torch::nn::Linear(c.hidden, c.hidden));
    key = register_module("key", torch::nn::Linear(c.hidden, c.hidden));
    value = register_module("value", torch::nn::Linear(c.hidden, c.hidden));
    dropout = register_module("dropout", torch::nn::Dropout(c.dropout));
}

torch::Tensor SelfAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& keyBias) {
    const auto B = x.size(0), T = x.size(1);
    auto split = [&](const torch::Tensor& t) {
        return t.view({B, T, heads, headDim}).transpose(1, 2);
    };
    auto q = split(query(x)), k = split(key(x)), v = split(value(x));
    auto scores = torch::matmul(q, k.transpose(-1, -2)) / std::sqrt(double(headDim)) + keyBias;
    auto probs = dropout(torch::softmax(scores, -1));
    return torch::matmul(probs, v).transpose(1, 2).reshape({B, T, heads * headDim});
}

DenseNormImpl::DenseNormImpl(std::int64_t in, std::int64_t out, const EncoderConfig& c) {
    dense = register_module("dense", torch::nn::Linear(in, out));
    LayerNorm = register_module("LayerNorm", layerNorm(c));
    dropout = register_module("dropout", torch::nn::Dropout(c.dropout));
}

torch::Tensor DenseNormImpl::forward(const torch::Tensor& x, const torch::Tensor& residual) {
    return LayerNorm(dropout(dense(x)) + residual);  // post-LN, as XLM-R
}

AttentionImpl::AttentionImpl(const EncoderConfig& c) {
    self = register_module("self", SelfAttention(c));
    output = register_module("output", DenseNorm(c.hidden, c.hidden, c));
}

IntermediateImpl::IntermediateImpl(const EncoderConfig& c) {
    dense = register_module("dense", torch::nn::Linear(c.hidden, c.ffn));
}

LayerImpl::LayerImpl(const EncoderConfig& c) : preNorm(c.preNorm()) {
    attention = register_module("attention", Attention(c));
    intermediate = register_module("intermediate", Intermediate(c));
    output = register_module("output", DenseNorm(c.ffn, c.hidden, c));
    if (preNorm) {
        gate_attention = register_parameter("gate_attention", torch::zeros({1}));
        gate_ffn = register_parameter("gate_ffn", torch::zeros({1}));
    }
}

torch::Tensor LayerImpl::forward(const torch::Tensor& x, const torch::Tensor& keyBias,
                                 const torch::Tensor& positions) {
    if (!preNorm) {
        auto a = attention->output(attention->self(x, keyBias), x);
        auto h = torch::gelu(intermediate->dense(a));
        return output(h, a);
    }
    // Pre-LN: the DenseNorm LayerNorms normalise the branch inputs; positions enter only there.
    auto att = attention->output;
    auto branch = att->dropout(att->dense(attention->self(att->LayerNorm(x + positions), keyBias)));
    auto a = x + gate_attention * branch;
    auto h = torch::gelu(intermediate->dense(output->LayerNorm(a)));
    return a + gate_ffn * output->dropout(output->dense(h));
}

EncoderStackImpl::EncoderStackImpl(const EncoderConfig& c) {
    layer = register_module("layer", torch::nn::ModuleList());
    for (std::int64_t i = 0; i < c.layers; ++i) layer->push_back(Layer(c));
}

LmHeadImpl::LmHeadImpl(const EncoderConfig& c) {
    dense = register_module("dense", torch::nn::Linear(c.hidden, c.hidden));
    layer_norm = register_module("layer_norm", layerNorm(c));
    bias = register_parameter("bias", torch::zeros({c.vocabSize}));
}

PoolerImpl::PoolerImpl(const EncoderConfig& c) {
    dense = register_module("dense", torch::nn::Linear(c.hidden, c.hidden));
}

XlmrEncoderImpl::XlmrEncoderImpl(const EncoderConfig& config) : config_(config) {
    embeddings = register_module("embeddings", Embeddings(config));
    encoder = register_module("encoder", EncoderStack(config));
    pooler = register_module("pooler", Pooler(config));
    lm_head = register_module("lm_head", LmHead(config));
    torch::NoGradGuard noGrad;
    for (auto& p : named_parameters()) {
        const auto& name = p.key();
        auto& t = p.value();
        if (name.find("gate_") != std::string::npos)
            t.zero_();  // closed: the layer starts as the identity
        else if (name.find("LayerNorm.weight") != std::string::npos ||
                 name.find("layer_norm.weight") != std::string::npos)
            t.fill_(1.0);
        else if (t.dim() == 1)
            t.zero_();
        else
            t.normal_(0.0, kInitStd);
    }
    // Padding rows stay zero, as torch.nn.Embedding(padding_idx=...) leaves them.
    embeddings->word_embeddings->weight[config.padId].zero_();
    embeddings->position_embeddings->weight[config.padId].zero_();
}

torch::Tensor XlmrEncoderImpl::forward(const torch::Tensor& ids, const torch::Tensor& mask) {
    auto bias = attentionBias(mask, embeddings->word_embeddings->weight.scalar_type());
    auto x = embeddings(ids);
    at::Tensor positions;
    if (config_.preNorm() && !encoder->layer->is_empty()) positions = embeddings->positional(ids);
    for (const auto& module : *encoder->layer)
        x = module->as<LayerImpl>()->forward(x, bias, positions);
    return x;
}

void XlmrEncoderImpl::setPieces(const std::vector<std::string>& pieces) {
    if (config_.charNgramBuckets <= 0) return;
    if (std::int64_t(pieces.size()) != config_.vocabSize)
        throw std::invalid_argument("the tokenizer has " + std::to_string(pieces.size()) +
                                    " pieces; the encoder's vocabulary is " +
                                    std::to_string(config_.vocabSize));
    embeddings->words = std::make_shared<const CharNgrams>(pieces, config_.charNgramBuckets);
}

torch::Tensor XlmrEncoderImpl::mlmLogits(const torch::Tensor& hidden) {
    auto h = lm_head->layer_norm(torch::gelu(lm_head->dense(hidden)));
    return torch::matmul(h, embeddings->word_embeddings->weight.t()) + lm_head->bias;
}

torch::Tensor XlmrEncoderImpl::pooled(const torch::Tensor& hidden) {
    return torch::tanh(pooler->dense(hidden.select(1, 0)));
}

std::int64_t XlmrEncoderImpl::parameterCount() const {
    std::int64_t n = 0;
    for (const auto& p : parameters()) n += p.numel();
    return n;
}

}  // namespace clir::model
