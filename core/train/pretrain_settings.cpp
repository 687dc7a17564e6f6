// Pretraining settings and schemas (see pretrain_settings.h).
#include "core/train/pretrain_settings.h"

#include <algorithm>

#include "core/data/corpus_settings.h"
#include "core/model/encoder_config.h"
#include "core/train/resource_profile.h"

namespace clir::train {

const config::Fields<ModelSettings>& ModelSettings::fields() {
    using S = ModelSettings;
    static const auto f =
        config::Fields<S>("the encoder")
            .text("preset", &S::preset, "size preset", "xs", model::presetNames())
            .integer("vocab_size", &S::vocabSize,
                     "vocabulary; 0 keeps the preset's (xs 8000, s 16000, m 32000, l 64000, "
                     "XLM-R 250002)",
                     0, 0.0, 1000000.0)
            .text("device", &S::device,
                  "where to train: auto uses CUDA when LibTorch has it; cuda without a usable "
                  "device is an error",
                  "auto", {"auto", "cpu", "cuda"})
            .integer("threads", &S::threads, "CPU threads; 0 uses every core", 0, 0.0, 1024.0)
            .text("norm", &S::norm,
                  "layer normalisation: post (XLM-R) or pre (lexical encoders: gated residual "
                  "branches that start closed); empty keeps the preset's",
                  "", {"", "post", "pre"})
            .integer("char_ngrams", &S::charNgrams,
                     "hashed character 3-5-gram buckets added to each piece's embedding; 0 none, "
                     "-1 keeps the preset's (lexical presets 262144)",
                     -1, -1.0, 16777216.0)
            .number("dropout", &S::dropout,
                    "dropout of the encoder while it trains; -1 keeps the encoder's (its "
                    "checkpoint's, or 0.1 for a new one); 0 makes a run repeatable on other "
                    "hardware and across data-parallel shares (scripts/gpu-compare)",
                    -1.0, -1.0, 0.9);
    return f;
}

const config::Fields<TokenizerSettings>& TokenizerSettings::fields() {
    using S = TokenizerSettings;
    static const auto f =
        config::Fields<S>("the SentencePiece tokenizer")
            .text("model", &S::model, "an existing .model to load instead of training one", "")
            .integer("training_sentences", &S::trainingSentences,
                     "sentences sampled by the resource profile to train it", 200000, 100.0)
            .boolean("case_fold", &S::caseFold,
                     "lower-case text before splitting (SentencePiece nmt_nfkc_cf): a word is the "
                     "same pieces in any case",
                     true)
            .number("min_language_share", &S::minLanguageShare,
                    "least share of the training sentences for every corpus language, even one "
                    "with pretraining weight 0 (dz), so its script gets pieces, not bytes",
                    0.05, 0.0, 1.0);
    return f;
}

namespace {

void readProfile(PretrainSettings& s, const nlohmann::json& j) {
    for (const auto& [lang, size] : j.items()) {
        if (!data::isLanguageTag(lang))
            throw config::ConfigError("field 'pretrain.resource_profile." + lang +
                                      "': not a language tag (like om, pt-BR or zh-CN)");
        if (!size.is_number() || size.get<double>() < 0)
            throw config::ConfigError("field 'pretrain.resource_profile." + lang +
                                      "': expected a size >= 0 (GiB), got " + size.dump());
        s.resourceProfile[lang] = size.get<double>();
    }
}

}  // namespace

const config::Fields<PretrainSettings>& PretrainSettings::fields() {
    using S = PretrainSettings;
    using config::SchemaNode;
    static const auto f = [] {
        nlohmann::json profile = nlohmann::json::object();
        for (const auto& [lang, size] : cc100Sizes()) profile[lang] = size;
        // The profile is an open object (language -> size), checked by readProfile.
        SchemaNode profileNode = SchemaNode::object(
            "pretraining text per language, GiB of CC-100 (Conneau et al. 2020, Table 6); 0 = "
            "unseen",
            {});
        profileNode.defaultValue = profile;
        profileNode.openKeys = true;
        return config::Fields<S>("masked-language-model pretraining")
            .integer("steps", &S::steps, "optimizer steps", 2000, 1.0)
            .integer("batch_size", &S::batchSize, "sequences per step", 32, 1.0)
            .integer("max_length", &S::maxLength, "tokens per sequence incl. <s> and </s>", 128,
                     8.0, 512.0)
            .number("learning_rate", &S::learningRate, "peak AdamW learning rate", 5e-4, 0.0)
            .integer("warmup_steps", &S::warmupSteps, "linear warm-up steps, then linear decay",
                     200, 0.0)
            .number("weight_decay", &S::weightDecay,
                    "AdamW weight decay (not on biases and LayerNorm)", 0.01, 0.0)
            .number("adam_beta2", &S::adamBeta2, "AdamW beta2 (RoBERTa: 0.98)", 0.98, 0.0, 1.0)
            .number("adam_epsilon", &S::adamEpsilon, "AdamW epsilon (RoBERTa: 1e-6)", 1e-6, 0.0,
                    1.0, true)
            .number("clip_norm", &S::clipNorm,
                    "gradient L2 norm clipping over all parameters; 0: none", 1.0, 0.0)
            .number("mask_probability", &S::maskProbability,
                    "share of tokens predicted (BERT: 0.15)", 0.15, 0.01, 0.9)
            .integer("log_every", &S::logEvery, "steps between metric points", 10, 1.0)
            .integer("checkpoint_every", &S::checkpointEvery, "steps between checkpoints", 500, 1.0)
            .integer("eval_sentences", &S::evalSentences,
                     "held-out (dev) sentences per language for MLM accuracy", 300, 1.0)
            .number("sampling_exponent", &S::samplingExponent,
                    "language sampling exponent (XLM-R: 0.3)", 0.3, 0.0, 1.0)
            .custom("resource_profile", profileNode, readProfile);
    }();
    return f;
}

}  // namespace clir::train
