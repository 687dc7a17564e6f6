// Finished runs as portable JSON files (see run_archive.h).
#include "core/store/run_archive.h"

#include <cctype>
#include <filesystem>
#include <map>
#include <optional>

#include "core/store/run_store.h"
#include "core/util/fs.h"

namespace clir::store {

using nlohmann::json;

namespace {

constexpr const char* kRestoredFrom = "restored from ";

std::optional<std::pair<std::string, std::string>> experimentOf(Database& db, std::int64_t id) {
    auto s = db.prepare(
        "SELECT e.name, coalesce(e.path, '') FROM runs r JOIN experiments e ON "
        "r.experiment_id = e.id WHERE r.id = ?");
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    return std::make_pair(s.text(0), s.text(1));
}

// Typed access to an archive's fields; every error names the file and the field.
class Reader {
  public:
    explicit Reader(std::string source) : source_(std::move(source)) {}
    [[noreturn]] void fail(const std::string& field, const std::string& why) const {
        throw ArchiveError(source_ + ": field '" + field + "': " + why);
    }
    const json& at(const json& j, const std::string& key, const std::string& path,
                   json::value_t type) const {
        if (!j.is_object() || !j.contains(key)) fail(path, "missing");
        const json& v = j.at(key);
        const bool ok = type == json::value_t::number_float
                            ? v.is_number()
                            : (type == json::value_t::number_integer ? v.is_number_integer()
                                                                     : v.type() == type);
        if (!ok) fail(path, std::string("expected ") + typeName(type) + ", got " + v.type_name());
        return v;
    }
    std::string text(const json& j, const std::string& key, const std::string& path) const {
        return at(j, key, path, json::value_t::string).get<std::string>();
    }
    double number(const json& j, const std::string& path) const {
        if (!j.is_number()) fail(path, std::string("expected a number, got ") + j.type_name());
        return j.get<double>();
    }

