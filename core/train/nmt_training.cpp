// NMT model training (see nmt_training.h).
#include "core/train/nmt_training.h"

#include <ATen/ATen.h>

#include <filesystem>
#include <map>
#include <random>

#include "core/eval/mt_metrics.h"
#include "core/model/checkpoint.h"
#include "core/model/nmt_model.h"
#include "core/model/retrieval_model.h"
#include "core/model/tokenizer.h"
#include "core/train/data_parallel.h"
#include "core/train/nmt_translation.h"
#include "core/train/training_common.h"
#include "core/train/training_loop.h"

namespace clir::train {
namespace {
using Ids = std::vector<std::int64_t>;
}  // namespace

std::vector<data::BitextPair> readBitextPairs(const std::string& corpusDir, const std::string& lang,
                                              const std::string& split, std::size_t limit) {
    auto pairs = data::readBitext(corpusDir, lang, split, limit);
    if (pairs.empty())
        throw std::runtime_error(corpusDir + "/bitext/" + lang + "." + split +
                                 ".tsv: no bitext pairs");
    return pairs;
}

std::string trainNmt(const jobs::JobContext& ctx, const jobs::JobEnvironment& env,
                     const NmtSettings& nmt, std::uint64_t seed, const std::string& configHash,
                     const std::vector<std::string>& xLanguages, c10::Device device) {
    // Tokenizer and model, trained on the train-split bitext only.
    ctx.report(0.0, "reading bitext");
    std::map<std::string, std::vector<data::BitextPair>> pairs;
    for (const auto& x : xLanguages)
        pairs[x] = readBitextPairs(env.corpusDir, x, "train", SIZE_MAX);
    std::mt19937_64 rng(seed);
    auto draw = [&](std::size_t n) {
        return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
    };
    const std::string tokPath = ctx.outputDir + "/nmt-tokenizer.model";
    if (!std::filesystem::exists(tokPath)) {
        ctx.report(0.01, "training the shared tokenizer");
        std::vector<std::string> sentences;
        for (std::int64_t i = 0; i < nmt.tokenizerSentences / 2; ++i) {
            const auto& x = xLanguages[std::size_t(i) % xLanguages.size()];
            const auto& pool = pairs[x];
            const auto& p = pool[draw(pool.size())];
            sentences.push_back(p.english);
            sentences.push_back(languageTag(x) + p.other);
        }
        model::Tokenizer::train(sentences, nmt.vocabSize, ctx.outputDir + "/nmt-tokenizer", seed);
    }
    model::Tokenizer tok(tokPath);
    model::EncoderConfig cfg;
    cfg.preset = "nmt";
    cfg.vocabSize = tok.vocabSize();
    cfg.hidden = nmt.hidden;
    cfg.layers = nmt.layers;
    cfg.heads = nmt.heads;
    cfg.ffn = nmt.ffn;
    cfg.maxPositions = nmt.maxLength;
    cfg.dropout = nmt.dropout;
    torch::manual_seed(seed);
    model::NmtModel net(cfg);
    net->to(device);
    auto optimizer = makeAdamW(
        *net, {nmt.learningRate, nmt.weightDecay, 0.9, nmt.adamBeta2, nmt.adamEpsilon, true});

    const LoopSettings loop{
        nmt.steps,     nmt.warmupSteps,     nmt.learningRate,    nmt.clipNorm, nmt.logEvery,
        nmt.evalEvery, nmt.checkpointEvery, "tokens_per_second", 0.02,         0.62};
    const auto maxLen = std::size_t(nmt.maxLength);
    LoopHooks hooks;
    DataParallel* parallel = ctx.parallel;
    if (parallel && nmt.batchSize % parallel->worldSize() != 0)
        throw config::ConfigError("field 'nmt.batch_size': " + std::to_string(nmt.batchSize) +
                                  " pairs do not split into equal shares for " +
                                  std::to_string(parallel->worldSize()) + " workers (--nproc)");
    hooks.step = [&](std::int64_t) {
        std::vector<Ids> src, tgt;
        double tokens = 0;
        for (std::int64_t i = 0; i < nmt.batchSize; ++i) {
            const auto& x = xLanguages[draw(xLanguages.size())];
            const auto& pool = pairs[x];
            const auto& p = pool[draw(pool.size())];
            src.push_back(tok.encode(languageTag(x) + p.other, maxLen));
            tgt.push_back(tok.encode(p.english, maxLen));
            tokens += double(tgt.back().size());
        }
        double predicted = 0;  // target positions of the whole batch (after <s>)
        for (const auto& ids : tgt) predicted += double(ids.size() - 1);
        if (parallel) {  // this rank's pairs of the whole batch
            const auto share = src.size() / std::size_t(parallel->worldSize());
            const auto first = std::size_t(parallel->rank()) * share;
            src = {src.begin() + long(first), src.begin() + long(first + share)};
            tgt = {tgt.begin() + long(first), tgt.begin() + long(first + share)};
        }
        auto s = model::padBatch(src).ids.to(device);
        auto t = model::padBatch(tgt).ids.to(device);
        auto tgtIn = t.narrow(1, 0, t.size(1) - 1), tgtOut = t.narrow(1, 1, t.size(1) - 1);
        // Only real target positions reach the vocabulary projection (most of the cost).
        auto real = tgtOut.ne(model::Tokenizer::kPad);
        auto logits = net->project(net->forward(s, tgtIn).index({real}));
        // Data-parallel: the rank's share of the whole batch's mean, times the ranks (the loop
        // averages).
        auto loss =
            parallel ? at::cross_entropy_loss(logits, tgtOut.index({real}), {}, at::Reduction::Sum,
                                              model::Tokenizer::kPad, nmt.labelSmoothing) *
                           double(parallel->worldSize()) / std::max(predicted, 1.0)
                     : at::cross_entropy_loss(logits, tgtOut.index({real}), {}, at::Reduction::Mean,
                                              model::Tokenizer::kPad, nmt.labelSmoothing);
        return StepOutput{loss, {}, {}, tokens};
    };
    hooks.load = [&](const std::string& path) {
        return model::loadCheckpoint(path, *net, cfg, "nmt", optimizer.get(), {"", tok.hash()},
                                     true);
    };
    // Early stopping on dev chrF (nmt.eval_every): greedy translations of the first
    // eval_sentences dev pairs of each language, chrF averaged over the languages.
    double bestChrf = -1;
    std::int64_t sinceBest = 0, bestStep = 0;
    std::string best;
    std::map<std::string, std::pair<std::vector<std::string>, std::vector<std::string>>> dev;
    if (nmt.evalEvery > 0)
        for (const auto& x : xLanguages)
            for (const auto& p :
                 readBitextPairs(env.corpusDir, x, "dev", std::size_t(nmt.evalSentences))) {
                dev[x].first.push_back(p.other);
                dev[x].second.push_back(p.english);
            }
    auto stateOf = [&](nlohmann::json state) {
        state["languages"] = xLanguages;
        state["best_dev_chrf"] = bestChrf;
        state["best_step"] = bestStep;
        state["evaluations_since_best"] = sinceBest;
        return state;
    };
    hooks.save = [&](std::int64_t step, nlohmann::json state) {
        model::CheckpointMeta meta{cfg,        tokPath,        tok.hash(), step,
                                   configHash, stateOf(state), "nmt"};
        return model::saveCheckpoint(env.checkpointDir, *net, optimizer.get(), meta);
    };
    const TrainingLoop* loopState = nullptr;
    if (nmt.evalEvery > 0) {
        hooks.evaluate = [&](std::int64_t done) {
            if (!ctx.primary()) return;  // rank 0 alone translates dev and decides
            torch::NoGradGuard noGrad;
            net->eval();
            model::DecodeOptions greedy;
            greedy.beamSize = 1;
            greedy.maxLength = nmt.maxLength;
            double sum = 0;
            for (const auto& [x, sides] : dev) {
                auto hyp = translateAll(*net, tok, x, sides.first, greedy,
                                        std::size_t(nmt.maxLength), &ctx);
                const double chrf = eval::corpusChrf(hyp, {sides.second});
                ctx.record("dev_chrf/" + x, done, chrf);
                sum += chrf;
            }
            net->train();
            const double chrf = sum / double(std::max<std::size_t>(dev.size(), 1));
            ctx.record("dev_chrf", done, chrf);
            if (chrf > bestChrf) {
                bestChrf = chrf;
                bestStep = done;
                sinceBest = 0;
                model::CheckpointMeta meta{
                    cfg, tokPath, tok.hash(), done, configHash, stateOf(loopState->state()), "nmt"};
                best = model::saveCheckpoint(env.checkpointDir, *net, nullptr, meta, "best", false);
            } else {
                ++sinceBest;
            }
        };
        hooks.stop = [&](std::int64_t) { return nmt.patience > 0 && sinceBest >= nmt.patience; };
    }
    TrainingLoop trainer(ctx, *optimizer, rng, loop, hooks);
    loopState = &trainer;
    trainer.resume(env.checkpointDir, configHash);
    const auto& resumed = trainer.resumedState();
    bestChrf = resumed.value("best_dev_chrf", -1.0);
    bestStep = resumed.value("best_step", std::int64_t(0));
    sinceBest = resumed.value("evaluations_since_best", std::int64_t(0));
    if (bestStep > 0) best = env.checkpointDir + "/best";
    net->train();
    const std::string last = trainer.run();
    // The model: the best checkpoint by dev chrF when checked, else the last.
    return nmt.evalEvery > 0 && !best.empty() ? best : last;
}

}  // namespace clir::train
