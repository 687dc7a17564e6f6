// Experiment files: parsing and validation (see experiment.h).
#include "core/jobs/experiment.h"

#include <filesystem>
#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "core/data/corpus_settings.h"
#include "core/eval/measures.h"
#include "core/jobs/methods.h"
#include "core/eval/evaluation_settings.h"
#include "core/retrieval/bm25_job.h"
#include "core/train/pretrain_settings.h"
#include "core/train/nmt_settings.h"
#include "core/train/retrieval_settings.h"
#include "core/util/fs.h"
#include "core/util/sha256.h"
#include "core/util/text.h"

namespace clir::jobs {

using config::ConfigError;
using config::SchemaNode;

SchemaNode suiteSchema() {
    SchemaNode files = SchemaNode::array(
        "experiment files run in order (paths relative to the suite file); a finished run with "
        "the same name and configuration is reused",
        SchemaNode::string("an experiment file"), nlohmann::json::array());
    SchemaNode baselines =
        SchemaNode::array("run names the significance markers compare against",
                          SchemaNode::string("a run name"), nlohmann::json::array());
    SchemaNode sets = SchemaNode::array(
        "query sets the tables show (+bm25: the neural runs fused with BM25; @all: the "
        "multilingual pool, with the language bias)",
        SchemaNode::string("a query set", nullptr,
                           {"entries", "headings", "entries+bm25", "headings+bm25", "entries@all",
                            "headings@all"}),
        {"entries"});
    SchemaNode scaling = SchemaNode::array(
        "experiment names (an experiment's own name, before any sweep brackets) whose "
        "configurations make the report's scaling table and chart; empty: every configuration "
        "with an encoder preset (list the size ladders when the suite also sweeps other fields "
        "at one size)",
        SchemaNode::string("an experiment name"), nlohmann::json::array());
    return SchemaNode::object("several experiments run as one command, then compared",
                              {{"experiments", files},
                               {"baselines", baselines},
                               {"scaling", scaling},
                               {"measure", SchemaNode::string("measure of the comparison table",
                                                              "map", eval::reportedMeasures())},
                               {"query_sets", sets}});
}

SchemaNode blockSchema(const std::string& block) {
    static const std::map<std::string, SchemaNode (*)()> blocks = {
        {"bm25", retrieval::bm25Schema},
        {"translation", retrieval::translationSchema},
        {"evaluation", eval::evaluationSchema},
        {"model", train::modelSchema},
        {"tokenizer", train::tokenizerSchema},
        {"pretrain", train::pretrainSchema},
        {"init", train::initSchema},
        {"retrieval", train::retrievalSchema},
        {"train", train::trainSchema},
        {"ot", train::otSchema},
        {"suite", suiteSchema},
        {"nmt", train::nmtSchema}};
    auto it = blocks.find(block);
    if (it == blocks.end()) throw std::out_of_range("no experiment block '" + block + "'");
    return it->second();
}

namespace {

SchemaNode sweepSchema() {
    SchemaNode n = SchemaNode::object(
        "runs over lists of values: a field path (\"seed\", \"model.preset\", "
        "\"train.alpha\") to the values it takes; one run per combination. \"language\": "
        "one run per language L, trained on L (train.languages [L]) and evaluated on L and "
        "English (corpus.languages [en-US, L]); a group spans its languages and seeds. A list "
        "of objects under any other name sets several fields together, for example \"size\": "
        "[{\"label\": \"lex-s\", \"model.preset\": \"lex-s\", \"init.from\": \"t\"}]",
        {});
    n.openKeys = true;
    n.defaultValue = nullptr;  // absent unless given: a file without a sweep is unchanged
    return n;
}

// Fields a sweep may not vary: the identity of the runs and the sweep itself.
bool sweepable(const std::string& path) {
    for (const char* fixed : {"name", "method", "description", "tags", "group", "sweep", "suite"})
        if (path == fixed || path.rfind(std::string(fixed) + ".", 0) == 0) return false;
    return true;
}

std::string shown(const nlohmann::json& v) {
    return v.is_string() ? v.get<std::string>() : v.dump();
}

}  // namespace

SchemaNode experimentSchema() {
    SchemaNode tags = SchemaNode::array("labels shown in the run browser",
                                        SchemaNode::string("a tag"), nlohmann::json::array());
    tags.uniqueItems = true;
    std::vector<std::pair<std::string, SchemaNode>> props = {
        {"name", SchemaNode::string("run name shown in the browser").require()},
        {"method", SchemaNode::string("what the run does", nullptr, methodNames()).require()},
        {"description", SchemaNode::string("free text", "")},
        {"seed", SchemaNode::integer("seed of every random choice in the run", 13, 0.0)},
        {"tags", tags},
        {"group", SchemaNode::string("runs that are seeds of one configuration share a group (a "
                                     "sweep sets it; absent: the run's name)")},
        {"sweep", sweepSchema()},
        {"corpus", data::corpusSchema()}};
    for (const auto& block : allBlockNames()) props.emplace_back(block, blockSchema(block));
    return SchemaNode::object("an experiment", std::move(props));
}

std::string configHashOf(nlohmann::json config) {
    if (config.contains("model") && config["model"].is_object() &&
        config["model"].value("dropout", -1.0) == -1.0)
        config["model"].erase("dropout");
    // Soft term frequency off (its default): out of the hash, as before the setting existed.
    if (config.contains("retrieval") && config["retrieval"].is_object() &&
        config["retrieval"].value("tf_weight", 0.0) == 0.0)
        for (const char* key : {"tf_weight", "tf_threshold", "tf_length_norm"})
            config["retrieval"].erase(key);
    return Sha256::hex(config.dump());
}

ExperimentSpec parseExperiment(const std::string& text, const std::string& source) {
    ExperimentSpec spec;
    spec.source = source;
    try {
        nlohmann::json j = config::parseJson(text, source);
        const nlohmann::json given = j;
        config::validate(j, experimentSchema());
        const auto& used = methodInfo(j.at("method").get<std::string>()).blocks;
        for (const auto& block : allBlockNames()) {
            if (std::find(used.begin(), used.end(), block) != used.end()) continue;
            if (given.contains(block))
                throw ConfigError("field '" + block + "': not read by method '" +
                                  j.at("method").get<std::string>() + "'");
            j.erase(block);
        }
        auto corpus = data::CorpusSettings::fromJson(j.at("corpus"));  // cross-field checks
        const std::string method = j.at("method").get<std::string>();
        if (method == "corpus") {  // built from the pinned packages: help languages only
            const auto& help = data::helpLanguages();
            for (std::size_t i = 0; i < corpus.languages.size(); ++i)
                if (std::find(help.begin(), help.end(), corpus.languages[i]) == help.end())
                    throw ConfigError("field 'corpus.languages': '" + corpus.languages[i] +
                                      "' is not a LibreOffice help language (" +
                                      text::join(help, ", ") +
                                      "); bring other collections with clirlab data import");
        }
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
        if (j.contains("retrieval")) {
            const auto& r = j.at("retrieval");
            if (r.at("tf_weight").get<double>() > 0.0 && r.at("scoring") != "maxsim")
                throw ConfigError(
                    "field 'retrieval.tf_weight': soft term frequency counts MaxSim's matches; it "
                    "needs retrieval.scoring 'maxsim'");
        }
        if (isRetrievalMethod(method)) {
            const auto& init = j.at("init");
            if (init.at("from").get<std::string>().empty() &&
                init.at("checkpoint").get<std::string>().empty())
                throw ConfigError("field 'init.from': method '" + method +
                                  "' starts from a trained encoder: name its run (" +
                                  (methodInfo(method).retrieval.fromEncoder ? "a pretrain run"
                                                                            : "a teacher run") +
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
        if (j.contains("sweep"))
            throw ConfigError(
                "field 'sweep': a sweep stands for several runs; expand it first "
                "(clirlab run does)");
        spec.group = j.value("group", spec.name);
        if (spec.group.empty()) throw ConfigError("field 'group': must not be empty");
        spec.config = j;
        spec.configHash = configHashOf(j);
    } catch (const ConfigError& e) {
        std::string msg = e.what();
        if (msg.rfind(source + ":", 0) == 0) throw;
        throw ConfigError(source + ": " + msg);
    }
    return spec;
}

namespace {

std::string readExperimentFile(const std::string& path) {
    try {
        return fs::readFile(path);
    } catch (const std::exception& e) {
        throw ConfigError(e.what());
    }
}

}  // namespace

ExperimentSpec loadExperiment(const std::string& path) {
    return parseExperiment(readExperimentFile(path), path);
}

std::vector<ExperimentSpec> expandExperiment(const std::string& text, const std::string& source) {
    nlohmann::json j = config::parseJson(text, source);
    if (!j.is_object() || !j.contains("sweep")) return {parseExperiment(text, source)};
    auto fail = [&](const std::string& field, const std::string& why) {
        throw ConfigError(source + ": field '" + field + "': " + why);
    };
    const nlohmann::json sweep = j.at("sweep");
    if (!sweep.is_object() || sweep.empty())
        fail("sweep", "expected an object of field paths to lists of values, got " + sweep.dump());
    if (!j.contains("name") || !j.at("name").is_string())
        fail("name", "missing (required: run name shown in the browser)");
    std::vector<std::pair<std::string, nlohmann::json>> axes;
    std::size_t combinations = 1;
    for (auto it = sweep.begin(); it != sweep.end(); ++it) {
        const std::string path = it.key(), where = "sweep." + path;
        if (!it->is_array() || it->empty()) fail(where, "expected a non-empty list of values");
        // A list of objects is a named axis whose every value sets several fields together.
        const bool joint = it->front().is_object();
        for (const auto& v : *it) {
            if (v.is_object() != joint)
                fail(where, "expected all values objects (fields set together) or none");
            if (joint && v.empty()) fail(where, "an empty object sets nothing");
            if (joint && v.contains("label") && !v.at("label").is_string())
                fail(where + ".label", "expected a string naming the value");
            if (joint)
                for (auto f = v.begin(); f != v.end(); ++f)
                    if (f.key() != "label" &&
                        (!sweepable(f.key()) || f.key() == "language" || f.key() == "seed"))
                        fail(where + "." + f.key(), "'" + f.key() + "' cannot be swept here");
        }
        if (!joint && !sweepable(path)) fail(where, "'" + path + "' cannot be swept");
        std::set<std::string> seen;
        for (const auto& v : *it)
            if (!seen.insert(v.dump()).second) fail(where, "duplicate value " + v.dump());
        combinations *= it->size();
        if (combinations > 1000) fail("sweep", "more than 1000 combinations");
        axes.emplace_back(path, *it);
    }
    const std::string name = j.at("name").get<std::string>();
    j.erase("sweep");
    std::vector<ExperimentSpec> out;
    std::vector<std::size_t> at(axes.size(), 0);
    for (std::size_t n = 0; n < combinations; ++n) {
        nlohmann::json variant = j;
        std::string label, groupLabel;
        for (std::size_t a = 0; a < axes.size(); ++a) {
            const auto& [path, values] = axes[a];
            const auto& value = values[at[a]];
            if (path == "language") {  // one run per language: trained and evaluated on it
                if (!value.is_string() || value.get<std::string>().empty())
                    fail("sweep.language", "expected language codes, got " + value.dump());
                const std::string lang = value.get<std::string>();
                variant["train"]["languages"] = nlohmann::json::array({lang});
                variant["corpus"]["languages"] =
                    lang == data::pivotLanguage()
                        ? nlohmann::json::array({lang})
                        : nlohmann::json::array({data::pivotLanguage(), lang});
                label += (label.empty() ? "" : ",") + std::string("language=") + lang;
                continue;
            }
            auto set = [&](const std::string& fieldPath, const nlohmann::json& v,
                           const std::string& where) {
                nlohmann::json* field = &variant;
                for (const auto& part : text::split(fieldPath, '.')) {
                    if (field->is_null()) *field = nlohmann::json::object();  // a block not given
                    if (part.empty() || !field->is_object()) fail(where, "not a field path");
                    field = &(*field)[part];
                }
                *field = v;
            };
            std::string item;
            if (value.is_object()) {  // fields set together; named by "label", else a value
                for (auto f = value.begin(); f != value.end(); ++f)
                    if (f.key() != "label")
                        set(f.key(), f.value(), "sweep." + path + "." + f.key());
                item = path + "=" +
                       (value.contains("label") ? shown(value.at("label"))
                                                : shown(value.begin().value()));
            } else {
                set(path, value, "sweep." + path);
                item = path + "=" + shown(value);
            }
            label += (label.empty() ? "" : ",") + item;
            if (path != "seed") groupLabel += (groupLabel.empty() ? "" : ",") + item;
        }
        variant["name"] = name + "[" + label + "]";
        const bool grouped = j.contains("group") && j.at("group").is_string();
        if (grouped || !j.contains("group"))  // a group of the wrong type fails validation
            variant["group"] = (grouped ? j.at("group").get<std::string>() : name) +
                               (groupLabel.empty() ? "" : "[" + groupLabel + "]");
        out.push_back(parseExperiment(variant.dump(), source + " [" + label + "]"));
        for (std::size_t a = axes.size(); a-- > 0;) {  // the last field varies fastest
            if (++at[a] < axes[a].second.size()) break;
            at[a] = 0;
        }
    }
    return out;
}

std::vector<ExperimentSpec> loadExperiments(const std::string& path) {
    return expandExperiment(readExperimentFile(path), path);
}

std::string withLanguage(const std::string& text, const std::string& source,
                         const std::string& language) {
    nlohmann::json j = config::parseJson(text, source);
    const std::string pivot = data::pivotLanguage();
    if (!j.is_object()) throw ConfigError(source + ": expected an experiment object");
    if (j.value("method", "") == "suite")
        throw ConfigError(source + ": --lang applies to an experiment or a sweep, not a suite");
    if (!data::isLanguageTag(language) || language == pivot)
        throw ConfigError("--lang " + language + ": expected a language other than " + pivot +
                          " (like ja or pt-BR)");
    j["corpus"]["name"] = data::helpCorpusName({language});
    j["corpus"]["languages"] = nlohmann::json::array({pivot, language});
    const auto only = nlohmann::json::array({language});
    if (j.contains("sweep") && j.at("sweep").is_object() && j.at("sweep").contains("language")) {
        j["sweep"]["language"] = only;  // the sweep names each run [language=L,...]
    } else {
        if (j.contains("train") && j.at("train").is_object() && j.at("train").contains("languages"))
            j["train"]["languages"] = only;
        if (j.contains("name") && j.at("name").is_string())
            j["name"] = j.at("name").get<std::string>() + "[language=" + language + "]";
    }
    if (j.contains("nmt") && j.at("nmt").is_object() && j.at("nmt").contains("languages"))
        j["nmt"]["languages"] = only;
    return j.dump();
}

std::vector<ExperimentSpec> loadSuiteExperiments(const ExperimentSpec& suite) {
    if (suite.method != "suite")
        throw ConfigError(suite.source + ": field 'method': a suite is expected, got '" +
                          suite.method + "'");
    const auto base = std::filesystem::path(suite.source).parent_path();
    std::vector<ExperimentSpec> experiments;
    for (const auto& f : suite.config.at("suite").at("experiments")) {
        auto path = (base / f.get<std::string>()).string();
        for (auto& e : loadExperiments(path)) {
            if (e.method == "suite")
                throw ConfigError(suite.source + ": field 'suite.experiments': " + path +
                                  " is a suite itself");
            experiments.push_back(std::move(e));
        }
    }
    return experiments;
}

}  // namespace clir::jobs
