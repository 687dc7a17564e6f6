// An experiment file (experiments/*.json), validated against its schema with defaults filled.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/config/schema.h"

namespace clir::config {

struct ExperimentSpec {
    std::string source;  // file path, or "<string>"
    std::string name;
    std::string method;
    std::string description;
    std::int64_t seed = 0;
    std::vector<std::string> tags;
    nlohmann::json config;   // the whole validated document, defaults included
    std::string configHash;  // SHA-256 of config.dump()
};

const std::vector<std::string>& methodNames();  // the methods this build can run
// The optional blocks a method reads (the new-run form shows these); throws std::out_of_range
// for an unknown method.
const std::vector<std::string>& methodBlockNames(const std::string& method);
SchemaNode suiteSchema();  // the "suite" block (several experiments)
SchemaNode experimentSchema();

// Errors are ConfigError messages starting with the source: "x.json: field 'seed': ...".
ExperimentSpec parseExperiment(const std::string& text, const std::string& source);
ExperimentSpec loadExperiment(const std::string& path);

}  // namespace clir::config
