// Run lifecycle and attached data (see run_store.h).
#include "core/store/run_store.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

namespace clir::store {
namespace {

constexpr const char* kNow = "strftime('%Y-%m-%dT%H:%M:%fZ','now')";

std::int64_t processStartTime(std::int64_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // The command name (field 2) may hold spaces; the fields after its closing ')' do not.
    auto close = content.rfind(')');
    if (close == std::string::npos) return 0;
    std::istringstream rest(content.substr(close + 2));
    std::string field;
    for (int i = 3; i <= 22 && rest >> field; ++i)
        if (i == 22) return std::stoll(field);
    return 0;
}

bool processAlive(std::int64_t pid, std::int64_t startTime) {
    if (pid <= 0) return false;
    if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return false;
    // A live process with another start time is a new process that reuses the pid.
    return startTime == 0 || processStartTime(pid) == startTime;
}

RunRecord readRun(Statement& s) {
    RunRecord r;
    r.id = s.int64(0);
    r.name = s.text(1);
    r.method = s.text(2);
    r.preset = s.text(3);
    for (const auto& l : nlohmann::json::parse(s.text(4)))
        r.languages.push_back(l.get<std::string>());
    r.config = s.text(5);
    r.configHash = s.text(6);
    if (!s.isNull(7)) r.seed = s.int64(7);
    if (!s.isNull(8)) r.corpusId = s.int64(8);
    r.codeVersion = s.text(9);
    r.status = runStatusFromString(s.text(10));
    r.progress = s.real(11);
    r.message = s.text(12);
    r.error = s.text(13);
    if (!s.isNull(14)) r.ownerPid = s.int64(14);
    r.ownerHost = s.text(15);
    r.createdAt = s.text(16);
    r.startedAt = s.text(17);
    r.finishedAt = s.text(18);
    r.heartbeatAt = s.text(19);
    if (!s.isNull(20)) {
        std::string all = s.text(20);
        std::size_t start = 0;
        for (std::size_t i = 0; i <= all.size(); ++i) {
            if (i == all.size() || all[i] == '\x1f') {
                r.tags.push_back(all.substr(start, i - start));
                start = i + 1;
            }
        }
    }
    return r;
}

const char* kRunColumns =
    "r.id, r.name, r.method, r.preset, r.languages, r.config, r.config_hash, r.seed, "
    "r.corpus_id, r.code_version, r.status, r.progress, r.message, r.error, r.owner_pid, "
    "r.owner_host, r.created_at, r.started_at, r.finished_at, r.heartbeat_at, "
    "(SELECT group_concat(tag, char(31)) FROM (SELECT tag FROM tags t WHERE t.run_id = r.id "
    "ORDER BY tag))";

}  // namespace

const char* toString(RunStatus s) {
    switch (s) {
        case RunStatus::Queued:
            return "queued";
        case RunStatus::Running:
            return "running";
        case RunStatus::Finished:
            return "finished";
        case RunStatus::Failed:
            return "failed";
        case RunStatus::Cancelled:
            return "cancelled";
        case RunStatus::Interrupted:
            return "interrupted";
    }
    return "unknown";
}

bool isResumable(RunStatus s) {
    return s == RunStatus::Interrupted || s == RunStatus::Failed || s == RunStatus::Cancelled;
}

RunStatus runStatusFromString(const std::string& s) {
    for (auto st : {RunStatus::Queued, RunStatus::Running, RunStatus::Finished, RunStatus::Failed,
                    RunStatus::Cancelled, RunStatus::Interrupted})
        if (s == toString(st)) return st;
    throw std::invalid_argument("unknown run status '" + s + "'");
}

ProcessIdentity ProcessIdentity::current() {
    char host[256] = {};
    ::gethostname(host, sizeof(host) - 1);
    std::int64_t pid = ::getpid();
    return {pid, host, processStartTime(pid)};
}

void RunStore::requireRun(std::int64_t id) {
    auto s = db_.prepare("SELECT 1 FROM runs WHERE id = ?");
    s.bind(1, id);
    if (!s.step()) throw std::invalid_argument("no run with id " + std::to_string(id));
}

std::int64_t RunStore::createRun(const RunRecord& run) {
    auto s = db_.prepare(
        "INSERT INTO runs (name, method, preset, languages, config, config_hash, seed, corpus_id, "
        "code_version, status) VALUES (?,?,?,?,?,?,?,?,?, 'queued')");
    s.bind(1, run.name).bind(2, run.method).bind(3, run.preset);
    s.bind(4, nlohmann::json(run.languages).dump()).bind(5, run.config).bind(6, run.configHash);
    s.bind(7, run.seed).bind(8, run.corpusId).bind(9, run.codeVersion);
    s.run();
    return db_.lastInsertId();
}

void RunStore::markRunning(std::int64_t id, const ProcessIdentity& owner) {
    auto s = db_.prepare(std::string("UPDATE runs SET status='running', owner_pid=?, owner_host=?, "
                                     "owner_start=?, error=NULL, started_at=") +
                         kNow + ", heartbeat_at=" + kNow + " WHERE id=?");
    s.bind(1, owner.pid).bind(2, owner.host).bind(3, owner.startTime).bind(4, id);
    s.run();
    if (db_.changes() == 0) throw std::invalid_argument("no run with id " + std::to_string(id));
}

void RunStore::updateProgress(std::int64_t id, double progress, const std::string& message) {
    auto s = db_.prepare(std::string("UPDATE runs SET progress=?, message=?, heartbeat_at=") +
                         kNow + " WHERE id=?");
    s.bind(1, progress).bind(2, message).bind(3, id);
    s.run();
}

void RunStore::finish(std::int64_t id, RunStatus status, const std::string& error) {
    auto s = db_.prepare(std::string("UPDATE runs SET status=?, error=?, finished_at=") + kNow +
                         ", heartbeat_at=" + kNow +
                         ", progress=CASE WHEN ?='finished' THEN 1 ELSE progress END WHERE id=?");
    s.bind(1, toString(status));
    if (error.empty())
        s.bindNull(2);
    else
        s.bind(2, error);
    s.bind(3, toString(status)).bind(4, id);
    s.run();
    if (db_.changes() == 0) throw std::invalid_argument("no run with id " + std::to_string(id));
}

void RunStore::appendMetrics(std::int64_t id, const std::vector<MetricPoint>& points) {
    if (points.empty()) return;
    Database::Transaction tx(db_);
    auto s = db_.prepare(
        "INSERT OR REPLACE INTO metrics (run_id, name, step, value, wall_time) VALUES (?,?,?,?,?)");
    for (const auto& p : points) {
        s.bind(1, id).bind(2, p.name).bind(3, p.step).bind(4, p.value).bind(5, p.wallTime);
        s.run();
    }
    auto hb = db_.prepare(std::string("UPDATE runs SET heartbeat_at=") + kNow + " WHERE id=?");
    hb.bind(1, id);
    hb.run();
    tx.commit();
}

void RunStore::linkExperiment(std::int64_t id, const std::string& name, const std::string& path) {
    auto exp = db_.prepare(
        "INSERT INTO experiments (name, path) VALUES (?, ?) "
        "ON CONFLICT(name) DO UPDATE SET path=excluded.path");
    exp.bind(1, name).bind(2, path);
    exp.run();
    auto link = db_.prepare(
        "UPDATE runs SET experiment_id=(SELECT id FROM experiments WHERE name=?) WHERE id=?");
    link.bind(1, name).bind(2, id);
    link.run();
}

void RunStore::setCorpus(std::int64_t id, std::int64_t corpusId) {
    auto s = db_.prepare("UPDATE runs SET corpus_id=? WHERE id=?");
    s.bind(1, corpusId).bind(2, id);
    s.run();
}

std::vector<RunStore::Artifact> RunStore::artifacts(std::int64_t id) {
    auto s = db_.prepare("SELECT kind, path FROM artifacts WHERE run_id=? ORDER BY id");
    s.bind(1, id);
    std::vector<Artifact> out;
    while (s.step()) out.push_back({s.text(0), s.text(1)});
    return out;
}

std::optional<RunRecord> RunStore::run(std::int64_t id) {
    auto s = db_.prepare(std::string("SELECT ") + kRunColumns + " FROM runs r WHERE r.id = ?");
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    return readRun(s);
}

std::vector<RunRecord> RunStore::runs() {
    auto s = db_.prepare(std::string("SELECT ") + kRunColumns + " FROM runs r ORDER BY r.id DESC");
    std::vector<RunRecord> out;
    while (s.step()) out.push_back(readRun(s));
    return out;
}

std::vector<MetricPoint> RunStore::metrics(std::int64_t id, const std::string& name) {
    auto s = db_.prepare(
        "SELECT name, step, value, wall_time FROM metrics WHERE run_id = ? AND (? = '' OR name = "
        "?) "
        "ORDER BY name, step");
    s.bind(1, id).bind(2, name).bind(3, name);
    std::vector<MetricPoint> out;
    while (s.step()) out.push_back({s.text(0), s.int64(1), s.real(2), s.real(3)});
    return out;
}

void RunStore::addTag(std::int64_t id, const std::string& tag) {
    requireRun(id);
    auto s = db_.prepare("INSERT OR IGNORE INTO tags (run_id, tag) VALUES (?, ?)");
    s.bind(1, id).bind(2, tag);
    s.run();
}

void RunStore::setTags(std::int64_t id, const std::vector<std::string>& tags) {
    requireRun(id);
    Database::Transaction t(db_);
    auto clear = db_.prepare("DELETE FROM tags WHERE run_id = ?");
    clear.bind(1, id);
    clear.run();
    for (const auto& tag : tags) {
        if (tag.empty()) throw std::invalid_argument("run " + std::to_string(id) + ": empty tag");
        auto s = db_.prepare("INSERT OR IGNORE INTO tags (run_id, tag) VALUES (?, ?)");
        s.bind(1, id).bind(2, tag);
        s.run();
    }
    t.commit();
}

void RunStore::addNote(std::int64_t id, const std::string& text) {
    requireRun(id);
    auto s = db_.prepare("INSERT INTO notes (run_id, text) VALUES (?, ?)");
    s.bind(1, id).bind(2, text);
    s.run();
}

std::vector<std::string> RunStore::notes(std::int64_t id) {
    auto s = db_.prepare("SELECT text FROM notes WHERE run_id = ? ORDER BY id");
    s.bind(1, id);
    std::vector<std::string> out;
    while (s.step()) out.push_back(s.text(0));
    return out;
}

void RunStore::addArtifact(std::int64_t id, const std::string& kind, const std::string& path,
                           std::optional<std::int64_t> step) {
    auto s = db_.prepare("INSERT INTO artifacts (run_id, kind, path, step) VALUES (?,?,?,?)");
    s.bind(1, id).bind(2, kind).bind(3, path).bind(4, step);
    s.run();
}

std::int64_t RunStore::upsertCorpus(const CorpusRecord& c) {
    auto s = db_.prepare(
        "INSERT INTO corpora (name, path, hash, manifest) VALUES (?,?,?,?) "
        "ON CONFLICT(hash) DO UPDATE SET name=excluded.name, path=excluded.path, "
        "manifest=excluded.manifest");
    s.bind(1, c.name).bind(2, c.path).bind(3, c.hash).bind(4, c.manifest);
    s.run();
    return corpusByHash(c.hash)->id;
}

namespace {
std::optional<CorpusRecord> readCorpus(Statement& s) {
    if (!s.step()) return std::nullopt;
    return CorpusRecord{s.int64(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5)};
}
constexpr const char* kCorpusSelect =
    "SELECT id, name, path, hash, manifest, created_at FROM corpora WHERE ";
}  // namespace

std::optional<CorpusRecord> RunStore::corpusByHash(const std::string& hash) {
    auto s = db_.prepare(std::string(kCorpusSelect) + "hash=?");
    s.bind(1, hash);
    return readCorpus(s);
}

std::optional<CorpusRecord> RunStore::corpusById(std::int64_t id) {
    auto s = db_.prepare(std::string(kCorpusSelect) + "id=?");
    s.bind(1, id);
    return readCorpus(s);
}

int RunStore::recoverInterrupted(double staleSeconds) {
    auto me = ProcessIdentity::current();
    Database::Transaction tx(db_);
    auto s = db_.prepare(
        "SELECT id, owner_pid, owner_host, owner_start, "
        "(julianday('now') - julianday(heartbeat_at)) * 86400.0 FROM runs WHERE status='running'");
    std::vector<std::int64_t> dead;
    while (s.step()) {
        std::int64_t pid = s.isNull(1) ? 0 : s.int64(1);
        std::string host = s.text(2);
        std::int64_t start = s.isNull(3) ? 0 : s.int64(3);
        double silence = s.isNull(4) ? 1e18 : s.real(4);
        bool gone = host == me.host ? !processAlive(pid, start) : silence > staleSeconds;
        if (gone) dead.push_back(s.int64(0));
    }
    auto mark =
        db_.prepare(std::string("UPDATE runs SET status='interrupted', finished_at=") + kNow +
                    ", error='owner process ended without finishing the run' WHERE id=?");
    for (auto id : dead) {
        mark.bind(1, id);
        mark.run();
    }
    tx.commit();
    return static_cast<int>(dead.size());
}

}  // namespace clir::store
