// `clirlab run|resume`: experiments, sweeps and suites run in the foreground (LibTorch: built into
// clirlab-torch, which clirlab hands these commands to).
#include <algorithm>
#include <atomic>
#include <csignal>
#include <pthread.h>
#include <filesystem>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <set>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "app/cli/parallel_launch.h"
#include "app/cli/progress_printer.h"
#include "core/config/experiment_spec.h"
#include "core/data/corpus_job.h"
#include "core/data/corpus_stats.h"
#include "core/data/fetcher.h"
#include "core/data/pins.h"
#include "core/jobs/experiment.h"
#include "core/eval/comparison.h"
#include "core/jobs/job_factory.h"
#include "core/jobs/job_runner.h"
#include "core/jobs/run_comparison.h"
#include "core/store/run_archive.h"
#include "core/store/run_store.h"
#include "core/util/fs.h"
#include "core/util/text.h"

namespace clir::cli {
namespace {

std::atomic<bool> gCancel{false};
extern "C" void onInterrupt(int) {
    gCancel.store(true);
}

// While alive, Ctrl-C and SIGTERM set gCancel, also in a process started with them ignored or
// blocked (a job started in the background by a non-interactive shell ignores SIGINT, so a
// suite took no Ctrl-C until its first run started); the previous handling comes back after.
class InterruptScope {
  public:
    InterruptScope() {
        previousInt_ = std::signal(SIGINT, onInterrupt);
        previousTerm_ = std::signal(SIGTERM, onInterrupt);
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        pthread_sigmask(SIG_UNBLOCK, &set, &previousMask_);
    }
    ~InterruptScope() {
        pthread_sigmask(SIG_SETMASK, &previousMask_, nullptr);
        std::signal(SIGINT, previousInt_ == SIG_ERR ? SIG_DFL : previousInt_);
        std::signal(SIGTERM, previousTerm_ == SIG_ERR ? SIG_DFL : previousTerm_);
    }
    InterruptScope(const InterruptScope&) = delete;
    InterruptScope& operator=(const InterruptScope&) = delete;

