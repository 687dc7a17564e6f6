// Retrieval method settings and schemas (see retrieval_settings.h).
#include "core/train/retrieval_settings.h"

#include <algorithm>

#include "core/data/corpus_settings.h"

namespace clir::train {

const config::Fields<InitSettings>& InitSettings::fields() {
    using S = InitSettings;
    static const auto f =
        config::Fields<S>("where the encoder starts")
            .text("from", &S::from,
                  "a finished run by name (its latest) or by id (#12): its best checkpoint; "
                  "teacher starts from a pretraining run",
                  "")
            .text("checkpoint", &S::checkpoint, "a checkpoint folder (instead of from)", "")
            .integer("from_run", &S::fromRun, "the run `from` resolved to (set when queued)", 0,
                     0.0);
    return f;
}

const config::Fields<RetrievalSettings>& RetrievalSettings::fields() {
    using S = RetrievalSettings;
    static const auto f =
        config::Fields<S>("how queries and pages are encoded and scored")
            .text("scoring", &S::scoring,
                  "dense: cosine of mean-pooled ColBERT vectors of a page's first passage; "
                  "maxsim: ColBERT late interaction (Khattab & Zaharia 2020) over the content "
                  "tokens of every passage of a page, query tokens weighted (term_weights)",
                  "dense", {"dense", "maxsim"})
            .text("term_weights", &S::termWeights,
                  "maxsim query-term weights: idf (each piece starts at its idf over the "
                  "corpus pages of every language, then learns with the lexical tables; a run "
                  "from a retrieval model keeps that model's) or uniform (every content token "
                  "the same, fixed)",
                  "idf", {"idf", "uniform"})
            .number("tf_weight", &S::tfWeight,
                    "maxsim: weight of the soft term frequency each query token adds, "
                    "log(1 + tf / (len / avglen)^tf_length_norm), tf the occurrences on the page "
                    "of tokens within cosine tf_threshold of it, len the page's content tokens "
                    "(BM25's saturation and length normalisation over MaxSim's matches: a page "
                    "that names a term once no longer ties with the page about it); 0: plain "
                    "MaxSim. Ranking only (dev and test): training losses stay MaxSim",
                    0.0, 0.0, 10.0)
            .number("tf_threshold", &S::tfThreshold,
                    "cosine at which a page token counts as an occurrence of a query token "
                    "(tf_weight)",
                    0.9, -1.0, 1.0)
            .number("tf_length_norm", &S::tfLengthNorm,
                    "length normalisation of the soft term frequency: 0 none, 1 tf divided by "
                    "len / avglen (tf_weight)",
                    0.75, 0.0, 1.0)
            .integer("query_max_length", &S::queryMaxLength, "query tokens incl. <s> and </s>", 32,
                     4.0, 512.0)
            .integer("document_max_length", &S::documentMaxLength,
                     "tokens per passage incl. <s> and </s>: training sees a page's first "
                     "passage, maxsim ranking all of them",
                     128, 4.0, 512.0)
            .integer("rerank_bm25", &S::rerankBm25,
                     "0: exact search over every page; k: re-rank BM25's top k", 0, 0.0, 100000.0)
            .integer("depth", &S::depth, "pages ranked per query", 1000, 1.0, 100000.0)
            .integer("encode_batch", &S::encodeBatch, "texts encoded at once", 64, 1.0, 4096.0)
            .text("fusion", &S::fusion,
                  "bm25: also evaluate per-query z-score fusion with BM25 (untranslated queries), "
                  "its weight chosen on the dev sample and stored with the run; results under "
                  "<set>+bm25",
                  "bm25", {"none", "bm25"});
    return f;
}

const config::Fields<TrainSettings>& TrainSettings::fields() {
    using S = TrainSettings;
    static const auto f =
        config::Fields<S>("the training loop")
            .integer("steps", &S::steps, "optimizer steps", 1000, 1.0)
            .integer("batch_size", &S::batchSize, "query-page pairs per step (hybrid paper: 100)",
                     100, 2.0, 4096.0)
            .number("learning_rate", &S::learningRate,
                    "peak AdamW learning rate (hybrid paper: 3e-5)", 3e-5, 0.0, 1.0)
            .number("weight_decay", &S::weightDecay, "AdamW weight decay (hybrid paper: 0.01)",
                    0.01, 0.0)
            .number("sparse_learning_rate", &S::sparseLearningRate,
                    "peak rate of the lexical tables (piece embeddings, character n-grams, "
                    "query-term weights), which are not decayed and update only the rows a batch "
                    "touched (lazy Adam); 0 trains them densely with the layers",
                    0.0, 0.0, 10.0)
            .integer("warmup_steps", &S::warmupSteps, "linear warm-up, then linear decay", 100, 0.0)
            .number("clip_norm", &S::clipNorm,
                    "gradient L2 norm clipping over all trained parameters; 0: none", 1.0, 0.0)
            .number("temperature", &S::temperature,
                    "InfoNCE temperature tau (scores are cosines / tau)", 0.05, 0.0, 10.0, true)
            .integer("hard_negatives", &S::hardNegatives,
                     "BM25 hard negatives per query, drawn from the top 20 training pages", 1, 0.0,
                     1.0)
            .text("passage", &S::passage,
                  "which passage of a page a batch shows (maxsim): first, or best (the one "
                  "sharing the most pieces with the query, as whole-page ranking matches it; "
                  "for hard negatives the hardest)",
                  "first", {"first", "best"})
            .number("alpha", &S::alpha, "hybrid: probability of a monolingual batch", 0.5, 0.0, 1.0)
            .number("ot_weight", &S::otWeight, "weight of the OT loss", 1.0, 0.0)
            .number("contrastive_weight", &S::contrastiveWeight,
                    "optical+hybrid: weight lambda of the hybrid InfoNCE", 1.0, 0.0)
            .integer("contrastive_batch", &S::contrastiveBatch,
                     "optical+hybrid: query-page pairs of the hybrid InfoNCE batch at each step "
                     "(0: batch_size, which then also counts the bitext pairs)",
                     0, 0.0, 4096.0)
            .integer("log_every", &S::logEvery, "steps between metric points", 10, 1.0)
            .integer("eval_every", &S::evalEvery,
                     "steps between dev evaluations (and best-checkpoint choices); the last step "
                     "is always evaluated",
                     100, 1.0)
            .integer("dev_queries", &S::devQueries,
                     "dev entry queries per language for the dev evaluation, a seeded sample over "
                     "all dev pages",
                     200, 1.0)
            .texts("languages", &S::languages,
                   "languages X trained on (query side); empty: every corpus language but English",
                   {}, {}, true, "a language of corpus.languages");
    return f;
}

const config::Fields<OtSettings>& OtSettings::fields() {
    using S = OtSettings;
    static const auto f =
        config::Fields<S>("OPTICAL's optimal transport (Huang et al. 2023)")
            .number("epsilon", &S::epsilon, "entropic regularisation epsilon", 0.05, 0.0,
                    std::nullopt, true)
            .integer("max_iterations", &S::maxIterations, "Sinkhorn iteration cap", 100, 1.0,
                     100000.0)
            .number("tolerance", &S::tolerance, "column-marginal L2 error that counts as converged",
                    1e-6, 0.0, std::nullopt, true)
            .integer("check_every", &S::checkEvery, "iterations between convergence checks", 10,
                     1.0)
            .boolean("differentiate", &S::differentiate,
                     "gradients through the unrolled iterations instead of the detached plan",
                     false)
            .text("student_side", &S::studentSide,
                  "which side the student encodes: query (X queries to English pages) or "
                  "document (English queries to X pages)",
                  "query", {"query", "document"})
            .integer("max_length", &S::maxLength,
                     "English bitext tokens incl. <s> and </s> (the X side: other_max_length)", 48,
                     4.0, 512.0)
            .integer("other_max_length", &S::otherMaxLength,
                     "X-side bitext tokens incl. <s> and </s>; 0: sized for the script, "
                     "max_length times the language's pieces per English piece on its training "
                     "bitext (Khmer and Tibetan need more)",
                     0, 0.0, 512.0)
            .number("epochs", &S::epochs,
                    "passes over the X languages' training bitext, languages drawn in proportion "
                    "to their pairs; sets the steps (epochs x pairs / train.batch_size). 0: "
                    "train.steps decides and languages are drawn uniformly",
                    0.0, 0.0, 100.0)
            .integer("alignment_pairs", &S::alignmentPairs,
                     "dev bitext pairs whose plans are saved for the inspector", 4, 0.0, 100.0)
            .integer("align_every", &S::alignEvery,
                     "steps between saved plans; 0: at the start and end only", 0, 0.0)
            .text("train", &S::train,
                  "what the student updates: lexical (piece embeddings, character n-grams, term "
                  "weights; layers, norms, positions and head stay the teacher's) or all",
                  "lexical", {"lexical", "all"})
            .number("anchor_weight", &S::anchorWeight,
                    "weight of the English anchor: the English side also goes through the "
                    "student, which pays 1 - cos to the teacher per token, so pieces X text "
                    "shares with English (names, functions, code) keep the teacher's vectors "
                    "(Reimers and Gurevych 2020); 0: off",
                    0.0, 0.0)
            .text("term_weights", &S::termWeights,
                  "the student's query-term weights for X pieces: kept (the starting model's) or "
                  "transported (before each dev evaluation, each X piece seen in the bitext gets "
                  "the plan-weighted mean of the teacher's weights of the English tokens it was "
                  "shipped to, averaged over the training steps so far)",
                  "kept", {"kept", "transported"});
    return f;
}

}  // namespace clir::train
