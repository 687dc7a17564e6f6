// Stored-run values for comparisons (see run_comparison.h).
#include "core/jobs/run_comparison.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "core/data/corpus_settings.h"

namespace clir::jobs {

std::string runGroup(const store::RunRecord& run) {
    auto config = nlohmann::json::parse(run.config, nullptr, false);
    if (config.is_object() && config.contains("group") && config.at("group").is_string())
        return config.at("group").get<std::string>();
    return run.name;
}

std::string seedsLabel(store::RunStore& runs, const std::vector<std::int64_t>& ids) {
    std::set<std::string> seeds;
    for (auto id : ids) {
        auto r = runs.run(id);
        seeds.insert(r && r->seed ? std::to_string(*r->seed) : "run " + std::to_string(id));
    }
    const std::string s = std::to_string(seeds.size()) + (seeds.size() == 1 ? " seed" : " seeds");
    return seeds.size() == ids.size() ? s : std::to_string(ids.size()) + " runs, " + s;
}

eval::ComparedRun storedRunValues(store::RunStore& runs, std::int64_t runId,
                                  const std::string& measure, const std::string& querySet,
                                  bool includePivot, const std::string& label) {
    eval::ComparedRun c;
    c.label = label;
    std::set<std::string> languages;
    for (const auto& x : runs.results(runId))
        if (x.querySet == querySet && x.measure == measure) languages.insert(x.language);
    for (const auto& lang : languages) {
        if (!includePivot && lang == data::pivotLanguage()) continue;
        auto values = runs.queryResults(runId, lang, querySet, measure);
        if (!values.empty()) c.perLanguage[lang] = std::move(values);
    }
    return c;
}

std::vector<std::int64_t> latestFinishedRuns(store::RunStore& runs) {
    std::vector<std::int64_t> ids;
    std::set<std::string> seen;
    for (const auto& r : runs.runs())  // newest first
        if (r.status == store::RunStatus::Finished && seen.insert(r.name).second)
            ids.push_back(r.id);
    std::reverse(ids.begin(), ids.end());
    return ids;
}

}  // namespace clir::jobs
