// `clirlab data fetch|build|stats`.
#include <cstdio>
#include <iostream>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "app/cli/progress_printer.h"
#include "core/data/corpus_job.h"
#include "core/data/corpus_stats.h"
#include "core/data/fetcher.h"
#include "core/store/run_store.h"
#include "core/util/fs.h"

namespace clir::cli {
namespace {

const OptionSpec kLangOption{"--lang", true, true,
                             "language to include (repeatable; default: the study's 8)"};

data::CorpusSettings settingsFrom(const ParsedArgs& a) {
    auto settings = data::CorpusSettings::defaults();
    if (a.has("--lang")) {
        nlohmann::json j = nlohmann::json::object();
        j["languages"] = a.values("--lang");
        config::validate(j, data::corpusSchema(), "");
        settings.languages = data::CorpusSettings::fromJson(j).languages;
    }
    return settings;
}

}  // namespace

int dataFetch(const GlobalOptions&, const std::vector<std::string>& args) {
    CommandSpec spec{"data fetch",
                     "clirlab data fetch [--lang L]...",
                     "Download the pinned libreoffice-help Debian packages (apt-get download), "
                     "verify their SHA-256 and unpack them into the data cache:\n  " +
                         fs::dataDir() + "  (set CLIRLAB_DATA to move it)",
                     {kLangOption}};
    auto a = parseArgs(spec, args);
    if (a.has("--help")) return std::cout << spec.helpText(), 0;
    auto settings = settingsFrom(a);
    data::PackageCache cache(fs::dataDir(), data::loadPins());
    auto report = cache.fetch(settings.languages, [](const std::string& m) {
        std::fprintf(stderr, "fetch: %s\n", m.c_str());
    });
    std::printf("fetched %zu, cached %zu package(s) in %s\n", report.downloaded.size(),
                report.reused.size(), fs::dataDir().c_str());
    return 0;
}

int dataBuild(const GlobalOptions& g, const std::vector<std::string>& args) {
    CommandSpec spec{"data build",
                     "clirlab data build [--lang L]...",
                     "Build the CLIR corpus from the fetched packages: documents, passages, "
                     "bitext, query sets, qrels and splits, into\n  " +
                         data::defaultCorpusDir() + "\nand register it in the database.",
                     {kLangOption}};
    auto a = parseArgs(spec, args);
    if (a.has("--help")) return std::cout << spec.helpText(), 0;
    auto settings = settingsFrom(a);
    ProgressPrinter printer;
    jobs::JobContext ctx;
    ctx.progress = [&](const jobs::Progress& p) { printer.update(p); };
    auto built = data::buildCorpusFromCache(settings, ctx);
    printer.finish();
    store::Database db(g.databasePath);
    store::RunStore(db).upsertCorpus(data::corpusRecord(built, settings));
    std::printf("corpus %s\n  hash %s\n", built.directory.c_str(), built.hash.c_str());
    return 0;
}

int dataStats(const GlobalOptions&, const std::vector<std::string>& args) {
    CommandSpec spec{"data stats",
                     "clirlab data stats [--json] [--corpus DIR]",
                     "Print per-language, per-split counts of documents, passages, bitext pairs, "
                     "queries and qrels, and the share of index entries dropped as untranslated.",
                     {{"--json", false, false, "print the statistics as JSON"},
                      {"--corpus", true, false, "corpus folder (default: the built corpus)"}}};
    auto a = parseArgs(spec, args);
    if (a.has("--help")) return std::cout << spec.helpText(), 0;
    auto manifest = data::loadManifest(a.value("--corpus", data::defaultCorpusDir()));
    if (a.has("--json")) {
        nlohmann::json out = {{"corpus", manifest.at("name")},
                              {"hash", manifest.at("hash")},
                              {"split_seed", manifest.at("split_seed")},
                              {"languages", manifest.at("stats")},
                              {"dropped", manifest.at("dropped")}};
        std::cout << out.dump(2) << "\n";
    } else {
        std::cout << "corpus " << manifest.at("name").get<std::string>() << " ("
                  << manifest.at("hash").get<std::string>().substr(0, 12) << ")\n\n"
                  << data::formatStatsTable(manifest);
    }
    return 0;
}

}  // namespace clir::cli
