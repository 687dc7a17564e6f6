// Reading a built corpus back: its manifest, and the statistics tables `clirlab data stats`
// prints and the README shows.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace clir::data {

std::string defaultCorpusDir(const std::string& name = "libreoffice-help-7.4");

// Throws with the command to run when the corpus is missing or its manifest is unreadable.
nlohmann::json loadManifest(const std::string& corpusDir);

// Checks every file the manifest lists against its SHA-256 (once per process and corpus); throws
// naming the first file that is missing, truncated or altered, with the command that rebuilds.
void verifyCorpus(const std::string& corpusDir, const nlohmann::json& manifest);

// Markdown table: language x split counts, and the share of entries dropped as untranslated.
std::string formatStatsTable(const nlohmann::json& manifest);

}  // namespace clir::data
