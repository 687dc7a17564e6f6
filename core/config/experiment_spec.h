// An experiment (experiments/*.json) once validated: its identity and the whole configuration
// with defaults filled. Parsing, which knows every method and block, is core/jobs/experiment.h.
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
    std::string group;       // the configuration this run is one seed of: "group", else the name
    nlohmann::json config;   // the whole validated document, defaults included
    std::string configHash;  // SHA-256 of config.dump()
};

}  // namespace clir::config
