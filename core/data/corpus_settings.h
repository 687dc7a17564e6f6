// Settings of the corpus builder, read from the "corpus" block of an experiment (or from the
// schema's defaults when `clirlab data build` runs on its own).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/config/schema.h"

namespace clir::data {

// The 35 languages Debian ships LibreOffice help for, as the help's folder names.
const std::vector<std::string>& helpLanguages();
const std::string& pivotLanguage();  // "en-US"

struct SplitSettings {
    double train = 0.7, dev = 0.1, test = 0.2;
    std::uint64_t seed = 0;
};

struct BitextSettings {
    int minChars = 0, maxChars = 0;
    double maxLengthRatio = 0;
};

struct CorpusSettings {
    std::string name;
    std::vector<std::string> languages;  // always includes the pivot
    SplitSettings split;
    BitextSettings bitext;

    static CorpusSettings fromJson(const nlohmann::json& validated);
    static CorpusSettings defaults();
    nlohmann::json toJson() const;
};

config::SchemaNode corpusSchema();

}  // namespace clir::data
