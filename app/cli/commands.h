// The `clirlab` subcommands. Each returns the process exit code: 0 ok, 1 failure; usage errors
// are thrown as UsageError and become 2.
#pragma once

#include <string>
#include <vector>

#include "core/data/corpus_builder.h"
#include "core/data/corpus_settings.h"

namespace clir::cli {

struct GlobalOptions {
    std::string databasePath;  // --db, else the default in the user's data directory
};

int dataFetch(const GlobalOptions& g, const std::vector<std::string>& args);
int dataBuild(const GlobalOptions& g, const std::vector<std::string>& args);
int dataImport(const GlobalOptions& g, const std::vector<std::string>& args);
// Builds the corpus of `settings` from the package cache with a progress bar and registers it in
// the database (data build, run --lang).
data::CorpusBuildResult buildAndRegisterCorpus(const GlobalOptions& g,
                                               const data::CorpusSettings& settings);
int dataStats(const GlobalOptions& g, const std::vector<std::string>& args);
// The light clirlab: the command line that run, resume, model info, translate and align hand to
// clirlab-torch (app/cli/forward.cpp).
void setForwardedArguments(char** argv);

int runExperiment(const GlobalOptions& g, const std::vector<std::string>& args);
int resumeRun(const GlobalOptions& g, const std::vector<std::string>& args);
int translateCommand(const GlobalOptions& g, const std::vector<std::string>& args);
int alignCommand(const GlobalOptions& g, const std::vector<std::string>& args);
int modelInfo(const GlobalOptions& g, const std::vector<std::string>& args);
int listRuns(const GlobalOptions& g, const std::vector<std::string>& args);
int showRun(const GlobalOptions& g, const std::vector<std::string>& args);
int evalRun(const GlobalOptions& g, const std::vector<std::string>& args);
int exportRun(const GlobalOptions& g, const std::vector<std::string>& args);
int compareRuns(const GlobalOptions& g, const std::vector<std::string>& args);
int reevalRuns(const GlobalOptions& g, const std::vector<std::string>& args);
int archiveCommand(const GlobalOptions& g, const std::vector<std::string>& args);
int restoreCommand(const GlobalOptions& g, const std::vector<std::string>& args);
int reportCommand(const GlobalOptions& g, const std::vector<std::string>& args);
int schemaReference(const GlobalOptions& g, const std::vector<std::string>& args);

}  // namespace clir::cli
