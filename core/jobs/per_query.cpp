// Per-query differences and rankings of stored runs (see per_query.h).
#include "core/jobs/per_query.h"

#include <algorithm>
#include <filesystem>
#include <set>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "core/data/corpus_reader.h"
#include "core/data/corpus_settings.h"
#include "core/eval/evaluation_settings.h"
#include "core/retrieval/test_evaluation.h"
#include "core/store/run_archive.h"

namespace clir::jobs {
namespace {

// Parts of a file name split at dots: "om.en-US.entries.test.qrels" -> 5 parts.
std::vector<std::string> dotParts(const std::string& path) {
    const std::string name = std::filesystem::path(path).filename().string();
    std::vector<std::string> parts;
    std::size_t from = 0;
    for (;;) {
        auto at = name.find('.', from);
        parts.push_back(name.substr(from, at == std::string::npos ? at : at - from));
        if (at == std::string::npos) break;
        from = at + 1;
    }
    return parts;
}

// "entries+bm25" ranked the "entries" queries.
std::string baseQuerySet(const std::string& set) {
    return set.substr(0, set.find('+'));
}

}  // namespace

std::size_t QueryDifferences::wins() const {
    return std::size_t(std::count_if(rows.begin(), rows.end(),
                                     [](const QueryDifference& d) { return d.b > d.a; }));
}

std::size_t QueryDifferences::losses() const {
    return std::size_t(std::count_if(rows.begin(), rows.end(),
                                     [](const QueryDifference& d) { return d.b < d.a; }));
}

struct PerQuery::Texts {
    std::map<std::string, std::map<std::string, std::string>> queries, titles;
    std::map<std::string, eval::Run> runs;
    std::map<std::string, eval::Qrels> qrels;
};

PerQuery::PerQuery(store::Database& db) : db_(db), cache_(std::make_unique<Texts>()) {}
PerQuery::~PerQuery() = default;

std::vector<std::pair<std::string, std::string>> PerQuery::shared(std::int64_t runA,
                                                                  std::int64_t runB,
                                                                  const std::string& measure) {
    store::RunStore runs(db_);
    auto keys = [&](std::int64_t id) {
        std::set<std::pair<std::string, std::string>> out;
        for (const auto& r : runs.results(id))
            if (r.measure == measure) out.insert({r.language, r.querySet});
        return out;
    };
    auto a = keys(runA), b = keys(runB);
    std::vector<std::pair<std::string, std::string>> both;
    std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(both));
    // The study's order: low-resource languages first, then high-resource, then the rest.
    auto rank = [](const std::string& lang) {
        const auto g = data::resourceGroup(lang);
        return g == "low" ? 0 : g == "high" ? 1 : 2;
    };
    std::stable_sort(both.begin(), both.end(),
                     [&](const auto& x, const auto& y) { return rank(x.first) < rank(y.first); });
    return both;
}

std::optional<StoredTrecRun> PerQuery::trecRun(std::int64_t runId, const std::string& language,
                                               const std::string& querySet) {
    store::RunStore runs(db_);
    auto run = runs.run(runId);
    if (!run) return std::nullopt;
    std::string corpusDir;
    if (run->corpusId)
        if (auto c = runs.corpusById(*run->corpusId)) corpusDir = c->path;
    for (const auto& a : runs.artifacts(runId)) {
        if (a.kind != "trec_run") continue;
        const auto parts = dotParts(a.path);  // <language>.<set>.<split>.trec
        if (parts.size() < 4 || parts[0] != language || parts[1] != querySet) continue;
        StoredTrecRun t;
        t.path = a.path;
        t.language = language;
        t.querySet = querySet;
        t.split = parts[2];
        t.corpusDir = corpusDir;
        if (auto sidecar = retrieval::TrecSidecar::read(a.path))
            t.qrelsPath = sidecar->qrelsPath;
        else if (!corpusDir.empty())
            t.qrelsPath = data::qrelsPath(corpusDir, language, data::pivotLanguage(),
                                          baseQuerySet(querySet), t.split);
        const auto q = dotParts(t.qrelsPath);  // <query lang>.<page lang>.<set>.<split>.qrels
        t.queryLanguage = q.size() >= 5 ? q[0] : language;
        t.pageLanguage = q.size() >= 5 ? q[1] : data::pivotLanguage();
        return t;
    }
    return std::nullopt;
}

