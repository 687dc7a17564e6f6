// Ranking and dev evaluation of the retrieval methods (see retrieval_ranking.h).
#include "core/train/retrieval_ranking.h"

#include <torch/utils.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>

#include "core/eval/measures.h"
#include "core/jobs/job_environment.h"
#include "core/util/fs.h"

namespace clir::train {
namespace {

const std::string& pivot() {
    return data::pivotLanguage();
}

}  // namespace

std::vector<double> pieceIdf(PageStore& pages, const std::vector<std::string>& languages,
                             const model::Tokenizer& tok) {
    const auto vocab = std::size_t(tok.vocabSize());
    std::vector<double> share(vocab, 0.0);
    std::size_t largest = 1;
    for (const auto& language : languages) {
        const auto& texts = pages.full(language);
        if (texts.empty()) continue;
        largest = std::max(largest, texts.size());
        std::vector<std::size_t> df(vocab, 0), seenOn(vocab, std::size_t(-1));
        for (std::size_t page = 0; page < texts.size(); ++page)
            for (auto id : texts[page]) {
                const auto piece = std::size_t(id);
                if (piece < vocab && seenOn[piece] != page) {
                    seenOn[piece] = page;
                    ++df[piece];
                }
            }
        for (std::size_t piece = 0; piece < vocab; ++piece)
            share[piece] = std::max(share[piece], double(df[piece]) / double(texts.size()));
    }
    std::vector<double> idf(vocab);
    for (std::size_t piece = 0; piece < vocab; ++piece)
        idf[piece] = std::log1p(1.0 / std::max(share[piece], 1.0 / double(largest)));
    return idf;
}

RetrievalRanking::RetrievalRanking(const MethodWiring& wiring, const jobs::JobEnvironment& env,
                                   PageStore& pages, const model::Tokenizer& tok,
                                   const RetrievalSettings& settings, c10::Device device)
    : wiring_(wiring), env_(env), pages_(pages), tok_(tok), settings_(settings), device_(device) {
    if (settings_.rerankBm25 > 0 && wiring_.documentSide)
        throw std::runtime_error(
            "retrieval.rerank_bm25 needs English pages; ot.student_side 'document' ranks X pages");
}

void RetrievalRanking::setTowers(retrieval::TokenEncoder trained, retrieval::TokenEncoder teacher,
                                 retrieval::TermWeigher trainedWeights,
                                 retrieval::TermWeigher teacherWeights) {
    trained_ = std::move(trained);
    teacher_ = std::move(teacher);
    trainedWeights_ = std::move(trainedWeights);
    teacherWeights_ = std::move(teacherWeights);
}

const retrieval::TokenEncoder& RetrievalRanking::queryTower(const std::string& language) const {
    if (!wiring_.optical) return trained_;
    return (!wiring_.documentSide && language != pivot()) ? trained_ : teacher_;
}

const retrieval::TermWeigher& RetrievalRanking::queryWeigher(const std::string& language) const {
    if (!wiring_.optical) return trainedWeights_;
    return (!wiring_.documentSide && language != pivot()) ? trainedWeights_ : teacherWeights_;
}

bool RetrievalRanking::teacherPages(const std::string& language) const {
    return wiring_.optical && !(wiring_.documentSide && language != pivot());
}

const retrieval::TokenEncoder& RetrievalRanking::pageTower(const std::string& language) const {
    return teacherPages(language) ? teacher_ : trained_;
}

std::vector<retrieval::Direction> RetrievalRanking::directions(
    const std::vector<std::string>& languages) const {
    std::vector<retrieval::Direction> out;
    for (const auto& l : languages) {
        if (wiring_.documentSide && l != pivot())
            out.push_back({pivot(), l, l});
        else
            out.push_back({l, pivot(), l});
    }
    return out;
}

std::vector<retrieval::Direction> RetrievalRanking::devDirections() const {
    return directions(wiring_.englishOnly ? std::vector<std::string>{pivot()} : wiring_.xLanguages);
}

retrieval::PageIndex RetrievalRanking::encodePages(const std::string& language,
                                                   const std::string& modelKey) {
    const bool frozen = teacherPages(language);
    if (frozen && modelKey.empty()) {
        auto it = teacherPages_.find(language);
        if (it != teacherPages_.end()) return it->second;
    }
    PageSet& p = pages_.of(language);
    const bool keepTokens = settings_.scoring == "maxsim";
    auto build = [&] {
        if (!keepTokens || pages_.maxLength() != settings_.documentMaxLength)
            return retrieval::encodePages(pageTower(language), tok_, p.texts,
                                          settings_.documentMaxLength, settings_.encodeBatch,
                                          keepTokens, device_);
        // The store's passages: each page was tokenized once for the whole run.
        std::vector<std::vector<Ids>> passages;
        passages.reserve(p.texts.size());
        for (std::size_t row = 0; row < p.texts.size(); ++row)
            passages.push_back(pages_.passages(language, row));
        return retrieval::encodePassages(pageTower(language), passages, settings_.encodeBatch,
                                         device_);
    };
    auto e = modelKey.empty()
                 ? build()
                 : retrieval::cachedPageIndex(
                       env_.encodedPagesPath(modelKey, language, settings_.documentMaxLength,
                                             settings_.scoring),
                       std::int64_t(p.texts.size()), keepTokens, build);
    if (frozen && modelKey.empty()) teacherPages_[language] = e;
    return e;
}

eval::Run RetrievalRanking::rank(const retrieval::Direction& dir,
                                 const std::vector<data::CorpusQuery>& queries,
                                 const retrieval::PageIndex& pages) {
    std::vector<std::string> texts, qids;
    for (const auto& q : queries) {
        texts.push_back(q.text);
        qids.push_back(q.qid);
    }
    auto encoded = retrieval::encodeTexts(
        queryTower(dir.queryLanguage), tok_, texts, settings_.queryMaxLength, settings_.encodeBatch,
        settings_.scoring == "maxsim", device_, queryWeigher(dir.queryLanguage));
    const auto& ids = pages_.of(dir.pageLanguage).ids;
    const auto tf = settings_.softTf();
    if (settings_.rerankBm25 == 0)
        return retrieval::rankAll(settings_.scoring, encoded, qids, pages, ids,
                                  std::size_t(settings_.depth), tf);
    retrieval::Bm25Settings s;
    s.depth = std::size_t(settings_.rerankBm25);
    std::vector<std::vector<eval::ScoredDoc>> candidates;
    auto& index = bm25For(dir.pageLanguage);
    for (const auto& t : texts) candidates.push_back(index.search(t, s));
    return retrieval::rerank(settings_.scoring, encoded, qids, pages, ids, candidates, tf);
}

retrieval::Bm25Index& RetrievalRanking::bm25For(const std::string& language) {
    auto& index = bm25_[language];
    if (!index)
        index = std::make_unique<retrieval::Bm25Index>(
            env_.bm25IndexDir(language), env_.corpusHash, language,
            data::readDocuments(env_.corpusDir, language));
    return *index;
}

eval::Run RetrievalRanking::bm25Rank(const retrieval::Direction& dir,
                                     const std::vector<data::CorpusQuery>& queries) {
    retrieval::Bm25Settings s;  // the BM25 baseline's defaults
    s.depth = std::size_t(settings_.depth);
    auto& index = bm25For(dir.pageLanguage);
    eval::Run run;
    for (const auto& q : queries) run.byQuery[q.qid] = index.search(q.text, s);
    return run;
}

retrieval::AlphaChoice RetrievalRanking::chooseFusion(
    const jobs::JobContext& ctx,
    const std::function<retrieval::PageIndex(const std::string&)>& pagesOf) {
    if (dev_.empty()) throw std::logic_error("chooseFusion before sampleDev");
    torch::NoGradGuard noGrad;
    std::map<std::string, retrieval::PageIndex> encoded;
    std::vector<eval::Run> neural, lexical;
    neural.reserve(dev_.size());
    lexical.reserve(dev_.size());
    for (const auto& set : dev_) {
        ctx.checkCancelled();
        const auto& lang = set.direction.pageLanguage;
        if (!encoded.count(lang)) encoded[lang] = pagesOf(lang);
        neural.push_back(rank(set.direction, set.queries, encoded[lang]));
        lexical.push_back(bm25Rank(set.direction, set.queries));
    }
    std::vector<retrieval::DevFusionSet> sets;
    for (std::size_t i = 0; i < dev_.size(); ++i)
        sets.push_back({&neural[i], &lexical[i], &dev_[i].qrels});
    return retrieval::chooseAlpha(sets, std::size_t(settings_.depth));
}

void RetrievalRanking::sampleDev(std::int64_t perLanguage, std::uint64_t seed,
                                 const std::string& outputDir) {
    // Query files are sorted by qid, which starts with the page path: a prefix would cover only
    // the alphabetically first pages. A seeded shuffle covers them all, the same for every run
    // of this seed, so checkpoint choices compare.
    dev_.clear();
    nlohmann::json record = nlohmann::json::object();
    for (const auto& dir : devDirections()) {
        DevSet set{dir, data::readQueries(env_.corpusDir, dir.queryLanguage, "entries", "dev"), {}};
        std::mt19937_64 rng(seed);
        for (std::size_t i = set.queries.size(); i > 1; --i)
            std::swap(set.queries[i - 1],
                      set.queries[std::uniform_int_distribution<std::size_t>(0, i - 1)(rng)]);
        if (set.queries.size() > std::size_t(perLanguage))
            set.queries.resize(std::size_t(perLanguage));
        std::sort(set.queries.begin(), set.queries.end(),
                  [](const auto& a, const auto& b) { return a.qid < b.qid; });
        auto all = eval::readQrels(
            data::qrelsPath(env_.corpusDir, dir.queryLanguage, dir.pageLanguage, "entries", "dev"));
        for (const auto& q : set.queries) {
            auto it = all.byQuery.find(q.qid);
            if (it != all.byQuery.end()) set.qrels.byQuery[q.qid] = it->second;
            record[dir.label].push_back(q.qid);
        }
        dev_.push_back(std::move(set));
    }
    fs::writeFileAtomic(outputDir + "/dev_queries.json", record.dump(1));
}

double RetrievalRanking::evaluateDev(const jobs::JobContext& ctx, std::int64_t step) {
    if (dev_.empty()) throw std::logic_error("evaluateDev before sampleDev");
    torch::NoGradGuard noGrad;
    double sum = 0;
    std::map<std::string, retrieval::PageIndex> encoded;  // pages, once per evaluation
    for (const auto& set : dev_) {
        ctx.checkCancelled();
        const auto& lang = set.direction.pageLanguage;
        if (!encoded.count(lang)) encoded[lang] = encodePages(lang, "");
        auto run = rank(set.direction, set.queries, encoded[lang]);
        double map = eval::evaluate(run, set.qrels, {true}).mean.at("map");
        ctx.record("dev_map/" + set.direction.label, step, map);
        sum += map;
    }
    double mean = sum / double(dev_.size());
    ctx.record("dev_map", step, mean);
    return mean;
}

}  // namespace clir::train
