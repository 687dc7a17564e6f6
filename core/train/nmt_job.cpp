// NMT baseline (see nmt_job.h).
#include "core/train/nmt_job.h"

#include <ATen/ATen.h>
#include <torch/cuda.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adamw.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <random>
#include <sstream>
#include <thread>

#include "core/data/corpus_reader.h"
#include "core/data/corpus_stats.h"
#include "core/eval/mt_metrics.h"
#include "core/model/checkpoint.h"
#include "core/model/nmt_model.h"
#include "core/model/retrieval_model.h"
#include "core/model/tokenizer.h"
#include "core/retrieval/apertium.h"
#include "core/retrieval/neural_search.h"
#include "core/retrieval/run_evaluation.h"
#include "core/train/lr_schedule.h"
#include "core/train/translation_cache.h"
#include "core/train/training_common.h"
#include "core/util/blas_threads.h"
#include "core/util/fs.h"

namespace clir::train {
namespace {

using Clock = std::chrono::steady_clock;
using Ids = std::vector<std::int64_t>;

std::string tag(const std::string& language) {
    return "__" + language + "__ ";
}

struct Pair {
    std::string english, other;
};

std::vector<Pair> readPairs(const std::string& corpusDir, const std::string& lang,
                            const std::string& split, std::size_t limit) {
    const std::string path = corpusDir + "/bitext/" + lang + "." + split + ".tsv";
    std::istringstream in(fs::readFile(path));
    std::vector<Pair> out;
    std::size_t lineNo = 0;
    for (std::string line; std::getline(in, line) && out.size() < limit;) {
        ++lineNo;
        auto tab = line.find('\t');
        if (tab == std::string::npos)
            throw std::runtime_error(path + ":" + std::to_string(lineNo) +
                                     ": expected English<TAB>translation");
        Pair p{line.substr(0, tab), line.substr(tab + 1)};
        if (p.english.empty() || p.other.empty()) continue;  // counted by the corpus builder
        out.push_back(std::move(p));
    }
    if (out.empty()) throw std::runtime_error(path + ": no bitext pairs");
    return out;
}

struct LoadedNmt {
    model::CheckpointMeta meta;
    std::unique_ptr<model::Tokenizer> tok;
    model::NmtModel net{nullptr};
    std::vector<std::string> languages;
};

LoadedNmt loadNmt(const std::string& checkpoint) {
    LoadedNmt l;
    l.meta = model::readCheckpointMeta(checkpoint);
    if (l.meta.kind != "nmt")
        throw std::runtime_error(checkpoint + ": a checkpoint of kind '" + l.meta.kind +
                                 "', not a translation model (kind 'nmt')");
    l.tok = std::make_unique<model::Tokenizer>(l.meta.tokenizerPath);
    l.net = model::NmtModel(l.meta.encoder);
    model::loadCheckpoint(checkpoint, *l.net, l.meta.encoder, "nmt", nullptr, {"", l.tok->hash()});
    l.net->eval();
    l.languages = l.meta.training.at("languages").get<std::vector<std::string>>();
    return l;
}

std::vector<std::string> translateAll(model::NmtModelImpl& net, const model::Tokenizer& tok,
                                      const std::string& lang,
                                      const std::vector<std::string>& texts,
                                      const model::DecodeOptions& options, std::size_t maxLength,
                                      const jobs::JobContext* ctx) {
    // Batches of similar length: little padding, and a batch ends when its longest guard does.
    std::vector<Ids> encoded;
    for (const auto& t : texts) encoded.push_back(tok.encode(tag(lang) + t, maxLength));
    std::vector<std::size_t> order(texts.size());
    std::iota(order.begin(), order.end(), std::size_t(0));
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return encoded[a].size() < encoded[b].size();
    });
    std::vector<std::string> out(texts.size());
    constexpr std::size_t kBatch = 64;
    for (std::size_t i = 0; i < order.size(); i += kBatch) {
        if (ctx) ctx->checkCancelled();
        std::vector<Ids> src;
        const std::size_t end = std::min(order.size(), i + kBatch);
        for (std::size_t k = i; k < end; ++k) src.push_back(encoded[order[k]]);
        auto hyp = model::translate(net, src, options);
        for (std::size_t k = i; k < end; ++k) out[order[k]] = tok.decode(hyp[k - i]);
    }
    return out;
}

}  // namespace

