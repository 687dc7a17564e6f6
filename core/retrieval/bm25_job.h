// BM25 runs (SPEC 4): each configured language's queries, untranslated (the lexical floor; for
// English the monolingual ceiling) or translated to English by Apertium, against the English
// pages; TREC runs written, evaluated with core/eval, stored per language and per query.
#pragma once

#include "core/config/experiment_spec.h"
#include "core/config/fields.h"
#include "core/data/corpus_settings.h"
#include "core/eval/evaluation_settings.h"
#include "core/jobs/job.h"
#include "core/retrieval/apertium.h"
#include "core/retrieval/bm25_index.h"

namespace clir::retrieval {

struct TranslationSettings {
    std::string system = "none";  // none | apertium
    ApertiumSettings apertium;
    static const config::Fields<TranslationSettings>& fields();
};

// The "bm25" block: Bm25Settings, its defaults the engine's.
const config::Fields<Bm25Settings>& bm25Fields();
inline config::SchemaNode bm25Schema() {
    return bm25Fields().schema();
}
inline config::SchemaNode translationSchema() {
    return TranslationSettings::fields().schema();
}

class Bm25Job : public jobs::Job {
  public:
    explicit Bm25Job(const config::ExperimentSpec& spec);
    jobs::JobResult run(const jobs::JobContext& context) override;

    // Languages this run evaluates: all configured ones, or with Apertium those with a pair.
    std::vector<std::string> queryLanguages() const;

  private:
    data::CorpusSettings corpus_;
    eval::EvaluationSettings evaluation_;
    Bm25Settings bm25_;
    TranslationSettings translation_;
    std::string runTag_;
};

}  // namespace clir::retrieval
