// The neural MT baseline as a job (SPEC 4): a multilingual X -> English transformer trained on
// the train-split bitext (or reused from an earlier nmt run), scored with chrF and BLEU on dev
// bitext (next to Apertium where it has the pair), then every language's test queries
// translated, stored, and retrieved with BM25 or the teacher. No LibTorch in this header.
#pragma once

#include "core/config/experiment_spec.h"
#include "core/data/corpus_settings.h"
#include "core/eval/evaluation_settings.h"
#include "core/jobs/job.h"
#include "core/retrieval/bm25_index.h"
#include "core/train/nmt_settings.h"
#include "core/train/pretrain_settings.h"
#include "core/train/retrieval_settings.h"

namespace clir::train {

class NmtJob : public jobs::Job {
  public:
    explicit NmtJob(const config::ExperimentSpec& spec);
    jobs::JobResult run(const jobs::JobContext& context) override;

  private:
    data::CorpusSettings corpus_;
    eval::EvaluationSettings evaluation_;
    ModelSettings model_;
    InitSettings init_;
    RetrievalSettings retrieval_;
    NmtSettings nmt_;
    retrieval::Bm25Settings bm25_;
    std::string configHash_;
    std::uint64_t seed_;
};

// `clirlab translate`: one text from `language` into English with an nmt checkpoint. Throws
// std::runtime_error naming the problem: empty or overlong text, a language the model was not
// trained on, a checkpoint of another kind.
std::string translateText(const std::string& checkpoint, const std::string& language,
                          const std::string& text, int beamSize = 0);

}  // namespace clir::train
