// BM25 over a corpus language's documents with Xapian (Xapian::BM25Weight). The index is built
// once per corpus hash, language and analyser, and reused from the data cache.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/data/corpus_reader.h"
#include "core/eval/trec_io.h"

namespace clir::retrieval {

struct Bm25Settings {
    double k1 = 1.2;           // term-frequency saturation (Robertson et al.; Xapian's default)
    double b = 0.75;           // length normalisation (Xapian's default)
    std::size_t depth = 1000;  // documents retrieved per query (trec_eval's usual cutoff)
};

// Xapian's Snowball stemmer name for a help language, or "" (no stemming: om, km, dz, ...).
std::string stemmerFor(const std::string& language);

class Bm25Index {
  public:
    // Opens the index at `dir`, building it from `docs` first when it is missing or stale.
    Bm25Index(const std::string& dir, const std::string& corpusHash, const std::string& language,
              const std::vector<data::CorpusDocument>& docs);
    ~Bm25Index();
    Bm25Index(const Bm25Index&) = delete;
    Bm25Index& operator=(const Bm25Index&) = delete;

    bool wasBuilt() const { return built_; }  // false: reused from the cache
    std::size_t documentCount() const;

    // Analyses `text` with the index's stemmer and returns the top `depth` documents. One index
    // object serves one thread at a time.
    std::vector<eval::ScoredDoc> search(const std::string& text, const Bm25Settings& s) const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    bool built_ = false;
};

}  // namespace clir::retrieval