const std::map<std::string, std::string>& PerQuery::queryTexts(const std::string& corpusDir,
                                                               const std::string& language,
                                                               const std::string& querySet,
                                                               const std::string& split) {
    const std::string key = corpusDir + "|" + language + "|" + querySet + "|" + split;
    auto it = cache_->queries.find(key);
    if (it != cache_->queries.end()) return it->second;
    std::map<std::string, std::string> texts;
    if (!corpusDir.empty()) {
        try {
            for (auto& q : data::readQueries(corpusDir, language, querySet, split))
                texts[q.qid] = std::move(q.text);
        } catch (const std::exception&) {
            // A moved or deleted corpus: the view shows query ids without texts.
        }
    }
    return cache_->queries[key] = std::move(texts);
}

const std::map<std::string, std::string>& PerQuery::titles(const std::string& corpusDir,
                                                           const std::string& language) {
    const std::string key = corpusDir + "|" + language;
    auto it = cache_->titles.find(key);
    if (it != cache_->titles.end()) return it->second;
    std::map<std::string, std::string> out;
    if (!corpusDir.empty()) {
        try {
            for (auto& d : data::readDocuments(corpusDir, language))
                out[d.id] = !d.title.empty() ? d.title : d.text.substr(0, d.text.find('\n'));
        } catch (const std::exception&) {
            // Titles are a convenience; the docids are shown without them.
        }
    }
    return cache_->titles[key] = std::move(out);
}

const eval::Run& PerQuery::run(const std::string& path) {
    auto it = cache_->runs.find(path);
    if (it != cache_->runs.end()) return it->second;
    return cache_->runs[path] = eval::readRun(path);
}

const eval::Qrels& PerQuery::qrels(const std::string& path) {
    auto it = cache_->qrels.find(path);
    if (it != cache_->qrels.end()) return it->second;
    return cache_->qrels[path] = eval::readQrels(path);
}

QueryDifferences PerQuery::differences(std::int64_t runA, std::int64_t runB,
                                       const std::string& language, const std::string& querySet,
                                       const std::string& measure) {
    store::RunStore runs(db_);
    const auto a = runs.queryResults(runA, language, querySet, measure);
    const auto b = runs.queryResults(runB, language, querySet, measure);
    // Texts from whichever run names its TREC file and corpus, else from the corpus and
    // evaluation split either run records (a run restored from an archive carries no TREC file).
    const std::map<std::string, std::string>* texts = nullptr;
    const std::map<std::string, std::string>* pivot = nullptr;
    std::vector<StoredTrecRun> sources;
    for (auto id : {runA, runB})
        if (auto t = trecRun(id, language, querySet)) sources.push_back(*t);
    for (auto id : {runA, runB})
        if (auto t = corpusQueries(id, language)) sources.push_back(*t);
    for (const auto& t : sources) {
        if (t.corpusDir.empty()) continue;
        texts = &queryTexts(t.corpusDir, t.queryLanguage, baseQuerySet(querySet), t.split);
        if (t.queryLanguage != data::pivotLanguage())
            pivot =
                &queryTexts(t.corpusDir, data::pivotLanguage(), baseQuerySet(querySet), t.split);
        if (!texts->empty()) break;
    }
    auto textOf = [](const std::map<std::string, std::string>* m, const std::string& qid) {
        if (!m) return std::string();
        auto it = m->find(qid);
        return it == m->end() ? std::string() : it->second;
    };
    QueryDifferences out;
    for (const auto& [qid, va] : a) {
        auto it = b.find(qid);
        if (it == b.end()) {
            ++out.onlyA;
            continue;
        }
        out.rows.push_back({qid, textOf(texts, qid), textOf(pivot, qid), va, it->second});
    }
    for (const auto& [qid, vb] : b) out.onlyB += !a.count(qid);
    std::stable_sort(out.rows.begin(), out.rows.end(),
                     [](const QueryDifference& x, const QueryDifference& y) {
                         return x.difference() > y.difference();
                     });
    return out;
}

