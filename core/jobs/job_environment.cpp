// The job environment (see job_environment.h).
#include "core/jobs/job_environment.h"

#include <filesystem>

#include "core/data/corpus_stats.h"
#include "core/util/fs.h"

namespace clir::jobs {

JobEnvironment JobEnvironment::prepare(const data::CorpusSettings& corpus,
                                       const JobContext& context) {
    JobEnvironment env;
    env.corpusName = corpus.name;
    env.corpusDir = data::defaultCorpusDir(corpus.name);
    env.manifest = data::loadManifest(env.corpusDir);
    env.corpusHash = env.manifest.at("hash").get<std::string>();
    data::verifyCorpus(env.corpusDir, env.manifest);
    env.outputDir = context.outputDir;
    env.checkpointDir = context.outputDir + "/checkpoints";  // made by the first checkpoint
    std::filesystem::create_directories(env.outputDir);
    return env;
}

store::CorpusRecord JobEnvironment::corpusRecord() const {
    return store::CorpusRecord{0, corpusName, corpusDir, corpusHash, manifest.dump(), ""};
}

std::string JobEnvironment::cacheDir() const {
    return fs::dataDir() + "/indexes/" + corpusHash.substr(0, 16);
}

std::string JobEnvironment::bm25IndexDir(const std::string& language) const {
    return cacheDir() + "/" + language;
}

std::string JobEnvironment::encodedPagesPath(const std::string& modelKey,
                                             const std::string& language, std::int64_t maxLength,
                                             const std::string& scoring) const {
    return cacheDir() + "/neural/" + modelKey + "-" + language + "-" + std::to_string(maxLength) +
           "-" + scoring + ".pt";
}

}  // namespace clir::jobs
