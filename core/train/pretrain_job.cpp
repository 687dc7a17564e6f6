// Pretraining job (see pretrain_job.h).
#include "core/train/pretrain_job.h"

#include <ATen/ATen.h>
#include <torch/cuda.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adamw.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <sstream>
#include <thread>

#include "core/data/corpus_reader.h"
#include "core/data/corpus_stats.h"
#include "core/model/checkpoint.h"
#include "core/model/tokenizer.h"
#include "core/model/xlmr_encoder.h"
#include "core/train/lr_schedule.h"
#include "core/train/training_common.h"
#include "core/train/mlm.h"
#include "core/util/fs.h"
#include "core/train/resource_profile.h"

namespace clir::train {
namespace {

using Clock = std::chrono::steady_clock;

struct LanguageText {
    std::vector<std::string> train, heldOut;
    std::vector<std::vector<std::int64_t>> trainIds, heldOutIds;
};

// Draws a language by the sampling probabilities, then a sentence uniformly.
const std::vector<std::int64_t>& sample(const std::map<std::string, LanguageText>& text,
                                        const std::vector<std::string>& langs,
                                        const std::vector<double>& cumulative,
                                        std::mt19937_64& rng) {
    double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    std::size_t li =
        std::size_t(std::lower_bound(cumulative.begin(), cumulative.end(), u) - cumulative.begin());
    li = std::min(li, langs.size() - 1);
    const auto& ids = text.at(langs[li]).trainIds;
    return ids[std::uniform_int_distribution<std::size_t>(0, ids.size() - 1)(rng)];
}

}  // namespace

PretrainJob::PretrainJob(const config::ExperimentSpec& spec)
    : corpus_(data::CorpusSettings::fromJson(spec.config.at("corpus"))),
      model_(ModelSettings::fromJson(spec.config.at("model"))),
      tokenizer_(TokenizerSettings::fromJson(spec.config.at("tokenizer"))),
      pretrain_(PretrainSettings::fromJson(spec.config.at("pretrain"))),
      configHash_(spec.configHash),
      seed_(std::uint64_t(spec.seed)) {}

jobs::JobResult PretrainJob::run(const jobs::JobContext& ctx) {
    const std::string corpusDir = data::defaultCorpusDir(corpus_.name);
    auto manifest = data::loadManifest(corpusDir);
    const std::string ckptDir = ctx.outputDir + "/checkpoints";
    std::filesystem::create_directories(ckptDir);
    if (model_.threads > 0)
        at::set_num_threads(model_.threads);
    else
        at::set_num_threads(int(std::max(1u, std::thread::hardware_concurrency())));
    const torch::Device device = pickDevice(model_.device);

    // Text: train-split paragraphs for pretraining, dev-split ones held out for MLM accuracy.
    ctx.report(0.0, "reading text");
    std::map<std::string, LanguageText> text;
    for (const auto& lang : corpus_.languages) {
        auto& t = text[lang];
        std::istringstream in(fs::readFile(corpusDir + "/passages/" + lang + ".jsonl"));
        for (std::string line; std::getline(in, line);) {
            if (line.empty()) continue;
            auto j = nlohmann::json::parse(line);
            (j.at("split") == "dev"     ? t.heldOut
             : j.at("split") == "train" ? t.train
                                        : t.heldOut)
                .push_back(j.at("text").get<std::string>());
        }
        if (t.heldOut.size() > std::size_t(pretrain_.evalSentences))
            t.heldOut.resize(std::size_t(pretrain_.evalSentences));
    }
    auto probabilities = samplingProbabilities(corpus_.languages, pretrain_.resourceProfile,
                                               pretrain_.samplingExponent);
    std::vector<std::string> langs;
    std::vector<double> cumulative;
    double acc = 0;
    for (const auto& [lang, p] : probabilities) {
        if (p <= 0 || text[lang].train.empty()) continue;
        langs.push_back(lang);
        cumulative.push_back(acc += p);
    }
    for (auto& c : cumulative) c /= acc;

    // Tokenizer: given, reused from an interrupted run of this id, or trained now.
    std::string tokPath = tokenizer_.model;
    if (tokPath.empty()) {
        tokPath = ctx.outputDir + "/tokenizer.model";
        if (!std::filesystem::exists(tokPath)) {
            ctx.report(0.01, "training the tokenizer");
            std::mt19937_64 rng(seed_ ^ 0x70CE11);
            std::vector<std::string> sentences;
            for (std::int64_t i = 0; i < tokenizer_.trainingSentences; ++i) {
                double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
                std::size_t li =
                    std::min(langs.size() - 1,
                             std::size_t(std::lower_bound(cumulative.begin(), cumulative.end(), u) -
                                         cumulative.begin()));
                const auto& pool = text[langs[li]].train;
                sentences.push_back(
                    pool[std::uniform_int_distribution<std::size_t>(0, pool.size() - 1)(rng)]);
            }
            auto cfg = model::presetConfig(model_.preset, model_.vocabSize);
            model::Tokenizer::train(sentences, cfg.vocabSize, ctx.outputDir + "/tokenizer", seed_);
        }
    }
    model::Tokenizer tok(tokPath);
    ctx.report(0.03, "tokenizing");
    for (auto& [lang, t] : text) {
        for (const auto& s : t.train)
            t.trainIds.push_back(tok.encode(s, std::size_t(pretrain_.maxLength)));
        for (const auto& s : t.heldOut)
            t.heldOutIds.push_back(tok.encode(s, std::size_t(pretrain_.maxLength)));
    }

    auto cfg = model::presetConfig(model_.preset, tok.vocabSize());
    torch::manual_seed(seed_);
    model::XlmrEncoder net(cfg);
    net->to(device);
    std::vector<torch::Tensor> decay, noDecay;
    for (const auto& p : net->named_parameters())
        (p.value().dim() == 1 ? noDecay : decay).push_back(p.value());
    using torch::optim::AdamWOptions;
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(decay,
                        std::make_unique<AdamWOptions>(AdamWOptions(pretrain_.learningRate)
                                                           .betas({0.9, 0.98})
                                                           .eps(1e-6)
                                                           .weight_decay(pretrain_.weightDecay)));
    groups.emplace_back(
        noDecay,
        std::make_unique<AdamWOptions>(
            AdamWOptions(pretrain_.learningRate).betas({0.9, 0.98}).eps(1e-6).weight_decay(0.0)));
    torch::optim::AdamW optimizer(std::move(groups));
    std::mt19937_64 rng(seed_);
    MaskingSettings masking{pretrain_.maskProbability, tok.maskId(), model::Tokenizer::kPad,
                            tok.vocabSize()};

    std::int64_t startStep = 0;
    if (auto last = model::latestCheckpoint(ckptDir)) {
        auto meta =
            model::loadCheckpoint(*last, *net, &optimizer, {model_.preset, tok.hash()}, true);
        if (meta.configHash != configHash_)
            throw std::runtime_error(*last + ": written by another configuration; start a new run");
        setRngState(rng, meta.training.at("sampler_rng").get<std::string>());
        startStep = meta.step;
        ctx.report(double(startStep) / double(pretrain_.steps),
                   "resumed at step " + std::to_string(startStep));
    }
    auto save = [&](std::int64_t step) {
        model::CheckpointMeta meta{cfg,  tokPath,     tok.hash(),
                                   step, configHash_, {{"sampler_rng", rngState(rng)}}};
        return model::saveCheckpoint(ckptDir, *net, &optimizer, meta);
    };

    net->train();
    auto windowStart = Clock::now();
    std::int64_t windowTokens = 0;
    for (std::int64_t step = startStep; step < pretrain_.steps; ++step) {
        ctx.checkCancelled();
        double lr =
            linearWarmupDecay(step, pretrain_.warmupSteps, pretrain_.steps, pretrain_.learningRate);
        for (auto& g : optimizer.param_groups()) static_cast<AdamWOptions&>(g.options()).lr(lr);
        std::vector<std::vector<std::int64_t>> seqs;
        for (std::int64_t i = 0; i < pretrain_.batchSize; ++i)
            seqs.push_back(sample(text, langs, cumulative, rng));
        auto batch = makeMlmBatch(seqs, masking, rng);
        auto ids = batch.ids.to(device), mask = batch.mask.to(device),
             labels = batch.labels.to(device);
        auto hidden = net->forward(ids, mask);
        auto picked = labels.ne(-100);
        auto logits = net->mlmLogits(hidden.index({picked}));
        auto loss = at::cross_entropy_loss(logits, labels.index({picked}));
        double lossValue = loss.item<double>();
        requireFiniteLoss(lossValue, step + 1);
        optimizer.zero_grad();
        loss.backward();
        double gradNorm = torch::nn::utils::clip_grad_norm_(net->parameters(), pretrain_.clipNorm);
        optimizer.step();
        windowTokens += batch.realTokens;
        const std::int64_t done = step + 1;
        ctx.record("loss", done, lossValue);
        if (done % pretrain_.logEvery == 0 || done == pretrain_.steps) {
            double secs = std::chrono::duration<double>(Clock::now() - windowStart).count();
            ctx.record("lr", done, lr);
            ctx.record("grad_norm", done, gradNorm);
            ctx.record("tokens_per_second", done, double(windowTokens) / std::max(secs, 1e-9));
            windowStart = Clock::now();
            windowTokens = 0;
        }
        if (done % pretrain_.checkpointEvery == 0 && done != pretrain_.steps) save(done);
        ctx.report(0.05 + 0.9 * double(done) / double(pretrain_.steps),
                   "step " + std::to_string(done) + "/" + std::to_string(pretrain_.steps) +
                       "  loss " + std::to_string(lossValue).substr(0, 6));
    }
    std::string final = save(pretrain_.steps);

    // Held-out MLM accuracy per language, with a fixed masking seed so runs compare.
    ctx.report(0.96, "held-out MLM accuracy");
    net->eval();
    torch::NoGradGuard noGrad;
    jobs::JobResult result;
    nlohmann::json accuracy = nlohmann::json::object();
    for (const auto& lang : corpus_.languages) {
        const auto& held = text[lang].heldOutIds;
        if (held.empty()) continue;
        std::mt19937_64 evalRng(12345);
        std::int64_t correct = 0, total = 0;
        double lossSum = 0;
        for (std::size_t i = 0; i < held.size(); i += 32) {
            std::vector<std::vector<std::int64_t>> seqs(
                held.begin() + long(i), held.begin() + long(std::min(held.size(), i + 32)));
            auto batch = makeMlmBatch(seqs, masking, evalRng);
            auto picked = batch.labels.ne(-100).to(device);
            auto logits = net->mlmLogits(
                net->forward(batch.ids.to(device), batch.mask.to(device)).index({picked}));
            auto gold = batch.labels.to(device).index({picked});
            correct += logits.argmax(-1).eq(gold).sum().item<std::int64_t>();
            lossSum += at::cross_entropy_loss(logits, gold, {}, at::Reduction::Sum).item<double>();
            total += gold.size(0);
        }
        double acc = total ? double(correct) / double(total) : 0.0;
        result.results.push_back({lang, "mlm", "accuracy", acc});
        result.results.push_back({lang, "mlm", "loss", total ? lossSum / double(total) : 0.0});
        accuracy[lang] = acc;
    }
    result.artifacts.push_back({"checkpoint", final});
    result.artifacts.push_back({"tokenizer", tokPath});
    result.corpus =
        store::CorpusRecord{0, corpus_.name, corpusDir, manifest.at("hash"), manifest.dump(), ""};
    result.summary = {{"checkpoint", final},
                      {"parameters", net->parameterCount()},
                      {"sampling", probabilities},
                      {"mlm_accuracy", accuracy},
                      {"device", device.is_cuda() ? "cuda" : "cpu"}};
    ctx.report(1.0, "pretrained " + model_.preset);
    return result;
}

}  // namespace clir::train