std::optional<StoredTrecRun> PerQuery::corpusQueries(std::int64_t runId,
                                                     const std::string& language) {
    store::RunStore runs(db_);
    auto run = runs.run(runId);
    if (!run || !run->corpusId) return std::nullopt;
    auto c = runs.corpusById(*run->corpusId);
    if (!c) return std::nullopt;
    StoredTrecRun t;
    t.corpusDir = c->path;
    t.language = t.queryLanguage = language;
    t.pageLanguage = data::pivotLanguage();
    t.split = eval::EvaluationSettings::fields().defaults().split;
    try {
        const auto config = nlohmann::json::parse(run->config);
        const auto e = config.find("evaluation");
        if (e != config.end() && e->is_object() && e->contains("split"))
            t.split = e->at("split").get<std::string>();
    } catch (const std::exception&) {
        // An unreadable configuration keeps the default split.
    }
    return t;
}

QueryRanking PerQuery::ranking(std::int64_t runId, const std::string& language,
                               const std::string& querySet, const std::string& qid,
                               std::size_t depth) {
    auto t = trecRun(runId, language, querySet);
    if (!t) {
        store::RunStore runs(db_);
        const auto r = runs.run(runId);
        if (r && store::isRestoredMessage(r->message))
            throw std::runtime_error("run " + std::to_string(runId) + " was " + r->message +
                                     ": an archive carries no TREC runs (they stay on the "
                                     "machine that made it), so its ranking cannot be shown");
        throw std::runtime_error("run " + std::to_string(runId) + " stored no TREC run for " +
                                 language + " " + querySet);
    }
    if (!std::filesystem::exists(t->path))
        throw std::runtime_error("run " + std::to_string(runId) + ": " + t->path +
                                 " is missing; the ranking cannot be shown");
    if (t->qrelsPath.empty() || !std::filesystem::exists(t->qrelsPath))
        throw std::runtime_error("run " + std::to_string(runId) + ": the qrels of " + t->path +
                                 " (" + (t->qrelsPath.empty() ? "not recorded" : t->qrelsPath) +
                                 ") are missing");
    QueryRanking out;
    out.qid = qid;
    const auto& texts =
        queryTexts(t->corpusDir, t->queryLanguage, baseQuerySet(querySet), t->split);
    if (auto it = texts.find(qid); it != texts.end()) out.text = it->second;
    if (t->queryLanguage != data::pivotLanguage()) {
        const auto& pivot =
            queryTexts(t->corpusDir, data::pivotLanguage(), baseQuerySet(querySet), t->split);
        if (auto it = pivot.find(qid); it != pivot.end()) out.pivotText = it->second;
    }
    std::map<std::string, int> judged;
    const auto& q = qrels(t->qrelsPath);
    if (auto it = q.byQuery.find(qid); it != q.byQuery.end()) judged = it->second;
    for (const auto& [doc, rel] : judged) out.relevant += rel > 0;
    const auto& r = run(t->path);
    auto it = r.byQuery.find(qid);
    if (it == r.byQuery.end()) return out;
    auto docs = it->second;
    eval::sortTrecOrder(docs);
    const auto& names = titles(t->corpusDir, t->pageLanguage);
    for (std::size_t i = 0; i < docs.size(); ++i) {
        auto rel = judged.find(docs[i].docid);
        const int relevance = rel == judged.end() ? 0 : rel->second;
        if (relevance > 0) out.foundAt[docs[i].docid] = i + 1;
        if (i < depth) {
            auto title = names.find(docs[i].docid);
            out.pages.push_back({i + 1, docs[i].docid,
                                 title == names.end() ? std::string() : title->second,
                                 docs[i].score, relevance});
        }
    }
    return out;
}

}  // namespace clir::jobs
