// Re-evaluation of stored runs (see reevaluate.h).
#include "core/jobs/reevaluate.h"

#include <cmath>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/data/corpus_reader.h"
#include "core/data/corpus_settings.h"
#include "core/retrieval/test_evaluation.h"
#include "core/store/run_store.h"

namespace clir::jobs {
namespace {

// language, set and qrels of a TREC file written before sidecars existed.
retrieval::TrecSidecar fromName(const std::string& trecPath, const store::RunRecord& run,
                                const std::string& corpusDir) {
    const std::string name = std::filesystem::path(trecPath).filename().string();
    const auto first = name.find('.');
    const auto second = name.find('.', first + 1);
    const auto third = name.find('.', second + 1);
    if (first == std::string::npos || second == std::string::npos || third == std::string::npos)
        throw std::runtime_error(trecPath +
                                 ": no sidecar, and the name is not <language>.<set>.<split>.trec");
    retrieval::TrecSidecar s;
    s.language = name.substr(0, first);
    s.querySet = name.substr(first + 1, second - first - 1);
    const std::string split = name.substr(second + 1, third - second - 1);
    // OPTICAL with the student on the document side ranked X pages for English queries.
    auto config = nlohmann::json::parse(run.config);
    const bool documentSide =
        config.contains("ot") && config["ot"].value("student_side", "query") == "document";
    const std::string& pivot = data::pivotLanguage();
    s.qrelsPath = documentSide && s.language != pivot
                      ? data::qrelsPath(corpusDir, pivot, s.language, s.querySet, split)
                      : data::qrelsPath(corpusDir, s.language, pivot, s.querySet, split);
    return s;
}

double storedValue(const std::vector<store::ResultRow>& rows, const std::string& language,
                   const std::string& set, const std::string& measure) {
    for (const auto& r : rows)
        if (r.language == language && r.querySet == set && r.measure == measure) return r.value;
    return std::numeric_limits<double>::quiet_NaN();
}

}  // namespace

std::vector<Reevaluated> reevaluateRun(store::Database& db, std::int64_t runId) {
    store::RunStore runs(db);
    auto run = runs.run(runId);
    if (!run) throw std::runtime_error("no run " + std::to_string(runId) + " in " + db.path());
    std::string corpusDir;
    if (run->corpusId)
        if (auto c = runs.corpusById(*run->corpusId)) corpusDir = c->path;
    const auto before = runs.results(runId);
    // Evaluate every file first, then store: a missing file changes nothing.
    struct Pending {
        Reevaluated report;
        std::vector<store::ResultRow> rows;
        std::vector<store::QueryResultRow> queryRows;
    };
    std::vector<Pending> pending;
    for (const auto& a : runs.artifacts(runId)) {
        if (a.kind != "trec_run") continue;
        if (!std::filesystem::exists(a.path))
            throw std::runtime_error("run " + std::to_string(runId) + ": " + a.path +
                                     " is missing; its results cannot be recomputed");
        auto sidecar = retrieval::TrecSidecar::read(a.path);
        if (!sidecar) {
            if (corpusDir.empty())
                throw std::runtime_error("run " + std::to_string(runId) +
                                         " records no corpus; cannot find the qrels of " + a.path);
            sidecar = fromName(a.path, *run, corpusDir);
        }
        Pending p;
        auto e = retrieval::recordEvaluation(a.path, sidecar->qrelsPath, sidecar->language,
                                             sidecar->querySet, p.rows, p.queryRows);
        p.report = {a.path,
                    sidecar->language,
                    sidecar->querySet,
                    e.numQueries,
                    storedValue(before, sidecar->language, sidecar->querySet, "map"),
                    e.mean.at("map"),
                    storedValue(before, sidecar->language, sidecar->querySet, "ndcg_cut_10"),
                    e.mean.at("ndcg_cut_10")};
        pending.push_back(std::move(p));
    }
    std::vector<Reevaluated> out;
    for (const auto& p : pending) {
        runs.replaceEvaluation(runId, p.report.language, p.report.querySet, p.rows, p.queryRows);
        out.push_back(p.report);
    }
    return out;
}

}  // namespace clir::jobs
