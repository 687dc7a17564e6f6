// `clirlab eval`, `export`, `compare`, `reeval` and `schema`: trec_eval-compatible evaluation of
// run files, export of stored runs, per-language comparison tables with significance markers,
// re-evaluation of stored runs, and the generated settings reference.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <set>
#include <utility>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "core/eval/comparison.h"
#include "core/eval/measures.h"
#include "core/eval/trec_io.h"
#include "core/jobs/experiment.h"
#include "core/jobs/reevaluate.h"
#include "core/jobs/run_comparison.h"
#include "core/store/run_store.h"
#include "core/util/fs.h"
#include "core/util/gzip.h"
#include "core/util/text.h"

namespace clir::cli {
namespace {

store::RunRecord requireRun(store::RunStore& runs, std::int64_t id, const std::string& db) {
    auto r = runs.run(id);
    if (!r) throw std::runtime_error("no run " + std::to_string(id) + " in " + db);
    return *r;
}

std::string csvField(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

}  // namespace

int evalRun(const GlobalOptions&, const std::vector<std::string>& args) {
    CommandSpec spec{"eval",
                     "clirlab eval --run FILE --qrels FILE [-q] [-c] [-m MEASURE]...",
                     "Evaluate a TREC run against TREC qrels with trec_eval's semantics and output "
                     "(measure<TAB>qid|all<TAB>value). Measures: " +
                         text::join(eval::measureNames(), ", ") + ".",
                     {{"--run", true, false, "TREC run: qid Q0 docid rank score tag"},
                      {"--qrels", true, false, "TREC qrels: qid iter docid rel"},
                      {"-q", false, false, "print every query's values too"},
                      {"-c", false, false, "average over all qrels queries (missing ones = 0)"},
                      {"-m", true, true, "a measure to print (repeatable; default: all)"}}};
    auto a = parseArgs(spec, args);
    if (a.has("--help")) return std::cout << spec.helpText(), 0;
    if (!a.has("--run") || !a.has("--qrels"))
        throw UsageError("eval: --run and --qrels are required");
    std::vector<std::string> measures = a.has("-m") ? a.values("-m") : eval::measureNames();
    for (const auto& m : measures)
        if (std::find(eval::measureNames().begin(), eval::measureNames().end(), m) ==
            eval::measureNames().end())
            throw UsageError("eval: unknown measure '" + m +
                             "'; known: " + text::join(eval::measureNames(), ", "));
    auto qrels = eval::readQrels(a.value("--qrels"));
    std::string tag;
    auto e = eval::evaluateRunFile(a.value("--run"), qrels, {a.has("-c")}, &tag);
    if (e.perQuery.empty())
        throw std::runtime_error(a.value("--run") +
                                 ": no query has both results and judgements in " +
                                 a.value("--qrels"));
    std::cout << eval::formatTrecEval(e, measures, a.has("-q"), tag);
    return 0;
}

int exportRun(const GlobalOptions& g, const std::vector<std::string>& args) {
    CommandSpec spec{"export",
                     "clirlab export RUN --format trec|csv [--out PATH] [--per-query]",
                     "Export a stored run. trec: its TREC run files (one per language and query "
                     "set) into the --out folder, or to standard output; csv: its results table "
                     "(or every query's values with --per-query) to --out or standard output.",
                     {{"--format", true, false, "trec or csv"},
                      {"--out", true, false, "folder (trec) or file (csv)"},
                      {"--per-query", false, false, "csv: per-query values"}},
                     1,
                     1};
    auto a = parseArgs(spec, args);
    if (a.has("--help")) return std::cout << spec.helpText(), 0;
    std::string format = a.value("--format");
    if (format != "trec" && format != "csv")
        throw UsageError("export: --format must be trec or csv");
    std::int64_t id = parseRunId("export", a.positionals[0]);
    store::Database db(g.databasePath);
    store::RunStore runs(db);
    auto r = requireRun(runs, id, db.path());
    if (format == "trec") {
        std::vector<std::string> files;
        for (const auto& art : runs.artifacts(id))
            if (art.kind == "trec_run") files.push_back(art.path);
        if (files.empty())
            throw std::runtime_error("run " + std::to_string(id) + " (" + r.method +
                                     ") has no TREC runs");
        for (const auto& f : files) {
            // Plain TREC text whatever the store keeps (runs since issue 17: .trec.gz).
            std::string content = gzip::readText(f);
            std::string name = f.substr(f.rfind('/') + 1);
            if (text::endsWith(name, ".gz")) name.resize(name.size() - 3);
            if (a.has("--out")) {
                fs::writeFileAtomic(a.value("--out") + "/" + name, content);
                std::fprintf(stderr, "wrote %s/%s\n", a.value("--out").c_str(), name.c_str());
            } else {
                std::fputs(content.c_str(), stdout);
            }
        }
        return 0;
    }
    std::string csv;
    if (a.has("--per-query")) {
        csv = "run,language,query_set,qid,measure,value\n";
        for (const auto& q : runs.queryResults(id)) {
            char v[32];
            std::snprintf(v, sizeof(v), "%.6f", q.value);
            csv += std::to_string(id) + "," + csvField(q.language) + "," + csvField(q.querySet) +
                   "," + csvField(q.qid) + "," + csvField(q.measure) + "," + v + "\n";
        }
    } else {
        csv = "run,name,method,language,query_set,measure,value\n";
        for (const auto& x : runs.results(id)) {
            char v[32];
            std::snprintf(v, sizeof(v), "%.6f", x.value);
            csv += std::to_string(id) + "," + csvField(r.name) + "," + csvField(r.method) + "," +
                   csvField(x.language) + "," + csvField(x.querySet) + "," + csvField(x.measure) +
                   "," + v + "\n";
        }
    }
    if (a.has("--out"))
        fs::writeFileAtomic(a.value("--out"), csv);
    else
        std::fputs(csv.c_str(), stdout);
    return 0;
}

int compareRuns(const GlobalOptions& g, const std::vector<std::string>& args) {
    CommandSpec spec{"compare",
                     "clirlab compare RUN[:SET]... [--measure M] [--set S] [--baseline RUN]",
                     "Per-language table of one measure for several runs (Markdown), with the "
                     "high-minus-low-resource gap. Markers: * (paired t-test) and † (paired "
                     "randomisation test, 10,000 permutations) at p < 0.05 after Bonferroni "
                     "correction across languages, against the baseline run (default: the "
                     "first). RUN:SET reads that run's query set instead of --set, for example "
                     "12:entries+bm25 for a run's BM25-fused results. With --pool-seeds, runs "
                     "of one group (the seeds of a sweep) on one query set become one row: "
                     "mean ± sd over the seeds, tests on per-query values averaged over them.",
                     {{"--measure", true, false, "measure (default: map)"},
                      {"--set", true, false, "query set: entries or headings (default: entries)"},
                      {"--baseline", true, false, "run the markers compare against"},
                      {"--pool-seeds", false, false, "one row per group of seeds"}},
                     1,
                     64};
    auto a = parseArgs(spec, args);
    if (a.has("--help")) return std::cout << spec.helpText(), 0;
    std::string set = a.value("--set", "entries");
    std::vector<std::int64_t> ids;
    std::vector<std::string> sets;
    for (const auto& p : a.positionals) {
        const auto colon = p.find(':');
        ids.push_back(parseRunId("compare", p.substr(0, colon)));
        sets.push_back(colon == std::string::npos ? set : p.substr(colon + 1));
        if (sets.back().empty()) throw UsageError("compare: '" + p + "' names no query set");
    }
    std::string measure = a.value("--measure", "map");
    const auto& measures = eval::reportedMeasures();
    if (std::find(measures.begin(), measures.end(), measure) == measures.end()) {
        std::string names;
        for (const auto& m : measures) names += (names.empty() ? "" : ", ") + m;
        throw UsageError("compare: --measure must be one of " + names);
    }
    std::int64_t baseline =
        a.has("--baseline") ? parseRunId("compare", a.value("--baseline")) : ids[0];
    store::Database db(g.databasePath);
    store::RunStore runs(db);
    std::vector<eval::ComparedRun> compared;
    std::vector<std::string> groups;  // group and query set of each compared entry
    bool baselineSeen = false;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        const auto id = ids[i];
        auto r = requireRun(runs, id, db.path());
        groups.push_back(jobs::runGroup(r) + "\n" + sets[i]);
        const bool ownSet = sets[i] != set;
        auto c = jobs::storedRunValues(
            runs, id, measure, sets[i], true,
            r.name + " (#" + std::to_string(id) + (ownSet ? ", " + sets[i] : "") + ")");
        if (c.perLanguage.empty())
            throw UsageError("compare: run #" + std::to_string(id) + " has no '" + measure +
                             "' values on query set '" + sets[i] + "'");
        // The baseline's first appearance (a run may appear twice, with two query sets).
        if (id == baseline && !baselineSeen) c.isBaseline = baselineSeen = true;
        compared.push_back(std::move(c));
    }
    if (std::none_of(compared.begin(), compared.end(), [](const auto& c) { return c.isBaseline; }))
        throw UsageError("compare: --baseline must be one of the compared runs");
    if (a.has("--pool-seeds")) {  // one row per group and query set, in first-appearance order
        std::vector<eval::ComparedRun> pooled;
        std::vector<std::string> done;
        for (std::size_t i = 0; i < compared.size(); ++i) {
            if (std::find(done.begin(), done.end(), groups[i]) != done.end()) continue;
            done.push_back(groups[i]);
            std::vector<eval::ComparedRun> seeds;
            std::string runIds;
            std::vector<std::int64_t> memberIds;
            bool isBaseline = false;
            for (std::size_t k = i; k < compared.size(); ++k)
                if (groups[k] == groups[i]) {
                    seeds.push_back(compared[k]);
                    memberIds.push_back(ids[k]);
                    runIds += (runIds.empty() ? "#" : " #") + std::to_string(ids[k]);
                    isBaseline = isBaseline || compared[k].isBaseline;
                }
            if (seeds.size() == 1) {
                pooled.push_back(compared[i]);
                continue;
            }
            const std::string group = groups[i].substr(0, groups[i].find('\n'));
            const std::string ownSet = groups[i].substr(groups[i].find('\n') + 1);
            auto row =
                eval::poolSeeds(seeds, group + " (" + jobs::seedsLabel(runs, memberIds) + ": " +
                                           runIds + (ownSet != set ? ", " + ownSet : "") + ")");
            row.isBaseline = isBaseline;
            pooled.push_back(std::move(row));
        }
        compared = std::move(pooled);
    }
    std::cout << eval::formatComparison(eval::compareRuns(compared), measure, set);
    return 0;
}

int reevalRuns(const GlobalOptions& g, const std::vector<std::string>& args) {
    CommandSpec spec{"reeval",
                     "clirlab reeval RUN... | --all",
                     "Recompute stored runs' measures from their TREC files with this build's "
                     "evaluator (trec_eval 10.0 semantics, -c), replacing the stored results and "
                     "per-query values; prints map and ndcg_cut_10 before and after.",
                     {{"--all", false, false, "every finished run with TREC files"}},
                     0,
                     1024};
    auto a = parseArgs(spec, args);
    if (a.has("--help")) return std::cout << spec.helpText(), 0;
    if (a.positionals.empty() == !a.has("--all"))
        throw UsageError("reeval: name runs or give --all");
    store::Database db(g.databasePath);
    std::vector<std::int64_t> ids;
    for (const auto& p : a.positionals) ids.push_back(parseRunId("reeval", p));
    if (a.has("--all")) {
        store::RunStore runs(db);
        for (const auto& r : runs.runs())
            if (r.status == store::RunStatus::Finished) ids.insert(ids.begin(), r.id);
    }
    auto num = [](double v) {
        if (std::isnan(v)) return std::string("–");
        char buf[32];
        std::snprintf(buf, sizeof(buf), "%.4f", v);
        return std::string(buf);
    };
    // Rows are printed as each run is done; the header only once the first one is.
    bool header = false;
    for (auto id : ids)
        for (const auto& r : jobs::reevaluateRun(db, id)) {
            if (!std::exchange(header, true))
                std::cout << "| run | language | set | queries | map before | map after | "
                             "ndcg_cut_10 before | ndcg_cut_10 after |\n"
                             "|---|---|---|---:|---:|---:|---:|---:|\n";
            std::cout << "| #" << id << " | " << r.language << " | " << r.querySet << " | "
                      << r.queries << " | " << num(r.mapBefore) << " | " << num(r.mapAfter) << " | "
                      << num(r.ndcgBefore) << " | " << num(r.ndcgAfter) << " |\n";
        }
    return 0;
}

int schemaReference(const GlobalOptions&, const std::vector<std::string>& args) {
    CommandSpec spec{"schema",
                     "clirlab schema [--json]",
                     "Print every method and experiment setting (key, type, default, range, "
                     "description) as Markdown, or the experiment's JSON schema tree with --json.",
                     {{"--json", false, false, "the defaults of every block as one JSON document"}},
                     0,
                     0};
    auto a = parseArgs(spec, args);
    if (a.has("--help")) return std::cout << spec.helpText(), 0;
    if (a.has("--json")) {
        nlohmann::json defaults = nlohmann::json::object();
        for (const auto& [key, node] : jobs::experimentSchema().properties)
            if (!node.defaultValue.is_null() || node.type == config::SchemaNode::Type::Object) {
                nlohmann::json v = node.type == config::SchemaNode::Type::Object
                                       ? nlohmann::json::object()
                                       : node.defaultValue;
                config::validate(v, node, key);
                defaults[key] = v;
            }
        std::cout << defaults.dump(2) << "\n";
        return 0;
    }
    std::cout << jobs::settingsReference();
    return 0;
}

}  // namespace clir::cli
