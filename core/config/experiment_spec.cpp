// Experiment files: parsing and validation (see experiment_spec.h).
#include "core/config/experiment_spec.h"

#include "core/data/corpus_settings.h"
#include "core/util/fs.h"
#include "core/util/sha256.h"

namespace clir::config {

const std::vector<std::string>& methodNames() {
    // Grows with each job kind; jobs/job_factory.cpp maps each name to its job.
    static const std::vector<std::string> names = {"corpus"};
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
         {"corpus", data::corpusSchema()}});
}

ExperimentSpec parseExperiment(const std::string& text, const std::string& source) {
    ExperimentSpec spec;
    spec.source = source;
    try {
        nlohmann::json j = parseJson(text, source);
        validate(j, experimentSchema());
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
