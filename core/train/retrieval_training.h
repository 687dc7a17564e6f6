// The training of the retrieval methods: each method's losses as the training loop's step
// (InfoNCE, OPTICAL's <P, C> with its English anchor and transported term weights, or both),
// dev evaluation and the best-checkpoint choice as its hooks, resume from the latest checkpoint.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/jobs/job.h"
#include "core/jobs/job_environment.h"
#include "core/model/checkpoint.h"
#include "core/model/retrieval_model.h"
#include "core/model/tokenizer.h"
#include "core/train/retrieval_batches.h"
#include "core/train/retrieval_ranking.h"
#include "core/train/retrieval_settings.h"

namespace clir::train {

// The settings a training run reads, gathered from the job.
struct Recipe {
    const TrainSettings& train;
    const OtSettings& ot;
    std::string scoring;
    std::int64_t queryMaxLength;
    std::string configHash;
    std::uint64_t seed;
    c10::Device device;
};

// Trains the method on the loop; returns the best checkpoint by dev MAP (step 0 included). On a
// data-parallel rank other than 0 it trains its shares and returns an empty path.
std::string trainRetrieval(const jobs::JobContext& ctx, const jobs::JobEnvironment& env,
                           const Recipe& recipe, const MethodWiring& wiring,
                           model::RetrievalModel& net, const model::Tokenizer& tok,
                           RetrievalRanking& ranking, PageStore& pages,
                           const model::CheckpointMeta& metaTemplate, nlohmann::json& summary);

}  // namespace clir::train