  private:
    static const char* typeName(json::value_t t) {
        switch (t) {
            case json::value_t::object:
                return "an object";
            case json::value_t::array:
                return "an array";
            case json::value_t::string:
                return "a string";
            case json::value_t::number_integer:
                return "an integer";
            default:
                return "a number";
        }
    }
    std::string source_;
};

bool idTaken(Database& db, std::int64_t id) {
    auto s = db.prepare("SELECT 1 FROM runs WHERE id = ?");
    s.bind(1, id);
    return s.step();
}

}  // namespace

json archiveRun(Database& db, std::int64_t id) {
    RunStore store(db);
    auto r = store.run(id);
    if (!r) throw ArchiveError("no run #" + std::to_string(id) + " in " + db.path());
    if (r->status != RunStatus::Finished)
        throw ArchiveError("run #" + std::to_string(id) + " is " + toString(r->status) +
                           ": only finished runs are archived");
    json run = {{"id", r->id},
                {"name", r->name},
                {"method", r->method},
                {"preset", r->preset},
                {"languages", r->languages},
                {"config", json::parse(r->config)},
                {"config_hash", r->configHash},
                {"seed", r->seed ? json(*r->seed) : json(nullptr)},
                {"code_version", r->codeVersion},
                {"created_at", r->createdAt},
                {"started_at", r->startedAt},
                {"finished_at", r->finishedAt},
                {"tags", r->tags},
                {"notes", store.notes(id)}};
    if (auto e = experimentOf(db, id))
        run["experiment"] = {{"name", e->first}, {"path", e->second}};
    json corpus = nullptr;
    if (r->corpusId)
        if (auto c = store.corpusById(*r->corpusId)) {
            json manifest = json::parse(c->manifest, nullptr, false);
            corpus = {{"name", c->name},
                      {"path", c->path},
                      {"hash", c->hash},
                      {"manifest", manifest.is_discarded() ? json(c->manifest) : manifest}};
        }
    json results = json::object();
    for (const auto& x : store.results(id)) results[x.language][x.querySet][x.measure] = x.value;
    // Per language and query set, the qids once and one column of values per measure (null
    // where a query has no value of that measure): a third of the size of a qid per value.
    std::map<
        std::pair<std::string, std::string>,
        std::pair<std::vector<std::string>, std::map<std::string, std::map<std::string, double>>>>
        sets;
    for (const auto& x : store.queryResults(id)) {
        auto& [qids, columns] = sets[{x.language, x.querySet}];
        if (qids.empty() || qids.back() != x.qid) qids.push_back(x.qid);  // rows come by qid
        columns[x.measure][x.qid] = x.value;
    }
    json perQuery = json::object();
    for (const auto& [key, set] : sets) {
        const auto& [qids, columns] = set;
        json measures = json::object();
        for (const auto& [measure, values] : columns) {
            json column = json::array();
            for (const auto& q : qids) {
                auto v = values.find(q);
                column.push_back(v == values.end() ? json(nullptr) : json(v->second));
            }
            measures[measure] = std::move(column);
        }
        perQuery[key.first][key.second] = {{"qids", qids}, {"measures", measures}};
    }
    json translations = json::array();
    for (const auto& t : store.translations(id))
        translations.push_back(
            {t.language, t.querySet, t.qid, t.system, t.source, t.target, t.error});
    json metrics = json::object();
    for (const auto& m : store.metrics(id))
        metrics[m.name].push_back({m.step, m.value, m.wallTime});
    json artifacts = json::array();
    for (const auto& a : store.artifacts(id))
        artifacts.push_back({{"kind", a.kind}, {"path", a.path}});
    return {{"clirlab_run_archive", kRunArchiveVersion},
            {"run", run},
            {"corpus", corpus},
            {"results", results},
            {"query_results", perQuery},
            {"translations", translations},
            {"metrics", metrics},
            {"artifacts_not_carried", artifacts}};
}

std::string restoredMessage(const std::string& source) {
    return kRestoredFrom + source;
}

bool isRestoredMessage(const std::string& message) {
    return message.rfind(kRestoredFrom, 0) == 0;
}

std::string archiveFileName(const json& archive) {
    const json& run = archive.at("run");
    std::string name = run.at("name").get<std::string>() + "-" +
                       run.at("config_hash").get<std::string>().substr(0, 16) + "-" +
                       run.at("finished_at").get<std::string>();
    for (char& c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-')
            c = '_';
    return name + ".json";
}

bool writeRunArchive(Database& db, std::int64_t id, const std::string& folder) {
    auto archive = archiveRun(db, id);
    std::filesystem::create_directories(folder);
    const auto path = std::filesystem::path(folder) / archiveFileName(archive);
    if (std::filesystem::exists(path)) return false;
    fs::writeFileAtomic(path.string(), archive.dump() + "\n");
    return true;
}

RestoreOutcome restoreRun(Database& db, const json& archive, const std::string& source) {
    Reader rd(source);
    const auto version =
        rd.at(archive, "clirlab_run_archive", "clirlab_run_archive", json::value_t::number_integer)
            .get<int>();
    if (version != kRunArchiveVersion)
        rd.fail("clirlab_run_archive", "version " + std::to_string(version) +
                                           " is not one this program reads (" +
                                           std::to_string(kRunArchiveVersion) + ")");
    const json& run = rd.at(archive, "run", "run", json::value_t::object);
    const std::string name = rd.text(run, "name", "run.name");
    const std::string method = rd.text(run, "method", "run.method");
    const std::string preset = rd.text(run, "preset", "run.preset");
    const std::string hash = rd.text(run, "config_hash", "run.config_hash");
    if (hash.size() != 64 || hash.find_first_not_of("0123456789abcdef") != std::string::npos)
        rd.fail("run.config_hash", "'" + hash + "' is not a SHA-256 in hex");
    const std::string finished = rd.text(run, "finished_at", "run.finished_at");
    const std::string started = rd.text(run, "started_at", "run.started_at");
    const std::string created = rd.text(run, "created_at", "run.created_at");
    const std::string codeVersion = rd.text(run, "code_version", "run.code_version");
    const json& config = rd.at(run, "config", "run.config", json::value_t::object);
    const json& languages = rd.at(run, "languages", "run.languages", json::value_t::array);
    for (const auto& l : languages)
        if (!l.is_string()) rd.fail("run.languages", "holds " + l.dump() + ", not a string");
    std::optional<std::int64_t> seed;
    if (!run.contains("seed")) rd.fail("run.seed", "missing");
    if (!run["seed"].is_null())
        seed = rd.at(run, "seed", "run.seed", json::value_t::number_integer).get<std::int64_t>();
    const auto archivedId =
        rd.at(run, "id", "run.id", json::value_t::number_integer).get<std::int64_t>();
    std::vector<std::string> tags, notes;
    for (const char* key : {"tags", "notes"}) {
        const std::string path = std::string("run.") + key;
        for (const auto& t : rd.at(run, key, path, json::value_t::array)) {
            if (!t.is_string()) rd.fail(path, "holds " + t.dump() + ", not a string");
            (key[0] == 't' ? tags : notes).push_back(t.get<std::string>());
        }
    }

    // Every row is read and checked before anything is written.
    std::vector<ResultRow> results;
    for (const auto& [lang, sets] :
         rd.at(archive, "results", "results", json::value_t::object).items())
        for (const auto& [set, measures] : sets.items())
            for (const auto& [measure, v] : measures.items())
                results.push_back({lang, set, measure,
                                   rd.number(v, "results." + lang + "." + set + "." + measure)});
    std::vector<QueryResultRow> perQuery;
    for (const auto& [lang, sets] :
         rd.at(archive, "query_results", "query_results", json::value_t::object).items())
        for (const auto& [set, table] : sets.items()) {
            const std::string path = "query_results." + lang + "." + set;
            const json& qids = rd.at(table, "qids", path + ".qids", json::value_t::array);
            for (const auto& q : qids)
                if (!q.is_string()) rd.fail(path + ".qids", "holds " + q.dump() + ", not a qid");
            for (const auto& [measure, column] :
                 rd.at(table, "measures", path + ".measures", json::value_t::object).items()) {
                const std::string field = path + ".measures." + measure;
                if (!column.is_array() || column.size() != qids.size())
                    rd.fail(field, "expected an array of " + std::to_string(qids.size()) +
                                       " values (one per qid)");
                for (std::size_t i = 0; i < qids.size(); ++i)
                    if (!column[i].is_null())
                        perQuery.push_back({lang, set, qids[i].get<std::string>(), measure,
                                            rd.number(column[i], field)});
            }
        }
    std::vector<TranslationRow> translations;
    const json& tr = rd.at(archive, "translations", "translations", json::value_t::array);
    for (std::size_t i = 0; i < tr.size(); ++i) {
        const std::string path = "translations[" + std::to_string(i) + "]";
        if (!tr[i].is_array() || tr[i].size() != 7)
            rd.fail(path, "expected [language, query set, qid, system, source, target, error]");
        for (const auto& x : tr[i])
            if (!x.is_string()) rd.fail(path, "holds " + x.dump() + ", not a string");
        translations.push_back(
            {tr[i][0], tr[i][1], tr[i][2], tr[i][3], tr[i][4], tr[i][5], tr[i][6]});
    }
    std::vector<MetricPoint> metrics;
    for (const auto& [metric, points] :
         rd.at(archive, "metrics", "metrics", json::value_t::object).items()) {
        const std::string path = "metrics." + metric;
        if (!points.is_array()) rd.fail(path, "expected an array of [step, value, wall time]");
        for (const auto& p : points) {
            if (!p.is_array() || p.size() != 3 || !p[0].is_number_integer())
                rd.fail(path, "holds " + p.dump() + ", not [step, value, wall time]");
            metrics.push_back(
                {metric, p[0].get<std::int64_t>(), rd.number(p[1], path), rd.number(p[2], path)});
        }
    }
    std::optional<CorpusRecord> corpus;
    if (!archive.contains("corpus")) rd.fail("corpus", "missing");
    if (!archive["corpus"].is_null()) {
        const json& c = rd.at(archive, "corpus", "corpus", json::value_t::object);
        if (!c.contains("manifest")) rd.fail("corpus.manifest", "missing");
        const json& m = c["manifest"];
        corpus = CorpusRecord{0,
                              rd.text(c, "name", "corpus.name"),
                              rd.text(c, "path", "corpus.path"),
                              rd.text(c, "hash", "corpus.hash"),
                              m.is_string() ? m.get<std::string>() : m.dump(),
                              ""};
    }

    RunStore store(db);
    Database::Transaction tx(db);
    {
        auto s = db.prepare(
            "SELECT id FROM runs WHERE name = ? AND config_hash = ? AND finished_at = ? AND "
            "status = 'finished'");
        s.bind(1, name).bind(2, hash).bind(3, finished);
        if (s.step()) return {s.int64(0), false};
    }
    std::optional<std::int64_t> corpusId;
    if (corpus) {
        // A corpus this database already knows (by hash) keeps its own path and manifest.
        if (auto known = store.corpusByHash(corpus->hash))
            corpusId = known->id;
        else
            corpusId = store.upsertCorpus(*corpus);
    }
    auto ins = db.prepare(
        "INSERT INTO runs (id, name, method, preset, languages, config, config_hash, seed, "
        "corpus_id, code_version, status, progress, message, created_at, started_at, "
        "finished_at, heartbeat_at) VALUES (?,?,?,?,?,?,?,?,?,?,'finished',1,?,?,?,?,?)");
    if (idTaken(db, archivedId))
        ins.bindNull(1);
    else
        ins.bind(1, archivedId);
    ins.bind(2, name).bind(3, method).bind(4, preset).bind(5, languages.dump());
    ins.bind(6, config.dump(2)).bind(7, hash).bind(8, seed).bind(9, corpusId);
    ins.bind(10, codeVersion).bind(11, restoredMessage(source));
    ins.bind(12, created).bind(13, started).bind(14, finished).bind(15, finished);
    ins.run();
    const std::int64_t id = db.lastInsertId();
    if (run.contains("experiment")) {
        const json& e = rd.at(run, "experiment", "run.experiment", json::value_t::object);
        store.linkExperiment(id, rd.text(e, "name", "run.experiment.name"),
                             rd.text(e, "path", "run.experiment.path"));
    }
    for (const auto& t : tags) store.addTag(id, t);
    for (const auto& n : notes) store.addNote(id, n);
    {
        auto s = db.prepare(
            "INSERT INTO results (run_id, language, query_set, measure, value) VALUES "
            "(?,?,?,?,?)");
        for (const auto& r : results) {
            s.bind(1, id).bind(2, r.language).bind(3, r.querySet).bind(4, r.measure);
            s.bind(5, r.value);
            s.run();
        }
    }
    {
        auto s = db.prepare(
            "INSERT INTO query_results (run_id, language, query_set, qid, measure, value) VALUES "
            "(?,?,?,?,?,?)");
        for (const auto& r : perQuery) {
            s.bind(1, id).bind(2, r.language).bind(3, r.querySet).bind(4, r.qid);
            s.bind(5, r.measure).bind(6, r.value);
            s.run();
        }
    }
    {
        auto s = db.prepare(
            "INSERT INTO translations (run_id, language, query_set, qid, system, source, target, "
            "error) VALUES (?,?,?,?,?,?,?,?)");
        for (const auto& t : translations) {
            s.bind(1, id).bind(2, t.language).bind(3, t.querySet).bind(4, t.qid);
            s.bind(5, t.system).bind(6, t.source).bind(7, t.target);
            if (t.error.empty())
                s.bindNull(8);
            else
                s.bind(8, t.error);
            s.run();
        }
    }
    {
        auto s = db.prepare(
            "INSERT INTO metrics (run_id, name, step, value, wall_time) VALUES (?,?,?,?,?)");
        for (const auto& m : metrics) {
            s.bind(1, id).bind(2, m.name).bind(3, m.step).bind(4, m.value).bind(5, m.wallTime);
            s.run();
        }
    }
    tx.commit();
    return {id, true};
}

}  // namespace clir::store
