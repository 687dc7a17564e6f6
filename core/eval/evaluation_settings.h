// Which queries a retrieval run is evaluated on: the "evaluation" block of an experiment.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/config/schema.h"

namespace clir::eval {

struct EvaluationSettings {
    std::string split = "test";
    std::vector<std::string> querySets;

    static EvaluationSettings fromJson(const nlohmann::json& validated);
};

config::SchemaNode evaluationSchema();

}  // namespace clir::eval