NmtJob::NmtJob(const config::ExperimentSpec& spec)
    : corpus_(data::CorpusSettings::fromJson(spec.config.at("corpus"))),
      evaluation_(eval::EvaluationSettings::fromJson(spec.config.at("evaluation"))),
      model_(ModelSettings::fromJson(spec.config.at("model"))),
      init_(InitSettings::fromJson(spec.config.at("init"))),
      retrieval_(RetrievalSettings::fromJson(spec.config.at("retrieval"))),
      nmt_(NmtSettings::fromJson(spec.config.at("nmt"))),
      configHash_(spec.configHash),
      seed_(std::uint64_t(spec.seed)) {
    const auto& b = spec.config.at("bm25");
    bm25_.k1 = b.at("k1").get<double>();
    bm25_.b = b.at("b").get<double>();
    bm25_.depth = b.at("depth").get<std::size_t>();
    if (nmt_.retriever == "teacher" && init_.checkpoint.empty())
        throw config::ConfigError(spec.source +
                                  ": field 'init.from': nmt.retriever 'teacher' needs the teacher "
                                  "run (resolved when the run is queued)");
    if (!nmt_.modelFrom.empty() && nmt_.modelCheckpoint.empty())
        throw config::ConfigError(spec.source + ": field 'nmt.model_from': run '" + nmt_.modelFrom +
                                  "' is not resolved yet (queue the run first)");
}

