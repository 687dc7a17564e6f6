// Test evaluation of a retrieval run's best checkpoint (SPEC 4-5): every direction's test
// queries ranked over the page index of its page language (built, or read from the cache of the
// checkpoint that encodes those pages), evaluated with core/eval; with retrieval.fusion bm25 the
// fusion weight is chosen on the dev sample alone and the fused runs are evaluated as the sets
// "<set>+bm25". The page index sizes and per-language measures go into the run's summary.
// Internal to the LibTorch part of core.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/eval/evaluation_settings.h"
#include "core/jobs/job.h"
#include "core/train/retrieval_settings.h"

namespace clir::jobs {
struct JobEnvironment;
}

namespace clir::train {

class RetrievalRanking;

struct TestRecipe {
    std::string tag;                     // "<method>-<preset>", the TREC run tag
    std::vector<std::string> languages;  // corpus.languages
    eval::EvaluationSettings evaluation;
    RetrievalSettings retrieval;
    std::int64_t devQueries = 0;  // the dev sample for the fusion weight
    std::uint64_t seed = 0;
    std::string netKey;      // weights key of the evaluated checkpoint
    std::string teacherKey;  // OPTICAL: the frozen teacher's (its pages); else netKey
};

void evaluateRetrievalTest(const jobs::JobContext& ctx, const jobs::JobEnvironment& env,
                           RetrievalRanking& ranking, const TestRecipe& recipe,
                           nlohmann::json& summary, jobs::JobResult& result);

}  // namespace clir::train
