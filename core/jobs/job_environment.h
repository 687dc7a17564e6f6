// What every job that reads a corpus starts from: the corpus folder, its manifest and hash, the
// corpus record stored with the run, the job's checkpoint folder, and the cache folders derived
// from the corpus hash (BM25 indexes, encoded pages). Written once here, used by every job.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/data/corpus_settings.h"
#include "core/jobs/job.h"
#include "core/store/records.h"

namespace clir::jobs {

struct JobEnvironment {
    std::string corpusName, corpusDir;
    nlohmann::json manifest;
    std::string corpusHash;
    std::string outputDir;      // the run's own folder (JobContext::outputDir)
    std::string checkpointDir;  // <outputDir>/checkpoints (created by saveCheckpoint)

    // Throws with the command to run when the corpus is missing.
    static JobEnvironment prepare(const data::CorpusSettings& corpus, const JobContext& context);

    store::CorpusRecord corpusRecord() const;
    // <data>/indexes/<first 16 hex of the corpus hash>: caches that die with the corpus.
    std::string cacheDir() const;
    std::string bm25IndexDir(const std::string& language) const;
    // The page index of one model (a checkpoint's weight hash) at one passage length and
    // scoring (dense vectors or maxsim tokens).
    std::string encodedPagesPath(const std::string& modelKey, const std::string& language,
                                 std::int64_t maxLength, const std::string& scoring) const;
};

}  // namespace clir::jobs
