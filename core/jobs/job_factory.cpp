// Makes the job of each kind in the method registry (jobs/methods.h).
#include "core/jobs/job_factory.h"

#include "core/data/corpus_job.h"
#include "core/jobs/methods.h"
#include "core/retrieval/bm25_job.h"
#include "core/train/nmt_job.h"
#include "core/train/pretrain_job.h"
#include "core/train/retrieval_job.h"

namespace clir::jobs {

std::unique_ptr<Job> makeJob(const config::ExperimentSpec& spec) {
    JobKind kind;
    try {
        kind = methodInfo(spec.method).kind;
    } catch (const std::out_of_range&) {
        throw config::ConfigError(spec.source + ": field 'method': no job for '" + spec.method +
                                  "'");
    }
    switch (kind) {
        case JobKind::Corpus:
            return std::make_unique<data::CorpusJob>(spec);
        case JobKind::Bm25:
            return std::make_unique<retrieval::Bm25Job>(spec);
        case JobKind::Pretrain:
            return std::make_unique<train::PretrainJob>(spec);
        case JobKind::Retrieval:
            return std::make_unique<train::RetrievalJob>(spec);
        case JobKind::Nmt:
            return std::make_unique<train::NmtJob>(spec);
        case JobKind::Suite:
            throw config::ConfigError(
                spec.source + ": a suite runs its experiments one by one: `clirlab run` it");
    }
    throw std::logic_error("unhandled job kind");
}

}  // namespace clir::jobs
