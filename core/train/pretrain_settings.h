// Settings of multilingual MLM pretraining: the "model", "tokenizer" and "pretrain" blocks of an
// experiment. Each field (key, default, range, description) is written once, in the block's
// field table (pretrain_settings.cpp); the schema, parser and defaults come from it.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "core/config/fields.h"

namespace clir::train {

struct ModelSettings {
    std::string preset;
    std::int64_t vocabSize;   // 0: the preset's
    std::string device;       // auto | cpu | cuda
    int threads;              // 0: all cores
    std::string norm;         // "": the preset's; post | pre
    std::int64_t charNgrams;  // -1: the preset's; 0: none
    double dropout;           // -1: the encoder's (its checkpoint's, or the preset's 0.1)
    static const config::Fields<ModelSettings>& fields();
    static ModelSettings fromJson(const nlohmann::json& j) { return fields().read(j); }
};

struct TokenizerSettings {
    std::string model;  // an existing SentencePiece .model; empty: train one
    std::int64_t trainingSentences;
    bool caseFold;            // lower-case (nmt_nfkc_cf) when training one
    double minLanguageShare;  // every corpus language's least share of the training sentences
    static const config::Fields<TokenizerSettings>& fields();
    static TokenizerSettings fromJson(const nlohmann::json& j) { return fields().read(j); }
};

struct PretrainSettings {
    std::int64_t steps, batchSize, maxLength, warmupSteps;
    double learningRate, weightDecay, adamBeta2, adamEpsilon, clipNorm, maskProbability;
    std::int64_t logEvery, checkpointEvery, evalSentences;
    double samplingExponent;
    std::map<std::string, double> resourceProfile;  // language -> size (GiB of CC-100)
    static const config::Fields<PretrainSettings>& fields();
    static PretrainSettings fromJson(const nlohmann::json& j) { return fields().read(j); }
};

inline config::SchemaNode modelSchema() {
    return ModelSettings::fields().schema();
}
inline config::SchemaNode tokenizerSchema() {
    return TokenizerSettings::fields().schema();
}
inline config::SchemaNode pretrainSchema() {
    return PretrainSettings::fields().schema();
}

}  // namespace clir::train
