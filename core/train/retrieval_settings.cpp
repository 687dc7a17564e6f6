// Retrieval method settings and schemas (see retrieval_settings.h).
#include "core/train/retrieval_settings.h"

#include <algorithm>

#include "core/data/corpus_settings.h"

namespace clir::train {

const std::vector<std::string>& retrievalMethods() {
    static const std::vector<std::string> names = {"teacher", "zero-shot", "fine-tune",
                                                   "hybrid",  "optical",   "optical+hybrid"};
    return names;
}

bool isRetrievalMethod(const std::string& method) {
    const auto& m = retrievalMethods();
    return std::find(m.begin(), m.end(), method) != m.end();
}

std::vector<std::string> retrievalMethodBlocks(const std::string& method) {
    std::vector<std::string> blocks = {"model", "init", "retrieval", "evaluation"};
    if (method != "zero-shot") blocks.push_back("train");
    if (method == "optical" || method == "optical+hybrid") blocks.push_back("ot");
    return blocks;
}

config::SchemaNode initSchema() {
    using config::SchemaNode;
    return SchemaNode::object(
        "where the encoder starts",
        {{"from", SchemaNode::string("a finished run by name (its latest) or by id (#12): its best "
                                     "checkpoint; teacher starts from a pretraining run",
                                     "")},
         {"checkpoint", SchemaNode::string("a checkpoint folder (instead of from)", "")},
         {"from_run",
          SchemaNode::integer("the run `from` resolved to (set when queued)", 0, 0.0)}});
}

config::SchemaNode retrievalSchema() {
    using config::SchemaNode;
    return SchemaNode::object(
        "how queries and pages are encoded and scored",
        {{"scoring",
          SchemaNode::string("dense: cosine of mean-pooled ColBERT vectors; maxsim: ColBERT "
                             "late interaction (Khattab & Zaharia 2020)",
                             "dense", {"dense", "maxsim"})},
         {"query_max_length",
          SchemaNode::integer("query tokens incl. <s> and </s>", 32, 4.0, 512.0)},
         {"document_max_length",
          SchemaNode::integer("page tokens (title and text) incl. <s> and </s>", 128, 4.0, 512.0)},
         {"rerank_bm25",
          SchemaNode::integer("0: exact search over every page; k: re-rank BM25's top k", 0, 0.0,
                              100000.0)},
         {"depth", SchemaNode::integer("pages ranked per query", 1000, 1.0, 100000.0)},
         {"encode_batch", SchemaNode::integer("texts encoded at once", 64, 1.0, 4096.0)}});
}

config::SchemaNode trainSchema() {
    using config::SchemaNode;
    SchemaNode langs = SchemaNode::array(
        "languages X trained on (query side); empty: every corpus language but English",
        SchemaNode::string("a language", nullptr, data::helpLanguages()), nlohmann::json::array());
    langs.uniqueItems = true;
    SchemaNode temperature =
        SchemaNode::number("InfoNCE temperature tau (scores are cosines / tau)", 0.05, 0.0, 10.0);
    temperature.exclusiveMinimum = true;
    return SchemaNode::object(
        "the training loop",
        {{"steps", SchemaNode::integer("optimizer steps", 1000, 1.0)},
         {"batch_size",
          SchemaNode::integer("query-page pairs per step (hybrid paper: 100)", 100, 2.0, 4096.0)},
         {"learning_rate",
          SchemaNode::number("peak AdamW learning rate (hybrid paper: 3e-5)", 3e-5, 0.0, 1.0)},
         {"weight_decay", SchemaNode::number("AdamW weight decay (hybrid paper: 0.01)", 0.01, 0.0)},
         {"warmup_steps", SchemaNode::integer("linear warm-up, then linear decay", 100, 0.0)},
         {"clip_norm", SchemaNode::number("gradient norm clipping", 1.0, 0.0)},
         {"temperature", temperature},
         {"hard_negatives",
          SchemaNode::integer("BM25 hard negatives per query, drawn from the top 20", 1, 0.0, 1.0)},
         {"alpha", SchemaNode::number("hybrid: probability of a monolingual batch", 0.5, 0.0, 1.0)},
         {"ot_weight", SchemaNode::number("weight of the OT loss", 1.0, 0.0)},
         {"contrastive_weight",
          SchemaNode::number("optical+hybrid: weight lambda of the hybrid InfoNCE", 1.0, 0.0)},
         {"log_every", SchemaNode::integer("steps between metric points", 10, 1.0)},
         {"eval_every", SchemaNode::integer("steps between dev evaluations (and best-checkpoint "
                                            "choices); the last step is always evaluated",
                                            100, 1.0)},
         {"dev_queries",
          SchemaNode::integer("dev entry queries per language for the dev evaluation", 200, 1.0)},
         {"languages", langs}});
}

config::SchemaNode otSchema() {
    using config::SchemaNode;
    SchemaNode eps = SchemaNode::number("entropic regularisation epsilon", 0.05, 0.0);
    eps.exclusiveMinimum = true;
    SchemaNode tol =
        SchemaNode::number("column-marginal L2 error that counts as converged", 1e-6, 0.0);
    tol.exclusiveMinimum = true;
    return SchemaNode::object(
        "OPTICAL's optimal transport (Huang et al. 2023)",
        {{"epsilon", eps},
         {"max_iterations", SchemaNode::integer("Sinkhorn iteration cap", 100, 1.0, 100000.0)},
         {"tolerance", tol},
         {"check_every", SchemaNode::integer("iterations between convergence checks", 10, 1.0)},
         {"differentiate",
          SchemaNode::boolean("gradients through the unrolled iterations instead of the detached "
                              "plan",
                              false)},
         {"student_side",
          SchemaNode::string("which side the student encodes: query (X queries to English pages) "
                             "or document (English queries to X pages)",
                             "query", {"query", "document"})},
         {"max_length",
          SchemaNode::integer("bitext tokens per side incl. <s> and </s>", 48, 4.0, 512.0)},
         {"alignment_pairs",
          SchemaNode::integer("dev bitext pairs whose plans are saved for the inspector", 4, 0.0,
                              100.0)},
         {"align_every",
          SchemaNode::integer("steps between saved plans; 0: at the start and end only", 0, 0.0)}});
}

InitSettings InitSettings::fromJson(const nlohmann::json& j) {
    InitSettings s;
    s.from = j.at("from");
    s.checkpoint = j.at("checkpoint");
    s.fromRun = j.at("from_run");
    return s;
}

RetrievalSettings RetrievalSettings::fromJson(const nlohmann::json& j) {
    RetrievalSettings s;
    s.scoring = j.at("scoring");
    s.queryMaxLength = j.at("query_max_length");
    s.documentMaxLength = j.at("document_max_length");
    s.rerankBm25 = j.at("rerank_bm25");
    s.depth = j.at("depth");
    s.encodeBatch = j.at("encode_batch");
    return s;
}

TrainSettings TrainSettings::fromJson(const nlohmann::json& j) {
    TrainSettings s;
    s.steps = j.at("steps");
    s.batchSize = j.at("batch_size");
    s.learningRate = j.at("learning_rate");
    s.weightDecay = j.at("weight_decay");
    s.warmupSteps = j.at("warmup_steps");
    s.clipNorm = j.at("clip_norm");
    s.temperature = j.at("temperature");
    s.hardNegatives = j.at("hard_negatives");
    s.alpha = j.at("alpha");
    s.otWeight = j.at("ot_weight");
    s.contrastiveWeight = j.at("contrastive_weight");
    s.logEvery = j.at("log_every");
    s.evalEvery = j.at("eval_every");
    s.devQueries = j.at("dev_queries");
    s.languages = j.at("languages").get<std::vector<std::string>>();
    return s;
}

OtSettings OtSettings::fromJson(const nlohmann::json& j) {
    OtSettings s;
    s.epsilon = j.at("epsilon");
    s.maxIterations = j.at("max_iterations");
    s.tolerance = j.at("tolerance");
    s.checkEvery = j.at("check_every");
    s.differentiate = j.at("differentiate");
    s.studentSide = j.at("student_side");
    s.maxLength = j.at("max_length");
    s.alignmentPairs = j.at("alignment_pairs");
    s.alignEvery = j.at("align_every");
    return s;
}

}  // namespace clir::train
