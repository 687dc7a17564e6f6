// Stored-run comparison (see run_comparison.h).
#include "app/workbench/models/run_comparison.h"

#include <cmath>
#include <limits>

#include "core/data/corpus_reader.h"
#include "core/data/corpus_settings.h"
#include "core/eval/measures.h"
#include "core/jobs/run_comparison.h"
#include "core/store/run_store.h"

namespace clir::workbench {

double ComparedRuns::groupMean(std::size_t row, const std::string& group) const {
    double sum = 0;
    int n = 0;
    for (std::size_t l = 0; l < comparison.languages.size(); ++l) {
        const auto& cell = comparison.cells[row][l];
        if (cell.present && data::resourceGroup(comparison.languages[l]) == group) {
            sum += cell.mean;
            ++n;
        }
    }
    return n ? sum / n : std::numeric_limits<double>::quiet_NaN();
}

QVector<qint64> latestFinishedRuns(store::Database& db) {
    store::RunStore runs(db);
    QVector<qint64> ids;
    for (auto id : jobs::latestFinishedRuns(runs)) ids.push_back(id);
    return ids;
}

const QStringList& chartMeasures() {
    static const QStringList measures = [] {
        QStringList m;
        for (const auto& name : eval::reportedMeasures()) m << QString::fromStdString(name);
        return m;
    }();
    return measures;
}

ComparedRuns compareStoredRuns(store::Database& db, const QVector<qint64>& runIds,
                               const std::string& measure, const std::string& querySet,
                               std::int64_t baselineId, bool includePivot,
                               std::size_t permutations) {
    store::RunStore store(db);
    ComparedRuns out;
    std::vector<eval::ComparedRun> runs;
    for (auto id : runIds) {
        auto r = store.run(id);
        if (!r) continue;
        auto c = jobs::storedRunValues(store, id, measure, querySet, includePivot,
                                       "#" + std::to_string(r->id) + " " + r->name);
        c.isBaseline = id == baselineId;
        if (c.perLanguage.empty()) continue;
        runs.push_back(std::move(c));
        out.runIds.push_back(id);
        out.methods.push_back(r->method);
        out.presets.push_back(r->preset);
    }
    out.comparison = eval::compareRuns(runs, permutations);
    return out;
}

}  // namespace clir::workbench
