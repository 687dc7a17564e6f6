// Evaluation settings (see evaluation_settings.h).
#include "core/eval/evaluation_settings.h"

namespace clir::eval {

const config::Fields<EvaluationSettings>& EvaluationSettings::fields() {
    using S = EvaluationSettings;
    static const auto f =
        config::Fields<S>("queries the run is evaluated on")
            .text("split", &S::split, "which split's queries", "test", {"train", "dev", "test"})
            .texts("query_sets", &S::querySets,
                   "query sets: entries (index entries, one relevant page) and headings (several)",
                   {"entries", "headings"}, {"entries", "headings"}, true, "a query set", 1)
            // Absent unless given, so the configurations (and hashes) of earlier runs stand.
            .custom("pool",
                    config::SchemaNode::string(
                        "pages each query set is ranked against: pivot (the English pages) or "
                        "all (also every corpus language's pages in one pool, recorded as "
                        "<set>@all with the parallel page in each language relevant and the "
                        "language bias per query; default pivot)",
                        nullptr, {"pivot", "all"}),
                    [](EvaluationSettings& s, const nlohmann::json& j) {
                        s.pool = j.get<std::string>();
                    });
    return f;
}

}  // namespace clir::eval
