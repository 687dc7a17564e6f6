// Settings of the retrieval methods (SPEC 4): where the encoder starts ("init"), how pages are
// encoded and scored ("retrieval"), the training loop ("train") and OPTICAL's optimal transport
// ("ot"). Each field is described once, in its block's table (retrieval_settings.cpp). No
// LibTorch in this header.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/config/fields.h"
#include "core/retrieval/soft_tf.h"

namespace clir::train {

struct InitSettings {
    std::string from;        // a run name ("teacher-xs") or id ("#12"): its best checkpoint
    std::string checkpoint;  // a checkpoint folder; set from `from` when the run is queued
    std::int64_t fromRun;
    static const config::Fields<InitSettings>& fields();
    static InitSettings fromJson(const nlohmann::json& j) { return fields().read(j); }
};

struct RetrievalSettings {
    std::string scoring;      // dense (cosine of mean-pooled head vectors) | maxsim
    std::string termWeights;  // idf | uniform (maxsim query-term weights)
    double tfWeight, tfThreshold, tfLengthNorm;  // soft term frequency (maxsim); weight 0: off
    retrieval::SoftTf softTf() const { return {tfWeight, tfThreshold, tfLengthNorm}; }
    std::int64_t queryMaxLength, documentMaxLength;
    std::int64_t rerankBm25;  // 0: exact search over every page; k: re-rank BM25's top k
    std::int64_t depth;
    std::int64_t encodeBatch;
    std::string fusion;  // none | bm25: also evaluate z-score fusion with BM25 (alpha on dev)
    static const config::Fields<RetrievalSettings>& fields();
    static RetrievalSettings fromJson(const nlohmann::json& j) { return fields().read(j); }
};

struct TrainSettings {
    std::int64_t steps, batchSize, warmupSteps;
    double learningRate, weightDecay, clipNorm, temperature;
    double sparseLearningRate;   // 0: the lexical tables train with the layers' settings
    std::int64_t hardNegatives;  // BM25 negatives per query (0 or 1), from the top 20
    std::string passage;         // first | best: the passage of a page a batch shows
    double alpha;                // hybrid: probability of a monolingual batch
    double otWeight, contrastiveWeight;
    std::int64_t contrastiveBatch;  // optical+hybrid: pairs of the InfoNCE batch; 0: batch_size
    std::int64_t logEvery, evalEvery, devQueries;
    std::vector<std::string> languages;  // X languages trained on; empty: the corpus's
    static const config::Fields<TrainSettings>& fields();
    static TrainSettings fromJson(const nlohmann::json& j) { return fields().read(j); }
};

struct OtSettings {
    double epsilon, tolerance;
    std::int64_t maxIterations, checkEvery;
    bool differentiate;
    std::string studentSide;      // query | document
    std::int64_t maxLength;       // English bitext tokens
    std::int64_t otherMaxLength;  // X-side bitext tokens; 0: sized for the script
    double epochs;                // > 0: training length in passes over the bitext
    std::int64_t alignmentPairs, alignEvery;
    std::string train;        // what the student updates: lexical | all
    double anchorWeight;      // weight of the English anchor (student = teacher on English tokens)
    std::string termWeights;  // the student's X query-term weights: kept | transported
    static const config::Fields<OtSettings>& fields();
    static OtSettings fromJson(const nlohmann::json& j) { return fields().read(j); }
};

inline config::SchemaNode initSchema() {
    return InitSettings::fields().schema();
}
inline config::SchemaNode retrievalSchema() {
    return RetrievalSettings::fields().schema();
}
inline config::SchemaNode trainSchema() {
    return TrainSettings::fields().schema();
}
inline config::SchemaNode otSchema() {
    return OtSettings::fields().schema();
}

}  // namespace clir::train
