// Which queries a retrieval run is evaluated on: the "evaluation" block of an experiment.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/config/fields.h"

namespace clir::eval {

struct EvaluationSettings {
    std::string split;
    std::vector<std::string> querySets;
    std::string pool = "pivot";  // pivot: English pages; all: also every language's pages

    static const config::Fields<EvaluationSettings>& fields();
    static EvaluationSettings fromJson(const nlohmann::json& validated) {
        return fields().read(validated);
    }
};

inline config::SchemaNode evaluationSchema() {
    return EvaluationSettings::fields().schema();
}

}  // namespace clir::eval
