// The run lifecycle around a job (see job_runner.h).
#include "core/jobs/job_runner.h"

#include "core/jobs/experiment.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>

#include "core/util/fs.h"
#include "core/util/heap_reuse.h"
#include "core/util/sha256.h"

namespace clir::jobs {

namespace {

// The checkpoint a finished run left of one of `kinds` (the latest of the first kind found);
// empty when it left none.
std::string checkpointOf(store::RunStore& runs, std::int64_t id,
                         const std::vector<std::string>& kinds) {
    auto artifacts = runs.artifacts(id);
    for (const auto& kind : kinds) {
        std::string path;
        for (const auto& a : artifacts)
            if (a.kind == kind) path = a.path;  // the latest of that kind
        if (!path.empty()) return path;
    }
    return "";
}

const std::vector<std::string> kInitKinds = {"best_checkpoint", "checkpoint"};
const std::vector<std::string> kNmtKinds = {"nmt_checkpoint"};

// Resolves block.<fromKey> (a run name or "#id") to that finished run's artifact of one of
// `kinds` in block.<checkpointKey> and block.<runKey>; returns the referenced run's
// configuration hash ("" when the block has no reference). Of several finished runs of that
// name the newest whose checkpoint is on this machine wins, else the newest: a run restored from
// an archive has no files here, which requireFiles refuses.
std::string resolveReference(store::Database& db, const config::ExperimentSpec& spec,
                             nlohmann::json& block, const std::string& blockName,
                             const std::string& fromKey, const std::string& checkpointKey,
                             const std::string& runKey, const std::vector<std::string>& kinds,
                             bool requireFiles) {
    const std::string from = block.value(fromKey, "");
    const std::string field = blockName + "." + fromKey;
    auto fail = [&](const std::string& why) {
        throw config::ConfigError(spec.source + ": field '" + field + "': " + why);
    };
    if (from.empty()) {
        const std::string ckpt = block.value(checkpointKey, "");
        if (!ckpt.empty() && !std::filesystem::exists(ckpt + "/checkpoint.json"))
            throw config::ConfigError(spec.source + ": field '" + blockName + "." + checkpointKey +
                                      "': " + ckpt + " is not a checkpoint folder");
        return "";
    }
    store::RunStore runs(db);
    std::optional<store::RunRecord> found;
    std::string checkpoint;
    if (from[0] == '#') {
        std::int64_t id = 0;
        try {
            id = std::stoll(from.substr(1));
        } catch (const std::exception&) {
            fail("'" + from + "' is not a run id (#12)");
        }
        found = runs.run(id);
        if (!found) fail("no run " + from + " in " + db.path());
        if (found->status != store::RunStatus::Finished)
            fail("run " + from + " is " + store::toString(found->status) + ", not finished");
        checkpoint = checkpointOf(runs, id, kinds);
    } else {
        for (const auto& r : runs.runs())  // newest first
            if (r.name == from && r.status == store::RunStatus::Finished) {
                const std::string c = checkpointOf(runs, r.id, kinds);
                if (!found) {
                    found = r;
                    checkpoint = c;
                }
                if (!c.empty() && std::filesystem::exists(c)) {
                    found = r;
                    checkpoint = c;
                    break;
                }
            }
        if (!found)
            fail("no finished run named '" + from + "' in " + db.path() +
                 "; run its experiment first (experiments/" + from + ".json)");
    }
    const bool present = !checkpoint.empty() && std::filesystem::exists(checkpoint);
    if (!present && requireFiles)
        fail("run #" + std::to_string(found->id) + " ('" + found->name + "', " + found->method +
             ") has no " + kinds.front() + " on this machine" +
             (checkpoint.empty() ? std::string(" (a run restored from an archive carries none)")
                                 : ": " + checkpoint + " is missing") +
             "; run its experiment again");
    block[checkpointKey] = present ? checkpoint : "";
    block[runKey] = found->id;
    return found->configHash;
}

}  // namespace

namespace {

// The run names an experiment starts from (init.from, nmt.model_from; "#id" references left out).
std::vector<std::string> referencedRuns(const config::ExperimentSpec& spec) {
    std::vector<std::string> out;
    for (const auto& [block, key] : {std::pair<const char*, const char*>{"init", "from"},
                                     std::pair<const char*, const char*>{"nmt", "model_from"}})
        if (spec.config.contains(block) && spec.config.at(block).contains(key)) {
            const std::string from = spec.config.at(block).value(key, "");
            if (!from.empty() && from[0] != '#') out.push_back(from);
        }
    return out;
}

bool hasCheckpointHere(store::RunStore& runs, std::int64_t id) {
    for (const auto* kinds : {&kInitKinds, &kNmtKinds}) {
        const std::string c = checkpointOf(runs, id, *kinds);
        if (!c.empty() && std::filesystem::exists(c)) return true;
    }
    return false;
}

}  // namespace

config::ExperimentSpec experimentOfRun(const store::RunRecord& run) {
    auto spec = parseExperiment(run.config, "run " + std::to_string(run.id));
    if (!run.configHash.empty()) spec.configHash = run.configHash;
    return spec;
}

std::optional<store::RunRecord> finishedRunOf(store::RunStore& runs,
                                              const config::ExperimentSpec& experiment,
                                              bool needFiles) {
    for (const auto& r : runs.runs())
        if (r.name == experiment.name && r.configHash == experiment.configHash &&
            r.status == store::RunStatus::Finished && (!needFiles || hasCheckpointHere(runs, r.id)))
            return r;
    return std::nullopt;
}

std::set<std::string> runsNeedingCheckpoints(
    store::Database& db, const std::vector<config::ExperimentSpec>& experiments) {
    // One pass from the end sees every run that needs an input before the input itself.
    std::set<std::string> needed;
    store::RunStore runs(db);
    JobRunner runner(db);
    for (auto it = experiments.rbegin(); it != experiments.rend(); ++it) {
        auto probe = *it;
        bool toRun = true;
        try {
            runner.resolveInputs(probe, false);
            toRun = !finishedRunOf(runs, probe, needed.count(probe.name) > 0);
        } catch (const config::ConfigError&) {
            // Its input has no finished run yet: it runs, and so does what it starts from.
        }
        if (toRun)
            for (const auto& from : referencedRuns(*it)) needed.insert(from);
    }
    return needed;
}

std::vector<std::size_t> suiteRunOrder(const std::vector<config::ExperimentSpec>& experiments,
                                       const std::set<std::string>& needed) {
    const std::size_t n = experiments.size();
    std::map<std::string, std::size_t> byName;  // the first experiment of each name
    for (std::size_t i = n; i-- > 0;) byName[experiments[i].name] = i;
    std::vector<std::vector<std::string>> refs(n);
    for (std::size_t i = 0; i < n; ++i) refs[i] = referencedRuns(experiments[i]);
    std::vector<std::size_t> order;
    std::vector<bool> placed(n, false);
    std::function<void(std::size_t)> place = [&](std::size_t i) {
        if (placed[i]) return;
        placed[i] = true;
        for (const auto& r : refs[i])
            if (auto it = byName.find(r); it != byName.end()) place(it->second);
        order.push_back(i);
    };
    for (std::size_t i = 0; i < n; ++i) {
        if (placed[i] || needed.count(experiments[i].name)) continue;  // deferred input
        place(i);
        const bool fromNeeded = std::any_of(refs[i].begin(), refs[i].end(),
                                            [&](const std::string& r) { return needed.count(r); });
        if (!fromNeeded) continue;  // nothing to train again: the listed order
        for (std::size_t j = i + 1; j < n; ++j)
            if (!placed[j] && !needed.count(experiments[j].name) && refs[j] == refs[i]) place(j);
    }
    for (std::size_t i = 0; i < n; ++i) place(i);  // inputs nothing listed starts from
    return order;
}

void JobRunner::resolveInputs(config::ExperimentSpec& spec, bool requireFiles) {
    // The configuration hash names an input by the configuration of the run that made it, not
    // by its id or path: the same teacher trained again, or restored on another machine, gives
    // the same hash, so finished runs that started from it are reused.
    nlohmann::json identity = spec.config;
    bool changed = false;
    auto resolve = [&](const char* block, const char* fromKey, const char* checkpointKey,
                       const char* runKey, const std::vector<std::string>& kinds) {
        if (!spec.config.contains(block)) return;
        const std::string hash = resolveReference(db_, spec, spec.config[block], block, fromKey,
                                                  checkpointKey, runKey, kinds, requireFiles);
        if (hash.empty()) return;
        changed = true;
        identity[block].erase(checkpointKey);
        identity[block].erase(runKey);
        identity[block][std::string(fromKey) + "_config_hash"] = hash;
    };
    resolve("init", "from", "checkpoint", "from_run", kInitKinds);
    resolve("nmt", "model_from", "model_checkpoint", "model_from_run", kNmtKinds);
    if (changed) spec.configHash = configHashOf(identity);
}

std::int64_t JobRunner::enqueue(const config::ExperimentSpec& spec) {
    store::RunRecord r;
    r.name = spec.name;
    r.method = spec.method;
    if (spec.config.contains("model")) r.preset = spec.config["model"].value("preset", "");
    r.languages = spec.config.at("corpus").at("languages").get<std::vector<std::string>>();
    r.config = spec.config.dump(2);
    r.configHash = spec.configHash;
    r.seed = spec.seed;
    r.codeVersion = codeVersion();
    store::RunStore runs(db_);
    store::Database::Transaction tx(db_);
    std::int64_t id = runs.createRun(r);
    for (const auto& tag : spec.tags) runs.addTag(id, tag);
    runs.linkExperiment(id, spec.name, spec.source);
    tx.commit();
    return id;
}

RunOutcome JobRunner::execute(std::int64_t runId, const config::ExperimentSpec& spec, Job& job,
                              const std::atomic<bool>* cancel, const RunnerListener& listener,
                              bool resume) {
    (void)spec;
    using Clock = std::chrono::steady_clock;
    store::RunStore runs(db_);
    runs.markRunning(runId, store::ProcessIdentity::current());

    const auto start = Clock::now();
    auto seconds = [&](Clock::time_point t) {
        return std::chrono::duration<double>(t - start).count();
    };
    std::vector<store::MetricPoint> pending;
    Clock::time_point lastFlush = start, lastProgressWrite = start - std::chrono::hours(1);

    auto flush = [&] {
        runs.appendMetrics(runId, pending);
        pending.clear();
        lastFlush = Clock::now();
    };

    JobContext ctx;
    ctx.cancel = cancel;
    ctx.parallel = parallel;
    // Files live beside the database they belong to; a leftover folder with this id can only
    // come from a deleted database that had the same ids.
    ctx.outputDir = db_.path() + ".runs/" + std::to_string(runId);
    if (!resume) std::filesystem::remove_all(ctx.outputDir);
    ctx.progress = [&](const Progress& p) {
        if (listener.progress) listener.progress(runId, p);
        auto now = Clock::now();
        if (seconds(now) - seconds(lastProgressWrite) >= progressWriteSeconds ||
            p.fraction >= 1.0) {
            runs.updateProgress(runId, p.fraction, p.message);
            lastProgressWrite = now;
        }
    };
    ctx.metric = [&](const std::string& name, std::int64_t step, double value) {
        auto now = Clock::now();
        pending.push_back({name, step, value, seconds(now)});
        if (listener.metric) listener.metric(runId, name, step, value);
        if (seconds(now) - seconds(lastFlush) >= metricFlushSeconds) flush();
    };

    ctx.persist = flush;
    ctx.alignment = [&](const store::AlignmentRecord& a) { runs.storeAlignment(runId, a); };

    RunOutcome outcome;
    outcome.runId = runId;
    try {
        {
            ScopedHeapReuse heapReuse;  // a training step's large tensors reused, not re-faulted
            outcome.result = job.run(ctx);
        }
        flush();
        // What the job says about itself (fusion weight, page index, trained parameters...).
        if (!outcome.result.summary.empty()) {
            const std::string summaryPath = ctx.outputDir + "/summary.json";
            std::filesystem::create_directories(ctx.outputDir);
            fs::writeFileAtomic(summaryPath, outcome.result.summary.dump(1));
            outcome.result.artifacts.push_back({"summary", summaryPath});
        }
        store::Database::Transaction tx(db_);
        if (outcome.result.corpus) {
            runs.setCorpus(runId, runs.upsertCorpus(*outcome.result.corpus));
        }
        for (const auto& [kind, path] : outcome.result.artifacts)
            runs.addArtifact(runId, kind, path);
        tx.commit();
        runs.storeResults(runId, outcome.result.results);
        runs.storeQueryResults(runId, outcome.result.queryResults);
        runs.storeTranslations(runId, outcome.result.translations);
        outcome.status = store::RunStatus::Finished;
    } catch (const Cancelled&) {
        outcome.status = store::RunStatus::Cancelled;
    } catch (const std::exception& e) {
        outcome.status = store::RunStatus::Failed;
        outcome.error = e.what();
    }
    if (outcome.status != store::RunStatus::Finished) {
        try {
            flush();  // what was measured before the end is kept
        } catch (const std::exception&) {
        }
    }
    runs.finish(runId, outcome.status, outcome.error);
    return outcome;
}

}  // namespace clir::jobs
