// The run lifecycle around a job (see job_runner.h).
#include "core/jobs/job_runner.h"

#include <chrono>
#include <filesystem>
#include <optional>

#include "core/util/fs.h"
#include "core/util/sha256.h"

namespace clir::jobs {

std::string codeVersion() {
    return CLIRLAB_VERSION;
}

namespace {

// Resolves block.<fromKey> (a run name or "#id") to that finished run's artifact of one of
// `kinds` (the first kind found wins) in block.<checkpointKey> and block.<runKey>.
bool resolveReference(store::Database& db, const config::ExperimentSpec& spec,
                      nlohmann::json& block, const std::string& blockName,
                      const std::string& fromKey, const std::string& checkpointKey,
                      const std::string& runKey, const std::vector<std::string>& kinds) {
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
        return false;
    }
    store::RunStore runs(db);
    std::optional<store::RunRecord> found;
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
    } else {
        for (const auto& r : runs.runs())  // newest first
            if (r.name == from && r.status == store::RunStatus::Finished) {
                found = r;
                break;
            }
        if (!found)
            fail("no finished run named '" + from + "' in " + db.path() +
                 "; run its experiment first (experiments/" + from + ".json)");
    }
    std::string checkpoint;
    auto artifacts = runs.artifacts(found->id);
    for (const auto& kind : kinds) {
        for (const auto& a : artifacts)
            if (a.kind == kind) checkpoint = a.path;  // the latest of that kind
        if (!checkpoint.empty()) break;
    }
    if (checkpoint.empty())
        fail("run #" + std::to_string(found->id) + " ('" + found->name + "', " + found->method +
             ") left no " + kinds.front());
    block[checkpointKey] = checkpoint;
    block[runKey] = found->id;
    return true;
}

}  // namespace

void JobRunner::resolveInputs(config::ExperimentSpec& spec) {
    bool changed = false;
    if (spec.config.contains("init"))
        changed |= resolveReference(db_, spec, spec.config["init"], "init", "from", "checkpoint",
                                    "from_run", {"best_checkpoint", "checkpoint"});
    if (spec.config.contains("nmt"))
        changed |= resolveReference(db_, spec, spec.config["nmt"], "nmt", "model_from",
                                    "model_checkpoint", "model_from_run", {"nmt_checkpoint"});
    if (changed) spec.configHash = Sha256::hex(spec.config.dump());
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
        outcome.result = job.run(ctx);
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
