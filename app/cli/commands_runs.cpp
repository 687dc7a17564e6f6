// `clirlab list|show` (run and resume: commands_exec.cpp).
#include <algorithm>
#include <filesystem>
#include <cstdio>
#include <iostream>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "core/config/experiment_spec.h"
#include "core/jobs/experiment.h"
#include "core/eval/comparison.h"
#include "core/jobs/job_runner.h"
#include "core/jobs/run_comparison.h"
#include "core/store/run_store.h"
#include "core/util/fs.h"
#include "core/util/text.h"

namespace clir::cli {

int listRuns(const GlobalOptions& g, const std::vector<std::string>& args) {
    CommandSpec spec{"list",
                     "clirlab list [--status S] [--json]",
                     "List the runs in the database, newest first.",
                     {{"--status", true, false, "only runs with this status"},
                      {"--json", false, false, "print JSON"}}};
    auto a = parseArgs(spec, args);
    if (a.has("--help")) return std::cout << spec.helpText(), 0;
    std::string status = a.value("--status");
    if (!status.empty()) store::runStatusFromString(status);  // validates
    store::Database db(g.databasePath);
    store::RunStore runs(db);
    runs.recoverInterrupted();
    nlohmann::json out = nlohmann::json::array();
    if (!a.has("--json"))
        std::printf("%5s  %-11s  %-8s  %-24s  %-24s  %s\n", "id", "status", "method", "name",
                    "created", "languages");
    for (const auto& r : runs.runs()) {
        if (!status.empty() && status != store::toString(r.status)) continue;
        if (a.has("--json")) {
            out.push_back({{"id", r.id},
                           {"name", r.name},
                           {"method", r.method},
                           {"status", store::toString(r.status)},
                           {"created_at", r.createdAt},
                           {"languages", r.languages},
                           {"tags", r.tags}});
            continue;
        }
        std::printf("%5lld  %-11s  %-8s  %-24s  %-24s  %s\n", static_cast<long long>(r.id),
                    store::toString(r.status), r.method.c_str(), r.name.substr(0, 24).c_str(),
                    r.createdAt.c_str(), text::join(r.languages, ",").c_str());
    }
    if (a.has("--json")) std::cout << out.dump(2) << "\n";
    return 0;
}

int showRun(const GlobalOptions& g, const std::vector<std::string>& args) {
    CommandSpec spec{"show",
                     "clirlab show <run> [--json] [--translations [--lang L]] [--metric NAME]",
                     "Show one run: status, provenance (config, code version, corpus), metrics "
                     "and results; or the query translations it stored (tab-separated: language, "
                     "query set, qid, system, source, translation, error); or one metric's "
                     "curve (tab-separated: step, value).",
                     {{"--json", false, false, "print JSON"},
                      {"--translations", false, false, "print the stored query translations"},
                      {"--lang", true, false, "with --translations: only this language"},
                      {"--metric", true, false,
                       "print every recorded point of this metric (loss, grad_norm, "
                       "dev_map, ...), step and value, 17 significant digits"}},
                     1,
                     1};
    auto a = parseArgs(spec, args);
    if (a.has("--help")) return std::cout << spec.helpText(), 0;
    std::int64_t id = parseRunId("show", a.positionals[0]);
    store::Database db(g.databasePath);
    store::RunStore runs(db);
    runs.recoverInterrupted();
    auto r = runs.run(id);
    if (!r) {
        std::fprintf(stderr, "clirlab: no run %lld in %s\n", static_cast<long long>(id),
                     db.path().c_str());
        return 1;
    }
    if (a.has("--translations")) {
        auto rows = runs.translations(id);
        if (rows.empty()) {
            std::fprintf(stderr, "clirlab: run %lld stored no translations\n",
                         static_cast<long long>(id));
            return 1;
        }
        for (const auto& t : rows)
            if (!a.has("--lang") || t.language == a.value("--lang"))
                std::cout << t.language << '\t' << t.querySet << '\t' << t.qid << '\t' << t.system
                          << '\t' << t.source << '\t' << t.target << '\t' << t.error << '\n';
        return 0;
    }
    if (a.has("--metric")) {
        auto points = runs.metrics(id, a.value("--metric"));
        if (points.empty()) {
            std::fprintf(stderr, "clirlab: run %lld recorded no metric '%s'\n",
                         static_cast<long long>(id), a.value("--metric").c_str());
            return 1;
        }
        for (const auto& m : points)
            std::printf("%lld\t%.17g\n", static_cast<long long>(m.step), m.value);
        return 0;
    }
    auto metrics = runs.metrics(id);
    auto results = runs.results(id);
    nlohmann::json j = {{"id", r->id},
                        {"name", r->name},
                        {"method", r->method},
                        {"status", store::toString(r->status)},
                        {"progress", r->progress},
                        {"message", r->message},
                        {"error", r->error},
                        {"created_at", r->createdAt},
                        {"started_at", r->startedAt},
                        {"finished_at", r->finishedAt},
                        {"code_version", r->codeVersion},
                        {"config_hash", r->configHash},
                        {"config", nlohmann::json::parse(r->config)},
                        {"tags", r->tags},
                        {"notes", runs.notes(id)},
                        {"metric_points", metrics.size()}};
    if (r->corpusId)
        if (auto c = runs.corpusById(*r->corpusId))
            j["corpus"] = {{"name", c->name}, {"path", c->path}, {"hash", c->hash}};
    nlohmann::json res = nlohmann::json::array();
    for (const auto& x : results)
        res.push_back({{"language", x.language},
                       {"query_set", x.querySet},
                       {"measure", x.measure},
                       {"value", x.value}});
    j["results"] = res;
    // The job's own summary (fusion weight, page index, ...), kept beside the run.
    for (const auto& art : runs.artifacts(id))
        if (art.kind == "summary" && std::filesystem::exists(art.path)) {
            try {
                j["summary"] = nlohmann::json::parse(fs::readFile(art.path));
            } catch (const nlohmann::json::exception& e) {
                throw std::runtime_error(art.path + ": not a run summary (" + e.what() + ")");
            }
        }
    if (a.has("--json")) {
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    std::printf("run %lld  %s\n", static_cast<long long>(r->id), r->name.c_str());
    std::printf("  method      %s\n  status      %s%s%s\n", r->method.c_str(),
                store::toString(r->status), r->error.empty() ? "" : " — ", r->error.c_str());
    std::printf("  created     %s\n  started     %s\n  finished    %s\n", r->createdAt.c_str(),
                r->startedAt.c_str(), r->finishedAt.c_str());
    std::printf("  code        %s\n  config      %s\n", r->codeVersion.c_str(),
                r->configHash.substr(0, 16).c_str());
    std::printf("  languages   %s\n", text::join(r->languages, ", ").c_str());
    if (!r->tags.empty()) std::printf("  tags        %s\n", text::join(r->tags, ", ").c_str());
    if (j.contains("corpus"))
        std::printf("  corpus      %s (%s)\n", j["corpus"]["path"].get<std::string>().c_str(),
                    j["corpus"]["hash"].get<std::string>().substr(0, 12).c_str());
    std::printf("  metrics     %zu points\n", metrics.size());
    if (j.contains("summary"))
        for (const auto& [key, value] : j["summary"].items()) {
            if (key == "per_language") continue;  // the results below
            std::string v = value.is_string() ? value.get<std::string>() : value.dump();
            if (v.size() > 160) v = v.substr(0, 157) + "...";
            std::printf("  %-11s %s\n", key.c_str(), v.c_str());
        }
    for (const auto& x : results)
        std::printf("  %-8s %-10s %-14s %.4f\n", x.language.c_str(), x.querySet.c_str(),
                    x.measure.c_str(), x.value);
    return 0;
}

}  // namespace clir::cli
