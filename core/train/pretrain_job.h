// Multilingual masked-language-model pretraining as a job (SPEC 3): trains the tokenizer on text
// sampled by the resource profile, then the encoder with AdamW, warm-up and linear decay and
// gradient clipping; streams loss, learning rate and tokens/s; checkpoints every N steps and
// resumes from the last checkpoint bit for bit; ends with MLM accuracy per language on held-out
// (dev) text. No LibTorch in this header.
#pragma once

#include "core/config/experiment_spec.h"
#include "core/data/corpus_settings.h"
#include "core/jobs/job.h"
#include "core/train/pretrain_settings.h"

namespace clir::train {

class PretrainJob : public jobs::Job {
  public:
    explicit PretrainJob(const config::ExperimentSpec& spec);
    jobs::JobResult run(const jobs::JobContext& context) override;

  private:
    data::CorpusSettings corpus_;
    ModelSettings model_;
    TokenizerSettings tokenizer_;
    PretrainSettings pretrain_;
    std::string configHash_;
    std::uint64_t seed_;
};

}  // namespace clir::train
