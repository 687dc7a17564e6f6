// Experiment files: parsing and validation (see experiment_spec.h).
#include "core/config/experiment_spec.h"

#include <algorithm>
#include <map>

#include "core/data/corpus_settings.h"
#include "core/eval/evaluation_settings.h"
#include "core/retrieval/bm25_job.h"
#include "core/train/pretrain_settings.h"
#include "core/util/fs.h"
#include "core/util/sha256.h"

namespace clir::config {

namespace {

// The optional blocks each method reads; a block given to a method that does not read it is an
// error, and unused defaults are not stored with the run.
const std::map<std::string, std::vector<std::string>>& methodBlocks() {
    static const std::map<std::string, std::vector<std::string>> blocks = {
        {"corpus", {}},
        {"bm25", {"bm25", "translation", "evaluation"}},
        {"pretrain", {"model", "tokenizer", "pretrain"}}};
    return blocks;
}

const std::vector<std::string>& allBlocks() {
    static const std::vector<std::string> names = {"bm25", "translation", "evaluation",
                                                   "model", "tokenizer", "pretrain"};
    return names;
}

}  // namespace

const std::vector<std::string>& methodNames() {
    // Grows with each job kind; jobs/job_factory.cpp maps each name to its job.
    static const std::vector<std::string> names = [] {
        std::vector<std::string> n;
        for (const auto& [name, _] : methodBlocks()) n.push_back(name);
        return n;
    }();
    return names;
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
         {"pretrain", train::pretrainSchema()}});
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
        data::CorpusSettings::fromJson(j.at("corpus"));  // cross-field checks
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
