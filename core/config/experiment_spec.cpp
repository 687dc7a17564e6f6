// Experiment files: parsing and validation (see experiment_spec.h).
#include "core/config/experiment_spec.h"

#include <algorithm>
#include <map>

#include "core/data/corpus_settings.h"
#include "core/eval/evaluation_settings.h"
#include "core/retrieval/bm25_job.h"
#include "core/train/pretrain_settings.h"
#include "core/train/nmt_settings.h"
#include "core/train/retrieval_settings.h"
#include "core/util/fs.h"
#include "core/util/sha256.h"

namespace clir::config {

namespace {

// The optional blocks each method reads; a block given to a method that does not read it is an
// error, and unused defaults are not stored with the run.
const std::map<std::string, std::vector<std::string>>& methodBlocks() {
    static const std::map<std::string, std::vector<std::string>> blocks = [] {
        std::map<std::string, std::vector<std::string>> b = {
            {"corpus", {}},
            {"bm25", {"bm25", "translation", "evaluation"}},
            {"pretrain", {"model", "tokenizer", "pretrain"}},
            {"suite", {"suite"}},
            {"nmt", {"nmt", "bm25", "evaluation", "model", "init", "retrieval"}}};
        for (const auto& m : train::retrievalMethods()) b[m] = train::retrievalMethodBlocks(m);
        return b;
    }();
    return blocks;
}

const std::vector<std::string>& allBlocks() {
    static const std::vector<std::string> names = {
        "bm25", "translation", "evaluation", "model", "tokenizer", "pretrain",
        "init", "retrieval",   "train",      "ot",    "suite",     "nmt"};
    return names;
}

}  // namespace

SchemaNode suiteSchema() {
    SchemaNode files = SchemaNode::array(
        "experiment files run in order (paths relative to the suite file); a finished run with "
        "the same name and configuration is reused",
        SchemaNode::string("an experiment file"), nlohmann::json::array());
    SchemaNode baselines =
        SchemaNode::array("run names the significance markers compare against",
                          SchemaNode::string("a run name"), nlohmann::json::array());
    SchemaNode sets = SchemaNode::array(
        "query sets the tables show",
        SchemaNode::string("a query set", nullptr, {"entries", "headings"}), {"entries"});
    return SchemaNode::object(
        "several experiments run as one command, then compared",
        {{"experiments", files},
         {"baselines", baselines},
         {"measure", SchemaNode::string("measure of the comparison table", "map",
                                        {"map", "ndcg_cut_10", "recip_rank", "P_10", "recall_100",
                                         "recall_1000"})},
         {"query_sets", sets}});
}

const std::vector<std::string>& methodNames() {
    // Grows with each job kind; jobs/job_factory.cpp maps each name to its job.
    static const std::vector<std::string> names = [] {
        std::vector<std::string> n;
        for (const auto& [name, _] : methodBlocks()) n.push_back(name);
        return n;
    }();
    return names;
}

const std::vector<std::string>& methodBlockNames(const std::string& method) {
    return methodBlocks().at(method);
}

SchemaNode experimentSchema() {
    SchemaNode tags = SchemaNode::array("labels shown in the run browser",
                                        SchemaNode::string("a tag"), nlohmann::json::array());
    tags.uniqueItems = true;
    return SchemaNode::object(
        "an experiment",
        {{"name", SchemaNode::string("run name shown in the browser").require()},
         {"method", SchemaNode::string("what the run does", nullptr, methodNames()).require()},
         {"description", SchemaNode::string("free text", "")},
         {"seed", SchemaNode::integer("seed of every random choice in the run", 13, 0.0)},
         {"tags", tags},
         {"corpus", data::corpusSchema()},
         {"bm25", retrieval::bm25Schema()},
         {"translation", retrieval::translationSchema()},
         {"evaluation", eval::evaluationSchema()},
         {"model", train::modelSchema()},
         {"tokenizer", train::tokenizerSchema()},
         {"pretrain", train::pretrainSchema()},
         {"init", train::initSchema()},
         {"retrieval", train::retrievalSchema()},
         {"train", train::trainSchema()},
         {"ot", train::otSchema()},
         {"suite", suiteSchema()},
         {"nmt", train::nmtSchema()}});
}

ExperimentSpec parseExperiment(const std::string& text, const std::string& source) {
    ExperimentSpec spec;
    spec.source = source;
    try {
        nlohmann::json j = parseJson(text, source);
        const nlohmann::json given = j;
        validate(j, experimentSchema());
        const auto& used = methodBlocks().at(j.at("method").get<std::string>());
        for (const auto& block : allBlocks()) {
            if (std::find(used.begin(), used.end(), block) != used.end()) continue;
            if (given.contains(block))
                throw ConfigError("field '" + block + "': not read by method '" +
                                  j.at("method").get<std::string>() + "'");
            j.erase(block);
        }
        auto corpus = data::CorpusSettings::fromJson(j.at("corpus"));  // cross-field checks
        const std::string method = j.at("method").get<std::string>();
        if (method == "suite" && j.at("suite").at("experiments").empty())
            throw ConfigError("field 'suite.experiments': name at least one experiment file");
        if (method == "nmt") {
            const auto& n = j.at("nmt");
            const auto& init = j.at("init");
            if (n.at("retriever") == "teacher" && init.at("from").get<std::string>().empty() &&
                init.at("checkpoint").get<std::string>().empty())
                throw ConfigError(
                    "field 'init.from': nmt.retriever 'teacher' needs the teacher run's name");
            train::NmtSettings::fromJson(n);
            for (const auto& l : n.at("languages"))
                if (std::find(corpus.languages.begin(), corpus.languages.end(), l) ==
                    corpus.languages.end())
                    throw ConfigError("field 'nmt.languages': " + l.dump() +
                                      " is not one of corpus.languages");
        }
        if (train::isRetrievalMethod(method)) {
            const auto& init = j.at("init");
            if (init.at("from").get<std::string>().empty() &&
                init.at("checkpoint").get<std::string>().empty())
                throw ConfigError("field 'init.from': method '" + method +
                                  "' starts from a trained encoder: name its run (" +
                                  (method == "teacher" ? "a pretrain run" : "a teacher run") +
                                  ") or give init.checkpoint");
            if (j.contains("train"))
                for (const auto& l : j.at("train").at("languages")) {
                    const auto& langs = corpus.languages;
                    if (std::find(langs.begin(), langs.end(), l) == langs.end())
                        throw ConfigError("field 'train.languages': " + l.dump() +
                                          " is not one of corpus.languages");
                }
        }
        spec.name = j.at("name").get<std::string>();
        if (spec.name.empty()) throw ConfigError("field 'name': must not be empty");
        spec.method = j.at("method").get<std::string>();
        spec.description = j.at("description").get<std::string>();
        spec.seed = j.at("seed").get<std::int64_t>();
        spec.tags = j.at("tags").get<std::vector<std::string>>();
        spec.config = j;
        spec.configHash = Sha256::hex(j.dump());
    } catch (const ConfigError& e) {
        std::string msg = e.what();
        if (msg.rfind(source + ":", 0) == 0) throw;
        throw ConfigError(source + ": " + msg);
    }
    return spec;
}

ExperimentSpec loadExperiment(const std::string& path) {
    std::string content;
    try {
        content = fs::readFile(path);
    } catch (const std::exception& e) {
        throw ConfigError(e.what());
    }
    return parseExperiment(content, path);
}

}  // namespace clir::config
