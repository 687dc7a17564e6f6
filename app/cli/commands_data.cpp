// `clirlab data fetch|build|import|stats`.
#include <cstdio>
#include <iostream>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "app/cli/progress_printer.h"
#include "core/data/corpus_import.h"
#include "core/data/corpus_job.h"
#include "core/data/corpus_stats.h"
#include "core/data/fetcher.h"
#include "core/data/pins.h"
#include "core/store/run_store.h"
#include "core/util/fs.h"
#include "core/util/text.h"

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
        settings.name = data::helpCorpusName(settings.languages);
    }
    if (a.has("--name")) settings.name = a.value("--name");
    const auto pins = data::loadPins();
    std::vector<std::string> pinned;
    for (const auto& [language, _] : pins.byLanguage) pinned.push_back(language);
    for (const auto& l : settings.languages)
        if (!pins.byLanguage.count(l))
            throw std::runtime_error("--lang " + l +
                                     ": no pinned libreoffice-help package for it in " +
                                     pins.source + " (pinned: " + text::join(pinned, ", ") +
                                     "); bring other collections with clirlab data import");
    return settings;
}

}  // namespace

data::CorpusBuildResult buildAndRegisterCorpus(const GlobalOptions& g,
                                               const data::CorpusSettings& settings) {
    ProgressPrinter printer;
    jobs::JobContext ctx;
    ctx.progress = [&](const jobs::Progress& p) { printer.update(p); };
    auto built = data::buildCorpusFromCache(settings, ctx);
    printer.finish();
    store::Database db(g.databasePath);
    store::RunStore(db).upsertCorpus(data::corpusRecord(built, settings));
    return built;
}

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
    CommandSpec spec{
        "data build",
        "clirlab data build [--lang L]... [--name NAME]",
        "Build the CLIR corpus from the fetched packages: documents, passages, bitext, query "
        "sets, qrels and splits, into\n  " +
            data::defaultCorpusDir() +
            "\nfor the study's languages, and register it in the database. Other languages "
            "(--lang ja) go into a corpus of their own, named after them "
            "(libreoffice-help-7.4-ja), which experiments select with corpus.name (clirlab run "
            "FILE --lang L does it for you).",
        {kLangOption, {"--name", true, false, "corpus folder name (default: see above)"}}};
    auto a = parseArgs(spec, args);
    if (a.has("--help")) return std::cout << spec.helpText(), 0;
    auto built = buildAndRegisterCorpus(g, settingsFrom(a));
    std::printf("corpus %s\n  hash %s\n", built.directory.c_str(), built.hash.c_str());
    return 0;
}

int dataImport(const GlobalOptions& g, const std::vector<std::string>& args) {
    CommandSpec spec{
        "data import",
        "clirlab data import DESCRIPTION.json [--name NAME]",
        "Import your own CLIR collection: documents (JSONL with doc_id/id, title, text, as "
        "ir_datasets exports them, or TSV id<TAB>text), queries (TSV qid<TAB>text, or JSONL "
        "topics with title/description fields, HC4/NeuCLIR's nested topics too), TREC qrels "
        "and bitext (TSV English<TAB>translation) per language. Every line is checked (errors "
        "name the file and line); the corpus is written in the built corpus's layout, with a "
        "manifest, into\n  " +
            fs::dataDir() +
            "/corpora/NAME\nand registered in the database. Experiments use it with "
            "\"corpus\": {\"name\": NAME, \"languages\": [...]}. The description's format is "
            "in the README (Bring your own collection).",
        {{"--name", true, false, "corpus name (default: the description's \"name\")"}},
        1,
        1};
    auto a = parseArgs(spec, args);
    if (a.has("--help")) return std::cout << spec.helpText(), 0;
    const std::string path = a.positionals.at(0);
    auto description = data::parseImportSpec(fs::readFile(path), path);
    if (a.has("--name")) {
        description.name = a.value("--name");
        if (description.name.empty() || description.name.find('/') != std::string::npos)
            throw UsageError("--name: '" + description.name + "' must be a folder name");
    }
    ProgressPrinter printer;
    jobs::JobContext ctx;
    ctx.progress = [&](const jobs::Progress& p) { printer.update(p); };
    auto imported = data::importCorpus(description, data::defaultCorpusDir(description.name), ctx);
    printer.finish();
    store::Database db(g.databasePath);
    store::RunStore(db).upsertCorpus(
        data::corpusRecord(imported, data::importedSettings(description)));
    std::printf("corpus %s\n  hash %s\n\n%s", imported.directory.c_str(), imported.hash.c_str(),
                data::formatStatsTable(imported.manifest).c_str());
    return 0;
}

int dataStats(const GlobalOptions&, const std::vector<std::string>& args) {
    CommandSpec spec{"data stats",
                     "clirlab data stats [--json] [--corpus DIR | --name NAME]",
                     "Print per-language, per-split counts of documents, passages, bitext pairs, "
                     "queries and qrels, and the share of index entries dropped as untranslated.",
                     {{"--json", false, false, "print the statistics as JSON"},
                      {"--corpus", true, false, "corpus folder (default: the built corpus)"},
                      {"--name", true, false, "corpus name under the data cache's corpora/"}}};
    auto a = parseArgs(spec, args);
    if (a.has("--help")) return std::cout << spec.helpText(), 0;
    auto manifest =
        data::loadManifest(a.has("--name") ? data::defaultCorpusDir(a.value("--name"))
                                           : a.value("--corpus", data::defaultCorpusDir()));
    if (a.has("--json")) {
        nlohmann::json out = {
            {"corpus", manifest.at("name")},
            {"hash", manifest.at("hash")},
            {"split_seed", manifest.at("split_seed")},
            {"query_sets",
             manifest.value("query_sets", nlohmann::json::array({"entries", "headings"}))},
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
