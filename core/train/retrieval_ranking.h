// How a retrieval method's model ranks pages (SPEC 4): which tower encodes a query or a page of
// each language (OPTICAL: the student one side, the frozen teacher the other), pages encoded
// once per evaluation or cached per checkpoint, exact search or BM25 re-ranking, the evaluated
// directions, and the dev evaluation on a fixed seeded sample of dev queries drawn across all
// dev pages (the sample is written beside the run).
#pragma once

#include <c10/core/Device.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/data/corpus_reader.h"
#include "core/jobs/job.h"
#include "core/retrieval/bm25_index.h"
#include "core/retrieval/fusion.h"
#include "core/retrieval/neural_search.h"
#include "core/retrieval/test_evaluation.h"
#include "core/train/retrieval_batches.h"

namespace clir::jobs {
struct JobEnvironment;
}

namespace clir::train {

// Query-term weights to start from (SPEC 4): each piece's idf ln(1 + 1/f), f the largest share
// of one language's pages holding the piece (a piece on no page: one page of the largest
// language), over the full text of every page of `languages`. A function word of any language
// weighs little, a rare term much more.
std::vector<double> pieceIdf(PageStore& pages, const std::vector<std::string>& languages,
                             const model::Tokenizer& tok);

class RetrievalRanking {
  public:
    RetrievalRanking(const MethodWiring& wiring, const jobs::JobEnvironment& env, PageStore& pages,
                     const model::Tokenizer& tok, const RetrievalSettings& settings,
                     c10::Device device);

    // The trained model's tower and the frozen teacher's (the same tower unless OPTICAL), with
    // their query-term weights (empty: uniform).
    void setTowers(retrieval::TokenEncoder trained, retrieval::TokenEncoder teacher,
                   retrieval::TermWeigher trainedWeights = {},
                   retrieval::TermWeigher teacherWeights = {});
    const retrieval::TokenEncoder& trained() const { return trained_; }
    const retrieval::TokenEncoder& teacher() const { return teacher_; }
    const retrieval::TermWeigher& trainedWeights() const { return trainedWeights_; }
    const retrieval::TermWeigher& teacherWeights() const { return teacherWeights_; }
    const retrieval::TokenEncoder& queryTower(const std::string& language) const;
    const retrieval::TermWeigher& queryWeigher(const std::string& language) const;
    const retrieval::TokenEncoder& pageTower(const std::string& language) const;
    // Whether the pages of `language` are encoded by the frozen teacher.
    bool teacherPages(const std::string& language) const;

    // Dev: the method's X languages (English for the teacher). Test: every corpus language.
    std::vector<retrieval::Direction> directions(const std::vector<std::string>& languages) const;
    std::vector<retrieval::Direction> devDirections() const;

    // Pages of `language`, encoded by their tower; cached on disk under `modelKey` when given.
    retrieval::PageIndex encodePages(const std::string& language, const std::string& modelKey);
    eval::Run rank(const retrieval::Direction& dir, const std::vector<data::CorpusQuery>& queries,
                   const retrieval::PageIndex& pages);

    // BM25 over the pages of dir.pageLanguage with the queries as they are (untranslated), top
    // retrieval.depth; the index is built once per corpus and language.
    eval::Run bm25Rank(const retrieval::Direction& dir,
                       const std::vector<data::CorpusQuery>& queries);
    // The BM25 fusion weight chosen on the dev sample with the current towers; `pagesOf`
    // gives each page language's encoded pages.
    retrieval::AlphaChoice chooseFusion(
        const jobs::JobContext& ctx,
        const std::function<retrieval::PageIndex(const std::string&)>& pagesOf);
    bool sampled() const { return !dev_.empty(); }

    // Draws up to `perLanguage` dev entry queries of each dev direction, seeded, uniformly over
    // all dev queries (so every dev page can be drawn); writes them to
    // <outputDir>/dev_queries.json.
    void sampleDev(std::int64_t perLanguage, std::uint64_t seed, const std::string& outputDir);
    // Dev MAP (-c over the sample) per direction, recorded as dev_map/<label>, and their mean
    // (dev_map), which picks the best checkpoint.
    double evaluateDev(const jobs::JobContext& ctx, std::int64_t step);

  private:
    const MethodWiring& wiring_;
    const jobs::JobEnvironment& env_;
    PageStore& pages_;
    const model::Tokenizer& tok_;
    RetrievalSettings settings_;
    c10::Device device_;
    retrieval::TokenEncoder trained_, teacher_;
    retrieval::TermWeigher trainedWeights_, teacherWeights_;
    std::map<std::string, retrieval::PageIndex> teacherPages_;           // frozen: encoded once
    std::map<std::string, std::unique_ptr<retrieval::Bm25Index>> bm25_;  // by page language
    retrieval::Bm25Index& bm25For(const std::string& language);
    struct DevSet {
        retrieval::Direction direction;
        std::vector<data::CorpusQuery> queries;
        eval::Qrels qrels;
    };
    std::vector<DevSet> dev_;
};

}  // namespace clir::train
