// `clirlab run|list|show`.
#include <csignal>
#include <filesystem>
#include <cstdio>
#include <iostream>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "app/cli/progress_printer.h"
#include "core/config/experiment_spec.h"
#include "core/eval/comparison.h"
#include "core/jobs/job_factory.h"
#include "core/jobs/job_runner.h"
#include "core/model/encoder_config.h"
#include "core/store/run_store.h"
#include "core/train/live_alignment.h"
#include "core/train/nmt_job.h"
#include "core/util/text.h"

namespace clir::cli {
namespace {

// The path of a run's artifact of `kind`; throws naming the run when there is no such run or it
// has none (`missing` says what it lacks and what the command needs).
std::string runArtifact(store::Database& db, std::int64_t id, const std::string& kind,
                        const std::string& missing) {
    store::RunStore runs(db);
    auto r = runs.run(id);
    if (!r) throw std::runtime_error("no run " + std::to_string(id) + " in " + db.path());
    std::string path;
    for (const auto& art : runs.artifacts(id))
        if (art.kind == kind) path = art.path;
    if (path.empty())
        throw std::runtime_error("run " + std::to_string(id) + " (" + r->method + ") has " +
                                 missing);
    return path;
}

std::atomic<bool> gCancel{false};
extern "C" void onInterrupt(int) {
    gCancel.store(true);
}

// Runs (or resumes) a stored run in the foreground: Ctrl-C cancels, progress on the terminal,
// the outcome printed. Returns the exit code.
int executeInForeground(store::Database& db, std::int64_t id,
                        const config::ExperimentSpec& experiment, jobs::Job& job, bool resume) {
    std::signal(SIGINT, onInterrupt);
    std::signal(SIGTERM, onInterrupt);
    ProgressPrinter printer;
    jobs::RunnerListener listener;
    listener.progress = [&](std::int64_t, const jobs::Progress& p) { printer.update(p); };
    auto outcome = jobs::JobRunner(db).execute(id, experiment, job, &gCancel, listener, resume);
    printer.finish();
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    std::printf("run %lld %s%s%s\n", static_cast<long long>(id), store::toString(outcome.status),
                outcome.error.empty() ? "" : ": ", outcome.error.c_str());
    return outcome.status == store::RunStatus::Finished ? 0 : 1;
}

// Resolves, queues and runs one experiment; returns the run id and the exit code. With reuse, a
// finished run of the same name and resolved configuration is taken instead of running again.
std::pair<std::int64_t, int> runOne(store::Database& db, config::ExperimentSpec& experiment,
                                    bool reuse) {
    store::RunStore runs(db);
    runs.recoverInterrupted();
    jobs::JobRunner runner(db);
    runner.resolveInputs(experiment);
    if (reuse)
        for (const auto& r : runs.runs())
            if (r.name == experiment.name && r.configHash == experiment.configHash &&
                r.status == store::RunStatus::Finished) {
                std::fprintf(stderr, "run %lld: %s (%s) reused, finished %s\n",
                             static_cast<long long>(r.id), experiment.name.c_str(),
                             experiment.method.c_str(), r.finishedAt.c_str());
                return {r.id, 0};
            }
    auto job = jobs::makeJob(experiment);
    std::int64_t id = runner.enqueue(experiment);
    std::fprintf(stderr, "run %lld: %s (%s)\n", static_cast<long long>(id), experiment.name.c_str(),
                 experiment.method.c_str());
    return {id, executeInForeground(db, id, experiment, *job, false)};
}

// A suite: its experiments in order (each reusing an identical finished run), then the
// comparison table of every run that has results, with markers against the baselines.
int runSuite(const GlobalOptions& g, const config::ExperimentSpec& suite) {
    const auto& block = suite.config.at("suite");
    const auto base = std::filesystem::path(suite.source).parent_path();
    std::vector<config::ExperimentSpec> experiments;
    for (const auto& f : block.at("experiments")) {  // all validated before anything runs
        auto path = (base / f.get<std::string>()).string();
        auto e = config::loadExperiment(path);
        if (e.method == "suite")
            throw config::ConfigError(suite.source + ": field 'suite.experiments': " + path +
                                      " is a suite itself");
        experiments.push_back(std::move(e));
    }
    store::Database db(g.databasePath);
    std::vector<std::pair<std::string, std::int64_t>> done;
    for (std::size_t i = 0; i < experiments.size(); ++i) {
        std::fprintf(stderr, "[%zu/%zu] %s\n", i + 1, experiments.size(),
                     experiments[i].source.c_str());
        auto [id, code] = runOne(db, experiments[i], true);
        if (code != 0) {
            std::fprintf(stderr, "suite %s stopped: run %lld did not finish\n", suite.name.c_str(),
                         static_cast<long long>(id));
            return 1;
        }
        done.push_back({experiments[i].name, id});
    }
    store::RunStore runs(db);
    const std::string measure = block.at("measure");
    for (const auto& set : block.at("query_sets")) {
        std::vector<eval::ComparedRun> compared;
        std::vector<std::size_t> baselines;
        for (const auto& [name, id] : done) {
            eval::ComparedRun c;
            c.label = name;
            for (const auto& x : runs.results(id))
                if (x.querySet == set && x.measure == measure)
                    c.perLanguage[x.language] = runs.queryResults(id, x.language, set, measure);
            if (c.perLanguage.empty()) continue;
            for (const auto& b : block.at("baselines"))
                if (b == name) baselines.push_back(compared.size());
            compared.push_back(std::move(c));
        }
        if (compared.empty()) continue;
        std::cout << "\n"
                  << eval::formatAgainstBaselines(compared, baselines, measure,
                                                  set.get<std::string>());
    }
    std::cout << "\nruns:";
    for (const auto& [name, id] : done) std::cout << " " << name << "=#" << id;
    std::cout << "\n";
    return 0;
}

}  // namespace

int runExperiment(const GlobalOptions& g, const std::vector<std::string>& args) {
    CommandSpec spec{"run",
                     "clirlab run <experiment.json>",
                     "Validate an experiment file, record it as a run in the database and run it "
                     "here. Ctrl-C cancels (the run is kept as cancelled).",
                     {},
                     1,
                     1};
    auto a = parseArgs(spec, args);
    if (a.has("--help")) return std::cout << spec.helpText(), 0;
    auto experiment = config::loadExperiment(a.positionals[0]);  // before touching the store
    if (experiment.method == "suite") return runSuite(g, experiment);
    // A bad setting fails before the store is touched (init.from needs the store to resolve).
    if (!experiment.config.contains("init")) jobs::makeJob(experiment);
    store::Database db(g.databasePath);
    return runOne(db, experiment, false).second;
}

int resumeRun(const GlobalOptions& g, const std::vector<std::string>& args) {
    CommandSpec spec{"resume",
                     "clirlab resume RUN",
                     "Continue an interrupted, failed or cancelled run from its last checkpoint, "
                     "with the configuration stored with it.",
                     {},
                     1,
                     1};
    auto a = parseArgs(spec, args);
    if (a.has("--help")) return std::cout << spec.helpText(), 0;
    std::int64_t id = parseRunId("resume", a.positionals[0]);
    store::Database db(g.databasePath);
    store::RunStore runs(db);
    runs.recoverInterrupted();
    auto r = runs.run(id);
    if (!r) throw std::runtime_error("no run " + std::to_string(id) + " in " + db.path());
    if (r->status == store::RunStatus::Running || r->status == store::RunStatus::Finished ||
        r->status == store::RunStatus::Queued)
        throw std::runtime_error("run " + std::to_string(id) + " is " + store::toString(r->status) +
                                 "; only interrupted, failed or cancelled runs resume");
    auto experiment = config::parseExperiment(r->config, "run " + std::to_string(id));
    auto job = jobs::makeJob(experiment);
    return executeInForeground(db, id, experiment, *job, true);
}

int translateCommand(const GlobalOptions& g, const std::vector<std::string>& args) {
    CommandSpec spec{"translate",
                     "clirlab translate RUN TEXT --lang L [--beam K]",
                     "Translate TEXT from language L into English with the model of a finished nmt "
                     "run (beam search, 4 by default).",
                     {{"--lang", true, false, "source language (om, km, dz, eu, de, fr, es, ...)"},
                      {"--beam", true, false, "beam width; 1 decodes greedily"}},
                     2,
                     2};
    auto a = parseArgs(spec, args);
    if (a.has("--help")) return std::cout << spec.helpText(), 0;
    if (!a.has("--lang")) throw UsageError("translate: --lang is required");
    int beam = 0;
    if (a.has("--beam")) {
        try {
            beam = std::stoi(a.value("--beam"));
        } catch (const std::exception&) {
            beam = 0;
        }
        if (beam <= 0) throw UsageError("translate: --beam must be a positive integer");
    }
    store::Database db(g.databasePath);
    const std::string checkpoint =
        runArtifact(db, parseRunId("translate", a.positionals[0]), "nmt_checkpoint",
                    "no translation model; translate needs a finished nmt run");
    std::cout << train::translateText(checkpoint, a.value("--lang"), a.positionals[1], beam)
              << "\n";
    return 0;
}

int alignCommand(const GlobalOptions& g, const std::vector<std::string>& args) {
    CommandSpec spec{"align",
                     "clirlab align RUN ENGLISH OTHER [--eps E]",
                     "Transport plan of two sentences under a finished retrieval run's best "
                     "checkpoint (C = 1 - cos of token vectors, entropic OT): each English token's "
                     "best-aligned token with its mass, and <P, C>.",
                     {{"--eps", true, false, "entropic regularisation (default 0.05)"}},
                     3,
                     3};
    auto a = parseArgs(spec, args);
    if (a.has("--help")) return std::cout << spec.helpText(), 0;
    train::LiveAlignmentOptions options;
    if (a.has("--eps")) {
        try {
            options.epsilon = std::stod(a.value("--eps"));
        } catch (const std::exception&) {
            options.epsilon = 0;
        }
        if (!(options.epsilon > 0)) throw UsageError("align: --eps must be a positive number");
    }
    store::Database db(g.databasePath);
    const std::string checkpoint =
        runArtifact(db, parseRunId("align", a.positionals[0]), "best_checkpoint",
                    "no retrieval checkpoint; align needs a finished teacher, fine-tune, hybrid or "
                    "optical run");
    auto al = train::alignSentences(checkpoint, a.positionals[1], a.positionals[2], options);
    const std::size_t cols = al.targetTokens.size();
    double total = 0;
    for (std::size_t i = 0; i < al.plan.size(); ++i) total += double(al.plan[i] * al.cost[i]);
    for (std::size_t row = 0; row < al.sourceTokens.size(); ++row) {
        std::size_t best = 0;
        for (std::size_t c = 1; c < cols; ++c)
            if (al.plan[row * cols + c] > al.plan[row * cols + best]) best = c;
        std::printf("%-20s -> %-20s mass %.4f  cost %.4f\n", al.sourceTokens[row].c_str(),
                    al.targetTokens[best].c_str(), double(al.plan[row * cols + best]),
                    double(al.cost[row * cols + best]));
    }
    std::printf("<P, C> = %.6f over %zu x %zu tokens (eps %g)\n", total, al.sourceTokens.size(),
                cols, options.epsilon);
    return 0;
}

int modelInfo(const GlobalOptions&, const std::vector<std::string>& args) {
    CommandSpec spec{"model info",
                     "clirlab model info --preset P [--vocab V] [--json]",
                     "Shape and exact parameter count of an encoder preset.",
                     {{"--preset", true, false, "xs, s, m, l, xlmr-base, xlmr-large, xlmr-xl"},
                      {"--vocab", true, false, "vocabulary size (default: the preset's)"},
                      {"--json", false, false, "print JSON"}}};
    auto a = parseArgs(spec, args);
    if (a.has("--help")) return std::cout << spec.helpText(), 0;
    if (!a.has("--preset")) throw UsageError("model info: --preset is required");
    std::int64_t vocab = 0;
    if (a.has("--vocab")) {
        try {
            std::size_t used = 0;
            vocab = std::stoll(a.value("--vocab"), &used);
            if (used != a.value("--vocab").size() || vocab <= 0) throw std::invalid_argument("");
        } catch (const std::exception&) {
            throw UsageError("model info: --vocab must be a positive integer");
        }
    }
    model::EncoderConfig c;
    try {
        c = model::presetConfig(a.value("--preset"), vocab);
    } catch (const std::invalid_argument& e) {
        throw UsageError(std::string("model info: ") + e.what());
    }
    auto n = model::countParameters(c);
    if (a.has("--json")) {
        auto j = c.toJson();
        j["parameters"] = {{"embeddings", n.embeddings},
                           {"per_layer", n.perLayer},
                           {"layers", n.layers},
                           {"pooler", n.pooler},
                           {"encoder", n.encoder()},
                           {"mlm_head", n.mlmHead},
                           {"with_mlm_head", n.withMlmHead()}};
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    std::printf(
        "preset       %s\nvocabulary   %lld\nlayers       %lld\nhidden       %lld\n"
        "heads        %lld\nffn          %lld\npositions    %lld\n",
        c.preset.c_str(), (long long)c.vocabSize, (long long)c.layers, (long long)c.hidden,
        (long long)c.heads, (long long)c.ffn, (long long)c.maxPositions);
    std::printf(
        "parameters   %lld  (embeddings %lld, %lld per layer, pooler %lld)\n"
        "with MLM head %lld (decoder tied to the word embeddings)\n",
        (long long)n.encoder(), (long long)n.embeddings, (long long)n.perLayer, (long long)n.pooler,
        (long long)n.withMlmHead());
    return 0;
}

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
                     "clirlab show <run> [--json] [--translations [--lang L]]",
                     "Show one run: status, provenance (config, code version, corpus), metrics "
                     "and results; or the query translations it stored (tab-separated: language, "
                     "query set, qid, system, source, translation, error).",
                     {{"--json", false, false, "print JSON"},
                      {"--translations", false, false, "print the stored query translations"},
                      {"--lang", true, false, "with --translations: only this language"}},
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
    if (r->corpusId) {
        auto s = db.prepare("SELECT name, path, hash FROM corpora WHERE id=?");
        s.bind(1, *r->corpusId);
        if (s.step()) j["corpus"] = {{"name", s.text(0)}, {"path", s.text(1)}, {"hash", s.text(2)}};
    }
    nlohmann::json res = nlohmann::json::array();
    for (const auto& x : results)
        res.push_back({{"language", x.language},
                       {"query_set", x.querySet},
                       {"measure", x.measure},
                       {"value", x.value}});
    j["results"] = res;
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
    for (const auto& x : results)
        std::printf("  %-8s %-10s %-14s %.4f\n", x.language.c_str(), x.querySet.c_str(),
                    x.measure.c_str(), x.value);
    return 0;
}

}  // namespace clir::cli
