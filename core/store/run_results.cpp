// What runs produce, in the store (see run_store.h): results and per-query values,
// re-evaluations, translations and alignments.
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "core/store/run_store.h"

namespace clir::store {

namespace {

// Inserts (or replaces) result rows; the caller holds the transaction.
void insertResults(Database& db, std::int64_t id, const std::vector<ResultRow>& rows) {
    auto s = db.prepare(
        "INSERT OR REPLACE INTO results (run_id, language, query_set, measure, value) "
        "VALUES (?,?,?,?,?)");
    for (const auto& r : rows) {
        s.bind(1, id).bind(2, r.language).bind(3, r.querySet).bind(4, r.measure).bind(5, r.value);
        s.run();
    }
}

void insertQueryResults(Database& db, std::int64_t id, const std::vector<QueryResultRow>& rows) {
    auto s = db.prepare(
        "INSERT OR REPLACE INTO query_results (run_id, language, query_set, qid, measure, value) "
        "VALUES (?,?,?,?,?,?)");
    for (const auto& r : rows) {
        s.bind(1, id).bind(2, r.language).bind(3, r.querySet).bind(4, r.qid).bind(5, r.measure);
        s.bind(6, r.value);
        s.run();
    }
}

}  // namespace

void RunStore::storeResults(std::int64_t id, const std::vector<ResultRow>& rows) {
    Database::Transaction tx(db_);
    insertResults(db_, id, rows);
    tx.commit();
}

void RunStore::storeQueryResults(std::int64_t id, const std::vector<QueryResultRow>& rows) {
    Database::Transaction tx(db_);
    insertQueryResults(db_, id, rows);
    tx.commit();
}

void RunStore::replaceEvaluation(std::int64_t id, const std::string& language,
                                 const std::string& querySet, const std::vector<ResultRow>& rows,
                                 const std::vector<QueryResultRow>& queryRows) {
    requireRun(id);
    Database::Transaction tx(db_);
    for (const char* table : {"results", "query_results"}) {
        auto del = db_.prepare(std::string("DELETE FROM ") + table +
                               " WHERE run_id=? AND language=? AND query_set=?");
        del.bind(1, id).bind(2, language).bind(3, querySet);
        del.run();
    }
    insertResults(db_, id, rows);
    insertQueryResults(db_, id, queryRows);
    tx.commit();
}

void RunStore::storeTranslations(std::int64_t id, const std::vector<TranslationRow>& rows) {
    Database::Transaction tx(db_);
    auto s = db_.prepare(
        "INSERT OR REPLACE INTO translations (run_id, language, query_set, qid, system, source, "
        "target, error) VALUES (?,?,?,?,?,?,?,?)");
    for (const auto& r : rows) {
        s.bind(1, id).bind(2, r.language).bind(3, r.querySet).bind(4, r.qid).bind(5, r.system);
        s.bind(6, r.source).bind(7, r.target);
        if (r.error.empty())
            s.bindNull(8);
        else
            s.bind(8, r.error);
        s.run();
    }
    tx.commit();
}

std::map<std::string, double> RunStore::queryResults(std::int64_t id, const std::string& language,
                                                     const std::string& querySet,
                                                     const std::string& measure) {
    auto s = db_.prepare(
        "SELECT qid, value FROM query_results WHERE run_id=? AND language=? AND query_set=? AND "
        "measure=?");
    s.bind(1, id).bind(2, language).bind(3, querySet).bind(4, measure);
    std::map<std::string, double> out;
    while (s.step()) out[s.text(0)] = s.real(1);
    return out;
}

std::vector<QueryResultRow> RunStore::queryResults(std::int64_t id) {
    auto s = db_.prepare(
        "SELECT language, query_set, qid, measure, value FROM query_results WHERE run_id=? "
        "ORDER BY language, query_set, qid, measure");
    s.bind(1, id);
    std::vector<QueryResultRow> out;
    while (s.step()) out.push_back({s.text(0), s.text(1), s.text(2), s.text(3), s.real(4)});
    return out;
}

std::vector<TranslationRow> RunStore::translations(std::int64_t id) {
    auto s = db_.prepare(
        "SELECT language, query_set, qid, system, source, target, coalesce(error, '') FROM "
        "translations WHERE run_id=? ORDER BY language, query_set, qid");
    s.bind(1, id);
    std::vector<TranslationRow> out;
    while (s.step())
        out.push_back(
            {s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5), s.text(6)});
    return out;
}

void RunStore::storeAlignment(std::int64_t id, const AlignmentRecord& a) {
    const std::size_t cells = a.sourceTokens.size() * a.targetTokens.size();
    if (cells == 0 || a.plan.size() != cells || a.cost.size() != cells)
        throw std::invalid_argument("alignment " + a.pairKey + ": plan and cost need " +
                                    std::to_string(a.sourceTokens.size()) + " x " +
                                    std::to_string(a.targetTokens.size()) + " values");
    requireRun(id);
    auto s = db_.prepare(
        "INSERT INTO alignments (run_id, step, pair_key, source_tokens, target_tokens, rows, "
        "cols, plan, cost) VALUES (?,?,?,?,?,?,?,?,?)");
    s.bind(1, id).bind(2, a.step).bind(3, a.pairKey);
    s.bind(4, nlohmann::json(a.sourceTokens).dump()).bind(5, nlohmann::json(a.targetTokens).dump());
    s.bind(6, std::int64_t(a.sourceTokens.size())).bind(7, std::int64_t(a.targetTokens.size()));
    s.bindBlob(8, a.plan.data(), a.plan.size() * sizeof(float));
    s.bindBlob(9, a.cost.data(), a.cost.size() * sizeof(float));
    s.run();
}

std::vector<AlignmentRecord> RunStore::alignments(std::int64_t id, bool withMatrices) {
    auto s = db_.prepare(
        std::string("SELECT id, step, pair_key, source_tokens, target_tokens, rows, cols") +
        (withMatrices ? ", plan, cost" : "") +
        " FROM alignments WHERE run_id=? ORDER BY pair_key, step, id");
    s.bind(1, id);
    std::vector<AlignmentRecord> out;
    auto floats = [](const std::vector<unsigned char>& bytes) {
        std::vector<float> v(bytes.size() / sizeof(float));
        if (!v.empty()) std::memcpy(v.data(), bytes.data(), v.size() * sizeof(float));
        return v;
    };
    while (s.step()) {
        AlignmentRecord a;
        a.id = s.int64(0);
        a.step = s.int64(1);
        a.pairKey = s.text(2);
        a.sourceTokens = nlohmann::json::parse(s.text(3)).get<std::vector<std::string>>();
        a.targetTokens = nlohmann::json::parse(s.text(4)).get<std::vector<std::string>>();
        if (withMatrices) {
            a.plan = floats(s.blob(7));
            a.cost = floats(s.blob(8));
        }
        out.push_back(std::move(a));
    }
    return out;
}

std::vector<ResultRow> RunStore::results(std::int64_t id) {
    auto s = db_.prepare(
        "SELECT language, query_set, measure, value FROM results WHERE run_id = ? "
        "ORDER BY language, query_set, measure");
    s.bind(1, id);
    std::vector<ResultRow> out;
    while (s.step()) out.push_back({s.text(0), s.text(1), s.text(2), s.real(3)});
    return out;
}

}  // namespace clir::store
