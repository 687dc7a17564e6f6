// One entry per method name in config::methodNames().
#include "core/jobs/job_factory.h"

#include "core/data/corpus_job.h"
#include "core/retrieval/bm25_job.h"
#include "core/train/nmt_job.h"
#include "core/train/pretrain_job.h"
#include "core/train/retrieval_job.h"

namespace clir::jobs {

std::unique_ptr<Job> makeJob(const config::ExperimentSpec& spec) {
    if (spec.method == "corpus") return std::make_unique<data::CorpusJob>(spec);
    if (spec.method == "bm25") return std::make_unique<retrieval::Bm25Job>(spec);
    if (spec.method == "pretrain") return std::make_unique<train::PretrainJob>(spec);
    if (train::isRetrievalMethod(spec.method)) return std::make_unique<train::RetrievalJob>(spec);
    if (spec.method == "nmt") return std::make_unique<train::NmtJob>(spec);
    if (spec.method == "suite")
        throw config::ConfigError(spec.source +
                                  ": a suite runs its experiments one by one: `clirlab run` it");
    throw config::ConfigError(spec.source + ": field 'method': no job for '" + spec.method + "'");
}

}  // namespace clir::jobs
