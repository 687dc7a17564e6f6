// NMT settings (see nmt_settings.h).
#include "core/train/nmt_settings.h"

#include "core/data/corpus_settings.h"

namespace clir::train {

namespace {

// An integer field with no default: absent from a configuration that does not give it.
config::SchemaNode optionalInteger(std::string doc, double minimum) {
    auto n = config::SchemaNode::integer(std::move(doc), 0, minimum);
    n.defaultValue = nullptr;
    return n;
}

}  // namespace

const config::Fields<NmtSettings>& NmtSettings::fields() {
    using S = NmtSettings;
    static const auto f =
        config::Fields<S>(
            "the neural MT baseline: one multilingual X -> English transformer, a "
            "source-language tag before each source")
            .texts("languages", &S::languages,
                   "source languages X (into English); empty: every corpus language but English",
                   {}, {}, true, "a language of corpus.languages")
            .integer("layers", &S::layers, "encoder layers (and as many decoder layers)", 2, 1.0,
                     24.0)
            .integer("hidden", &S::hidden, "model width", 128, 8.0, 4096.0)
            .integer("heads", &S::heads, "attention heads (divide hidden)", 4, 1.0, 64.0)
            .integer("ffn", &S::ffn, "feed-forward width", 512, 8.0, 16384.0)
            .number("dropout", &S::dropout, "dropout", 0.1, 0.0, 0.9)
            .integer("vocab_size", &S::vocabSize, "shared SentencePiece vocabulary", 8000, 300.0,
                     64000.0)
            .integer("tokenizer_sentences", &S::tokenizerSentences,
                     "train-split bitext sentences (both sides) the tokenizer learns from", 60000,
                     100.0)
            .number("label_smoothing", &S::labelSmoothing, "label smoothing", 0.1, 0.0, 0.9)
            .integer("steps", &S::steps, "optimizer steps", 3000, 0.0)
            .integer("batch_size", &S::batchSize, "sentence pairs per step", 64, 1.0, 4096.0)
            .number("learning_rate", &S::learningRate, "peak AdamW learning rate", 1e-3, 0.0, 1.0)
            .number("weight_decay", &S::weightDecay,
                    "AdamW weight decay, on every parameter (Vaswani et al. use none; 1e-4 here)",
                    1e-4, 0.0)
            .number("adam_beta2", &S::adamBeta2, "AdamW beta2 (Vaswani et al. 2017: 0.98)", 0.98,
                    0.0, 1.0)
            .number("adam_epsilon", &S::adamEpsilon, "AdamW epsilon (Vaswani et al. 2017: 1e-9)",
                    1e-9, 0.0, 1.0, true)
            .integer("warmup_steps", &S::warmupSteps, "linear warm-up, then linear decay", 300, 0.0)
            .number("clip_norm", &S::clipNorm,
                    "gradient L2 norm clipping over all parameters; 0: none", 1.0, 0.0)
            .integer("max_length", &S::maxLength,
                     "tokens per side incl. <s> and </s>; longer sources are cut in training, "
                     "refused by `clirlab translate`",
                     64, 8.0, 512.0)
            .integer("log_every", &S::logEvery, "steps between metric points", 10, 1.0)
            .integer("checkpoint_every", &S::checkpointEvery, "steps between checkpoints", 500, 1.0)
            .integer("dev_sentences", &S::devSentences,
                     "dev bitext sentences per language for chrF and BLEU", 300, 1.0)
            .integer("beam_size", &S::beamSize, "beam width; 1 decodes greedily", 4, 1.0, 64.0)
            .number("length_penalty", &S::lengthPenalty,
                    "GNMT length penalty alpha (score / ((5 + length) / 6)^alpha)", 0.6, 0.0, 5.0)
            .text("model_from", &S::modelFrom,
                  "a finished nmt run (name or #id) whose model to reuse: no training", "")
            .text("model_checkpoint", &S::modelCheckpoint, "set from model_from when queued", "")
            .integer("model_from_run", &S::modelFromRun, "the run model_from resolved to", 0, 0.0)
            .text("retriever", &S::retriever,
                  "retrieval over the translations: bm25, or teacher (init.from names the "
                  "teacher run)",
                  "bm25", {"bm25", "teacher"})
            .boolean("compare_apertium", &S::compareApertium,
                     "also score Apertium (eu, es) on the same dev sentences", true)
            .custom("eval_every",
                    optionalInteger("steps between dev chrF checks (greedy decoding of "
                                    "eval_sentences dev pairs per language, mean over languages, "
                                    "the curve stored as dev_chrf); the best checkpoint by it is "
                                    "the model; absent or 0: none, the last checkpoint is",
                                    0.0),
                    [](S& s, const nlohmann::json& j) { s.evalEvery = j.get<std::int64_t>(); })
            .custom("patience",
                    optionalInteger("with eval_every: stop after this many dev chrF checks "
                                    "without a new best; absent or 0: train every step",
                                    0.0),
                    [](S& s, const nlohmann::json& j) { s.patience = j.get<std::int64_t>(); })
            .custom("eval_sentences",
                    optionalInteger("with eval_every: dev pairs per language of each check "
                                    "(absent: 100)",
                                    1.0),
                    [](S& s, const nlohmann::json& j) { s.evalSentences = j.get<std::int64_t>(); });
    return f;
}

NmtSettings NmtSettings::fromJson(const nlohmann::json& j) {
    NmtSettings s = fields().read(j);
    if (s.hidden % s.heads != 0)
        throw config::ConfigError("field 'nmt.heads': " + std::to_string(s.heads) +
                                  " does not divide nmt.hidden " + std::to_string(s.hidden));
    return s;
}

}  // namespace clir::train
