// Encoder shapes: the XLM-R/RoBERTa architecture at several sizes (SPEC 3), with exact
// parameter counts computed from the shape alone (no LibTorch needed), so `clirlab model info`
// and the GUI can show them.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace clir::model {

struct EncoderConfig {
    std::string preset;
    std::int64_t vocabSize = 0;
    std::int64_t hidden = 0;
    std::int64_t layers = 0;
    std::int64_t heads = 0;
    std::int64_t ffn = 0;
    std::int64_t maxPositions = 514;  // RoBERTa: 512 tokens + padding offset 2
    std::int64_t typeVocabSize = 1;
    double dropout = 0.1;
    double layerNormEps = 1e-5;
    std::int64_t padId = 1;  // XLM-R's <pad>; positions count from padId + 1
    // "post": XLM-R's post-LN layers. "pre": lexical encoders (SPEC 3) — each layer's two
    // residual branches read LayerNorm(x) (attention: x + positions) and are scaled by a gate
    // that starts at 0, so with closed gates the encoder is the static model word + n-grams.
    std::string norm = "post";
    std::int64_t charNgramBuckets = 0;  // hashed character 3–5-gram rows; 0: none

    bool preNorm() const { return norm == "pre"; }

    nlohmann::json toJson() const;
    static EncoderConfig fromJson(const nlohmann::json& j);  // throws naming the field
};

// xs s m l xlmr-base xlmr-large xlmr-xl (post-LN, no n-grams), then the lexical ladder at one
// input layer (d 128, 2^18 n-gram buckets, pre-LN): static (0 layers), lex-xs (1), lex-s (2),
// lex-m (4).
const std::vector<std::string>& presetNames();
// vocabSize 0 keeps the preset's default vocabulary. Throws std::invalid_argument naming the
// known presets.
EncoderConfig presetConfig(const std::string& preset, std::int64_t vocabSize = 0);

// Overrides a preset's input layer: norm "" keeps it (else post | pre); buckets < 0 keeps it.
// Throws std::invalid_argument naming the value.
void setInputLayer(EncoderConfig& c, const std::string& norm, std::int64_t charNgramBuckets);

// Whether a checkpoint of `from` can start a model of `to` by growing (SPEC 3: depth compared at
// an equal lexical start): both lexical (pre-LN) with the same input layer (vocabulary, width,
// n-gram buckets, positions), `to` at least as deep, and any layers `from` has of the same
// shape and head count. Empty when it can, else why not.
std::string growthProblem(const EncoderConfig& from, const EncoderConfig& to);

struct ParameterCount {
    std::int64_t embeddings = 0, perLayer = 0, layers = 0, pooler = 0, mlmHead = 0;
    std::int64_t charNgrams = 0;                                           // part of embeddings
    std::int64_t encoder() const { return embeddings + layers + pooler; }  // as HF XLMRobertaModel
    std::int64_t withMlmHead() const { return encoder() + mlmHead; }       // decoder tied
};
ParameterCount countParameters(const EncoderConfig& c);

}  // namespace clir::model
