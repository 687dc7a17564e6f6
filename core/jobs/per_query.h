// Where one run wins and loses against another (SPEC 5): per-query differences of a measure
// between two stored runs on one language and query set, with the query texts, and one query's
// ranked pages as a run stored them, relevant pages marked from the qrels. Read from the store,
// the run's TREC files and the corpus; what the workbench's per-query view shows.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/eval/trec_io.h"
#include "core/store/run_store.h"

namespace clir::jobs {

// The TREC file a run wrote for one language and query set, with what reading it needs.
struct StoredTrecRun {
    std::string path, language, querySet, split, qrelsPath;
    std::string queryLanguage, pageLanguage;  // from the qrels file's name
    std::string corpusDir;                    // empty when the run records no corpus
};

struct QueryDifference {
    std::string qid, text, pivotText;  // texts empty when the corpus is not readable
    double a = 0, b = 0;
    double difference() const { return b - a; }
};

struct QueryDifferences {
    std::vector<QueryDifference> rows;  // queries both runs have: b - a descending, then qid
    std::size_t onlyA = 0, onlyB = 0;   // queries one run has and the other does not
    std::size_t wins() const;           // b > a
    std::size_t losses() const;         // b < a
};

struct RankedPage {
    std::size_t rank = 0;  // 1-based, trec_eval's order
    std::string docid, title;
    double score = 0;
    int relevance = 0;  // from the qrels; 0 when not judged relevant
};

struct QueryRanking {
    std::string qid, text, pivotText;
    std::vector<RankedPage> pages;               // the top `depth`
    std::size_t relevant = 0;                    // relevant pages in the qrels
    std::map<std::string, std::size_t> foundAt;  // relevant docid -> rank (absent: not ranked)
};

class PerQuery {
  public:
    explicit PerQuery(store::Database& db);
    ~PerQuery();

    // Languages and query sets on which both runs stored per-query values of the measure.
    std::vector<std::pair<std::string, std::string>> shared(std::int64_t runA, std::int64_t runB,
                                                            const std::string& measure);
    QueryDifferences differences(std::int64_t runA, std::int64_t runB, const std::string& language,
                                 const std::string& querySet, const std::string& measure);
    // Throws std::runtime_error naming the run and file when the TREC run or qrels are missing.
    QueryRanking ranking(std::int64_t runId, const std::string& language,
                         const std::string& querySet, const std::string& qid,
                         std::size_t depth = 20);
    std::optional<StoredTrecRun> trecRun(std::int64_t runId, const std::string& language,
                                         const std::string& querySet);

  private:
    // The corpus, query language and evaluation split a run records, without a TREC file: where
    // the texts of a run restored from an archive are read.
    std::optional<StoredTrecRun> corpusQueries(std::int64_t runId, const std::string& language);
    struct Texts;
    const std::map<std::string, std::string>& queryTexts(const std::string& corpusDir,
                                                         const std::string& language,
                                                         const std::string& querySet,
                                                         const std::string& split);
    const std::map<std::string, std::string>& titles(const std::string& corpusDir,
                                                     const std::string& language);
    const eval::Run& run(const std::string& path);
    const eval::Qrels& qrels(const std::string& path);
    store::Database& db_;
    std::unique_ptr<Texts> cache_;
};

}  // namespace clir::jobs
