// Run details (see run_details.h). Rendered as Markdown so the corpus table reads as in the
// README and the CLI.
#include "app/workbench/views/run_details.h"

#include <nlohmann/json.hpp>
#include <sstream>

#include "core/data/corpus_stats.h"
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
    if (r->corpusId) {
        if (auto c = runs.corpusById(*r->corpusId)) {
            md << "\n### Corpus " << c->name << " (`" << c->hash.substr(0, 12) << "`)\n\n"
               << c->path << "\n\n";
            try {
                md << data::formatStatsTable(nlohmann::json::parse(c->manifest));
            } catch (const std::exception& e) {
                md << "(manifest unreadable: " << e.what() << ")\n";
            }
        }
    }
    md << "\n### Configuration\n\n```\n" << r->config << "\n```\n";
    setMarkdown(QString::fromStdString(md.str()));
}

}  // namespace clir::workbench
