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
                   {"entries", "headings"}, {"entries", "headings"}, true, "a query set", 1);
    return f;
}

}  // namespace clir::eval
