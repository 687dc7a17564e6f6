// Pretraining job (see pretrain_job.h).
#include "core/train/pretrain_job.h"

#include <ATen/ATen.h>

#include <filesystem>

#include "core/config/schema.h"
#include "core/data/corpus_reader.h"
#include "core/jobs/job_environment.h"
#include "core/model/checkpoint.h"
#include "core/model/tokenizer.h"
#include "core/model/xlmr_encoder.h"
#include "core/train/mlm.h"
#include "core/train/resource_profile.h"
#include "core/util/blas_threads.h"
#include "core/train/training_common.h"
#include "core/train/data_parallel.h"
#include "core/train/training_loop.h"

namespace clir::train {
namespace {

struct LanguageText {
    std::vector<std::string> train, heldOut;
    std::vector<std::vector<std::int64_t>> trainIds, heldOutIds;
};

// Languages drawn by their sampling probabilities (languages without training text left out).
struct LanguageSampler {
    std::vector<std::string> langs;
    std::vector<double> cumulative;

    LanguageSampler(const std::map<std::string, double>& probabilities,
                    const std::map<std::string, LanguageText>& text) {
        double acc = 0;
        for (const auto& [lang, p] : probabilities) {
            auto t = text.find(lang);
            if (p <= 0 || t == text.end() || t->second.train.empty()) continue;
            langs.push_back(lang);
            cumulative.push_back(acc += p);
        }
        for (auto& c : cumulative) c /= acc;
    }
    const std::string& draw(std::mt19937_64& rng) const {
        double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
        auto li = std::size_t(std::lower_bound(cumulative.begin(), cumulative.end(), u) -
                              cumulative.begin());
        return langs[std::min(li, langs.size() - 1)];
    }
};

// A language by the sampler, then one of its sentences uniformly.
template <typename Pool>
const auto& sample(const LanguageSampler& sampler, const std::map<std::string, LanguageText>& text,
                   Pool LanguageText::*pool, std::mt19937_64& rng) {
    const auto& items = text.at(sampler.draw(rng)).*pool;
    return items[std::uniform_int_distribution<std::size_t>(0, items.size() - 1)(rng)];
}

// Masked-token accuracy and loss on each language's held-out text, into result rows.
nlohmann::json heldOutAccuracy(model::XlmrEncoderImpl& net,
                               const std::map<std::string, LanguageText>& text,
                               const MaskingSettings& masking, c10::Device device,
                               jobs::JobResult& result) {
    net.eval();
    torch::NoGradGuard noGrad;
    nlohmann::json accuracy = nlohmann::json::object();
    for (const auto& [lang, t] : text) {
        const auto& held = t.heldOutIds;
        if (held.empty()) continue;
        std::mt19937_64 evalRng(12345);
        std::int64_t correct = 0, total = 0;
        double lossSum = 0;
        for (std::size_t i = 0; i < held.size(); i += 32) {
            std::vector<std::vector<std::int64_t>> seqs(
                held.begin() + long(i), held.begin() + long(std::min(held.size(), i + 32)));
            auto batch = makeMlmBatch(seqs, masking, evalRng);
            auto picked = batch.labels.ne(-100).to(device);
            auto logits = net.mlmLogits(
                net.forward(batch.ids.to(device), batch.mask.to(device)).index({picked}));
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
    return accuracy;
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
    // One BLAS thread: OpenBLAS's own threads only contend with LibTorch's intra-op threads
    // (bench_pretrain, MLM at preset s: 5,772 tokens/s against 3,477; see blas_threads.h).
    ScopedBlasThreads oneBlasThread(1);
    auto env = jobs::JobEnvironment::prepare(corpus_, ctx);
    const c10::Device device = setUpCompute(model_.threads, model_.device);

    // Text: train-split paragraphs for pretraining, the other pages' ones held out for MLM
    // accuracy.
    ctx.report(0.0, "reading text");
    std::map<std::string, LanguageText> text;
    for (const auto& lang : corpus_.languages) {
        auto& t = text[lang];
        auto passages = data::readPassages(env.corpusDir, lang);
        t.train = std::move(passages.train);
        t.heldOut = std::move(passages.heldOut);
        if (t.heldOut.size() > std::size_t(pretrain_.evalSentences))
            t.heldOut.resize(std::size_t(pretrain_.evalSentences));
    }
    auto probabilities = samplingProbabilities(corpus_.languages, pretrain_.resourceProfile,
                                               pretrain_.samplingExponent);
    const LanguageSampler sampler(probabilities, text);

    // Tokenizer: given, reused from an interrupted run of this id, or trained now.
    std::string tokPath = tokenizer_.model;
    if (tokPath.empty()) {
        tokPath = ctx.outputDir + "/tokenizer.model";
        if (!std::filesystem::exists(tokPath)) {
            ctx.report(0.01, "training the tokenizer");
            std::mt19937_64 rng(seed_ ^ 0x70CE11);
            // Every corpus language with text takes part, even at pretraining weight 0.
            const LanguageSampler shares(
                tokenizerShares(probabilities, tokenizer_.minLanguageShare), text);
            std::vector<std::string> sentences;
            for (std::int64_t i = 0; i < tokenizer_.trainingSentences; ++i)
                sentences.push_back(sample(shares, text, &LanguageText::train, rng));
            auto cfg = model::presetConfig(model_.preset, model_.vocabSize);
            model::Tokenizer::train(sentences, cfg.vocabSize, ctx.outputDir + "/tokenizer", seed_,
                                    tokenizer_.caseFold);
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
    model::setInputLayer(cfg, model_.norm, model_.charNgrams);
    if (model_.dropout >= 0) cfg.dropout = model_.dropout;
    torch::manual_seed(seed_);
    model::XlmrEncoder net(cfg);
    net->setPieces(tok.vocabulary());
    net->to(device);
    auto optimizer = makeAdamW(*net, {pretrain_.learningRate, pretrain_.weightDecay, 0.9,
                                      pretrain_.adamBeta2, pretrain_.adamEpsilon});
    std::mt19937_64 rng(seed_);
    MaskingSettings masking{pretrain_.maskProbability, tok.maskId(), model::Tokenizer::kPad,
                            tok.vocabSize()};

    const LoopSettings loop{pretrain_.steps,
                            pretrain_.warmupSteps,
                            pretrain_.learningRate,
                            pretrain_.clipNorm,
                            pretrain_.logEvery,
                            0,
                            pretrain_.checkpointEvery,
                            "tokens_per_second",
                            0.05,
                            0.95};
    LoopHooks hooks;
    DataParallel* parallel = ctx.parallel;
    if (parallel && pretrain_.batchSize % parallel->worldSize() != 0)
        throw config::ConfigError(
            "field 'pretrain.batch_size': " + std::to_string(pretrain_.batchSize) +
            " sequences do not split into equal shares for " +
            std::to_string(parallel->worldSize()) + " workers (--nproc)");
    hooks.step = [&](std::int64_t) {
        std::vector<std::vector<std::int64_t>> seqs;
        for (std::int64_t i = 0; i < pretrain_.batchSize; ++i)
            seqs.push_back(sample(sampler, text, &LanguageText::trainIds, rng));
        auto batch = makeMlmBatch(seqs, masking, rng);
        at::Tensor ids = batch.ids, mask = batch.mask, labels = batch.labels;
        if (parallel) {  // this rank's rows of the whole batch
            const auto share = ids.size(0) / parallel->worldSize();
            const auto first = parallel->rank() * share;
            ids = ids.narrow(0, first, share);
            mask = mask.narrow(0, first, share);
            labels = labels.narrow(0, first, share);
        }
        labels = labels.to(device);
        auto hidden = net->forward(ids.to(device), mask.to(device));
        auto picked = labels.ne(-100);
        auto logits = net->mlmLogits(hidden.index({picked}));
        // Data-parallel: the rank's share of the whole batch's mean over masked tokens, times
        // the ranks (the loop averages).
        auto loss = parallel ? at::cross_entropy_loss(logits, labels.index({picked}), {},
                                                      at::Reduction::Sum) *
                                   double(parallel->worldSize()) /
                                   double(std::max<std::int64_t>(batch.maskedTokens, 1))
                             : at::cross_entropy_loss(logits, labels.index({picked}));
        return StepOutput{loss, {}, {}, double(batch.realTokens)};
    };
    hooks.load = [&](const std::string& path) {
        return model::loadCheckpoint(path, *net, optimizer.get(), {model_.preset, tok.hash()},
                                     true);
    };
    hooks.save = [&](std::int64_t step, const nlohmann::json& state) {
        model::CheckpointMeta meta{cfg, tokPath, tok.hash(), step, configHash_, state};
        return model::saveCheckpoint(env.checkpointDir, *net, optimizer.get(), meta);
    };
    TrainingLoop trainer(ctx, *optimizer, rng, loop, hooks);
    trainer.resume(env.checkpointDir, configHash_);
    net->train();
    const std::string final = trainer.run();
    if (!ctx.primary()) return {};  // a data-parallel worker: rank 0 evaluates and stores

    // Held-out MLM accuracy per language, with a fixed masking seed so runs compare.
    ctx.report(0.96, "held-out MLM accuracy");
    jobs::JobResult result;
    nlohmann::json accuracy = heldOutAccuracy(*net, text, masking, device, result);
    result.artifacts.push_back({"checkpoint", final});
    result.artifacts.push_back({"tokenizer", tokPath});
    result.corpus = env.corpusRecord();
    result.summary = {{"checkpoint", final},
                      {"parameters", net->parameterCount()},
                      {"sampling", probabilities},
                      {"mlm_accuracy", accuracy},
                      {"device", device.is_cuda() ? "cuda" : "cpu"}};
    ctx.report(1.0, "pretrained " + model_.preset);
    return result;
}

}  // namespace clir::train
