// Stored-run comparison (see run_comparison.h).
#include "app/workbench/models/run_comparison.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

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

std::vector<double> ComparedRuns::seedOverall(std::size_t row) const {
    std::vector<double> low, high;
    if (row >= seedMeans.size() || !eval::seedGroupMeans(seedMeans[row], low, high)) return {};
    for (std::size_t k = 0; k < low.size(); ++k) low[k] = (low[k] + high[k]) / 2;
    return low;
}

std::vector<double> ComparedRuns::seedGap(std::size_t row) const {
    std::vector<double> low, high;
    if (row >= seedMeans.size() || !eval::seedGroupMeans(seedMeans[row], low, high)) return {};
    for (std::size_t k = 0; k < low.size(); ++k) high[k] -= low[k];
    return high;
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
        m << "language_bias";  // pooled query sets (@all) only
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
    // Runs of one group (the seeds of a configuration) become one row: mean ± sd over seeds.
    std::vector<std::string> order;
    std::map<std::string, std::vector<std::pair<std::int64_t, eval::ComparedRun>>> byGroup;
    std::map<std::int64_t, std::pair<std::string, std::string>> methodPreset;
    std::map<std::int64_t, std::int64_t> seedOf;
    for (auto id : runIds) {
        auto r = store.run(id);
        if (!r) continue;
        auto c = jobs::storedRunValues(store, id, measure, querySet, includePivot,
                                       "#" + std::to_string(r->id) + " " + r->name);
        c.isBaseline = id == baselineId;
        if (c.perLanguage.empty()) continue;
        const std::string group = jobs::runGroup(*r);
        if (!byGroup.count(group)) order.push_back(group);
        byGroup[group].push_back({id, std::move(c)});
        methodPreset[id] = {r->method, r->preset};
        seedOf[id] = r->seed.value_or(-r->id);
    }
    std::vector<eval::ComparedRun> runs;
    for (const auto& group : order) {
        auto& members = byGroup[group];
        const auto first = members.front().first;
        out.seeds.emplace_back();
        for (const auto& member : members) out.seeds.back().push_back(seedOf[member.first]);
        if (members.size() == 1) {
            out.seedMeans.push_back(eval::seedMeansOf(members.front().second));
            runs.push_back(std::move(members.front().second));
        } else {
            std::vector<eval::ComparedRun> seeds;
            std::vector<std::int64_t> ids;
            bool baseline = false;
            for (auto& [id, c] : members) {
                baseline = baseline || c.isBaseline;
                seeds.push_back(std::move(c));
                ids.push_back(id);
            }
            auto pooled = eval::poolSeeds(seeds, "#" + std::to_string(first) + " " + group + " (" +
                                                     jobs::seedsLabel(store, ids) + ")");
            pooled.isBaseline = baseline;
            out.seedMeans.push_back(pooled.seedMeans);
            runs.push_back(std::move(pooled));
        }
        out.runIds.push_back(first);
        out.methods.push_back(methodPreset[first].first);
        out.presets.push_back(methodPreset[first].second);
    }
    out.comparison = eval::compareRuns(runs, permutations);
    return out;
}

}  // namespace clir::workbench
