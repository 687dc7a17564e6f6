// Run details (see run_details.h). Rendered as Markdown so the corpus table reads as in the
// README and the CLI.
#include "app/workbench/views/run_details.h"

#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/data/corpus_stats.h"
#include "core/eval/measures.h"
#include "core/store/run_store.h"
#include "core/util/text.h"

namespace clir::workbench {

RunDetails::RunDetails(store::Database& db, QWidget* parent) : QTextBrowser(parent), db_(db) {
    setOpenExternalLinks(false);
    setPlaceholderText(tr("Select a run to see its provenance and results."));
}

void RunDetails::showRun(std::int64_t runId) {
    store::RunStore runs(db_);
    auto r = runId > 0 ? runs.run(runId) : std::nullopt;
    if (!r) {
        clear();
        return;
    }
    std::ostringstream md;
    md << "## Run " << r->id << ": " << r->name << "\n\n";
    md << "| | |\n|---|---|\n";
    md << "| method | " << r->method << " |\n";
    md << "| status | **" << store::toString(r->status) << "** |\n";
    if (!r->error.empty()) md << "| error | " << r->error << " |\n";
    md << "| languages | " << text::join(r->languages, ", ") << " |\n";
    md << "| created | " << r->createdAt << " |\n";
    md << "| started | " << r->startedAt << " |\n";
    md << "| finished | " << r->finishedAt << " |\n";
    md << "| code version | " << r->codeVersion << " |\n";
    md << "| config hash | `" << r->configHash.substr(0, 16) << "` |\n";
    if (!r->tags.empty()) md << "| tags | " << text::join(r->tags, ", ") << " |\n";
    for (const auto& note : runs.notes(r->id)) md << "| note | " << note << " |\n";
    auto results = runs.results(r->id);
    if (!results.empty()) {
        // One table per query set: languages as rows, the rank-based measures as columns.
        const auto& retrievalMeasures = eval::reportedMeasures();
        std::map<std::string, std::map<std::string, std::map<std::string, double>>> bySet;
        for (const auto& x : results) bySet[x.querySet][x.language][x.measure] = x.value;
        for (const auto& [set, byLanguage] : bySet) {
            // Retrieval sets show the rank measures; others (e.g. mlm) show what they stored.
            std::vector<std::string> measures = retrievalMeasures;
            if (!byLanguage.begin()->second.count("map")) {
                measures.clear();
                for (const auto& [m, _] : byLanguage.begin()->second) measures.push_back(m);
            }
            md << "\n### Results: " << set << "\n\n| language |";
            for (const auto& m : measures) md << " " << m << " |";
            md << "\n|---|";
            for (std::size_t i = 0; i < measures.size(); ++i) md << "---:|";
            md << "\n";
            for (const auto& [lang, values] : byLanguage) {
                md << "| " << lang << " |";
                for (const auto& m : measures) {
                    auto it = values.find(m);
                    char buf[32];
                    std::snprintf(buf, sizeof(buf), "%.4f", it == values.end() ? 0.0 : it->second);
                    md << " " << (it == values.end() ? std::string("–") : std::string(buf)) << " |";
                }
                md << "\n";
            }
        }
    }
    if (r->corpusId) {
        if (auto c = runs.corpusById(*r->corpusId)) {
            md << "\n### Corpus " << c->name << " (`" << c->hash.substr(0, 12) << "`)\n\n"
               << c->path << "\n\n";
            // The full statistics belong to the run that built the corpus.
            if (r->method == "corpus") {
                try {
                    md << data::formatStatsTable(nlohmann::json::parse(c->manifest));
                } catch (const std::exception& e) {
                    md << "(manifest unreadable: " << e.what() << ")\n";
                }
            }
        }
    }
    md << "\n### Configuration\n\n```\n" << r->config << "\n```\n";
    setMarkdown(QString::fromStdString(md.str()));
}

}  // namespace clir::workbench