jobs::JobResult NmtJob::run(const jobs::JobContext& ctx) {
    // One BLAS thread: at these widths OpenBLAS's threads only contend with LibTorch's (training
    // ran 1.6x faster in tokens/s, decoding 3-4x; see blas_threads.h).
    ScopedBlasThreads oneBlasThread(1);
    const std::string corpusDir = data::defaultCorpusDir(corpus_.name);
    auto manifest = data::loadManifest(corpusDir);
    const std::string corpusHash = manifest.at("hash").get<std::string>();
    const std::string& pivot = data::pivotLanguage();
    const std::string ckptDir = ctx.outputDir + "/checkpoints";
    std::filesystem::create_directories(ckptDir);
    at::set_num_threads(model_.threads > 0
                            ? model_.threads
                            : int(std::max(1u, std::thread::hardware_concurrency())));
    const torch::Device device =
        (model_.device != "cpu" && torch::cuda::is_available()) ? torch::kCUDA : torch::kCPU;
    std::vector<std::string> xLanguages;
    for (const auto& l : nmt_.languages.empty() ? corpus_.languages : nmt_.languages)
        if (l != pivot) xLanguages.push_back(l);
    if (xLanguages.empty())
        throw std::runtime_error("nmt needs a language besides en-US in corpus.languages");

    jobs::JobResult result;
    result.corpus =
        store::CorpusRecord{0, corpus_.name, corpusDir, corpusHash, manifest.dump(), ""};
    nlohmann::json summary = {{"retriever", nmt_.retriever}, {"languages", xLanguages}};
    std::string checkpoint = nmt_.modelCheckpoint;

    if (checkpoint.empty()) {
        // --- Tokenizer and model, trained on the train-split bitext only ----------------------
        ctx.report(0.0, "reading bitext");
        std::map<std::string, std::vector<Pair>> train;
        for (const auto& x : xLanguages) train[x] = readPairs(corpusDir, x, "train", SIZE_MAX);
        std::mt19937_64 rng(seed_);
        const std::string tokPath = ctx.outputDir + "/nmt-tokenizer.model";
        if (!std::filesystem::exists(tokPath)) {
            ctx.report(0.01, "training the shared tokenizer");
            std::vector<std::string> sentences;
            for (std::int64_t i = 0; i < nmt_.tokenizerSentences / 2; ++i) {
                const auto& pool = train[xLanguages[std::size_t(i) % xLanguages.size()]];
                const auto& p =
                    pool[std::uniform_int_distribution<std::size_t>(0, pool.size() - 1)(rng)];
                sentences.push_back(p.english);
                sentences.push_back(tag(xLanguages[std::size_t(i) % xLanguages.size()]) + p.other);
            }
            model::Tokenizer::train(sentences, nmt_.vocabSize, ctx.outputDir + "/nmt-tokenizer",
                                    seed_);
        }
        model::Tokenizer tok(tokPath);
        model::EncoderConfig cfg;
        cfg.preset = "nmt";
        cfg.vocabSize = tok.vocabSize();
        cfg.hidden = nmt_.hidden;
        cfg.layers = nmt_.layers;
        cfg.heads = nmt_.heads;
        cfg.ffn = nmt_.ffn;
        cfg.maxPositions = nmt_.maxLength;
        cfg.dropout = nmt_.dropout;
        torch::manual_seed(seed_);
        model::NmtModel net(cfg);
        net->to(device);
        using torch::optim::AdamWOptions;
        torch::optim::AdamW optimizer(
            net->parameters(),
            AdamWOptions(nmt_.learningRate).betas({0.9, 0.98}).eps(1e-9).weight_decay(0.0001));
        std::int64_t start = 0;
        if (auto last = model::latestCheckpoint(ckptDir)) {
            auto meta =
                model::loadCheckpoint(*last, *net, cfg, "nmt", &optimizer, {"", tok.hash()}, true);
            if (meta.configHash != configHash_)
                throw std::runtime_error(*last +
                                         ": written by another configuration; start a new run");
            std::istringstream s(meta.training.at("sampler_rng").get<std::string>());
            s >> rng;
            start = meta.step;
        }
        auto save = [&](std::int64_t step) {
            model::CheckpointMeta meta{
                cfg,  tokPath,     tok.hash(),
                step, configHash_, {{"sampler_rng", rngState(rng)}, {"languages", xLanguages}},
                "nmt"};
            return model::saveCheckpoint(ckptDir, *net, &optimizer, meta);
        };
        net->train();
        const auto maxLen = std::size_t(nmt_.maxLength);
        auto windowStart = Clock::now();
        std::int64_t windowTokens = 0;
        for (std::int64_t step = start; step < nmt_.steps; ++step) {
            ctx.checkCancelled();
            const std::int64_t done = step + 1;
            double lr = linearWarmupDecay(step, nmt_.warmupSteps, nmt_.steps, nmt_.learningRate);
            for (auto& g : optimizer.param_groups()) static_cast<AdamWOptions&>(g.options()).lr(lr);
            std::vector<Ids> src, tgt;
            for (std::int64_t i = 0; i < nmt_.batchSize; ++i) {
                const auto& x = xLanguages[std::uniform_int_distribution<std::size_t>(
                    0, xLanguages.size() - 1)(rng)];
                const auto& pool = train[x];
                const auto& p =
                    pool[std::uniform_int_distribution<std::size_t>(0, pool.size() - 1)(rng)];
                src.push_back(tok.encode(tag(x) + p.other, maxLen));
                tgt.push_back(tok.encode(p.english, maxLen));
                windowTokens += std::int64_t(tgt.back().size());
            }
            auto s = model::padBatch(src).ids.to(device);
            auto t = model::padBatch(tgt).ids.to(device);
            auto tgtIn = t.narrow(1, 0, t.size(1) - 1), tgtOut = t.narrow(1, 1, t.size(1) - 1);
            // Only real target positions reach the vocabulary projection (most of the cost).
            auto real = tgtOut.ne(model::Tokenizer::kPad);
            auto logits = net->project(net->forward(s, tgtIn).index({real}));
            auto loss =
                at::cross_entropy_loss(logits, tgtOut.index({real}), {}, at::Reduction::Mean,
                                       model::Tokenizer::kPad, nmt_.labelSmoothing);
            double lossValue = loss.item<double>();
            requireFiniteLoss(lossValue, done);
            optimizer.zero_grad();
            loss.backward();
            double gradNorm = torch::nn::utils::clip_grad_norm_(net->parameters(), nmt_.clipNorm);
            optimizer.step();
            ctx.record("loss", done, lossValue);
            if (done % nmt_.logEvery == 0 || done == nmt_.steps) {
                double secs = std::chrono::duration<double>(Clock::now() - windowStart).count();
                ctx.record("lr", done, lr);
                ctx.record("grad_norm", done, gradNorm);
                ctx.record("tokens_per_second", done, double(windowTokens) / std::max(secs, 1e-9));
                windowStart = Clock::now();
                windowTokens = 0;
            }
            if (done % nmt_.checkpointEvery == 0 && done != nmt_.steps) save(done);
            ctx.report(0.02 + 0.6 * double(done) / double(std::max<std::int64_t>(1, nmt_.steps)),
                       "step " + std::to_string(done) + "/" + std::to_string(nmt_.steps) +
                           "  loss " + std::to_string(lossValue).substr(0, 6));
        }
        checkpoint = save(nmt_.steps);
    }
    result.artifacts.push_back({"nmt_checkpoint", checkpoint});
    summary["checkpoint"] = checkpoint;

    auto loaded = loadNmt(checkpoint);
    loaded.net->to(device);
    for (const auto& x : xLanguages)
        if (std::find(loaded.languages.begin(), loaded.languages.end(), x) ==
            loaded.languages.end())
            throw std::runtime_error(checkpoint + ": the model was not trained on '" + x + "'");
    model::DecodeOptions decode;
    decode.beamSize = nmt_.beamSize;
    decode.lengthPenalty = nmt_.lengthPenalty;
    decode.maxLength = loaded.meta.encoder.maxPositions;
    const auto maxLen = std::size_t(loaded.meta.encoder.maxPositions);
    const std::string system = "nmt:" + std::to_string(loaded.meta.step) + "-steps";
    TranslationCache cache(checkpoint, decode);

    // --- Translation quality on dev bitext ------------------------------------------------------
    nlohmann::json quality = nlohmann::json::object();
    for (std::size_t li = 0; li < xLanguages.size(); ++li) {
        const auto& x = xLanguages[li];
        ctx.report(0.62 + 0.13 * double(li) / double(xLanguages.size()), x + ": dev chrF and BLEU");
        auto pairs = readPairs(corpusDir, x, "dev", std::size_t(nmt_.devSentences));
        std::vector<std::string> sources, refs;
        for (const auto& p : pairs) {
            sources.push_back(p.other);
            refs.push_back(p.english);
        }
        auto hyp = cache.translate(x, sources, [&](const std::vector<std::string>& t) {
            return translateAll(*loaded.net, *loaded.tok, x, t, decode, maxLen, &ctx);
        });
        double chrf = eval::corpusChrf(hyp, {refs}), bleu = eval::corpusBleu(hyp, {refs}).score;
        result.results.push_back({x, "translation", "chrf", chrf});
        result.results.push_back({x, "translation", "bleu", bleu});
        quality[x] = {{"chrf", chrf}, {"bleu", bleu}, {"sentences", sources.size()}};
        ctx.record("chrf/" + x, loaded.meta.step, chrf);
        if (nmt_.compareApertium && !retrieval::apertiumModeFor(x).empty()) {
            try {
                auto ap =
                    retrieval::translateWithApertium(sources, retrieval::apertiumModeFor(x), {},
                                                     [&](std::size_t) { return !ctx.cancelled(); });
                std::vector<std::string> apHyp;
                for (const auto& t : ap) apHyp.push_back(t.error.empty() ? t.target : t.source);
                double apChrf = eval::corpusChrf(apHyp, {refs});
                double apBleu = eval::corpusBleu(apHyp, {refs}).score;
                result.results.push_back({x, "translation", "apertium_chrf", apChrf});
                result.results.push_back({x, "translation", "apertium_bleu", apBleu});
                quality[x]["apertium_chrf"] = apChrf;
                quality[x]["apertium_bleu"] = apBleu;
            } catch (const jobs::Cancelled&) {
                throw;
            } catch (const std::exception& e) {
                quality[x]["apertium_error"] = e.what();
            }
        }
    }
    summary["dev_translation"] = quality;

    // --- Translate-then-retrieve on the test queries ---------------------------------------------
    std::unique_ptr<retrieval::Bm25Index> bm25;
    model::RetrievalModel teacher{nullptr};
    std::unique_ptr<model::Tokenizer> teacherTok;
    retrieval::EncodedTexts pages;
    std::vector<std::string> pageIds;
    auto docs = data::readDocuments(corpusDir, pivot);
    if (nmt_.retriever == "bm25") {
        bm25 = std::make_unique<retrieval::Bm25Index>(
            fs::dataDir() + "/indexes/" + corpusHash.substr(0, 16) + "/" + pivot, corpusHash, pivot,
            docs);
    } else {
        auto meta = model::readCheckpointMeta(init_.checkpoint);
        teacherTok = std::make_unique<model::Tokenizer>(meta.tokenizerPath);
        teacher = model::RetrievalModel(meta.encoder);
        model::loadCheckpoint(init_.checkpoint, *teacher, meta.encoder, "retrieval", nullptr,
                              {"", teacherTok->hash()});
        teacher->to(device);
        teacher->eval();
        auto sidecar = nlohmann::json::parse(fs::readFile(init_.checkpoint + "/checkpoint.json"));
        std::string key =
            sidecar.at("files").at("model.pt").at("sha256").get<std::string>().substr(0, 16);
        std::vector<std::string> texts;
        for (const auto& d : docs) {
            texts.push_back(d.title + "\n" + d.text);
            pageIds.push_back(d.id);
        }
        ctx.report(0.76, "encoding the English pages with the teacher");
        pages = retrieval::encodeTextsCached(
            fs::dataDir() + "/indexes/" + corpusHash.substr(0, 16) + "/neural/" + key + "-" +
                pivot + "-" + std::to_string(retrieval_.documentMaxLength) + ".pt",
            [&](const at::Tensor& ids, const at::Tensor& mask) {
                return teacher->forward(ids, mask);
            },
            *teacherTok, texts, retrieval_.documentMaxLength, retrieval_.encodeBatch,
            retrieval_.scoring == "maxsim", device);
    }
    const std::string runTag = "nmt-" + nmt_.retriever;
    nlohmann::json perLanguage = nlohmann::json::object();
    double stepsDone = 0, total = double(corpus_.languages.size() * evaluation_.querySets.size());
    for (const auto& lang : corpus_.languages) {
        for (const auto& set : evaluation_.querySets) {
            ctx.checkCancelled();
            ctx.report(0.78 + 0.22 * stepsDone / total, lang + " " + set + ": translating");
            auto queries = data::readQueries(corpusDir, lang, set, evaluation_.split);
            std::vector<std::string> texts;
            for (const auto& q : queries) texts.push_back(q.text);
            if (lang != pivot) {
                if (std::find(loaded.languages.begin(), loaded.languages.end(), lang) ==
                    loaded.languages.end())
                    continue;  // the model does not translate this language
                auto translated =
                    cache.translate(lang, texts, [&](const std::vector<std::string>& t) {
                        return translateAll(*loaded.net, *loaded.tok, lang, t, decode, maxLen,
                                            &ctx);
                    });
                for (std::size_t i = 0; i < queries.size(); ++i) {
                    result.translations.push_back(
                        {lang, set, queries[i].qid, system, texts[i], translated[i], ""});
                    texts[i] = translated[i];
                }
            }
            eval::Run run;
            if (bm25) {
                for (std::size_t i = 0; i < queries.size(); ++i)
                    run.byQuery[queries[i].qid] = bm25->search(texts[i], bm25_);
            } else {
                std::vector<std::string> qids;
                for (const auto& q : queries) qids.push_back(q.qid);
                auto encoded = retrieval::encodeTexts(
                    [&](const at::Tensor& ids, const at::Tensor& mask) {
                        return teacher->forward(ids, mask);
                    },
                    *teacherTok, texts, retrieval_.queryMaxLength, retrieval_.encodeBatch,
                    retrieval_.scoring == "maxsim", device);
                run = retrieval::rankAll(retrieval_.scoring, encoded, qids, pages, pageIds,
                                         std::size_t(retrieval_.depth));
            }
            auto qrels =
                eval::readQrels(data::qrelsPath(corpusDir, lang, pivot, set, evaluation_.split));
            auto e = retrieval::evaluateAndRecord(
                run, ctx.outputDir + "/" + lang + "." + set + "." + evaluation_.split + ".trec",
                runTag, bm25 ? bm25_.depth : std::size_t(retrieval_.depth), qrels, queries, lang,
                set, result);
            perLanguage[lang][set] = {{"map", e.mean.at("map")}, {"queries", e.numQueries}};
            ctx.record("map/" + lang + "/" + set, 0, e.mean.at("map"));
            ++stepsDone;
        }
    }
    summary["per_language"] = perLanguage;
    result.summary = summary;
    ctx.report(1.0, "translated and retrieved with " + nmt_.retriever);
    return result;
}

std::string translateText(const std::string& checkpoint, const std::string& language,
                          const std::string& text, int beamSize) {
    auto loaded = loadNmt(checkpoint);
    if (std::find(loaded.languages.begin(), loaded.languages.end(), language) ==
        loaded.languages.end()) {
        std::string known;
        for (const auto& l : loaded.languages) known += (known.empty() ? "" : ", ") + l;
        throw std::runtime_error("unknown language tag '" + language + "': this model translates " +
                                 known + " into English");
    }
    bool blank =
        std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isspace(c); });
    if (blank) throw std::runtime_error("the source text is empty");
    const auto limit = loaded.meta.encoder.maxPositions;
    auto ids = loaded.tok->encode(tag(language) + text, std::size_t(1) << 20);
    if (std::int64_t(ids.size()) > limit)
        throw std::runtime_error("the source text is " + std::to_string(ids.size()) +
                                 " tokens with its language tag; this model reads at most " +
                                 std::to_string(limit));
    model::DecodeOptions options;
    options.beamSize = beamSize > 0 ? beamSize : 4;
    options.maxLength = limit;
    return loaded.tok->decode(model::translate(*loaded.net, {ids}, options).at(0));
}

}  // namespace clir::train
