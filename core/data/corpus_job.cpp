// Corpus job (see corpus_job.h).
#include "core/data/corpus_job.h"

#include "core/data/corpus_stats.h"
#include "core/data/fetcher.h"
#include "core/util/fs.h"

namespace clir::data {

CorpusBuildResult buildCorpusFromCache(const CorpusSettings& settings,
                                       const jobs::JobContext& context) {
    PackageCache cache(fs::dataDir(), loadPins());
    cache.requireUnpacked(settings.languages);
    std::vector<LanguageSource> sources;
    for (const auto& lang : settings.languages) {
        const auto& pin = cache.pins().forLanguage(lang);
        sources.push_back(
            {lang,
             cache.helpRoot(lang),
             {{"package", pin.package}, {"version", pin.version}, {"sha256", pin.sha256}}});
    }
    return buildCorpus(settings, sources, defaultCorpusDir(settings.name), context);
}

store::CorpusRecord corpusRecord(const CorpusBuildResult& built, const CorpusSettings& settings) {
    store::CorpusRecord r;
    r.name = settings.name;
    r.path = built.directory;
    r.hash = built.hash;
    r.manifest = built.manifest.dump();
    return r;
}

jobs::JobResult CorpusJob::run(const jobs::JobContext& context) {
    auto built = buildCorpusFromCache(settings_, context);
    jobs::JobResult result;
    result.corpus = corpusRecord(built, settings_);
    result.artifacts.push_back({"corpus", built.directory});
    result.summary = {
        {"corpus", built.directory}, {"hash", built.hash}, {"stats", built.manifest.at("stats")}};
    return result;
}

}  // namespace clir::data
