// Presets and parameter counts (see encoder_config.h). The XLM-R shapes are those of the
// published checkpoints (Conneau et al. 2020, Table 7; Goyal et al. 2021 for XL).
#include "core/model/encoder_config.h"

#include <map>
#include <stdexcept>

namespace clir::model {
namespace {

struct Preset {
    std::int64_t vocab, hidden, layers, heads, ffn;
};

const std::map<std::string, Preset>& presets() {
    static const std::map<std::string, Preset> p = {
        {"xs", {8000, 96, 2, 2, 384}},     // ~1.0M
        {"s", {16000, 192, 4, 4, 768}},    // ~5.0M
        {"m", {32000, 384, 6, 6, 1536}},   // ~23M
        {"l", {64000, 768, 8, 12, 3072}},  // ~106M
        {"xlmr-base", {250002, 768, 12, 12, 3072}},
        {"xlmr-large", {250002, 1024, 24, 16, 4096}},
        {"xlmr-xl", {250002, 2560, 36, 32, 10240}},
    };
    return p;
}

}  // namespace

const std::vector<std::string>& presetNames() {
    static const std::vector<std::string> names = {"xs",        "s",          "m",      "l",
                                                   "xlmr-base", "xlmr-large", "xlmr-xl"};
    return names;
}

EncoderConfig presetConfig(const std::string& preset, std::int64_t vocabSize) {
    auto it = presets().find(preset);
    if (it == presets().end()) {
        std::string known;
        for (const auto& n : presetNames()) known += (known.empty() ? "" : ", ") + n;
        throw std::invalid_argument("unknown preset '" + preset + "'; known: " + known);
    }
    if (vocabSize < 0) throw std::invalid_argument("vocabulary size must be positive");
    EncoderConfig c;
    c.preset = preset;
    c.vocabSize = vocabSize > 0 ? vocabSize : it->second.vocab;
    c.hidden = it->second.hidden;
    c.layers = it->second.layers;
    c.heads = it->second.heads;
    c.ffn = it->second.ffn;
    return c;
}

ParameterCount countParameters(const EncoderConfig& c) {
    const std::int64_t h = c.hidden, layerNorm = 2 * h;
    ParameterCount p;
    p.embeddings = c.vocabSize * h + c.maxPositions * h + c.typeVocabSize * h + layerNorm;
    const std::int64_t attention = 4 * (h * h + h) + layerNorm;  // q, k, v, output; LN
    const std::int64_t feedForward = h * c.ffn + c.ffn + c.ffn * h + h + layerNorm;
    p.perLayer = attention + feedForward;
    p.layers = c.layers * p.perLayer;
    p.pooler = h * h + h;
    p.mlmHead = h * h + h + layerNorm + c.vocabSize;  // dense, LN, decoder bias (weights tied)
    return p;
}

nlohmann::json EncoderConfig::toJson() const {
    return {{"preset", preset},
            {"vocab_size", vocabSize},
            {"hidden", hidden},
            {"layers", layers},
            {"heads", heads},
            {"ffn", ffn},
            {"max_positions", maxPositions},
            {"type_vocab_size", typeVocabSize},
            {"dropout", dropout},
            {"layer_norm_eps", layerNormEps},
            {"pad_id", padId}};
}

EncoderConfig EncoderConfig::fromJson(const nlohmann::json& j) {
    EncoderConfig c;
    try {
        c.preset = j.at("preset").get<std::string>();
        c.vocabSize = j.at("vocab_size").get<std::int64_t>();
        c.hidden = j.at("hidden").get<std::int64_t>();
        c.layers = j.at("layers").get<std::int64_t>();
        c.heads = j.at("heads").get<std::int64_t>();
        c.ffn = j.at("ffn").get<std::int64_t>();
        c.maxPositions = j.at("max_positions").get<std::int64_t>();
        c.typeVocabSize = j.at("type_vocab_size").get<std::int64_t>();
        c.dropout = j.at("dropout").get<double>();
        c.layerNormEps = j.at("layer_norm_eps").get<double>();
        c.padId = j.at("pad_id").get<std::int64_t>();
    } catch (const nlohmann::json::exception& e) {
        throw std::invalid_argument(std::string("encoder config: ") + e.what());
    }
    if (c.hidden % c.heads != 0)
        throw std::invalid_argument("encoder config: hidden size " + std::to_string(c.hidden) +
                                    " is not divisible by " + std::to_string(c.heads) + " heads");
    return c;
}

}  // namespace clir::model
