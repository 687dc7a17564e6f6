// Training data and batches of the retrieval methods (see retrieval_batches.h).
#include "core/train/retrieval_batches.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "core/data/corpus_settings.h"
#include "core/eval/trec_io.h"
#include "core/jobs/job_environment.h"
#include "core/jobs/methods.h"
#include "core/retrieval/bm25_index.h"
#include "core/retrieval/neural_search.h"
#include "core/util/text.h"

namespace clir::train {
namespace {

const std::string& pivot() {
    return data::pivotLanguage();
}

std::size_t uniform(std::mt19937_64& rng, std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
}

}  // namespace

MethodWiring MethodWiring::of(const std::string& method, const data::CorpusSettings& corpus,
                              const TrainSettings& train, const OtSettings& ot) {
    const auto& traits = jobs::methodInfo(method).retrieval;
    MethodWiring w;
    w.method = method;
    w.optical = traits.optical;
    w.hybrid = traits.hybrid;
    w.contrastive = traits.contrastive;
    w.trains = traits.trains && train.steps > 0;
    w.documentSide = w.optical && ot.studentSide == "document";
    w.englishOnly = traits.englishOnly;
    w.fromEncoder = traits.fromEncoder;
    for (const auto& l : train.languages.empty() ? corpus.languages : train.languages)
        if (l != pivot()) w.xLanguages.push_back(l);
    if (traits.crossLingual && w.xLanguages.empty())
        throw std::runtime_error("method '" + method +
                                 "' needs a language besides en-US in corpus.languages");
    return w;
}

PageSet& PageStore::of(const std::string& language) {
    auto it = pages_.find(language);
    if (it != pages_.end()) return it->second;
    PageSet& p = pages_[language];
    for (auto& d : data::readDocuments(corpusDir_, language)) {
        p.row[d.id] = p.ids.size();
        p.split[d.id] = d.split;
        p.ids.push_back(d.id);
        p.texts.push_back(d.title + "\n" + d.text);
    }
    return p;
}

const std::vector<Ids>& PageStore::full(const std::string& language) {
    PageSet& p = of(language);
    if (p.full.empty() && !p.texts.empty()) {
        p.full.reserve(p.texts.size());
        for (const auto& t : p.texts)
            p.full.push_back(tok_.encode(t, std::numeric_limits<std::size_t>::max()));
    }
    return p.full;
}

const Ids& PageStore::tokens(const std::string& language, const std::string& docid) {
    PageSet& p = of(language);
    if (p.tokens.empty()) {
        p.tokens.reserve(p.texts.size());
        for (const auto& all : full(language))
            p.tokens.push_back(model::Tokenizer::truncated(all, std::size_t(maxLength_)));
    }
    return p.tokens.at(p.row.at(docid));
}

const std::vector<Ids>& PageStore::passages(const std::string& language, std::size_t row) {
    PageSet& p = of(language);
    if (p.passages.empty()) p.passages.resize(p.texts.size());
    auto& passages = p.passages.at(row);
    if (passages.empty()) passages = retrieval::passagesOf(tok_, full(language)[row], maxLength_);
    return passages;
}

const Ids& PageStore::bestPassage(const std::string& language, const std::string& docid,
                                  const Ids& query) {
    const auto& passages = this->passages(language, of(language).row.at(docid));
    std::set<std::int64_t> wanted;
    for (auto id : query)
        if (id != model::Tokenizer::kBos && id != model::Tokenizer::kEos) wanted.insert(id);
    std::size_t best = 0, bestShared = 0;
    for (std::size_t i = 0; i < passages.size(); ++i) {
        std::set<std::int64_t> shared;
        for (auto id : passages[i])
            if (wanted.count(id)) shared.insert(id);
        if (shared.size() > bestShared) {
            best = i;
            bestShared = shared.size();
        }
    }
    return passages[best];
}

RetrievalBatches::RetrievalBatches(const MethodWiring& wiring, const jobs::JobEnvironment& env,
                                   PageStore& pages, const model::Tokenizer& tok,
                                   const TrainSettings& train, const OtSettings& ot,
                                   std::int64_t queryMaxLength, bool bestPassages)
    : wiring_(wiring),
      env_(env),
      pages_(pages),
      tok_(tok),
      train_(train),
      ot_(ot),
      queryMaxLength_(queryMaxLength),
      bestPassages_(bestPassages) {}

std::vector<RetrievalBatches::TrainPair>& RetrievalBatches::pairsOf(const std::string& q,
                                                                    const std::string& d) {
    const std::string key = q + ">" + d;
    auto it = pairs_.find(key);
    if (it != pairs_.end()) return it->second;
    auto& out = pairs_[key];
    const std::string qrelsPath = data::qrelsPath(env_.corpusDir, q, d, "entries", "train");
    auto qrels = eval::readQrels(qrelsPath);
    const auto& p = pages_.of(d);
    // A query's relevant set is every page indexed under the same entry text (one entry text
    // often indexes several pages under different ids): none of them is ever its negative.
    std::map<std::string, std::set<std::string>> byText;
    std::vector<std::pair<std::string, std::string>> qidText;
    for (const auto& query : data::readQueries(env_.corpusDir, q, "entries", "train")) {
        auto r = qrels.byQuery.find(query.qid);
        if (r == qrels.byQuery.end()) continue;
        Ids ids = tok_.encode(query.text, std::size_t(queryMaxLength_));
        const std::string text = entryKey(query.text);
        qidText.push_back({query.qid, text});
        for (const auto& [docid, rel] : r->second) {
            if (rel <= 0 || !p.row.count(docid)) continue;
            byText[text].insert(d + ":" + docid);
            out.push_back({ids, query.qid, docid});
        }
    }
    if (out.empty()) throw std::runtime_error(qrelsPath + ": no training pairs");
    for (const auto& [qid, text] : qidText) relevant_[key][qid] = byText[text];
    return out;
}

std::string RetrievalBatches::entryKey(const std::string& text) {
    return text::toLowerAscii(text::collapseWhitespace(text));
}

std::int64_t RetrievalBatches::otherLength(const std::string& language) {
    if (ot_.otherMaxLength > 0) return ot_.otherMaxLength;
    auto it = otherLength_.find(language);
    if (it != otherLength_.end()) return it->second;
    // Pieces per English piece over (the first 5,000 pairs of) the training bitext, untruncated.
    double english = 0, other = 0;
    std::size_t seen = 0;
    for (const auto& b : data::readBitext(env_.corpusDir, language, "train")) {
        if (++seen > 5000) break;
        english += double(tok_.encode(b.english, SIZE_MAX).size() - 2);
        other += double(tok_.encode(b.other, SIZE_MAX).size() - 2);
    }
    const double ratio = english > 0 ? std::max(1.0, other / english) : 1.0;
    const auto length = std::min<std::int64_t>(
        512, std::int64_t(std::lround(2.0 + double(ot_.maxLength - 2) * ratio)));
    otherLength_[language] = std::max(ot_.maxLength, length);
    return otherLength_[language];
}

std::vector<TokenizedBitext> RetrievalBatches::tokenizedBitext(const std::string& lang,
                                                               const std::string& split,
                                                               std::size_t limit) {
    std::vector<TokenizedBitext> out;
    const auto otherMax = std::size_t(otherLength(lang));
    for (const auto& b : data::readBitext(env_.corpusDir, lang, split)) {
        if (out.size() >= limit) break;
        TokenizedBitext t{tok_.encode(b.english, std::size_t(ot_.maxLength)),
                          tok_.encode(b.other, otherMax), b.key};
        // <s> and </s> only: nothing to align (an empty sentence would give NaN).
        if (t.english.size() <= 2 || t.other.size() <= 2) {
            ++droppedBitext_;
            continue;
        }
        out.push_back(std::move(t));
    }
    return out;
}

void RetrievalBatches::loadBitext(nlohmann::json& summary) {
    for (const auto& x : wiring_.xLanguages) {
        auto part = tokenizedBitext(x, "train", SIZE_MAX);
        if (part.empty())
            throw std::runtime_error(env_.corpusDir + "/bitext/" + x +
                                     ".train.tsv: no usable bitext pairs");
        for (auto& b : part) {
            bitextByLanguage_[x].push_back(bitext_.size());
            bitext_.push_back(std::move(b));
        }
    }
    std::map<std::string, std::vector<TokenizedBitext>> dev;
    for (const auto& x : wiring_.xLanguages) dev[x] = tokenizedBitext(x, "dev", 64);
    const auto wanted = std::size_t(ot_.alignmentPairs);
    for (std::size_t i = 0; alignmentSample_.size() < wanted; ++i) {
        bool any = false;
        for (const auto& x : wiring_.xLanguages)
            if (i < dev[x].size() && alignmentSample_.size() < wanted) {
                alignmentSample_.push_back(dev[x][i]);
                any = true;
            }
        if (!any) break;
    }
    summary["bitext_pairs"] = bitext_.size();
    for (const auto& x : wiring_.xLanguages) {
        summary["bitext_pairs_by_language"][x] = bitextByLanguage_[x].size();
        summary["ot_other_max_length"][x] = otherLength(x);
    }
    summary["bitext_dropped_empty"] = droppedBitext_;
}

void RetrievalBatches::loadHardNegatives() {
    // BM25's top 20 for each English training query, less its relevant pages and less every page
    // outside the training split: dev and test pages never shape the model.
    auto& en = pages_.of(pivot());
    retrieval::Bm25Index index(env_.bm25IndexDir(pivot()), env_.corpusHash, pivot(),
                               data::readDocuments(env_.corpusDir, pivot()));
    retrieval::Bm25Settings s;
    s.depth = 20;
    auto qrels =
        eval::readQrels(data::qrelsPath(env_.corpusDir, pivot(), pivot(), "entries", "train"));
    const auto queries = data::readQueries(env_.corpusDir, pivot(), "entries", "train");
    std::map<std::string, std::set<std::string>> relevantByText;  // entry text -> pages
    for (const auto& q : queries)
        for (const auto& [docid, rel] : qrels.byQuery[q.qid])
            if (rel > 0) relevantByText[entryKey(q.text)].insert(docid);
    for (const auto& q : queries) {
        auto& negs = hardNegatives_[q.qid];
        const auto& rel = relevantByText[entryKey(q.text)];
        for (const auto& hit : index.search(q.text, s)) {
            auto split = en.split.find(hit.docid);
            if (!rel.count(hit.docid) && split != en.split.end() && split->second == "train")
                negs.push_back(hit.docid);
        }
    }
}

void RetrievalBatches::load(nlohmann::json& summary) {
    const auto& xs = wiring_.xLanguages;
    if (wiring_.englishOnly) pairsOf(pivot(), pivot());
    if (wiring_.contrastive && !wiring_.englishOnly && !wiring_.hybrid)
        for (const auto& x : xs) pairsOf(x, pivot());
    if (wiring_.hybrid) {
        for (const auto& l : xs) pairsOf(l, l);
        pairsOf(pivot(), pivot());
        for (const auto& x : xs) {
            pairsOf(x, pivot());
            pairsOf(pivot(), x);
        }
    }
    if (wiring_.optical) loadBitext(summary);
    // OPTICAL + hybrid draws its InfoNCE batches without them, as OPTICAL pairs no pages.
    if (train_.hardNegatives > 0 && !wiring_.optical) loadHardNegatives();
}

ContrastiveBatch RetrievalBatches::draw(std::int64_t size, std::mt19937_64& rng) {
    const auto& xs = wiring_.xLanguages;
    ContrastiveBatch b;
    bool monolingual =
        wiring_.hybrid && std::uniform_real_distribution<double>(0, 1)(rng) < train_.alpha;
    std::string monoLang;
    if (monolingual) {
        std::vector<std::string> all = xs;
        all.push_back(pivot());
        monoLang = all[uniform(rng, all.size())];
    }
    std::vector<std::pair<std::string, std::string>> negatives;  // (lang, docid)
    std::vector<std::size_t> negativeOf;                         // the query it was drawn for
    std::set<std::string> inBatch;  // page keys: each page once per batch where the pool allows
    for (std::int64_t i = 0; i < size; ++i) {
        std::string q, d;
        if (wiring_.englishOnly) {
            q = d = pivot();
        } else if (!wiring_.hybrid) {  // fine-tune: X -> English
            q = xs[uniform(rng, xs.size())];
            d = pivot();
        } else if (monolingual) {
            q = d = monoLang;
        } else {  // cross-lingual: X -> English or English -> X
            std::string x = xs[uniform(rng, xs.size())];
            bool toEnglish = std::uniform_int_distribution<int>(0, 1)(rng) == 0;
            q = toEnglish ? x : pivot();
            d = toEnglish ? pivot() : x;
        }
        auto& pool = pairsOf(q, d);
        const TrainPair* p = &pool[uniform(rng, pool.size())];
        for (int attempt = 0; attempt < kDistinctAttempts && inBatch.count(d + ":" + p->docid);
             ++attempt)
            p = &pool[uniform(rng, pool.size())];
        inBatch.insert(d + ":" + p->docid);
        b.queries.push_back(p->query);
        b.docs.push_back(bestPassages_ ? pages_.bestPassage(d, p->docid, p->query)
                                       : pages_.tokens(d, p->docid));
        b.docKeys.push_back(d + ":" + p->docid);
        b.relevant.push_back(relevant_[q + ">" + d][p->qid]);
        if (train_.hardNegatives > 0) {
            auto it = hardNegatives_.find(p->qid);  // qids are parallel across languages
            if (it != hardNegatives_.end() && !it->second.empty()) {
                const auto& cands = it->second;
                const std::string& docid = cands[uniform(rng, cands.size())];
                if (pages_.of(d).row.count(docid)) {
                    negatives.push_back({d, docid});
                    negativeOf.push_back(b.queries.size() - 1);
                }
            }
        }
    }
    for (std::size_t k = 0; k < negatives.size(); ++k) {
        const auto& [d, docid] = negatives[k];
        // A hard negative shows the passage that fits its query best: the hardest one.
        b.docs.push_back(bestPassages_ ? pages_.bestPassage(d, docid, b.queries[negativeOf[k]])
                                       : pages_.tokens(d, docid));
        b.docKeys.push_back(d + ":" + docid);
    }
    return b;
}

void RetrievalBatches::drawBitext(std::int64_t size, std::mt19937_64& rng,
                                  std::vector<Ids>& english, std::vector<Ids>& other) const {
    const auto& xs = wiring_.xLanguages;
    for (std::int64_t i = 0; i < size; ++i) {
        if (ot_.epochs > 0) {  // every pair equally likely: languages by their size
            const auto& b = bitext_[uniform(rng, bitext_.size())];
            english.push_back(b.english);
            other.push_back(b.other);
            continue;
        }
        const auto& idx = bitextByLanguage_.at(xs[uniform(rng, xs.size())]);
        const auto& b = bitext_[idx[uniform(rng, idx.size())]];
        english.push_back(b.english);
        other.push_back(b.other);
    }
}

}  // namespace clir::train
