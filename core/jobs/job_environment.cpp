// The job environment (see job_environment.h).
#include "core/jobs/job_environment.h"

#include <algorithm>
#include <filesystem>

#include "core/data/corpus_stats.h"
#include "core/util/fs.h"
#include "core/util/text.h"

namespace clir::jobs {

JobEnvironment JobEnvironment::prepare(const data::CorpusSettings& corpus,
                                       const JobContext& context) {
    JobEnvironment env;
    env.corpusName = corpus.name;
    env.corpusDir = data::defaultCorpusDir(corpus.name);
    env.manifest = data::loadManifest(env.corpusDir);
    env.corpusHash = env.manifest.at("hash").get<std::string>();
    if (const auto& built = env.manifest.value("settings", nlohmann::json::object());
        built.contains("languages")) {
        const auto have = built.at("languages").get<std::vector<std::string>>();
        for (const auto& l : corpus.languages)
            if (std::find(have.begin(), have.end(), l) == have.end())
                throw std::runtime_error(
                    "field 'corpus.languages': the corpus " + env.corpusDir + " has no '" + l +
                    "' (it has " + text::join(have, ", ") + "); " +
                    (env.manifest.contains("importer_version")
                         ? std::string("import it with: clirlab data import")
                         : "build it with: clirlab data fetch --lang " + l +
                               " && clirlab data build --lang " + l + " (with the others)"));
    }
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
