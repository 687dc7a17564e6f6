// Settings of the retrieval methods (SPEC 4): where the encoder starts ("init"), how pages are
// encoded and scored ("retrieval"), the training loop ("train") and OPTICAL's optimal transport
// ("ot"). Every default lives in the schemas here. No LibTorch in this header.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/config/schema.h"

namespace clir::train {

// Methods that train or apply a retrieval encoder, in the order of the RQ2 table.
const std::vector<std::string>& retrievalMethods();
bool isRetrievalMethod(const std::string& method);
// Which optional blocks a retrieval method reads (besides "corpus").
std::vector<std::string> retrievalMethodBlocks(const std::string& method);

struct InitSettings {
    std::string from;        // a run name ("teacher-xs") or id ("#12"): its best checkpoint
    std::string checkpoint;  // a checkpoint folder; set from `from` when the run is queued
    std::int64_t fromRun = 0;
    static InitSettings fromJson(const nlohmann::json& j);
};

struct RetrievalSettings {
    std::string scoring = "dense";  // dense (cosine of mean-pooled head vectors) | maxsim
    std::int64_t queryMaxLength = 32, documentMaxLength = 128;
    std::int64_t rerankBm25 = 0;  // 0: exact search over every page; k: re-rank BM25's top k
    std::int64_t depth = 1000;
    std::int64_t encodeBatch = 64;
    static RetrievalSettings fromJson(const nlohmann::json& j);
};

struct TrainSettings {
    std::int64_t steps = 0, batchSize = 0, warmupSteps = 0;
    double learningRate = 0, weightDecay = 0, clipNorm = 0, temperature = 0;
    std::int64_t hardNegatives = 0;  // BM25 negatives per query (0 or 1), from the top 20
    double alpha = 0.5;              // hybrid: probability of a monolingual batch
    double otWeight = 1, contrastiveWeight = 1;
    std::int64_t logEvery = 0, evalEvery = 0, devQueries = 0;
    std::vector<std::string> languages;  // X languages trained on; empty: the corpus's
    static TrainSettings fromJson(const nlohmann::json& j);
};

struct OtSettings {
    double epsilon = 0.05, tolerance = 1e-6;
    std::int64_t maxIterations = 100, checkEvery = 10;
    bool differentiate = false;
    std::string studentSide = "query";  // query | document
    std::int64_t maxLength = 48;        // bitext tokens per side
    std::int64_t alignmentPairs = 4, alignEvery = 0;
    static OtSettings fromJson(const nlohmann::json& j);
};

config::SchemaNode initSchema();
config::SchemaNode retrievalSchema();
config::SchemaNode trainSchema();
config::SchemaNode otSchema();

}  // namespace clir::train
