// What the retrieval methods train on (SPEC 4): the method's wiring (which languages, which
// losses, which side the student encodes), the pages of each language with their tokens, the
// query-page training pairs, OPTICAL's bitext, BM25 hard negatives from training pages, and the
// sampler that draws each step's batch (hybrid batches: monolingual with probability alpha).
// Internal to the LibTorch part of core (the batch type holds no tensors, its header does).
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/data/corpus_reader.h"
#include "core/data/corpus_settings.h"
#include "core/model/tokenizer.h"
#include "core/train/retrieval_losses.h"
#include "core/train/retrieval_settings.h"

namespace clir::jobs {
struct JobEnvironment;
}

namespace clir::train {

// How a retrieval method is wired: read from its name and settings once.
struct MethodWiring {
    std::string method;
    bool optical = false;       // OT distillation from a frozen teacher (optical, optical+hybrid)
    bool hybrid = false;        // hybrid batches (hybrid, optical+hybrid)
    bool contrastive = false;   // an InfoNCE term (every training method but optical)
    bool trains = false;        // not zero-shot and steps > 0
    bool documentSide = false;  // OPTICAL's student encodes the X pages, not the X queries
    bool englishOnly = false;   // English pairs and English dev queries only (the teacher)
    bool fromEncoder = false;   // starts from a pretrained encoder
    std::vector<std::string> xLanguages;  // trained on; English is the pivot

    static MethodWiring of(const std::string& method, const data::CorpusSettings& corpus,
                           const TrainSettings& train, const OtSettings& ot);
};

// Pages of one language: ids, texts, splits, and their pieces: each page is tokenized once, in
// full, on first use; its first window and its passages are cut from that.
struct PageSet {
    std::vector<std::string> ids, texts;
    std::unordered_map<std::string, std::size_t> row;
    std::unordered_map<std::string, std::string> split;  // docid -> train | dev | test
    std::vector<Ids> full;                               // <s> every piece </s>
    std::vector<Ids> tokens;                             // the first window of each
    std::vector<std::vector<Ids>> passages;              // per row, filled as pages are asked for
};

class PageStore {
  public:
    PageStore(std::string corpusDir, const model::Tokenizer& tok, std::int64_t maxLength)
        : corpusDir_(std::move(corpusDir)), tok_(tok), maxLength_(maxLength) {}
    PageSet& of(const std::string& language);
    // Every page of the language, tokenized in full (<s> pieces </s>), in row order.
    const std::vector<Ids>& full(const std::string& language);
    // The page's passages (retrieval::passagesOf over its full tokens).
    const std::vector<Ids>& passages(const std::string& language, std::size_t row);
    std::int64_t maxLength() const { return maxLength_; }
    // The page's first maxLength pieces (with <s> and </s>).
    const Ids& tokens(const std::string& language, const std::string& docid);
    // The page's passage sharing the most distinct content pieces with `query` (the earliest
    // on a tie, so the first passage when none is shared): what whole-page MaxSim would match.
    const Ids& bestPassage(const std::string& language, const std::string& docid, const Ids& query);

  private:
    std::string corpusDir_;
    const model::Tokenizer& tok_;
    std::int64_t maxLength_;
    std::map<std::string, PageSet> pages_;
};

struct TokenizedBitext {
    Ids english, other;
    std::string key;  // "<lang>:<paragraph id>"
};

class RetrievalBatches {
  public:
    RetrievalBatches(const MethodWiring& wiring, const jobs::JobEnvironment& env, PageStore& pages,
                     const model::Tokenizer& tok, const TrainSettings& train, const OtSettings& ot,
                     std::int64_t queryMaxLength, bool bestPassages = false);

    // Reads everything the method trains on; adds counts to `summary`.
    void load(nlohmann::json& summary);
    // One contrastive batch of `size` pairs (plus hard negatives) for the method.
    ContrastiveBatch draw(std::int64_t size, std::mt19937_64& rng);
    // `size` bitext pairs: languages drawn uniformly, or in proportion to their pairs when
    // ot.epochs sets the length.
    void drawBitext(std::int64_t size, std::mt19937_64& rng, std::vector<Ids>& english,
                    std::vector<Ids>& other) const;
    // The dev pairs whose plans the alignment inspector shows (languages taken in turn).
    const std::vector<TokenizedBitext>& alignmentSample() const { return alignmentSample_; }
    // Training bitext pairs over all X languages (after load).
    std::size_t bitextPairs() const { return bitext_.size(); }
    // X-side tokens of `language`'s bitext: ot.other_max_length, or sized for its script.
    std::int64_t otherLength(const std::string& language);

  private:
    struct TrainPair {
        Ids query;
        std::string qid, docid;
    };
    std::vector<TrainPair>& pairsOf(const std::string& q, const std::string& d);
    // Entry texts that are the same entry: lower-cased (ASCII), whitespace collapsed.
    static std::string entryKey(const std::string& text);
    // Redraws of a pair whose page is already in the batch before it is taken anyway.
    static constexpr int kDistinctAttempts = 16;
    std::vector<TokenizedBitext> tokenizedBitext(const std::string& lang, const std::string& split,
                                                 std::size_t limit);
    void loadBitext(nlohmann::json& summary);
    void loadHardNegatives();

    const MethodWiring& wiring_;
    const jobs::JobEnvironment& env_;
    PageStore& pages_;
    const model::Tokenizer& tok_;
    TrainSettings train_;
    OtSettings ot_;
    std::int64_t queryMaxLength_;
    bool bestPassages_;  // train.passage best: a page shows its passage that fits the query
    std::map<std::string, std::vector<TrainPair>> pairs_;  // "<qlang>><dlang>" -> pairs
    std::map<std::string, std::map<std::string, std::set<std::string>>> relevant_;
    std::unordered_map<std::string, std::vector<std::string>> hardNegatives_;  // qid -> docids
    std::vector<TokenizedBitext> bitext_;
    std::map<std::string, std::vector<std::size_t>> bitextByLanguage_;
    std::vector<TokenizedBitext> alignmentSample_;
    std::map<std::string, std::int64_t> otherLength_;
    std::int64_t droppedBitext_ = 0;
};

}  // namespace clir::train
