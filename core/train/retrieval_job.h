// The retrieval methods as one job (SPEC 4; RQ2): teacher, zero-shot, fine-tune, hybrid batch,
// OPTICAL and OPTICAL + hybrid. Each starts from a checkpoint (init), trains (except zero-shot)
// with InfoNCE and/or the OT distillation loss, evaluates on dev during training and keeps the
// best checkpoint, then ranks the English pages for every language's test queries and evaluates
// them with core/eval. No LibTorch in this header.
#pragma once

#include "core/config/experiment_spec.h"
#include "core/data/corpus_settings.h"
#include "core/eval/evaluation_settings.h"
#include "core/jobs/job.h"
#include "core/train/pretrain_settings.h"
#include "core/train/retrieval_settings.h"

namespace clir::train {

class RetrievalJob : public jobs::Job {
  public:
    explicit RetrievalJob(const config::ExperimentSpec& spec);
    jobs::JobResult run(const jobs::JobContext& context) override;

  private:
    std::string method_;
    data::CorpusSettings corpus_;
    eval::EvaluationSettings evaluation_;
    ModelSettings model_;
    InitSettings init_;
    RetrievalSettings retrieval_;
    TrainSettings train_;
    OtSettings ot_;
    std::string configHash_;
    std::uint64_t seed_;
};

}  // namespace clir::train
