// Runs and everything attached to them: lifecycle, metric series, results, tags, notes,
// artifacts and corpora. The GUI and the CLI read and write the store only through here.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/store/database.h"
#include "core/store/records.h"

namespace clir::store {

enum class RunStatus { Queued, Running, Finished, Failed, Cancelled, Interrupted };
const char* toString(RunStatus s);
RunStatus runStatusFromString(const std::string& s);  // throws std::invalid_argument
// The one rule for `clirlab resume` and the workbench: interrupted, failed and cancelled runs
// continue from their last checkpoint; queued, running and finished ones do not.
bool isResumable(RunStatus s);

struct RunRecord {
    std::int64_t id = 0;
    std::string name;
    std::string method;
    std::string preset;
    std::vector<std::string> languages;
    std::string config;  // full experiment JSON
    std::string configHash;
    std::optional<std::int64_t> seed;
    std::optional<std::int64_t> corpusId;
    std::string codeVersion;
    RunStatus status = RunStatus::Queued;
    double progress = 0;
    std::string message;
    std::string error;
    std::optional<std::int64_t> ownerPid;
    std::string ownerHost;
    std::string createdAt, startedAt, finishedAt, heartbeatAt;
    std::vector<std::string> tags;
};

// Identifies the current process so that a run is never stolen from a live owner.
struct ProcessIdentity {
    std::int64_t pid;
    std::string host;
    std::int64_t startTime;  // field 22 of /proc/<pid>/stat; 0 when unknown
    static ProcessIdentity current();
};

class RunStore {
  public:
    explicit RunStore(Database& db) : db_(db) {}

    std::int64_t createRun(const RunRecord& run);  // status queued; returns the id
    void markRunning(std::int64_t id, const ProcessIdentity& owner);
    void updateProgress(std::int64_t id, double progress, const std::string& message);
    void finish(std::int64_t id, RunStatus status, const std::string& error = "");
    void appendMetrics(std::int64_t id, const std::vector<MetricPoint>& points);
    void storeResults(std::int64_t id, const std::vector<ResultRow>& rows);
    void storeQueryResults(std::int64_t id, const std::vector<QueryResultRow>& rows);
    void storeTranslations(std::int64_t id, const std::vector<TranslationRow>& rows);
    // Replaces every result and per-query value of one language and query set in one
    // transaction (a re-evaluation): nothing is half-replaced when it fails.
    void replaceEvaluation(std::int64_t id, const std::string& language,
                           const std::string& querySet, const std::vector<ResultRow>& rows,
                           const std::vector<QueryResultRow>& queryRows);

    std::optional<RunRecord> run(std::int64_t id);
    std::vector<RunRecord> runs();  // newest first
    std::vector<MetricPoint> metrics(std::int64_t id, const std::string& name = "");
    std::vector<ResultRow> results(std::int64_t id);
    // Per-query values of one measure for a language and query set, by qid.
    std::map<std::string, double> queryResults(std::int64_t id, const std::string& language,
                                               const std::string& querySet,
                                               const std::string& measure);
    // Every per-query value of the run, ordered by language, query set, qid and measure.
    std::vector<QueryResultRow> queryResults(std::int64_t id);
    std::vector<TranslationRow> translations(std::int64_t id);
    // Throws std::invalid_argument when the matrices do not have rows x cols values.
    void storeAlignment(std::int64_t id, const AlignmentRecord& a);
    // Ordered by pair and step; withMatrices false leaves plan and cost empty (for listings).
    std::vector<AlignmentRecord> alignments(std::int64_t id, bool withMatrices = true);
    struct Artifact {
        std::string kind, path;
    };
    std::vector<Artifact> artifacts(std::int64_t id);

    // Files the run under its experiment (by name; the experiment file's path is updated). Two
    // statements: call inside the caller's transaction.
    void linkExperiment(std::int64_t id, const std::string& name, const std::string& path);
    void setCorpus(std::int64_t id, std::int64_t corpusId);

    void addTag(std::int64_t id, const std::string& tag);
    // Replaces the run's tags (one transaction); throws std::invalid_argument on an empty tag.
    void setTags(std::int64_t id, const std::vector<std::string>& tags);
    void addNote(std::int64_t id, const std::string& text);
    std::vector<std::string> notes(std::int64_t id);
    void addArtifact(std::int64_t id, const std::string& kind, const std::string& path,
                     std::optional<std::int64_t> step = std::nullopt);

    std::int64_t upsertCorpus(const CorpusRecord& corpus);  // by hash
    std::optional<CorpusRecord> corpusByHash(const std::string& hash);
    std::optional<CorpusRecord> corpusById(std::int64_t id);

    // Marks runs whose owner process is gone as interrupted; returns how many. Same host: the
    // pid must be dead or reused. Another host: no heartbeat for staleSeconds.
    int recoverInterrupted(double staleSeconds = 600);

  private:
    void requireRun(std::int64_t id);
    Database& db_;
};

}  // namespace clir::store
