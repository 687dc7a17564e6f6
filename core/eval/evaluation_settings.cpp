// Evaluation settings and their schema.
#include "core/eval/evaluation_settings.h"

namespace clir::eval {

config::SchemaNode evaluationSchema() {
    using config::SchemaNode;
    SchemaNode sets = SchemaNode::array(
        "query sets: entries (index entries, one relevant page) and headings (several)",
        SchemaNode::string("a query set", nullptr, {"entries", "headings"}),
        {"entries", "headings"});
    sets.minItems = 1;
    sets.uniqueItems = true;
    return SchemaNode::object(
        "queries the run is evaluated on",
        {{"split", SchemaNode::string("which split's queries", "test", {"train", "dev", "test"})},
         {"query_sets", sets}});
}

EvaluationSettings EvaluationSettings::fromJson(const nlohmann::json& j) {
    EvaluationSettings s;
    s.split = j.at("split").get<std::string>();
    s.querySets = j.at("query_sets").get<std::vector<std::string>>();
    return s;
}

}  // namespace clir::eval
