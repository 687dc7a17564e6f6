// Settings of multilingual MLM pretraining: the "model", "tokenizer" and "pretrain" blocks of an
// experiment, each default in its schema.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "core/config/schema.h"

namespace clir::train {

struct ModelSettings {
    std::string preset = "xs";
    std::int64_t vocabSize = 0;   // 0: the preset's
    std::string device = "auto";  // auto | cpu | cuda
    int threads = 0;              // 0: all cores
    static ModelSettings fromJson(const nlohmann::json& j);
};

struct TokenizerSettings {
    std::string model;  // an existing SentencePiece .model; empty: train one
    std::int64_t trainingSentences = 0;
    static TokenizerSettings fromJson(const nlohmann::json& j);
};

struct PretrainSettings {
    std::int64_t steps = 0, batchSize = 0, maxLength = 0, warmupSteps = 0;
    double learningRate = 0, weightDecay = 0, clipNorm = 0, maskProbability = 0;
    std::int64_t logEvery = 0, checkpointEvery = 0, evalSentences = 0;
    double samplingExponent = 0;
    std::map<std::string, double> resourceProfile;  // language -> size (GiB of CC-100)
    static PretrainSettings fromJson(const nlohmann::json& j);
};

config::SchemaNode modelSchema();
config::SchemaNode tokenizerSchema();
config::SchemaNode pretrainSchema();

}  // namespace clir::train
