// Retrieval methods (see retrieval_job.h).
#include "core/train/retrieval_job.h"

#include <ATen/ATen.h>
#include <torch/cuda.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adamw.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <random>
#include <set>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "core/data/corpus_reader.h"
#include "core/data/corpus_stats.h"
#include "core/model/checkpoint.h"
#include "core/model/retrieval_model.h"
#include "core/model/tokenizer.h"
#include "core/ot/sinkhorn.h"
#include "core/retrieval/bm25_index.h"
#include "core/retrieval/neural_search.h"
#include "core/retrieval/run_evaluation.h"
#include "core/train/lr_schedule.h"
#include "core/train/retrieval_losses.h"
#include "core/train/training_common.h"
#include "core/util/fs.h"

namespace clir::train {
namespace {

using Clock = std::chrono::steady_clock;
using retrieval::TokenEncoder;
using Ids = std::vector<std::int64_t>;

const std::string& pivot() {
    return data::pivotLanguage();
}

struct TrainPair {
    Ids query;
    std::string qid, docid;
};

struct BitextPair {
    Ids english, other;
    std::string key;  // "<lang>:<paragraph id>"
    std::string englishText, otherText;
};

// Pages of one language: ids, texts, and their tokenisation (made on first use).
struct PageSet {
    std::vector<std::string> ids, texts;
    std::unordered_map<std::string, std::size_t> row;
    std::vector<Ids> tokens;
};

std::size_t uniform(std::mt19937_64& rng, std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
}

}  // namespace

RetrievalJob::RetrievalJob(const config::ExperimentSpec& spec)
    : method_(spec.method),
      corpus_(data::CorpusSettings::fromJson(spec.config.at("corpus"))),
      evaluation_(eval::EvaluationSettings::fromJson(spec.config.at("evaluation"))),
      model_(ModelSettings::fromJson(spec.config.at("model"))),
      init_(InitSettings::fromJson(spec.config.at("init"))),
      retrieval_(RetrievalSettings::fromJson(spec.config.at("retrieval"))),
      configHash_(spec.configHash),
      seed_(std::uint64_t(spec.seed)) {
    if (spec.config.contains("train")) train_ = TrainSettings::fromJson(spec.config.at("train"));
    if (spec.config.contains("ot")) ot_ = OtSettings::fromJson(spec.config.at("ot"));
    if (init_.checkpoint.empty())
        throw config::ConfigError(spec.source + ": field 'init.from': run '" + init_.from +
                                  "' is not resolved to a checkpoint yet (queue the run first)");
}

jobs::JobResult RetrievalJob::run(const jobs::JobContext& ctx) {
    const bool optical = method_ == "optical" || method_ == "optical+hybrid";
    const bool hybrid = method_ == "hybrid" || method_ == "optical+hybrid";
    const bool trains = method_ != "zero-shot" && train_.steps > 0;
    const bool documentSide = optical && ot_.studentSide == "document";
    const std::string corpusDir = data::defaultCorpusDir(corpus_.name);
    auto manifest = data::loadManifest(corpusDir);
    const std::string corpusHash = manifest.at("hash").get<std::string>();
    const std::string ckptDir = ctx.outputDir + "/checkpoints";
    std::filesystem::create_directories(ckptDir);
    at::set_num_threads(model_.threads > 0
                            ? model_.threads
                            : int(std::max(1u, std::thread::hardware_concurrency())));
    const torch::Device device = pickDevice(model_.device);

    // The languages X trained on; English is the pivot every method relates them to.
    std::vector<std::string> xLanguages;
    for (const auto& l : train_.languages.empty() ? corpus_.languages : train_.languages)
        if (l != pivot()) xLanguages.push_back(l);
    if (method_ != "teacher" && method_ != "zero-shot" && xLanguages.empty())
        throw std::runtime_error("method '" + method_ +
                                 "' needs a language besides en-US in corpus.languages");

    // --- The starting point ------------------------------------------------------------------
    ctx.report(0.0, "loading " + init_.checkpoint);
    auto initMeta = model::readCheckpointMeta(init_.checkpoint);
    const std::string wantKind = method_ == "teacher" ? "encoder" : "retrieval";
    if (initMeta.kind != wantKind && !(method_ == "teacher" && initMeta.kind == "retrieval"))
        throw std::runtime_error("init: " + init_.checkpoint + " is a checkpoint of kind '" +
                                 initMeta.kind + "'; method '" + method_ + "' starts from " +
                                 (wantKind == "encoder" ? "a pretrained encoder (a pretrain run)"
                                                        : "a retrieval model (a teacher run)"));
    if (initMeta.encoder.preset != model_.preset)
        throw std::runtime_error("init: " + init_.checkpoint + " holds preset '" +
                                 initMeta.encoder.preset + "', model.preset is '" + model_.preset +
                                 "'");
    model::Tokenizer tok(initMeta.tokenizerPath);
    if (tok.hash() != initMeta.tokenizerHash)
        throw std::runtime_error(initMeta.tokenizerPath +
                                 ": changed since the checkpoint was written (SHA-256 differs)");
    const model::EncoderConfig shape = initMeta.encoder;
    torch::manual_seed(seed_);
    auto loadRetrieval = [&](const std::string& path, model::RetrievalModelImpl& m) {
        return model::loadCheckpoint(path, m, shape, "retrieval", nullptr,
                                     {model_.preset, tok.hash()});
    };
    model::RetrievalModel net(shape);  // the model this run trains (the student for OPTICAL)
    if (initMeta.kind == "encoder")
        model::loadCheckpoint(init_.checkpoint, *net->encoder, nullptr,
                              {model_.preset, tok.hash()});
    else
        loadRetrieval(init_.checkpoint, *net);
    net->to(device);
    model::RetrievalModel teacher{nullptr};  // frozen, OPTICAL only
    if (optical) {
        teacher = model::RetrievalModel(shape);
        loadRetrieval(init_.checkpoint, *teacher);
        teacher->to(device);
        teacher->eval();
        for (auto& p : teacher->parameters()) p.set_requires_grad(false);
        // Scoring uses the teacher's head: the student keeps it, frozen.
        for (auto& p : net->head->parameters()) p.set_requires_grad(false);
    }
    auto tower = [](model::RetrievalModel m) -> TokenEncoder {
        return [m](const at::Tensor& ids, const at::Tensor& mask) mutable {
            return m->forward(ids, mask);
        };
    };
    const TokenEncoder netTower = tower(net);
    const TokenEncoder teacherTower = optical ? tower(teacher) : netTower;
    // Which tower encodes a query of language q, and a page of language d.
    auto queryTower = [&](const std::string& q) {
        if (!optical) return netTower;
        return (!documentSide && q != pivot()) ? netTower : teacherTower;
    };
    auto docTower = [&](const std::string& d) {
        if (!optical) return netTower;
        return (documentSide && d != pivot()) ? netTower : teacherTower;
    };

    // --- Pages --------------------------------------------------------------------------------
    std::map<std::string, PageSet> pages;
    auto pagesOf = [&](const std::string& lang) -> PageSet& {
        auto it = pages.find(lang);
        if (it != pages.end()) return it->second;
        PageSet& p = pages[lang];
        for (auto& d : data::readDocuments(corpusDir, lang)) {
            p.row[d.id] = p.ids.size();
            p.ids.push_back(d.id);
            p.texts.push_back(d.title + "\n" + d.text);
        }
        return p;
    };
    auto pageTokens = [&](const std::string& lang, const std::string& docid) -> const Ids& {
        PageSet& p = pagesOf(lang);
        if (p.tokens.empty()) {
            p.tokens.reserve(p.texts.size());
            for (const auto& t : p.texts)
                p.tokens.push_back(tok.encode(t, std::size_t(retrieval_.documentMaxLength)));
        }
        return p.tokens.at(p.row.at(docid));
    };

    jobs::JobResult result;
    result.corpus =
        store::CorpusRecord{0, corpus_.name, corpusDir, corpusHash, manifest.dump(), ""};
    nlohmann::json summary = {{"method", method_},
                              {"init", init_.checkpoint},
                              {"scoring", retrieval_.scoring},
                              {"parameters", [&] {
                                   std::int64_t n = 0;
                                   for (const auto& p : net->encoder->parameters()) n += p.numel();
                                   return n;
                               }()}};
    if (optical) summary["student_side"] = ot_.studentSide;

    // Ranks one language pair's queries (dev or test) and evaluates them.
    std::map<std::string, retrieval::EncodedTexts> frozenPages;  // teacher pages, encoded once
    const bool keepTokens = retrieval_.scoring == "maxsim";
    auto encodePages = [&](const std::string& dlang, const TokenEncoder& t, bool frozen,
                           const std::string& cacheKey) -> retrieval::EncodedTexts {
        if (frozen && frozenPages.count(dlang)) return frozenPages[dlang];
        PageSet& p = pagesOf(dlang);
        retrieval::EncodedTexts e =
            cacheKey.empty() ? retrieval::encodeTexts(t, tok, p.texts, retrieval_.documentMaxLength,
                                                      retrieval_.encodeBatch, keepTokens, device)
                             : retrieval::encodeTextsCached(
                                   fs::dataDir() + "/indexes/" + corpusHash.substr(0, 16) +
                                       "/neural/" + cacheKey + "-" + dlang + "-" +
                                       std::to_string(retrieval_.documentMaxLength) + ".pt",
                                   t, tok, p.texts, retrieval_.documentMaxLength,
                                   retrieval_.encodeBatch, keepTokens, device);
        if (frozen) frozenPages[dlang] = e;
        return e;
    };
    std::unique_ptr<retrieval::Bm25Index> bm25;
    auto rank = [&](const std::string& qlang, const std::string& dlang,
                    const std::vector<data::CorpusQuery>& queries,
                    const retrieval::EncodedTexts& docs) {
        std::vector<std::string> texts, qids;
        for (const auto& q : queries) {
            texts.push_back(q.text);
            qids.push_back(q.qid);
        }
        auto encoded =
            retrieval::encodeTexts(queryTower(qlang), tok, texts, retrieval_.queryMaxLength,
                                   retrieval_.encodeBatch, keepTokens, device);
        const auto& p = pagesOf(dlang);
        if (retrieval_.rerankBm25 == 0)
            return retrieval::rankAll(retrieval_.scoring, encoded, qids, docs, p.ids,
                                      std::size_t(retrieval_.depth));
        if (!bm25)
            bm25 = std::make_unique<retrieval::Bm25Index>(
                fs::dataDir() + "/indexes/" + corpusHash.substr(0, 16) + "/" + dlang, corpusHash,
                dlang, data::readDocuments(corpusDir, dlang));
        retrieval::Bm25Settings s;
        s.depth = std::size_t(retrieval_.rerankBm25);
        std::vector<std::vector<eval::ScoredDoc>> candidates;
        for (const auto& t : texts) candidates.push_back(bm25->search(t, s));
        return retrieval::rerank(retrieval_.scoring, encoded, qids, docs, p.ids, candidates);
    };
    if (retrieval_.rerankBm25 > 0 && documentSide)
        throw std::runtime_error(
            "retrieval.rerank_bm25 needs English pages; ot.student_side 'document' ranks X pages");

    // (query language, page language, result label) of each evaluated direction.
    struct Direction {
        std::string qlang, dlang, label;
    };
    auto directions = [&](bool dev) {
        std::vector<Direction> out;
        std::vector<std::string> langs;
        if (dev)
            langs = method_ == "teacher" ? std::vector<std::string>{pivot()} : xLanguages;
        else
            langs = corpus_.languages;
        for (const auto& l : langs) {
            if (documentSide && l != pivot())
                out.push_back({pivot(), l, l});
            else
                out.push_back({l, pivot(), l});
        }
        return out;
    };

    // --- Training data --------------------------------------------------------------------------
    std::map<std::string, std::vector<TrainPair>> pairs;  // "<qlang>><dlang>" -> pairs
    std::map<std::string, std::map<std::string, std::set<std::string>>> relevantOf;
    std::unordered_map<std::string, std::vector<std::string>> hardNegatives;  // qid -> docids
    auto pairsOf = [&](const std::string& q, const std::string& d) -> std::vector<TrainPair>& {
        const std::string key = q + ">" + d;
        auto it = pairs.find(key);
        if (it != pairs.end()) return it->second;
        auto& out = pairs[key];
        auto qrels = eval::readQrels(data::qrelsPath(corpusDir, q, d, "entries", "train"));
        const auto& p = pagesOf(d);
        for (const auto& query : data::readQueries(corpusDir, q, "entries", "train")) {
            auto r = qrels.byQuery.find(query.qid);
            if (r == qrels.byQuery.end()) continue;
            Ids ids = tok.encode(query.text, std::size_t(retrieval_.queryMaxLength));
            for (const auto& [docid, rel] : r->second) {
                if (rel <= 0 || !p.row.count(docid)) continue;
                relevantOf[key][query.qid].insert(d + ":" + docid);
                out.push_back({ids, query.qid, docid});
            }
        }
        if (out.empty())
            throw std::runtime_error(data::qrelsPath(corpusDir, q, d, "entries", "train") +
                                     ": no training pairs");
        return out;
    };
    std::vector<BitextPair> bitext;
    std::map<std::string, std::vector<std::size_t>> bitextByLanguage;
    std::vector<BitextPair> alignmentSample;
    std::int64_t droppedBitext = 0;
    auto readBitext = [&](const std::string& lang, const std::string& split,
                          std::vector<BitextPair>& into, std::size_t limit) {
        const std::string path = corpusDir + "/bitext/" + lang + "." + split + ".tsv";
        std::istringstream lines(fs::readFile(path)),
            keys(fs::readFile(corpusDir + "/bitext/" + lang + "." + split + ".ids"));
        std::string line, key;
        std::size_t lineNo = 0;
        while (std::getline(lines, line) && into.size() < limit) {
            ++lineNo;
            std::getline(keys, key);
            auto tab = line.find('\t');
            if (tab == std::string::npos)
                throw std::runtime_error(path + ":" + std::to_string(lineNo) +
                                         ": expected English<TAB>translation");
            BitextPair b{tok.encode(line.substr(0, tab), std::size_t(ot_.maxLength)),
                         tok.encode(line.substr(tab + 1), std::size_t(ot_.maxLength)),
                         lang + ":" + key, line.substr(0, tab), line.substr(tab + 1)};
            // <s> and </s> only: nothing to align (an empty sentence would give NaN).
            if (b.english.size() <= 2 || b.other.size() <= 2) {
                ++droppedBitext;
                continue;
            }
            into.push_back(std::move(b));
        }
    };

    std::int64_t startStep = 0;
    double bestDev = -1;
    std::int64_t bestStep = -1;
    std::string bestCheckpoint;
    std::mt19937_64 rng(seed_);
    model::CheckpointMeta metaTemplate{shape,       tok.path(), tok.hash(), 0,
                                       configHash_, {},         "retrieval"};

    if (trains) {
        ctx.report(0.01, "reading training data");
        if (method_ == "teacher") pairsOf(pivot(), pivot());
        if (method_ == "fine-tune")
            for (const auto& x : xLanguages) pairsOf(x, pivot());
        if (hybrid) {
            std::vector<std::string> all = xLanguages;
            all.push_back(pivot());
            for (const auto& l : all) pairsOf(l, l);
            for (const auto& x : xLanguages) {
                pairsOf(x, pivot());
                pairsOf(pivot(), x);
            }
        }
        if (optical) {
            for (const auto& x : xLanguages) {
                std::vector<BitextPair> part;
                readBitext(x, "train", part, SIZE_MAX);
                if (part.empty())
                    throw std::runtime_error(corpusDir + "/bitext/" + x +
                                             ".train.tsv: no usable bitext pairs");
                for (auto& b : part) {
                    bitextByLanguage[x].push_back(bitext.size());
                    bitext.push_back(std::move(b));
                }
            }
            // The inspector's sample: the first dev pairs, languages taken in turn.
            std::map<std::string, std::vector<BitextPair>> dev;
            for (const auto& x : xLanguages) readBitext(x, "dev", dev[x], 64);
            for (std::size_t i = 0; alignmentSample.size() < std::size_t(ot_.alignmentPairs); ++i) {
                bool any = false;
                for (const auto& x : xLanguages)
                    if (i < dev[x].size() &&
                        alignmentSample.size() < std::size_t(ot_.alignmentPairs)) {
                        alignmentSample.push_back(dev[x][i]);
                        any = true;
                    }
                if (!any) break;
            }
            summary["bitext_pairs"] = bitext.size();
            summary["bitext_dropped_empty"] = droppedBitext;
        }
        if (train_.hardNegatives > 0 && !optical) {
            ctx.report(0.02, "BM25 hard negatives");
            auto& en = pagesOf(pivot());
            retrieval::Bm25Index index(
                fs::dataDir() + "/indexes/" + corpusHash.substr(0, 16) + "/" + pivot(), corpusHash,
                pivot(), data::readDocuments(corpusDir, pivot()));
            retrieval::Bm25Settings s;
            s.depth = 20;
            auto qrels =
                eval::readQrels(data::qrelsPath(corpusDir, pivot(), pivot(), "entries", "train"));
            for (const auto& q : data::readQueries(corpusDir, pivot(), "entries", "train")) {
                auto& negs = hardNegatives[q.qid];
                const auto& rel = qrels.byQuery[q.qid];
                for (const auto& hit : index.search(q.text, s))
                    if (!rel.count(hit.docid) && en.row.count(hit.docid)) negs.push_back(hit.docid);
            }
        }
    }

    // Draws one contrastive batch of `size` pairs for the method.
    auto drawBatch = [&](std::int64_t size) {
        ContrastiveBatch b;
        std::vector<std::pair<std::string, std::string>> langsOfPair;
        bool monolingual =
            hybrid && std::uniform_real_distribution<double>(0, 1)(rng) < train_.alpha;
        std::string monoLang;
        if (monolingual) {
            std::vector<std::string> all = xLanguages;
            all.push_back(pivot());
            monoLang = all[uniform(rng, all.size())];
        }
        std::set<std::string> used;
        std::vector<std::pair<std::string, std::string>> negatives;  // (lang, docid)
        for (std::int64_t i = 0; i < size; ++i) {
            std::string q, d;
            if (method_ == "teacher") {
                q = d = pivot();
            } else if (method_ == "fine-tune") {
                q = xLanguages[uniform(rng, xLanguages.size())];
                d = pivot();
            } else if (monolingual) {
                q = d = monoLang;
            } else {  // cross-lingual: X -> English or English -> X
                std::string x = xLanguages[uniform(rng, xLanguages.size())];
                bool toEnglish = std::uniform_int_distribution<int>(0, 1)(rng) == 0;
                q = toEnglish ? x : pivot();
                d = toEnglish ? pivot() : x;
            }
            auto& pool = pairsOf(q, d);
            const TrainPair& p = pool[uniform(rng, pool.size())];
            b.queries.push_back(p.query);
            b.docs.push_back(pageTokens(d, p.docid));
            b.docKeys.push_back(d + ":" + p.docid);
            b.relevant.push_back(relevantOf[q + ">" + d][p.qid]);
            if (train_.hardNegatives > 0) {
                auto it = hardNegatives.find(p.qid);  // qids are parallel across languages
                if (it != hardNegatives.end() && !it->second.empty()) {
                    const auto& cands = it->second;
                    const std::string& docid = cands[uniform(rng, cands.size())];
                    if (pagesOf(d).row.count(docid)) negatives.push_back({d, docid});
                }
            }
        }
        for (const auto& [d, docid] : negatives) {
            b.docs.push_back(pageTokens(d, docid));
            b.docKeys.push_back(d + ":" + docid);
        }
        return b;
    };
    auto drawBitext = [&](std::int64_t size, std::vector<Ids>& english, std::vector<Ids>& other) {
        for (std::int64_t i = 0; i < size; ++i) {
            const auto& idx = bitextByLanguage[xLanguages[uniform(rng, xLanguages.size())]];
            const auto& b = bitext[idx[uniform(rng, idx.size())]];
            english.push_back(b.english);
            other.push_back(b.other);
        }
    };
    ot::SinkhornOptions sinkhornOptions;
    sinkhornOptions.epsilon = ot_.epsilon;
    sinkhornOptions.maxIterations = int(ot_.maxIterations);
    sinkhornOptions.tolerance = ot_.tolerance;
    sinkhornOptions.checkEvery = int(ot_.checkEvery);
    sinkhornOptions.differentiate = ot_.differentiate;

    auto saveAlignments = [&](std::int64_t step) {
        torch::NoGradGuard noGrad;
        net->eval();
        for (const auto& b : alignmentSample) {
            auto a = alignmentOf(teacherTower, netTower, tok, b.english, b.other, sinkhornOptions,
                                 device);
            a.step = step;
            a.pairKey = b.key;
            ctx.saveAlignment(a);
        }
        net->train();
    };

    // Dev MAP (entries, the first dev_queries per language) of the current model.
    auto devEvaluate = [&](std::int64_t step) {
        torch::NoGradGuard noGrad;
        net->eval();
        double sum = 0;
        int count = 0;
        std::map<std::string, retrieval::EncodedTexts> encoded;  // pages, once per evaluation
        for (const auto& dir : directions(true)) {
            ctx.checkCancelled();
            auto queries = data::readQueries(corpusDir, dir.qlang, "entries", "dev");
            if (queries.size() > std::size_t(train_.devQueries))
                queries.resize(std::size_t(train_.devQueries));
            auto t = docTower(dir.dlang);
            bool frozen = optical && !(documentSide && dir.dlang != pivot());
            if (!encoded.count(dir.dlang))
                encoded[dir.dlang] = encodePages(dir.dlang, t, frozen, "");
            auto run = rank(dir.qlang, dir.dlang, queries, encoded[dir.dlang]);
            auto qrels =
                eval::readQrels(data::qrelsPath(corpusDir, dir.qlang, dir.dlang, "entries", "dev"));
            double map = eval::evaluate(run, qrels, {true}).mean.at("map");
            ctx.record("dev_map/" + dir.label, step, map);
            sum += map;
            ++count;
        }
        net->train();
        double mean = count ? sum / count : 0.0;
        ctx.record("dev_map", step, mean);
        return mean;
    };

    // --- Training --------------------------------------------------------------------------------
    if (trains) {
        std::vector<at::Tensor> decay, noDecay;
        for (const auto& p : net->named_parameters()) {
            if (!p.value().requires_grad()) continue;
            (p.value().dim() == 1 ? noDecay : decay).push_back(p.value());
        }
        using torch::optim::AdamWOptions;
        std::vector<torch::optim::OptimizerParamGroup> groups;
        groups.emplace_back(
            decay, std::make_unique<AdamWOptions>(
                       AdamWOptions(train_.learningRate).weight_decay(train_.weightDecay)));
        groups.emplace_back(noDecay, std::make_unique<AdamWOptions>(
                                         AdamWOptions(train_.learningRate).weight_decay(0.0)));
        torch::optim::AdamW optimizer(std::move(groups));

        if (auto last = model::latestCheckpoint(ckptDir)) {
            auto meta = model::loadCheckpoint(*last, *net, shape, "retrieval", &optimizer,
                                              {model_.preset, tok.hash()}, true);
            if (meta.configHash != configHash_)
                throw std::runtime_error(*last +
                                         ": written by another configuration; start a new run");
            setRngState(rng, meta.training.at("sampler_rng").get<std::string>());
            startStep = meta.step;
            bestDev = meta.training.value("best_dev", -1.0);
            bestStep = meta.training.value("best_step", std::int64_t(-1));
            if (bestStep >= 0) bestCheckpoint = ckptDir + "/best";
            ctx.report(0.05, "resumed at step " + std::to_string(startStep));
        }
        auto save = [&](std::int64_t step, const std::string& name, bool latest) {
            auto meta = metaTemplate;
            meta.step = step;
            meta.training = {{"sampler_rng", rngState(rng)},
                             {"best_dev", bestDev},
                             {"best_step", bestStep},
                             {"method", method_}};
            return model::saveCheckpoint(ckptDir, *net, latest ? &optimizer : nullptr, meta, name,
                                         latest);
        };
        if (startStep == 0 && optical && !alignmentSample.empty()) saveAlignments(0);
        if (startStep == 0) {
            // The starting point is a candidate too: training that only hurts keeps it.
            ctx.report(0.04, "step 0: dev evaluation");
            bestDev = devEvaluate(0);
            bestStep = 0;
            bestCheckpoint = save(0, "best", false);
        }

        net->train();
        auto windowStart = Clock::now();
        std::int64_t windowPairs = 0;
        for (std::int64_t step = startStep; step < train_.steps; ++step) {
            ctx.checkCancelled();
            const std::int64_t done = step + 1;
            double lr =
                linearWarmupDecay(step, train_.warmupSteps, train_.steps, train_.learningRate);
            for (auto& g : optimizer.param_groups()) static_cast<AdamWOptions&>(g.options()).lr(lr);
            at::Tensor loss = at::zeros({}, at::kFloat).to(device);
            double contrastive = NAN, otValue = NAN, otIterations = NAN, otConverged = NAN;
            if (!optical || method_ == "optical+hybrid") {
                auto batch = drawBatch(train_.batchSize);
                // OPTICAL + hybrid: the student encodes queries, the frozen teacher pages.
                auto c = optical ? infoNce(netTower, teacherTower, batch, retrieval_.scoring,
                                           train_.temperature, device)
                                 : infoNce(netTower, netTower, batch, retrieval_.scoring,
                                           train_.temperature, device);
                contrastive = c.item<double>();
                loss = loss + (optical ? train_.contrastiveWeight : 1.0) * c;
            }
            if (optical) {
                std::vector<Ids> english, other;
                drawBitext(train_.batchSize, english, other);
                auto out = otLoss(teacherTower, netTower, english, other, sinkhornOptions, device);
                otValue = out.loss.item<double>();
                otIterations = out.result.iterations.to(at::kDouble).mean().item<double>();
                otConverged = out.result.converged.to(at::kDouble).mean().item<double>();
                loss = loss + train_.otWeight * out.loss;
            }
            double lossValue = loss.item<double>();
            requireFiniteLoss(lossValue, done);
            optimizer.zero_grad();
            loss.backward();
            double gradNorm = torch::nn::utils::clip_grad_norm_(
                optimizer.param_groups()[0].params(), train_.clipNorm);
            optimizer.step();
            windowPairs += train_.batchSize;
            ctx.record("loss", done, lossValue);
            if (!std::isnan(contrastive)) ctx.record("loss/contrastive", done, contrastive);
            if (!std::isnan(otValue)) ctx.record("loss/ot", done, otValue);
            if (done % train_.logEvery == 0 || done == train_.steps) {
                double secs = std::chrono::duration<double>(Clock::now() - windowStart).count();
                ctx.record("lr", done, lr);
                ctx.record("grad_norm", done, gradNorm);
                ctx.record("pairs_per_second", done, double(windowPairs) / std::max(secs, 1e-9));
                if (!std::isnan(otIterations)) {
                    ctx.record("ot/iterations", done, otIterations);
                    ctx.record("ot/converged", done, otConverged);
                }
                windowStart = Clock::now();
                windowPairs = 0;
            }
            if (optical && ot_.alignEvery > 0 && done % ot_.alignEvery == 0 && done != train_.steps)
                saveAlignments(done);
            if (done % train_.evalEvery == 0 || done == train_.steps) {
                ctx.report(0.05 + 0.8 * double(done) / double(train_.steps),
                           "step " + std::to_string(done) + ": dev evaluation");
                double dev = devEvaluate(done);
                if (dev > bestDev) {
                    bestDev = dev;
                    bestStep = done;
                    bestCheckpoint = save(done, "best", false);
                }
                save(done, "", true);
                windowStart = Clock::now();
            }
            ctx.report(0.05 + 0.8 * double(done) / double(train_.steps),
                       "step " + std::to_string(done) + "/" + std::to_string(train_.steps) +
                           "  loss " + std::to_string(lossValue).substr(0, 6));
        }
        if (optical && !alignmentSample.empty()) saveAlignments(train_.steps);
        summary["best_dev_map"] = bestDev;
        summary["best_step"] = bestStep;
        loadRetrieval(bestCheckpoint, *net);
    } else {
        // Nothing trained: the model is the starting checkpoint itself (zero-shot).
        bestCheckpoint =
            method_ == "zero-shot" || initMeta.kind == "retrieval"
                ? init_.checkpoint
                : model::saveCheckpoint(ckptDir, *net, nullptr, metaTemplate, "best", false);
    }
    result.artifacts.push_back({"best_checkpoint", bestCheckpoint});
    if (trains)
        result.artifacts.push_back(
            {"checkpoint", ckptDir + "/step-" + std::to_string(train_.steps)});

    // --- Test evaluation with the best checkpoint ---------------------------------------------
    net->eval();
    torch::NoGradGuard noGrad;
    auto modelHash = [](const std::string& checkpoint) {
        auto j = nlohmann::json::parse(fs::readFile(checkpoint + "/checkpoint.json"));
        return j.at("files").at("model.pt").at("sha256").get<std::string>().substr(0, 16);
    };
    const std::string netKey = modelHash(bestCheckpoint);
    const std::string teacherKey = optical ? modelHash(init_.checkpoint) : netKey;
    const std::string tag = method_ + "-" + model_.preset;
    auto dirs = directions(false);
    double stepsDone = 0;
    nlohmann::json perLanguage = nlohmann::json::object();
    for (const auto& dir : dirs) {
        for (const auto& set : evaluation_.querySets) {
            ctx.checkCancelled();
            ctx.report(0.86 + 0.14 * stepsDone / double(dirs.size() * evaluation_.querySets.size()),
                       dir.label + " " + set + ": ranking");
            auto queries = data::readQueries(corpusDir, dir.qlang, set, evaluation_.split);
            bool student = optical && documentSide && dir.dlang != pivot();
            auto docs = encodePages(dir.dlang, docTower(dir.dlang), false,
                                    (optical && !student ? teacherKey : netKey));
            auto run = rank(dir.qlang, dir.dlang, queries, docs);
            auto qrels = eval::readQrels(
                data::qrelsPath(corpusDir, dir.qlang, dir.dlang, set, evaluation_.split));
            std::string trecPath =
                ctx.outputDir + "/" + dir.label + "." + set + "." + evaluation_.split + ".trec";
            auto e = retrieval::evaluateAndRecord(run, trecPath, tag, std::size_t(retrieval_.depth),
                                                  qrels, queries, dir.label, set, result);
            perLanguage[dir.label][set] = {{"map", e.mean.at("map")},
                                           {"queries", e.numQueries},
                                           {"direction", dir.qlang + " -> " + dir.dlang}};
            ctx.record("map/" + dir.label + "/" + set, 0, e.mean.at("map"));
            ++stepsDone;
        }
    }
    summary["per_language"] = perLanguage;
    summary["checkpoint"] = bestCheckpoint;
    result.summary = summary;
    ctx.report(1.0, "evaluated " + tag);
    return result;
}

}  // namespace clir::train
