// Pretraining settings and schemas (see pretrain_settings.h).
#include "core/train/pretrain_settings.h"

#include "core/data/corpus_settings.h"
#include "core/model/encoder_config.h"
#include "core/train/resource_profile.h"

namespace clir::train {

config::SchemaNode modelSchema() {
    using config::SchemaNode;
    return SchemaNode::object(
        "the encoder",
        {{"preset", SchemaNode::string("size preset", "xs", model::presetNames())},
         {"vocab_size", SchemaNode::integer("vocabulary; 0 keeps the preset's (xs 8000, s 16000, "
                                            "m 32000, l 64000, XLM-R 250002)",
                                            0, 0.0, 1000000.0)},
         {"device", SchemaNode::string("where to train: auto uses CUDA when LibTorch has it",
                                       "auto", {"auto", "cpu", "cuda"})},
         {"threads", SchemaNode::integer("CPU threads; 0 uses every core", 0, 0.0, 1024.0)}});
}

config::SchemaNode tokenizerSchema() {
    using config::SchemaNode;
    return SchemaNode::object(
        "the SentencePiece tokenizer",
        {{"model", SchemaNode::string("an existing .model to load instead of training one", "")},
         {"training_sentences",
          SchemaNode::integer("sentences sampled by the resource profile to train it", 200000,
                              100.0)}});
}

config::SchemaNode pretrainSchema() {
    using config::SchemaNode;
    nlohmann::json profile = nlohmann::json::object();
    for (const auto& [lang, size] : cc100Sizes()) profile[lang] = size;
    // The profile is an open object (language -> size); it is checked in fromJson.
    SchemaNode profileNode = SchemaNode::object(
        "pretraining text per language, GiB of CC-100 (Conneau et al. 2020, Table 6); 0 = unseen",
        {});
    profileNode.defaultValue = profile;
    profileNode.openKeys = true;
    return SchemaNode::object(
        "masked-language-model pretraining",
        {{"steps", SchemaNode::integer("optimizer steps", 2000, 1.0)},
         {"batch_size", SchemaNode::integer("sequences per step", 32, 1.0)},
         {"max_length",
          SchemaNode::integer("tokens per sequence incl. <s> and </s>", 128, 8.0, 512.0)},
         {"learning_rate", SchemaNode::number("peak AdamW learning rate", 5e-4, 0.0)},
         {"warmup_steps", SchemaNode::integer("linear warm-up steps, then linear decay", 200, 0.0)},
         {"weight_decay",
          SchemaNode::number("AdamW weight decay (not on biases and LayerNorm)", 0.01, 0.0)},
         {"clip_norm", SchemaNode::number("gradient norm clipping", 1.0, 0.0)},
         {"mask_probability",
          SchemaNode::number("share of tokens predicted (BERT: 0.15)", 0.15, 0.01, 0.9)},
         {"log_every", SchemaNode::integer("steps between metric points", 10, 1.0)},
         {"checkpoint_every", SchemaNode::integer("steps between checkpoints", 500, 1.0)},
         {"eval_sentences",
          SchemaNode::integer("held-out (dev) sentences per language for MLM accuracy", 300, 1.0)},
         {"sampling_exponent",
          SchemaNode::number("language sampling exponent (XLM-R: 0.3)", 0.3, 0.0, 1.0)},
         {"resource_profile", profileNode}});
}

ModelSettings ModelSettings::fromJson(const nlohmann::json& j) {
    return {j.at("preset"), j.at("vocab_size"), j.at("device"), j.at("threads")};
}

TokenizerSettings TokenizerSettings::fromJson(const nlohmann::json& j) {
    return {j.at("model"), j.at("training_sentences")};
}

PretrainSettings PretrainSettings::fromJson(const nlohmann::json& j) {
    PretrainSettings s;
    s.steps = j.at("steps");
    s.batchSize = j.at("batch_size");
    s.maxLength = j.at("max_length");
    s.learningRate = j.at("learning_rate");
    s.warmupSteps = j.at("warmup_steps");
    s.weightDecay = j.at("weight_decay");
    s.clipNorm = j.at("clip_norm");
    s.maskProbability = j.at("mask_probability");
    s.logEvery = j.at("log_every");
    s.checkpointEvery = j.at("checkpoint_every");
    s.evalSentences = j.at("eval_sentences");
    s.samplingExponent = j.at("sampling_exponent");
    const auto& langs = data::helpLanguages();
    for (const auto& [lang, size] : j.at("resource_profile").items()) {
        if (std::find(langs.begin(), langs.end(), lang) == langs.end())
            throw config::ConfigError("field 'pretrain.resource_profile." + lang +
                                      "': unknown language");
        if (!size.is_number() || size.get<double>() < 0)
            throw config::ConfigError("field 'pretrain.resource_profile." + lang +
                                      "': expected a size >= 0 (GiB), got " + size.dump());
        s.resourceProfile[lang] = size.get<double>();
    }
    return s;
}

}  // namespace clir::train
