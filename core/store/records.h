// The plain records a run produces (metric points, results, translations, alignments, corpora):
// what jobs hand to the store, with no database behind them, so that the engine's jobs depend on
// the job interface and not on SQLite.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace clir::store {

struct MetricPoint {
    std::string name;
    std::int64_t step = 0;
    double value = 0;
    double wallTime = 0;  // seconds since the run started
};

struct ResultRow {
    std::string language, querySet, measure;
    double value = 0;
};

struct QueryResultRow {
    std::string language, querySet, qid, measure;
    double value = 0;
};

struct TranslationRow {
    std::string language, querySet, qid, system, source, target, error;
};

// A transport plan saved for the alignment inspector: English (source, rows) against X (target,
// columns) tokens of one bitext pair at one training step.
struct AlignmentRecord {
    std::int64_t id = 0;
    std::int64_t step = 0;
    std::string pairKey;  // "<language>:<paragraph id>"
    std::vector<std::string> sourceTokens, targetTokens;
    std::vector<float> plan, cost;  // rows x cols, row-major
};

struct CorpusRecord {
    std::int64_t id = 0;
    std::string name, path, hash, manifest, createdAt;
};

}  // namespace clir::store
