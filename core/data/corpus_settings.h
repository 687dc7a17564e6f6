// Settings of the corpus builder, read from the "corpus" block of an experiment (or from the
// schema's defaults when `clirlab data build` runs on its own).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/config/fields.h"

namespace clir::data {

// The 35 languages Debian ships LibreOffice help for, as the help's folder names.
const std::vector<std::string>& helpLanguages();
const std::string& pivotLanguage();  // "en-US"
// Whether `s` has the shape of a language tag as the help folders and imports use them: 2-3
// letters, then "-" subtags of 2-8 letters or digits (om, pt-BR, zh-CN).
bool isLanguageTag(const std::string& s);

// The folder name of a LibreOffice help corpus of `languages` (the pivot added): the default
// study's name for its own languages, else that name with the other languages appended
// ("libreoffice-help-7.4-ja"), so building another language never replaces the study's corpus.
std::string helpCorpusName(std::vector<std::string> languages);

struct SplitSettings {
    double train, dev, test;  // shares of pages, summing to 1
    std::uint64_t seed;       // of the page hash
    static const config::Fields<SplitSettings>& fields();
};

struct BitextSettings {
    int minChars, maxChars;  // code points per side
    double maxLengthRatio;   // longer / shorter side
    static const config::Fields<BitextSettings>& fields();
};

struct CorpusSettings {
    std::string name;
    std::vector<std::string> languages;  // always includes the pivot
    SplitSettings split;
    BitextSettings bitext;

    static const config::Fields<CorpusSettings>& fields();
    // Adds the pivot and checks the split and length bounds.
    static CorpusSettings fromJson(const nlohmann::json& validated);
    static CorpusSettings defaults();
    nlohmann::json toJson() const;
};

inline config::SchemaNode corpusSchema() {
    return CorpusSettings::fields().schema();
}

}  // namespace clir::data
