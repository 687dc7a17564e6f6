// Settings of the neural MT baseline (SPEC 4, translate-then-retrieve): the "nmt" block of an
// experiment, each field described once in its table (nmt_settings.cpp). No LibTorch here.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/config/fields.h"

namespace clir::train {

struct NmtSettings {
    std::vector<std::string> languages;  // X languages translated to English; empty: all
    std::int64_t layers, hidden, heads, ffn, vocabSize, tokenizerSentences;
    double dropout, labelSmoothing, learningRate, weightDecay, adamBeta2, adamEpsilon, clipNorm;
    std::int64_t steps, batchSize, warmupSteps, maxLength, logEvery, checkpointEvery, devSentences;
    int beamSize;
    double lengthPenalty;
    std::string modelFrom, modelCheckpoint;  // reuse a finished nmt run's model (no training)
    std::int64_t modelFromRun;
    std::string retriever;  // bm25 | teacher (init.from names the teacher run)
    bool compareApertium;
    // Early stopping (absent unless given, so earlier configurations keep their hashes): every
    // evalEvery steps, greedy chrF on evalSentences dev pairs per language; the best checkpoint
    // by it is kept, and training stops after `patience` evaluations without improvement.
    std::int64_t evalEvery = 0, patience = 0, evalSentences = 100;
    static const config::Fields<NmtSettings>& fields();
    // Also checks that heads divide hidden.
    static NmtSettings fromJson(const nlohmann::json& j);
};

inline config::SchemaNode nmtSchema() {
    return NmtSettings::fields().schema();
}

}  // namespace clir::train
