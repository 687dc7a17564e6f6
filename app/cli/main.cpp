// `clirlab`: the headless front end. It runs the same jobs as the workbench and writes to the
// same database. Exit codes: 0 ok, 1 failure, 2 usage error.
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "core/jobs/job_runner.h"
#include "core/util/fs.h"

namespace {

using Command =
    std::function<int(const clir::cli::GlobalOptions&, const std::vector<std::string>&)>;

const char* kUsage =
    "usage: clirlab [--db FILE] <command> [arguments]\n"
    "\n"
    "commands:\n"
    "  data fetch     download and verify the pinned libreoffice-help packages\n"
    "  data build     build the CLIR corpus (documents, bitext, queries, qrels, splits)\n"
    "  data import    import your own collection (documents, queries, qrels, bitext)\n"
    "  data stats     corpus statistics per language and split (--json)\n"
    "  run FILE       run an experiment file (experiments/*.json)\n"
    "  list           list runs\n"
    "  show RUN       show one run\n"
    "  resume RUN     continue an interrupted run from its last checkpoint\n"
    "  model info     shape and parameter count of an encoder preset\n"
    "  translate RUN TEXT --lang L   translate a query into English with an nmt run's model\n"
    "  align RUN ENGLISH OTHER       transport plan of two sentences under a run's checkpoint\n"
    "  eval           evaluate a TREC run file against qrels (trec_eval semantics)\n"
    "  export RUN     export a run's TREC files or results (--format trec|csv)\n"
    "  compare RUN... per-language table of several runs with significance markers\n"
    "  reeval RUN...  recompute stored runs' measures from their TREC files (--all: every run)\n"
    "  report         the RQ1/RQ2 report (Markdown, PNG and SVG charts) from the database\n"
    "  archive SUITE  finished runs as portable JSON files (--out DIR; --runs ID,...)\n"
    "  restore PATH   bring archived runs into the database (reused by run, read by report)\n"
    "  schema         every method and setting: key, type, default, range, description\n"
    "\n"
    "options:\n"
    "  --db FILE      database (default: $CLIRLAB_DB or ~/.local/share/clirlab/clirlab.db)\n"
    "  --version      print the version\n"
    "  --help         this help; 'clirlab <command> --help' for a command's own\n"
    "\n"
    "data cache: $CLIRLAB_DATA (default ~/.cache/clirlab)\n";

}  // namespace

int main(int argc, char** argv) {
#ifdef CLIRLAB_FORWARD_TORCH
    clir::cli::setForwardedArguments(argv);
#endif
    std::vector<std::string> args(argv + 1, argv + argc);
    clir::cli::GlobalOptions global{clir::fs::defaultDatabasePath()};
    try {
        while (!args.empty() && args[0].rfind("--", 0) == 0) {
            if (args[0] == "--help" || args[0] == "-h") {
                std::fputs(kUsage, stdout);
                return 0;
            }
            if (args[0] == "--version") {
                std::printf("clirlab %s\n", clir::jobs::codeVersion().c_str());
                return 0;
            }
            if (args[0] == "--db" || args[0].rfind("--db=", 0) == 0) {
                if (args[0] == "--db") {
                    if (args.size() < 2) throw clir::cli::UsageError("--db needs a file");
                    global.databasePath = args[1];
                    args.erase(args.begin(), args.begin() + 2);
                } else {
                    global.databasePath = args[0].substr(5);
                    args.erase(args.begin());
                }
                continue;
            }
            throw clir::cli::UsageError("unknown option '" + args[0] + "'");
        }
        if (args.empty()) throw clir::cli::UsageError("no command given");

        static const std::map<std::string, Command> commands = {
            {"data fetch", clir::cli::dataFetch},
            {"data build", clir::cli::dataBuild},
            {"data import", clir::cli::dataImport},
            {"data stats", clir::cli::dataStats},
            {"run", clir::cli::runExperiment},
            {"list", clir::cli::listRuns},
            {"show", clir::cli::showRun},
            {"eval", clir::cli::evalRun},
            {"export", clir::cli::exportRun},
            {"compare", clir::cli::compareRuns},
            {"resume", clir::cli::resumeRun},
            {"model info", clir::cli::modelInfo},
            {"translate", clir::cli::translateCommand},
            {"align", clir::cli::alignCommand},
            {"reeval", clir::cli::reevalRuns},
            {"schema", clir::cli::schemaReference},
            {"report", clir::cli::reportCommand},
            {"archive", clir::cli::archiveCommand},
            {"restore", clir::cli::restoreCommand}};
        std::string name = args[0];
        std::size_t consumed = 1;
        if (name == "data" || name == "model") {
            if (args.size() < 2 || args[1] == "--help" || args[1] == "-h") {
                std::fputs(name == "data" ? "usage: clirlab data fetch|build|stats [--help]\n"
                                          : "usage: clirlab model info [--help]\n",
                           args.size() < 2 ? stderr : stdout);
                return args.size() < 2 ? 2 : 0;
            }
            name += " " + args[1];
            consumed = 2;
        }
        auto it = commands.find(name);
        if (it == commands.end()) throw clir::cli::UsageError("unknown command '" + name + "'");
        return it->second(global, std::vector<std::string>(args.begin() + consumed, args.end()));
    } catch (const clir::cli::UsageError& e) {
        std::fprintf(
            stderr, "clirlab: %s\n%s", e.what(),
            std::strstr(e.what(), "--help") ? "" : "(clirlab --help lists the commands)\n");
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "clirlab: %s\n", e.what());
        return 1;
    }
}
