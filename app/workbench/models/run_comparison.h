// Gathers what the results and scaling charts show from the store: per-query values of a
// measure for a set of runs, compared per language with eval::compareRuns (means, the
// high-minus-low gap, paired randomisation against a baseline with Bonferroni correction).
#pragma once

#include <QString>
#include <QStringList>
#include <QVector>
#include <map>
#include <string>
#include <vector>

#include "core/eval/comparison.h"

namespace clir::store {
class Database;
}

namespace clir::workbench {

struct ComparedRuns {
    std::vector<std::int64_t> runIds;  // in the comparison's row order (a group's first run)
    std::vector<std::string> methods, presets;
    eval::Comparison comparison;
    // Per row, language -> each seed's own mean (one entry per run of the row, in run order).
    std::vector<std::map<std::string, std::vector<double>>> seedMeans;
    // Per row, the seed of each run in that order (a run without one: minus its id), to pair
    // the seeds of different rows by number.
    std::vector<std::vector<std::int64_t>> seeds;
    // Per row, the mean of the low-resource and high-resource groups' means and their gap
    // (high - low) for each seed of the row (index k: the k-th run of every language); empty
    // when a seed lacks a language of either group.
    std::vector<double> seedOverall(std::size_t row) const;
    std::vector<double> seedGap(std::size_t row) const;
    // Mean of the present low-resource and high-resource cells of a row (NaN when none).
    double groupMean(std::size_t row, const std::string& group) const;
};

// Every experiment name's latest finished run (a rerun replaces the earlier one), oldest first:
// what the results and scaling charts show when no runs are chosen.
QVector<qint64> latestFinishedRuns(store::Database& db);
// The measures the charts offer.
const QStringList& chartMeasures();

// Runs without per-query values of the measure on that query set are left out; runs of one group
// (a configuration's seeds) are one row, labelled by its first run. baselineId 0: no
// significance tests. The pivot language (English queries) is not a cross-lingual result and is
// left out unless includePivot.
ComparedRuns compareStoredRuns(store::Database& db, const QVector<qint64>& runIds,
                               const std::string& measure, const std::string& querySet,
                               std::int64_t baselineId, bool includePivot = false,
                               std::size_t permutations = 2000);

}  // namespace clir::workbench
