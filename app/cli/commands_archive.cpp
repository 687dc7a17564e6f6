// `clirlab archive|restore`: finished runs as portable JSON files (core/store/run_archive.h), so
// that a suite continues on another machine and its report is regenerated from the archives.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <set>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "core/jobs/experiment.h"
#include "core/store/run_archive.h"
#include "core/store/run_store.h"
#include "core/util/fs.h"

namespace clir::cli {

namespace stdfs = std::filesystem;

int archiveCommand(const GlobalOptions& g, const std::vector<std::string>& args) {
    CommandSpec spec{
        "archive",
        "clirlab archive [SUITE.json...] [--runs ID,...] --out DIR",
        "Write finished runs as portable JSON files into DIR, one file per run named by the "
        "run's name, configuration hash and finish time (a file already there is left as it "
        "is): every finished run of each experiment a suite lists, or the runs given by id. A "
        "file holds what the run recorded in the database — configuration, hashes, timestamps, "
        "tags, notes, corpus, results, per-query values, translations and metric series — but "
        "not the files beside it (checkpoints, TREC runs, transport plans). `clirlab restore "
        "DIR` brings them into another database, where `clirlab run SUITE` reuses them and "
        "`clirlab report` reads them.",
        {{"--out", true, false, "the folder to write (created when missing)"},
         {"--runs", true, true, "run ids, comma-separated (repeatable)"}},
        0,
        64};
    auto a = parseArgs(spec, args);
    if (a.has("--help")) return std::cout << spec.helpText(), 0;
    if (!a.has("--out")) throw UsageError("archive: --out DIR is required");
    if (a.positionals.empty() && !a.has("--runs"))
        throw UsageError("archive: name a suite file or --runs ID,...");
    std::set<std::int64_t> ids;
    for (const auto& list : a.values("--runs")) {
        std::size_t start = 0;
        while (start <= list.size()) {
            auto comma = list.find(',', start);
            if (comma == std::string::npos) comma = list.size();
            ids.insert(parseRunId("archive", list.substr(start, comma - start)));
            start = comma + 1;
        }
    }
    store::Database db(g.databasePath);
    store::RunStore runs(db);
    const auto all = runs.runs();
    for (const auto& file : a.positionals) {
        const auto suite = jobs::loadExperiment(file);
        std::set<std::string> names;
        for (const auto& e : jobs::loadSuiteExperiments(suite)) names.insert(e.name);
        for (const auto& r : all)
            if (names.count(r.name) && r.status == store::RunStatus::Finished) ids.insert(r.id);
    }
    const std::string out = a.value("--out");
    std::size_t written = 0;
    for (const auto id : ids) written += store::writeRunArchive(db, id, out);
    std::printf("archived %zu runs to %s: %zu written, %zu already there\n", ids.size(),
                out.c_str(), written, ids.size() - written);
    return 0;
}

int restoreCommand(const GlobalOptions& g, const std::vector<std::string>& args) {
    CommandSpec spec{
        "restore",
        "clirlab restore PATH...",
        "Bring archived runs (files written by `clirlab archive`, or folders of them) into the "
        "database: each run in one transaction, skipped when a run with the same name, "
        "configuration hash and finish time is already there, keeping its archived id when that "
        "id is free. Every file is read and checked before anything is written; an error names "
        "the file and the field. A restored run is reused by `clirlab run` and read by `clirlab "
        "report`; its checkpoints and TREC files stay on the machine that made it, so a later "
        "experiment that starts from it trains it again.",
        {},
        1,
        4096};
    auto a = parseArgs(spec, args);
    if (a.has("--help")) return std::cout << spec.helpText(), 0;
    std::vector<std::string> files;
    for (const auto& p : a.positionals) {
        if (stdfs::is_directory(p)) {
            std::vector<std::string> inDir;
            for (const auto& entry : stdfs::directory_iterator(p))
                if (entry.is_regular_file() && entry.path().extension() == ".json")
                    inDir.push_back(entry.path().string());
            std::sort(inDir.begin(), inDir.end());
            files.insert(files.end(), inDir.begin(), inDir.end());
        } else if (stdfs::is_regular_file(p)) {
            files.push_back(p);
        } else {
            throw UsageError("restore: " + p + " is neither an archive file nor a folder");
        }
    }
    std::vector<nlohmann::json> archives;
    for (const auto& f : files) {
        try {
            archives.push_back(nlohmann::json::parse(fs::readFile(f)));
        } catch (const nlohmann::json::parse_error& e) {
            throw store::ArchiveError(f + ": not JSON: " + e.what());
        }
    }
    // Archives are restored oldest first, so that run ids keep their order.
    std::vector<std::size_t> order(archives.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    auto idOf = [&](std::size_t i) {
        const auto& j = archives[i];
        return j.is_object() && j.contains("run") && j["run"].is_object() &&
                       j["run"].contains("id") && j["run"]["id"].is_number_integer()
                   ? j["run"]["id"].get<std::int64_t>()
                   : std::int64_t(0);
    };
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t x, std::size_t y) { return idOf(x) < idOf(y); });
    store::Database db(g.databasePath);
    // Checked in full first: a bad file restores nothing.
    {
        store::Database scratch(":memory:");
        for (const auto i : order) store::restoreRun(scratch, archives[i], files[i]);
    }
    std::size_t restored = 0, present = 0;
    for (const auto i : order) {
        auto outcome = store::restoreRun(db, archives[i], files[i]);
        (outcome.restored ? restored : present)++;
    }
    std::printf("restored %zu runs into %s, %zu already there\n", restored, db.path().c_str(),
                present);
    return 0;
}

}  // namespace clir::cli
