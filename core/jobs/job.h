// The one shape every long job has (STYLE 3): settings in, result out, progress and metric
// callbacks, and an atomic cancel flag checked between steps.
#pragma once

#include <atomic>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/store/records.h"

namespace clir::train {
class DataParallel;
}

namespace clir::jobs {

struct Progress {
    double fraction = 0;  // 0..1
    std::string message;
};

// Thrown by JobContext::checkCancelled; the runner records the run as cancelled.
class Cancelled : public std::runtime_error {
  public:
    Cancelled() : std::runtime_error("cancelled") {}
};

struct JobContext {
    std::function<void(const Progress&)> progress;
    std::function<void(const std::string& name, std::int64_t step, double value)> metric;
    const std::atomic<bool>* cancel = nullptr;
    std::function<void(const store::AlignmentRecord&)> alignment;  // stored as it comes
    std::string outputDir;  // where the job writes files (runs, checkpoints); set by the runner
    // Writes every metric recorded so far to the store. A job calls it before it writes a
    // checkpoint, so a run killed later and resumed from that checkpoint has lost no step.
    std::function<void()> persist;
    // Data-parallel training (clirlab run --nproc): this process's group, null when it trains
    // alone. Rank 0 writes the store, checkpoints and evaluations; the other ranks train their
    // share of each batch, write nothing and end with training.
    train::DataParallel* parallel = nullptr;
    int rank = 0;
    bool primary() const { return rank == 0; }

    void report(double fraction, const std::string& message) const {
        if (progress) progress({fraction, message});
    }
    void record(const std::string& name, std::int64_t step, double value) const {
        if (metric) metric(name, step, value);
    }
    void persistMetrics() const {
        if (persist) persist();
    }
    void saveAlignment(const store::AlignmentRecord& a) const {
        if (alignment) alignment(a);
    }
    bool cancelled() const { return cancel && cancel->load(std::memory_order_relaxed); }
    void checkCancelled() const {
        if (cancelled()) throw Cancelled();
    }
};

struct JobResult {
    nlohmann::json summary = nlohmann::json::object();  // shown by `clirlab show`
    std::vector<store::ResultRow> results;
    std::vector<store::QueryResultRow> queryResults;
    std::vector<store::TranslationRow> translations;
    std::vector<std::pair<std::string, std::string>> artifacts;  // kind, path
    std::optional<store::CorpusRecord> corpus;                   // a corpus the job built or used
};

class Job {
  public:
    virtual ~Job() = default;
    virtual JobResult run(const JobContext& context) = 0;
};

}  // namespace clir::jobs
