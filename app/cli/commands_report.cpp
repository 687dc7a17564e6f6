// clirlab report: the RQ1 and RQ2 report from the database, with the charts drawn by the
// workbench's chart code (see core/jobs/report.h).
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "core/jobs/report.h"
#include "core/util/fs.h"
#include "core/util/process.h"

namespace clir::cli {
namespace {

// clirlab-workbench beside this executable, else on PATH; empty when there is none.
std::string workbenchExecutable() {
    std::error_code ec;
    auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        auto beside = self.parent_path() / "clirlab-workbench";
        if (::access(beside.c_str(), X_OK) == 0) return beside.string();
    }
    return findExecutable("clirlab-workbench");
}

}  // namespace

int reportCommand(const GlobalOptions& g, const std::vector<std::string>& args) {
    CommandSpec spec{
        "report",
        "clirlab report [SUITE.json...] [--out DIR] [--no-charts] [--permutations N]",
        "Write the research report from the database alone: for each suite (default: the "
        "shipped experiments/rq2.json, rq1-scaling.json and mlir.json) the latest finished run "
        "of every experiment it lists; per-language MAP, nDCG@10 and MRR with the seeds of a "
        "configuration as mean ± sd and markers against the suite's baselines; OPTICAL's "
        "relative MAP change over NMT; a method section; and the configuration hash, corpus "
        "hash and code version of every run used. DIR/report.md, and the charts as PNG and SVG "
        "drawn by clirlab-workbench (the workbench's chart code, offscreen).",
        {{"--out", true, false, "output folder (default: report)"},
         {"--no-charts", false, false, "write the Markdown only"},
         {"--permutations", true, false, "randomisation-test permutations (default: 10000)"}},
        0,
        16};
    auto a = parseArgs(spec, args);
    if (a.has("--help")) return std::cout << spec.helpText(), 0;
    std::vector<std::string> suites = a.positionals;
    if (suites.empty()) suites = jobs::shippedSuites();
    if (suites.empty()) throw UsageError("report: no suite given and none shipped");
    std::size_t permutations = 10000;
    if (a.has("--permutations")) {
        const std::string p = a.value("--permutations");
        try {
            std::size_t used = 0;
            const long long n = std::stoll(p, &used);
            if (used != p.size() || n < 100) throw std::invalid_argument(p);
            permutations = std::size_t(n);
        } catch (const std::exception&) {
            throw UsageError("report: --permutations must be an integer >= 100, got '" + p + "'");
        }
    }
    const std::filesystem::path out = a.value("--out", "report");
    store::Database db(g.databasePath);
    auto report = jobs::buildReport(db, suites, permutations);
    std::filesystem::create_directories(out);
    std::string markdown = report.markdown;
    std::size_t drawn = 0;
    int code = 0;
    if (!a.has("--no-charts") && !report.charts.empty()) {
        nlohmann::json charts = nlohmann::json::array();
        for (const auto& c : report.charts)
            charts.push_back({{"panel", c.panel},
                              {"runs", c.runs},
                              {"measure", c.measure},
                              {"query_set", c.querySet},
                              {"baseline", c.baseline},
                              {"file", (std::filesystem::absolute(out) / c.file).string()}});
        const auto request = (out / "charts.json").string();
        fs::writeFileAtomic(request, nlohmann::json{{"charts", charts}}.dump(2) + "\n");
        const std::string workbench = workbenchExecutable();
        std::string problem;
        if (workbench.empty()) {
            problem = "clirlab-workbench was not found beside clirlab or on PATH";
        } else {
            auto r = runProcess({"env", "QT_QPA_PLATFORM=offscreen", workbench, "--db", db.path(),
                                 "--charts", request},
                                {"", "", 600});
            if (r.exitCode != 0)
                problem = workbench + " failed: " + (r.err.empty() ? r.out : r.err);
            else
                drawn = report.charts.size();
            std::filesystem::remove(request);  // the request was only for the drawing
        }
        if (!problem.empty()) {
            std::fprintf(stderr, "clirlab: report: charts not drawn: %s\n", problem.c_str());
            markdown += "\n*Charts not drawn: " + problem + ".*\n";
            code = 1;
        }
    }
    fs::writeFileAtomic((out / "report.md").string(), markdown);
    std::printf("wrote %s: %zu runs used, %zu not run yet, %zu charts (PNG and SVG)\n",
                (out / "report.md").c_str(), report.runsUsed, report.runsMissing, drawn);
    return code;
}

}  // namespace clir::cli
