// The research report (see report.h).
#include "core/jobs/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "core/config/schema.h"
#include "core/data/corpus_reader.h"
#include "core/data/corpus_settings.h"
#include "core/eval/comparison.h"
#include "core/jobs/experiment.h"
#include "core/jobs/methods.h"
#include "core/jobs/run_comparison.h"
#include "core/model/encoder_config.h"
#include "core/store/run_store.h"

namespace clir::jobs {
namespace {

std::string measureTitle(const std::string& m) {
    if (m == "language_bias")
        return "Language bias (max − min rank of the parallel relevant pages)";
    if (m == "map") return "MAP";
    if (m == "ndcg_cut_10") return "nDCG@10";
    if (m == "recip_rank") return "MRR";
    return m;
}

std::string fixed(double v, int digits = 4) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
    return buf;
}

// A file name part from a query set or a suite name: "entries+bm25" -> "entries-bm25".
std::string slug(std::string s) {
    for (auto& c : s)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '-';
    return s;
}

// One configuration of a suite: its runs (one per language and seed of a sweep) and the
// experiment that describes it.
struct Group {
    std::string name, method, description, preset;
    std::vector<store::RunRecord> runs;
    std::size_t expected = 0;  // experiments of the suite in this group
    std::size_t seeds() const {
        std::set<std::int64_t> s;
        for (const auto& r : runs) s.insert(r.seed.value_or(0));
        return s.size();
    }
};

// The group's per-query values on one measure and query set as one comparison row: one run
// as it is, several (seeds, or one run per language) pooled by poolSeeds.
eval::ComparedRun rowOf(store::RunStore& store, const Group& g, const std::string& measure,
                        const std::string& set) {
    std::vector<eval::ComparedRun> parts;
    for (const auto& r : g.runs) {
        auto c = storedRunValues(store, r.id, measure, set, true, g.name);
        if (!c.perLanguage.empty()) parts.push_back(std::move(c));
    }
    if (parts.size() <= 1) {
        eval::ComparedRun one = parts.empty() ? eval::ComparedRun{} : parts.front();
        one.label = g.name;
        return one;
    }
    const std::size_t seeds = g.seeds();
    return eval::poolSeeds(
        parts, g.name + (seeds > 1 ? " (" + std::to_string(seeds) + " seeds)" : std::string()));
}

// Mean of a row's cell for a language: the mean over seeds when pooled.
bool cellMean(const eval::ComparedRun& row, const std::string& language, double& mean) {
    auto seeds = row.seedMeans.find(language);
    if (seeds != row.seedMeans.end() && !seeds->second.empty()) {
        mean = 0;
        for (double v : seeds->second) mean += v;
        mean /= double(seeds->second.size());
        return true;
    }
    auto it = row.perLanguage.find(language);
    if (it == row.perLanguage.end() || it->second.empty()) return false;
    mean = 0;
    for (const auto& [q, v] : it->second) mean += v;
    mean /= double(it->second.size());
    return true;
}

// Each seed's mean of the low-resource and of the high-resource languages of a row (k: the k-th
// run of every language); false when a seed lacks a language of either group.
bool seedGroupMeans(const eval::ComparedRun& row, std::vector<double>& low,
                    std::vector<double>& high) {
    std::map<std::string, std::vector<double>> means = row.seedMeans;
    if (means.empty())  // one run: its own means
        for (const auto& [lang, queries] : row.perLanguage) {
            double sum = 0;
            for (const auto& [q, v] : queries) sum += v;
            if (!queries.empty()) means[lang] = {sum / double(queries.size())};
        }
    std::size_t seeds = 0;
    for (const auto& [lang, m] : means)
        if (data::resourceGroup(lang) != "other") seeds = std::max(seeds, m.size());
    if (seeds == 0) return false;
    low.assign(seeds, 0);
    high.assign(seeds, 0);
    std::vector<int> nLow(seeds, 0), nHigh(seeds, 0);
    for (const auto& [lang, m] : means) {
        const auto g = data::resourceGroup(lang);
        if (g == "other") continue;
        if (m.size() != seeds) return false;
        for (std::size_t k = 0; k < seeds; ++k) {
            (g == "low" ? low : high)[k] += m[k];
            ++(g == "low" ? nLow : nHigh)[k];
        }
    }
    for (std::size_t k = 0; k < seeds; ++k) {
        if (!nLow[k] || !nHigh[k]) return false;
        low[k] /= nLow[k];
        high[k] /= nHigh[k];
    }
    return true;
}

// Seconds since the epoch of the store's UTC timestamps ("2026-12-02T16:57:39.135Z"); NaN
// when empty or unreadable.
double isoSeconds(const std::string& t) {
    std::tm tm{};
    int ms = 0;
    if (t.size() < 19 || std::sscanf(t.c_str(), "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon,
                                     &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
        return std::nan("");
    if (t.size() > 20 && t[19] == '.') ms = std::atoi(t.c_str() + 20);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return double(timegm(&tm)) + ms / 1000.0;
}

double meanOf(const std::vector<double>& v) {
    double m = 0;
    for (double x : v) m += x;
    return v.empty() ? std::nan("") : m / double(v.size());
}

double sdOf(const std::vector<double>& v) {
    if (v.size() < 2) return std::nan("");
    const double m = meanOf(v);
    double ss = 0;
    for (double x : v) ss += (x - m) * (x - m);
    return std::sqrt(ss / double(v.size() - 1));
}

// Least-squares slope of y on x; NaN with fewer than two distinct x.
double slopeOf(const std::vector<double>& x, const std::vector<double>& y) {
    const double mx = meanOf(x), my = meanOf(y);
    double sxx = 0, sxy = 0;
    for (std::size_t i = 0; i < x.size() && i < y.size(); ++i) {
        sxx += (x[i] - mx) * (x[i] - mx);
        sxy += (x[i] - mx) * (y[i] - my);
    }
    return sxx > 0 ? sxy / sxx : std::nan("");
}

std::string withSd(double mean, double sd) {
    return fixed(mean) + (std::isnan(sd) ? std::string() : " ± " + fixed(sd));
}

}  // namespace

std::vector<std::string> shippedSuites() {
    std::vector<std::string> out;
    for (const char* f : {"rq2.json", "rq1-scaling.json", "mlir.json"}) {
        const std::string path = std::string(CLIRLAB_SOURCE_DIR) + "/experiments/" + f;
        if (std::filesystem::exists(path)) out.push_back(path);
    }
    return out;
}

Report buildReport(store::Database& db, const std::vector<std::string>& suiteFiles,
                   std::size_t permutations) {
    store::RunStore store(db);
    const auto all = store.runs();  // newest first
    Report report;
    std::ostringstream md;
    md << "# clirlab report\n\n"
       << "Generated by `clirlab report` from the database `"
       << std::filesystem::path(db.path()).filename().string()
       << "` alone: every number below is read from the stored per-query values of finished "
          "runs (`clirlab eval` on a run's exported TREC file gives the same values). A "
          "configuration run with several seeds is one row: its mean ± sample standard "
          "deviation over the seeds' own means; a configuration with one run per language "
          "(a `language` sweep) fills its languages from those runs. Markers: paired "
          "randomisation test ("
       << permutations
       << " permutations) on per-query values averaged over seeds, p < 0.05 after Bonferroni "
          "correction across the languages of the table.\n";
    std::vector<store::RunRecord> used;
    for (const auto& file : suiteFiles) {
        const auto suite = loadExperiment(file);
        if (suite.method != "suite")
            throw config::ConfigError(file + ": field 'method': a report reads suites, got '" +
                                      suite.method + "'");
        const auto& block = suite.config.at("suite");
        const auto base = std::filesystem::path(file).parent_path();
        std::vector<Group> groups;
        std::vector<std::string> missing;
        for (const auto& f : block.at("experiments")) {
            for (const auto& e : loadExperiments((base / f.get<std::string>()).string())) {
                auto g = std::find_if(groups.begin(), groups.end(),
                                      [&](const Group& x) { return x.name == e.group; });
                if (g == groups.end()) {
                    Group n;
                    n.name = e.group;
                    n.method = e.method;
                    n.description = e.description;
                    if (e.config.contains("model") && e.config.at("model").contains("preset"))
                        n.preset = e.config.at("model").at("preset").get<std::string>();
                    groups.push_back(std::move(n));
                    g = groups.end() - 1;
                }
                ++g->expected;
                auto run = std::find_if(all.begin(), all.end(), [&](const store::RunRecord& r) {
                    return r.name == e.name && r.status == store::RunStatus::Finished;
                });
                if (run == all.end()) {
                    missing.push_back(e.name);
                    continue;
                }
                g->runs.push_back(*run);
                used.push_back(*run);
            }
        }
        report.runsMissing += missing.size();
        md << "\n## " << suite.name << "\n\n" << suite.description << "\n\n";
        std::size_t expected = 0, found = 0;
        for (const auto& g : groups) {
            expected += g.expected;
            found += g.runs.size();
        }
        double runSeconds = 0;
        for (const auto& g : groups)
            for (const auto& r : g.runs) {
                const double from = isoSeconds(r.startedAt), to = isoSeconds(r.finishedAt);
                if (!std::isnan(from) && !std::isnan(to) && to >= from) runSeconds += to - from;
            }
        md << "Runs: " << found << " of " << expected << " finished, "
           << fixed(runSeconds / 3600, 2)
           << " h of run time (the sum of each run's start to finish, on the machine that ran it)";
        if (!missing.empty()) {
            md << "; not run yet (`clirlab run " << std::filesystem::path(file).filename().string()
               << "` continues the suite, reusing what is finished): ";
            for (std::size_t i = 0; i < missing.size() && i < 12; ++i)
                md << (i ? ", " : "") << "`" << missing[i] << "`";
            if (missing.size() > 12) md << " and " << missing.size() - 12 << " more";
        }
        md << ".\n";

        std::vector<std::string> measures = {block.value("measure", std::string("map"))};
        for (const char* m : {"map", "ndcg_cut_10", "recip_rank"})
            if (std::find(measures.begin(), measures.end(), m) == measures.end())
                measures.push_back(m);
        std::vector<std::string> baselineNames;
        for (const auto& b : block.at("baselines")) baselineNames.push_back(b.get<std::string>());
        for (const auto& setJson : block.at("query_sets")) {
            const std::string set = setJson.get<std::string>();
            auto setMeasures = measures;
            if (set.find("@all") != std::string::npos) setMeasures.push_back("language_bias");
            for (const auto& measure : setMeasures) {
                std::vector<eval::ComparedRun> rows;
                std::vector<const Group*> rowGroups;
                for (const auto& g : groups) {
                    auto row = rowOf(store, g, measure, set);
                    if (row.perLanguage.empty()) continue;
                    rows.push_back(std::move(row));
                    rowGroups.push_back(&g);
                }
                if (rows.empty()) continue;
                std::vector<std::size_t> baselines;
                for (const auto& b : baselineNames)
                    for (std::size_t i = 0; i < rowGroups.size(); ++i)
                        if (rowGroups[i]->name == b) baselines.push_back(i);
                md << "\n### " << measureTitle(measure) << ", " << set << " queries\n\n"
                   << eval::formatAgainstBaselines(rows, baselines, measure, set, permutations);
                if (measure != measures.front() || rows.size() < 2) continue;
                ChartRequest chart;
                chart.panel = "results";
                chart.measure = measure;
                chart.querySet = set;
                for (const auto* g : rowGroups)
                    for (const auto& r : g->runs) chart.runs.push_back(r.id);
                if (!baselines.empty())
                    chart.baseline = rowGroups[baselines.front()]->runs.front().id;
                chart.file = slug(suite.name) + "-" + slug(measure) + "-" + slug(set);
                chart.caption = measureTitle(measure) + " per language, " + set + " queries" +
                                (baselines.empty() ? std::string()
                                                   : " (★: differs from " +
                                                         rowGroups[baselines.front()]->name + ")");
                md << "\n![" << chart.caption << "](" << chart.file << ".png)\n";
                report.charts.push_back(std::move(chart));
            }
            // OPTICAL against each NMT baseline: the relative change of MAP per language.
            for (const auto& nmtName : baselineNames) {
                auto nmt = std::find_if(groups.begin(), groups.end(), [&](const Group& g) {
                    return g.name == nmtName && g.method == "nmt" && !g.runs.empty();
                });
                if (nmt == groups.end()) continue;
                const auto nmtRow = rowOf(store, *nmt, "map", set);
                for (const auto& g : groups) {
                    if ((g.method != "optical" && g.method != "optical+hybrid") || g.runs.empty())
                        continue;
                    const auto row = rowOf(store, g, "map", set);
                    std::ostringstream table;
                    for (const auto& [lang, _] : row.perLanguage) {
                        double o = 0, n = 0;
                        if (lang == data::pivotLanguage() || !cellMean(row, lang, o) ||
                            !cellMean(nmtRow, lang, n) || n <= 0)
                            continue;
                        table << "| " << lang << " | " << fixed(o) << " | " << fixed(n) << " | "
                              << (o >= n ? "+" : "") << fixed(100 * (o - n) / n, 1) << " % |\n";
                    }
                    if (table.str().empty()) continue;
                    md << "\n**" << g.name << " against " << nmt->name << "** (MAP, " << set
                       << " queries; the relative change the OPTICAL paper reports)\n\n"
                       << "| language | " << g.name << " | " << nmt->name << " | change |\n"
                       << "|---|---:|---:|---:|\n"
                       << table.str();
                }
            }
        }

        // RQ1: the high - low gap against model size, per method, with the fitted change per
        // decade of parameters (least squares on log10; its sd: the slope fitted per seed).
        if (!block.at("query_sets").empty()) {
            const std::string set = block.at("query_sets").front().get<std::string>();
            struct Size {
                const Group* group;
                double params;
                std::vector<double> low, high;
            };
            std::map<std::string, std::vector<Size>> byMethod;
            std::set<std::string> presets;
            std::vector<std::int64_t> chartRuns;
            for (const auto& g : groups) {
                if (g.preset.empty() || !isRetrievalMethod(g.method) || g.runs.empty()) continue;
                Size size{&g, 0, {}, {}};
                try {
                    size.params =
                        double(model::countParameters(model::presetConfig(g.preset)).encoder());
                } catch (const std::exception&) {
                    continue;
                }
                if (!seedGroupMeans(rowOf(store, g, "map", set), size.low, size.high)) continue;
                presets.insert(g.preset);
                byMethod[g.method].push_back(std::move(size));
                for (const auto& r : g.runs) chartRuns.push_back(r.id);
            }
            if (presets.size() >= 2) {
                md << "\n### Scaling: MAP and the high − low gap against model size (" << set
                   << " queries)\n\n"
                   << "| configuration | preset | parameters | low-resource | high-resource | "
                      "mean | gap (high − low) |\n|---|---|---:|---:|---:|---:|---:|\n";
                std::ostringstream fits;
                for (auto& [method, sizes] : byMethod) {
                    std::sort(sizes.begin(), sizes.end(),
                              [](const Size& a, const Size& b) { return a.params < b.params; });
                    std::vector<double> x, mean, gap;
                    for (const auto& z : sizes) {
                        std::vector<double> m, d;
                        for (std::size_t k = 0; k < z.low.size(); ++k) {
                            m.push_back((z.low[k] + z.high[k]) / 2);
                            d.push_back(z.high[k] - z.low[k]);
                        }
                        md << "| " << z.group->name << " | " << z.group->preset << " | "
                           << fixed(z.params / 1e6, 2) << " M | "
                           << withSd(meanOf(z.low), sdOf(z.low)) << " | "
                           << withSd(meanOf(z.high), sdOf(z.high)) << " | "
                           << withSd(meanOf(m), sdOf(m)) << " | " << withSd(meanOf(d), sdOf(d))
                           << " |\n";
                        x.push_back(std::log10(z.params));
                        mean.push_back(meanOf(m));
                        gap.push_back(meanOf(d));
                    }
                    if (sizes.size() < 2) continue;
                    // Per seed k: that seed's fit over the sizes.
                    std::size_t seeds = SIZE_MAX;
                    for (const auto& z : sizes) seeds = std::min(seeds, z.low.size());
                    std::vector<double> meanSlopes, gapSlopes;
                    for (std::size_t k = 0; seeds > 1 && k < seeds; ++k) {
                        std::vector<double> mk, dk;
                        for (const auto& z : sizes) {
                            mk.push_back((z.low[k] + z.high[k]) / 2);
                            dk.push_back(z.high[k] - z.low[k]);
                        }
                        meanSlopes.push_back(slopeOf(x, mk));
                        gapSlopes.push_back(slopeOf(x, dk));
                    }
                    const double decades = x.back() - x.front();
                    fits << "- **" << method << "** over " << sizes.size() << " sizes ("
                         << fixed(decades, 3) << " decades of parameters): mean MAP "
                         << (slopeOf(x, mean) >= 0 ? "+" : "") << fixed(slopeOf(x, mean))
                         << " per decade"
                         << (meanSlopes.size() > 1 ? " (sd over " + std::to_string(seeds) +
                                                         " seeds " + fixed(sdOf(meanSlopes)) + ")"
                                                   : std::string())
                         << "; gap " << (slopeOf(x, gap) >= 0 ? "+" : "") << fixed(slopeOf(x, gap))
                         << " per decade"
                         << (gapSlopes.size() > 1 ? " (sd " + fixed(sdOf(gapSlopes)) + ")"
                                                  : std::string())
                         << "; the gap goes from " << fixed(gap.front()) << " at "
                         << sizes.front().group->preset << " to " << fixed(gap.back()) << " at "
                         << sizes.back().group->preset << ".\n";
                }
                md << "\nFitted by least squares against log10(parameters):\n\n" << fits.str();
                ChartRequest chart;
                chart.panel = "scaling";
                chart.runs = chartRuns;
                chart.measure = "map";
                chart.querySet = set;
                chart.file = slug(suite.name) + "-scaling";
                chart.caption = "MAP and the high − low gap against model size";
                md << "\n![" << chart.caption << "](" << chart.file << ".png)\n";
                report.charts.push_back(std::move(chart));
            }
        }

        md << "\n### Methods\n\n";
        for (const auto& g : groups) {
            md << "- **" << g.name << "** (`" << g.method << "`"
               << (g.preset.empty() ? "" : ", preset `" + g.preset + "`") << ", " << g.runs.size()
               << " of " << g.expected << " runs";
            if (g.seeds() > 1) md << ", " << g.seeds() << " seeds";
            md << "): " << g.description << "\n";
        }
    }

    // Provenance of every run used.
    std::sort(used.begin(), used.end(),
              [](const store::RunRecord& a, const store::RunRecord& b) { return a.id < b.id; });
    used.erase(std::unique(used.begin(), used.end(),
                           [](const store::RunRecord& a, const store::RunRecord& b) {
                               return a.id == b.id;
                           }),
               used.end());
    report.runsUsed = used.size();
    std::set<std::string> corpora, versions;
    md << "\n## Runs used\n\n"
       << "| run | name | method | preset | seed | config hash | corpus hash | code version | "
          "finished |\n|---:|---|---|---|---:|---|---|---|---|\n";
    for (const auto& r : used) {
        std::string corpus = "–";
        if (r.corpusId)
            if (auto c = store.corpusById(*r.corpusId)) corpus = c->hash.substr(0, 12);
        corpora.insert(corpus);
        versions.insert(r.codeVersion);
        md << "| " << r.id << " | " << r.name << " | " << r.method << " | "
           << (r.preset.empty() ? "–" : r.preset) << " | "
           << (r.seed ? std::to_string(*r.seed) : "–") << " | " << r.configHash.substr(0, 12)
           << " | " << corpus << " | " << r.codeVersion << " | " << r.finishedAt << " |\n";
    }
    md << "\nCorpus hashes: ";
    for (auto it = corpora.begin(); it != corpora.end(); ++it)
        md << (it == corpora.begin() ? "" : ", ") << "`" << *it << "`";
    md << ". Code versions: ";
    for (auto it = versions.begin(); it != versions.end(); ++it)
        md << (it == versions.begin() ? "" : ", ") << "`" << *it << "`";
    md << ". The full configuration of a run: `clirlab show RUN --json`.\n";
    report.markdown = md.str();
    return report;
}

}  // namespace clir::jobs
