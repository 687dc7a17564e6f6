// Settings of the neural MT baseline (SPEC 4, translate-then-retrieve): the "nmt" block of an
// experiment. No LibTorch here.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/config/schema.h"

namespace clir::train {

struct NmtSettings {
    std::vector<std::string> languages;  // X languages translated to English; empty: all
    std::int64_t layers = 0, hidden = 0, heads = 0, ffn = 0, vocabSize = 0, tokenizerSentences = 0;
    double dropout = 0, labelSmoothing = 0, learningRate = 0, clipNorm = 0;
    std::int64_t steps = 0, batchSize = 0, warmupSteps = 0, maxLength = 0, logEvery = 0,
                 checkpointEvery = 0, devSentences = 0;
    int beamSize = 1;
    double lengthPenalty = 0.6;
    std::string modelFrom, modelCheckpoint;  // reuse a finished nmt run's model (no training)
    std::int64_t modelFromRun = 0;
    std::string retriever = "bm25";  // bm25 | teacher (init.from names the teacher run)
    bool compareApertium = true;
    static NmtSettings fromJson(const nlohmann::json& j);
};

config::SchemaNode nmtSchema();

}  // namespace clir::train