  private:
    void (*previousInt_)(int) = SIG_DFL;
    void (*previousTerm_)(int) = SIG_DFL;
    sigset_t previousMask_;
};

// Runs (or resumes) a stored run in the foreground: Ctrl-C cancels, progress on the terminal,
// the outcome printed. Returns the exit code.
// With `parallel`, this process is rank 0 of a data-parallel group: the workers learn the run.
int executeInForeground(store::Database& db, std::int64_t id,
                        const config::ExperimentSpec& experiment, jobs::Job& job, bool resume,
                        ParallelLaunch* parallel = nullptr) {
    InterruptScope interrupts;
    ProgressPrinter printer;
    jobs::RunnerListener listener;
    listener.progress = [&](std::int64_t, const jobs::Progress& p) { printer.update(p); };
    jobs::JobRunner runner(db);
    if (parallel) {
        parallel->announce(id);
        runner.parallel = &parallel->group();
    }
    auto outcome = runner.execute(id, experiment, job, &gCancel, listener, resume);
    printer.finish();
    const bool finished = outcome.status == store::RunStatus::Finished;
    std::printf("run %lld %s%s%s\n", static_cast<long long>(id), store::toString(outcome.status),
                outcome.error.empty() ? "" : ": ", outcome.error.c_str());
    if (parallel)
        if (auto workers = parallel->finish(finished); !workers.empty())
            std::fprintf(stderr, "%s\n", workers.c_str());
    return finished ? 0 : 1;
}

// --nproc N (1 when absent).
int nprocOf(const ParsedArgs& a) {
    if (!a.has("--nproc")) return 1;
    const std::string v = a.value("--nproc");
    char* end = nullptr;
    const long n = std::strtol(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0' || n < 1 || n > 256)
        throw UsageError("--nproc '" + v + "': expected a number of processes from 1 to 256");
    return int(n);
}

const OptionSpec kNprocOption{
    "--nproc", true, false,
    "train data-parallel in N local processes (pretrain, nmt and the retrieval methods that "
    "train): each takes "
    "an equal share of every batch, gradients are averaged over c10d/Gloo, rank 0 writes the "
    "store and checkpoints. Under a launcher's RANK/WORLD_SIZE/MASTER_ADDR/MASTER_PORT the "
    "command joins that group instead (the same database path on every machine)"};

// Resolves, queues and runs one experiment; returns the run id and the exit code. With reuse, a
// finished run of the same name and resolved configuration is taken instead of running again
// (with needFiles, only one whose checkpoint is here: a later experiment starts from it).
std::pair<std::int64_t, int> runOne(store::Database& db, config::ExperimentSpec& experiment,
                                    bool reuse, bool needFiles = false,
                                    ParallelLaunch* parallel = nullptr) {
    store::RunStore runs(db);
    runs.recoverInterrupted();
    jobs::JobRunner runner(db);
    if (reuse) {
        auto probe = experiment;
        runner.resolveInputs(probe, false);
        if (auto r = jobs::finishedRunOf(runs, probe, needFiles)) {
            std::fprintf(stderr, "run %lld: %s (%s) reused, finished %s\n",
                         static_cast<long long>(r->id), experiment.name.c_str(),
                         experiment.method.c_str(), r->finishedAt.c_str());
            return {r->id, 0};
        }
    }
    runner.resolveInputs(experiment);
    auto job = jobs::makeJob(experiment);
    std::int64_t id = runner.enqueue(experiment);
    std::fprintf(stderr, "run %lld: %s (%s)\n", static_cast<long long>(id), experiment.name.c_str(),
                 experiment.method.c_str());
    return {id, executeInForeground(db, id, experiment, *job, false, parallel)};
}

// Runs experiments in order (each reusing an identical finished run), then prints the
// comparison table of every run that has results, the seeds of one configuration (its group)
// pooled into one row of mean ± sd, with markers against the baselines (group names).
int runSeveral(const GlobalOptions& g, const std::string& title,
               std::vector<config::ExperimentSpec>& experiments, const nlohmann::json& block,
               const std::string& archiveDir) {
    InterruptScope interrupts;  // also while finished runs are only being looked up
    store::Database db(g.databasePath);
    // A restored run (no files here) is trained again only when a run that starts from it must.
    // Such an input runs just before the first run that starts from it, and the runs that start
    // from one input run together (jobs::suiteRunOrder); the table keeps the listed order.
    const auto needed = jobs::runsNeedingCheckpoints(db, experiments);
    const auto order = jobs::suiteRunOrder(experiments, needed);
    std::vector<std::int64_t> ids(experiments.size(), 0);
    for (std::size_t k = 0; k < order.size(); ++k) {
        const std::size_t i = order[k];
        if (gCancel.load()) {
            std::fprintf(stderr, "%s cancelled before [%zu/%zu] %s: no further run started\n",
                         title.c_str(), k + 1, experiments.size(), experiments[i].name.c_str());
            return 1;
        }
        std::fprintf(stderr, "[%zu/%zu] %s\n", k + 1, experiments.size(),
                     experiments[i].name.c_str());
        auto [id, code] = runOne(db, experiments[i], true, needed.count(experiments[i].name) > 0);
        if (code == 0 && !archiveDir.empty()) store::writeRunArchive(db, id, archiveDir);
        if (code != 0) {
            std::fprintf(stderr, "%s stopped: run %lld did not finish\n", title.c_str(),
                         static_cast<long long>(id));
            return 1;
        }
        ids[i] = id;
    }
    std::vector<std::pair<std::string, std::int64_t>> done;  // group, run: the listed order
    for (std::size_t i = 0; i < experiments.size(); ++i)
        done.push_back({experiments[i].group, ids[i]});
    std::vector<std::string> groups;  // in the order of their first run
    for (const auto& [group, id] : done)
        if (std::find(groups.begin(), groups.end(), group) == groups.end()) groups.push_back(group);
    store::RunStore runs(db);
    const std::string measure = block.at("measure");
    for (const auto& set : block.at("query_sets")) {
        std::vector<eval::ComparedRun> compared;
        std::vector<std::size_t> baselines;
        for (const auto& group : groups) {
            std::vector<eval::ComparedRun> seeds;
            std::vector<std::int64_t> ids;
            for (const auto& [g2, id] : done)
                if (g2 == group) {
                    seeds.push_back(jobs::storedRunValues(runs, id, measure, set, true, group));
                    ids.push_back(id);
                }
            auto c = seeds.size() == 1
                         ? seeds.front()
                         : eval::poolSeeds(seeds, group + " (" + jobs::seedsLabel(runs, ids) + ")");
            if (c.perLanguage.empty()) continue;
            for (const auto& b : block.at("baselines"))
                if (b == group) baselines.push_back(compared.size());
            compared.push_back(std::move(c));
        }
        if (compared.empty()) continue;
        std::cout << "\n"
                  << eval::formatAgainstBaselines(compared, baselines, measure,
                                                  set.get<std::string>());
    }
    std::cout << "\nruns:";
    for (std::size_t i = 0; i < done.size(); ++i)
        std::cout << " " << experiments[i].name << "=#" << done[i].second;
    std::cout << "\n";
    return 0;
}

// A suite: its experiment files in order (a file with a sweep gives its every run), all
// validated before anything runs.
int runSuite(const GlobalOptions& g, const config::ExperimentSpec& suite,
             const std::string& archiveDir) {
    auto experiments = jobs::loadSuiteExperiments(suite);
    return runSeveral(g, "suite " + suite.name, experiments, suite.config.at("suite"), archiveDir);
}

}  // namespace

// The corpus of the study's English and `language` (run --lang): fetched and built when it is
// not there yet, and registered in the database.
static void ensureHelpCorpus(const GlobalOptions& g, const std::string& language) {
    data::CorpusSettings settings = data::CorpusSettings::defaults();
    settings.languages = {data::pivotLanguage(), language};
    settings.name = data::helpCorpusName({language});
    if (std::filesystem::exists(data::defaultCorpusDir(settings.name) + "/manifest.json")) return;
    data::PackageCache cache(fs::dataDir(), data::loadPins());
    cache.pins().forLanguage(language);  // an unpinned language fails here, naming the pins
    std::fprintf(stderr, "corpus %s is not built yet: fetching and building it\n",
                 settings.name.c_str());
    cache.fetch(settings.languages,
                [](const std::string& m) { std::fprintf(stderr, "fetch: %s\n", m.c_str()); });
    buildAndRegisterCorpus(g, settings);
}

int runExperiment(const GlobalOptions& g, const std::vector<std::string>& args) {
    CommandSpec spec{"run",
                     "clirlab run <experiment.json> [--archive DIR] [--lang L] [--nproc N]",
                     "Validate an experiment file, record it as a run in the database and run it "
                     "here. Ctrl-C cancels (the run is kept as cancelled; a sweep or suite stops "
                     "there and starts nothing more). A sweep or suite runs "
                     "each of its experiments in order, reusing a finished run of the same "
                     "configuration (one restored from an archive too).",
                     {{"--archive", true, false,
                       "write each finished run into DIR as it finishes (clirlab archive's "
                       "files; clirlab restore DIR continues elsewhere)"},
                      {"--lang", true, false,
                       "run it on another LibreOffice help language L instead of its own: its "
                       "corpus (libreoffice-help-7.4-L, fetched and built when missing), "
                       "corpus.languages [en-US, L], the sweep's language axis [L]; a teacher "
                       "named by init.from is reused"},
                      kNprocOption},
                     1,
                     1};
    auto a = parseArgs(spec, args);
    if (a.has("--help")) return std::cout << spec.helpText(), 0;
    if (isParallelWorker()) return runParallelWorker(g);
    std::vector<config::ExperimentSpec> experiments;  // before touching the store
    if (a.has("--lang")) {
        const std::string &file = a.positionals[0], lang = a.value("--lang");
        std::string text;
        try {
            text = fs::readFile(file);
        } catch (const std::exception& e) {
            throw config::ConfigError(e.what());
        }
        experiments =
            jobs::expandExperiment(jobs::withLanguage(text, file, lang), file + " --lang " + lang);
        ensureHelpCorpus(g, lang);
    } else {
        experiments = jobs::loadExperiments(a.positionals[0]);
    }
    const int nproc = nprocOf(a);
    if (experiments.size() > 1 &&
        (nproc > 1 || train::LaunchEnvironment::fromEnvironment().distributed()))
        throw UsageError(a.positionals[0] +
                         ": data-parallel training takes one experiment at a time, not a "
                         "sweep or suite");
    if (experiments.size() > 1) {  // a sweep: its runs, then their table (seeds pooled)
        if (experiments.front().method == "suite")
            throw config::ConfigError(a.positionals[0] + ": field 'sweep': a suite cannot sweep");
        nlohmann::json block = {{"measure", "map"},
                                {"query_sets", {"entries"}},
                                {"baselines", nlohmann::json::array()}};
        return runSeveral(g, "sweep " + a.positionals[0], experiments, block, a.value("--archive"));
    }
    auto& experiment = experiments.front();
    if (experiment.method == "suite") return runSuite(g, experiment, a.value("--archive"));
    // A bad setting fails before the store is touched (init.from needs the store to resolve).
    if (!experiment.config.contains("init")) jobs::makeJob(experiment);
    store::Database db(g.databasePath);
    auto parallel = ParallelLaunch::start(nproc, experiment.method);
    auto [id, code] = runOne(db, experiment, false, false, parallel.get());
    if (code == 0 && a.has("--archive")) store::writeRunArchive(db, id, a.value("--archive"));
    return code;
}

int resumeRun(const GlobalOptions& g, const std::vector<std::string>& args) {
    CommandSpec spec{"resume",
                     "clirlab resume RUN [--nproc N]",
                     "Continue an interrupted, failed or cancelled run from its last checkpoint, "
                     "with the configuration stored with it.",
                     {kNprocOption},
                     1,
                     1};
    auto a = parseArgs(spec, args);
    if (a.has("--help")) return std::cout << spec.helpText(), 0;
    if (isParallelWorker()) return runParallelWorker(g);
    std::int64_t id = parseRunId("resume", a.positionals[0]);
    store::Database db(g.databasePath);
    store::RunStore runs(db);
    runs.recoverInterrupted();
    auto r = runs.run(id);
    if (!r) throw std::runtime_error("no run " + std::to_string(id) + " in " + db.path());
    if (!store::isResumable(r->status))
        throw std::runtime_error("run " + std::to_string(id) + " is " + store::toString(r->status) +
                                 "; only interrupted, failed or cancelled runs resume");
    auto experiment = jobs::experimentOfRun(*r);
    auto job = jobs::makeJob(experiment);
    auto parallel = ParallelLaunch::start(nprocOf(a), experiment.method);
    return executeInForeground(db, id, experiment, *job, true, parallel.get());
}

}  // namespace clir::cli
