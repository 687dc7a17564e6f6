// `clirlab data build`: turns unpacked libreoffice-help trees into the CLIR corpus (SPEC 2):
// documents and passages per language, bitext X<->English by paragraph id, index-entry and
// heading query sets with TREC qrels, and page-level train/dev/test splits, with a manifest.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/data/corpus_settings.h"
#include "core/jobs/job.h"

namespace clir::data {

struct LanguageSource {
    std::string language;       // help folder name, e.g. "om"
    std::string helpRoot;       // folder holding <language>/bookmarks.js and <language>/text
    nlohmann::json provenance;  // package, version, sha256 (written to the manifest)
};

struct CorpusBuildResult {
    std::string directory;
    std::string hash;  // SHA-256 over the settings and the hash of every file written
    nlohmann::json manifest;
};

// Writes into `outDir` (replaced atomically: a failed build leaves the old corpus in place).
CorpusBuildResult buildCorpus(const CorpusSettings& settings,
                              const std::vector<LanguageSource>& sources, const std::string& outDir,
                              const jobs::JobContext& context);

}  // namespace clir::data
