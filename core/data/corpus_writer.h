// Writing a corpus folder (shared by `data build` and `data import`): files go into
// "<out>.partial" with their SHA-256 recorded for the manifest, and publishCorpus swaps the
// finished folder in, so a failed build or import leaves the old corpus in place.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace clir::data {

class CorpusWriter {
  public:
    // Starts an empty "<outDir>.partial".
    explicit CorpusWriter(std::string outDir);
    void write(const std::string& relativePath, const std::string& content);
    const std::map<std::string, std::string>& hashes() const { return hashes_; }
    const std::string& partialDir() const { return dir_; }
    // Adds "files" and "hash" (SHA-256 of the rest) to the manifest, writes it and swaps the
    // folder in for `outDir`. Returns the hash.
    std::string publish(nlohmann::json& manifest);

  private:
    std::string outDir_, dir_;
    std::map<std::string, std::string> hashes_;
};

}  // namespace clir::data
