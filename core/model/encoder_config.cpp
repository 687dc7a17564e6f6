// Presets and parameter counts (see encoder_config.h). The XLM-R shapes are those of the
// published checkpoints (Conneau et al. 2020, Table 7; Goyal et al. 2021 for XL).
#include "core/model/encoder_config.h"

#include "core/config/schema.h"

#include <map>
#include <stdexcept>

namespace clir::model {
namespace {

struct Preset {
    std::int64_t vocab, hidden, layers, heads, ffn;
    const char* norm = "post";
    std::int64_t charNgramBuckets = 0;
};

constexpr std::int64_t kLexicalBuckets = std::int64_t(1) << 18;

const std::map<std::string, Preset>& presets() {
    static const std::map<std::string, Preset> p = {
        {"xs", {8000, 96, 2, 2, 384}},     // ~1.0M
        {"s", {16000, 192, 4, 4, 768}},    // ~5.0M
        {"m", {32000, 384, 6, 6, 1536}},   // ~23M
        {"l", {64000, 768, 8, 12, 3072}},  // ~106M
        {"xlmr-base", {250002, 768, 12, 12, 3072}},
        {"xlmr-large", {250002, 1024, 24, 16, 4096}},
        {"xlmr-xl", {250002, 2560, 36, 32, 10240}},
        {"static", {16000, 128, 0, 2, 512, "pre", kLexicalBuckets}},
        {"lex-xs", {16000, 128, 1, 2, 512, "pre", kLexicalBuckets}},
        {"lex-s", {16000, 128, 2, 4, 512, "pre", kLexicalBuckets}},
        {"lex-m", {16000, 128, 4, 4, 512, "pre", kLexicalBuckets}},
    };
    return p;
}

}  // namespace

const std::vector<std::string>& presetNames() {
    static const std::vector<std::string> names = {"xs",        "s",          "m",       "l",
                                                   "xlmr-base", "xlmr-large", "xlmr-xl", "static",
                                                   "lex-xs",    "lex-s",      "lex-m"};
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
    c.norm = it->second.norm;
    c.charNgramBuckets = it->second.charNgramBuckets;
    return c;
}

void setInputLayer(EncoderConfig& c, const std::string& norm, std::int64_t charNgramBuckets) {
    if (!norm.empty()) {
        if (norm != "post" && norm != "pre")
            throw std::invalid_argument("norm '" + norm + "': post or pre");
        c.norm = norm;
    }
    if (charNgramBuckets >= 0) c.charNgramBuckets = charNgramBuckets;
}

std::string growthProblem(const EncoderConfig& from, const EncoderConfig& to) {
    if (!from.preNorm() || !to.preNorm())
        return "only lexical (pre-LN) encoders grow; '" + from.preset + "' is " + from.norm +
               "-LN and '" + to.preset + "' is " + to.norm + "-LN";
    auto differs = [](const char* what, std::int64_t a, std::int64_t b) {
        return std::string(what) + " " + std::to_string(a) + " vs " + std::to_string(b);
    };
    if (from.vocabSize != to.vocabSize) return differs("vocabulary", from.vocabSize, to.vocabSize);
    if (from.hidden != to.hidden) return differs("width", from.hidden, to.hidden);
    if (from.charNgramBuckets != to.charNgramBuckets)
        return differs("n-gram buckets", from.charNgramBuckets, to.charNgramBuckets);
    if (from.maxPositions != to.maxPositions || from.typeVocabSize != to.typeVocabSize)
        return differs("positions", from.maxPositions, to.maxPositions);
    if (from.layers > to.layers) return differs("layers", from.layers, to.layers) + " (shrinking)";
    if (from.layers > 0 && from.heads != to.heads)
        return differs("attention heads", from.heads, to.heads);
    if (from.layers > 0 && from.ffn != to.ffn)
        return differs("feed-forward width", from.ffn, to.ffn);
    return "";
}

ParameterCount countParameters(const EncoderConfig& c) {
    const std::int64_t h = c.hidden, layerNorm = 2 * h;
    ParameterCount p;
    p.charNgrams = c.charNgramBuckets * h;
    p.embeddings =
        c.vocabSize * h + c.maxPositions * h + c.typeVocabSize * h + layerNorm + p.charNgrams;
    const std::int64_t attention = 4 * (h * h + h) + layerNorm;  // q, k, v, output; LN
    const std::int64_t feedForward = h * c.ffn + c.ffn + c.ffn * h + h + layerNorm;
    p.perLayer = attention + feedForward + (c.preNorm() ? 2 : 0);  // pre: two gates
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
            {"pad_id", padId},
            {"norm", norm},
            {"char_ngram_buckets", charNgramBuckets}};
}

EncoderConfig EncoderConfig::fromJson(const nlohmann::json& j) {
    EncoderConfig c;
    try {
        c.preset = j.at("preset").get<std::string>();
        c.vocabSize = config::integerValue(j.at("vocab_size"), "encoder config: vocab_size");
        c.hidden = config::integerValue(j.at("hidden"), "encoder config: hidden");
        c.layers = config::integerValue(j.at("layers"), "encoder config: layers");
        c.heads = config::integerValue(j.at("heads"), "encoder config: heads");
        c.ffn = config::integerValue(j.at("ffn"), "encoder config: ffn");
        c.maxPositions =
            config::integerValue(j.at("max_positions"), "encoder config: max_positions");
        c.typeVocabSize =
            config::integerValue(j.at("type_vocab_size"), "encoder config: type_vocab_size");
        c.dropout = j.at("dropout").get<double>();
        c.layerNormEps = j.at("layer_norm_eps").get<double>();
        c.padId = config::integerValue(j.at("pad_id"), "encoder config: pad_id");
        // Absent from checkpoints written before lexical encoders: XLM-R's post-LN, no n-grams.
        c.norm = j.value("norm", std::string("post"));
        c.charNgramBuckets = j.contains("char_ngram_buckets")
                                 ? config::integerValue(j.at("char_ngram_buckets"),
                                                        "encoder config: char_ngram_buckets")
                                 : 0;
    } catch (const nlohmann::json::exception& e) {
        throw std::invalid_argument(std::string("encoder config: ") + e.what());
    } catch (const config::ConfigError& e) {
        throw std::invalid_argument(e.what());
    }
    if (c.norm != "post" && c.norm != "pre")
        throw std::invalid_argument("encoder config: norm '" + c.norm + "' (post or pre)");
    if (c.charNgramBuckets < 0)
        throw std::invalid_argument("encoder config: char_ngram_buckets is negative");
    for (auto [name, value] : {std::pair<const char*, std::int64_t>{"vocab_size", c.vocabSize},
                               {"hidden", c.hidden},
                               {"heads", c.heads},
                               {"ffn", c.ffn},
                               {"max_positions", c.maxPositions},
                               {"type_vocab_size", c.typeVocabSize}})
        if (value <= 0)
            throw std::invalid_argument(std::string("encoder config: ") + name + " is " +
                                        std::to_string(value) + " (must be positive)");
    if (c.layers < 0) throw std::invalid_argument("encoder config: layers is negative");
    if (c.padId < 0 || c.padId >= c.vocabSize)
        throw std::invalid_argument("encoder config: pad_id " + std::to_string(c.padId) +
                                    " is outside the vocabulary");
    if (c.hidden % c.heads != 0)
        throw std::invalid_argument("encoder config: hidden size " + std::to_string(c.hidden) +
                                    " is not divisible by " + std::to_string(c.heads) + " heads");
    return c;
}

}  // namespace clir::model
