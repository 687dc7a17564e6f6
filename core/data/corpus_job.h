// The corpus as a job: builds the corpus an experiment names from the package cache, so a
// corpus build is a stored run like any other (method "corpus").
#pragma once

#include "core/config/experiment_spec.h"
#include "core/data/corpus_builder.h"
#include "core/data/corpus_settings.h"
#include "core/jobs/job.h"

namespace clir::data {

// Builds from the unpacked packages in the data cache; throws with the fetch command when a
// language is missing.
CorpusBuildResult buildCorpusFromCache(const CorpusSettings& settings,
                                       const jobs::JobContext& context);
store::CorpusRecord corpusRecord(const CorpusBuildResult& built, const CorpusSettings& settings);

class CorpusJob : public jobs::Job {
  public:
    explicit CorpusJob(const config::ExperimentSpec& spec)
        : settings_(CorpusSettings::fromJson(spec.config.at("corpus"))) {}
    jobs::JobResult run(const jobs::JobContext& context) override;

  private:
    CorpusSettings settings_;
};

}  // namespace clir::data
