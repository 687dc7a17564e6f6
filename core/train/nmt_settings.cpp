// NMT settings and schema (see nmt_settings.h).
#include "core/train/nmt_settings.h"

#include "core/data/corpus_settings.h"

namespace clir::train {

config::SchemaNode nmtSchema() {
    using config::SchemaNode;
    SchemaNode langs = SchemaNode::array(
        "source languages X (into English); empty: every corpus language but English",
        SchemaNode::string("a language", nullptr, data::helpLanguages()), nlohmann::json::array());
    langs.uniqueItems = true;
    return SchemaNode::object(
        "the neural MT baseline: one multilingual X -> English transformer, a source-language "
        "tag before each source",
        {{"languages", langs},
         {"layers",
          SchemaNode::integer("encoder layers (and as many decoder layers)", 2, 1.0, 24.0)},
         {"hidden", SchemaNode::integer("model width", 128, 8.0, 4096.0)},
         {"heads", SchemaNode::integer("attention heads (divide hidden)", 4, 1.0, 64.0)},
         {"ffn", SchemaNode::integer("feed-forward width", 512, 8.0, 16384.0)},
         {"dropout", SchemaNode::number("dropout", 0.1, 0.0, 0.9)},
         {"vocab_size",
          SchemaNode::integer("shared SentencePiece vocabulary", 8000, 300.0, 64000.0)},
         {"tokenizer_sentences",
          SchemaNode::integer("train-split bitext sentences (both sides) the tokenizer learns from",
                              60000, 100.0)},
         {"label_smoothing", SchemaNode::number("label smoothing", 0.1, 0.0, 0.9)},
         {"steps", SchemaNode::integer("optimizer steps", 3000, 0.0)},
         {"batch_size", SchemaNode::integer("sentence pairs per step", 64, 1.0, 4096.0)},
         {"learning_rate", SchemaNode::number("peak AdamW learning rate", 1e-3, 0.0, 1.0)},
         {"warmup_steps", SchemaNode::integer("linear warm-up, then linear decay", 300, 0.0)},
         {"clip_norm", SchemaNode::number("gradient norm clipping", 1.0, 0.0)},
         {"max_length",
          SchemaNode::integer("tokens per side incl. <s> and </s>; longer sources are cut in "
                              "training, refused by `clirlab translate`",
                              64, 8.0, 512.0)},
         {"log_every", SchemaNode::integer("steps between metric points", 10, 1.0)},
         {"checkpoint_every", SchemaNode::integer("steps between checkpoints", 500, 1.0)},
         {"dev_sentences",
          SchemaNode::integer("dev bitext sentences per language for chrF and BLEU", 300, 1.0)},
         {"beam_size", SchemaNode::integer("beam width; 1 decodes greedily", 4, 1.0, 64.0)},
         {"length_penalty",
          SchemaNode::number("GNMT length penalty alpha (score / ((5 + length) / 6)^alpha)", 0.6,
                             0.0, 5.0)},
         {"model_from",
          SchemaNode::string("a finished nmt run (name or #id) whose model to reuse: no training",
                             "")},
         {"model_checkpoint", SchemaNode::string("set from model_from when queued", "")},
         {"model_from_run", SchemaNode::integer("the run model_from resolved to", 0, 0.0)},
         {"retriever",
          SchemaNode::string("retrieval over the translations: bm25, or teacher (init.from names "
                             "the teacher run)",
                             "bm25", {"bm25", "teacher"})},
         {"compare_apertium",
          SchemaNode::boolean("also score Apertium (eu, es) on the same dev sentences", true)}});
}

NmtSettings NmtSettings::fromJson(const nlohmann::json& j) {
    NmtSettings s;
    s.languages = j.at("languages").get<std::vector<std::string>>();
    s.layers = j.at("layers");
    s.hidden = j.at("hidden");
    s.heads = j.at("heads");
    s.ffn = j.at("ffn");
    s.dropout = j.at("dropout");
    s.vocabSize = j.at("vocab_size");
    s.tokenizerSentences = j.at("tokenizer_sentences");
    s.labelSmoothing = j.at("label_smoothing");
    s.steps = j.at("steps");
    s.batchSize = j.at("batch_size");
    s.learningRate = j.at("learning_rate");
    s.warmupSteps = j.at("warmup_steps");
    s.clipNorm = j.at("clip_norm");
    s.maxLength = j.at("max_length");
    s.logEvery = j.at("log_every");
    s.checkpointEvery = j.at("checkpoint_every");
    s.devSentences = j.at("dev_sentences");
    s.beamSize = j.at("beam_size");
    s.lengthPenalty = j.at("length_penalty");
    s.modelFrom = j.at("model_from");
    s.modelCheckpoint = j.at("model_checkpoint");
    s.modelFromRun = j.at("model_from_run");
    s.retriever = j.at("retriever");
    s.compareApertium = j.at("compare_apertium");
    if (s.hidden % s.heads != 0)
        throw config::ConfigError("field 'nmt.heads': " + std::to_string(s.heads) +
                                  " does not divide nmt.hidden " + std::to_string(s.hidden));
    return s;
}

}  // namespace clir::train
