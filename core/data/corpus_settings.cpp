// Corpus settings and their schema: the single home of every corpus default.
#include "core/data/corpus_settings.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "core/util/text.h"

namespace clir::data {

const std::vector<std::string>& helpLanguages() {
    static const std::vector<std::string> langs = {
        "ca", "cs",    "da", "de", "dz", "el", "en-GB", "en-US", "es",    "et",   "eu", "fi",
        "fr", "gl",    "hi", "hu", "id", "it", "ja",    "km",    "ko",    "nl",   "om", "pl",
        "pt", "pt-BR", "ru", "sk", "sl", "sv", "tr",    "vi",    "zh-CN", "zh-TW"};
    return langs;
}

bool isLanguageTag(const std::string& s) {
    // BCP 47's shape as the help folders use it: 2-3 letters, then -subtags of 2-8 alphanumerics.
    std::size_t i = 0;
    while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) ++i;
    if (i < 2 || i > 3) return false;
    while (i < s.size()) {
        if (s[i] != '-') return false;
        std::size_t j = ++i;
        while (j < s.size() && std::isalnum(static_cast<unsigned char>(s[j]))) ++j;
        if (j - i < 2 || j - i > 8) return false;
        i = j;
    }
    return true;
}

const std::string& pivotLanguage() {
    static const std::string pivot = "en-US";
    return pivot;
}

const config::Fields<SplitSettings>& SplitSettings::fields() {
    using S = SplitSettings;
    static const auto f =
        config::Fields<S>("deterministic split of pages by hash (fractions sum to 1)")
            .number("train", &S::train, "share of pages for training", 0.7, 0.0, 1.0)
            .number("dev", &S::dev, "share of pages for development", 0.1, 0.0, 1.0)
            .number("test", &S::test, "share of pages for testing", 0.2, 0.0, 1.0)
            .integer("seed", &S::seed, "seed of the page hash", std::uint64_t(20240601), 0.0);
    return f;
}

const config::Fields<BitextSettings>& BitextSettings::fields() {
    using S = BitextSettings;
    static const auto f =
        config::Fields<S>("length filter for paragraph pairs")
            .integer("min_chars", &S::minChars, "shortest side, code points", 3, 1.0)
            .integer("max_chars", &S::maxChars, "longest side, code points", 1000, 1.0)
            .number("max_length_ratio", &S::maxLengthRatio,
                    "longer/shorter side length, code points", 4.0, 1.0);
    return f;
}

const config::Fields<CorpusSettings>& CorpusSettings::fields() {
    using S = CorpusSettings;
    static const auto f = [] {
        auto languages =
            config::Fields<S>("corpus built from Debian's libreoffice-help packages")
                .text("name", &S::name, "corpus folder name under $CLIRLAB_DATA/corpora",
                      "libreoffice-help-7.4")
                .texts("languages", &S::languages,
                       "languages to build or read (SPEC 2: low-resource om, km, dz, eu; "
                       "high-resource de, fr, es; pivot en-US, always added): LibreOffice help "
                       "languages, or those of a collection brought in with clirlab data import",
                       {"en-US", "om", "km", "dz", "eu", "de", "fr", "es"}, {}, true,
                       "a language tag: a LibreOffice help language (" +
                           text::join(helpLanguages(), ", ") +
                           ") or one of an imported collection (clirlab data import)",
                       1)
                .block("split", &S::split, SplitSettings::fields())
                .block("bitext", &S::bitext, BitextSettings::fields());
        return languages;
    }();
    return f;
}

CorpusSettings CorpusSettings::fromJson(const nlohmann::json& j) {
    CorpusSettings s = fields().read(j);
    for (const auto& l : s.languages)
        if (!isLanguageTag(l))
            throw config::ConfigError("field 'corpus.languages': '" + l +
                                      "' is not a language tag (like om, pt-BR or zh-CN)");
    if (std::find(s.languages.begin(), s.languages.end(), pivotLanguage()) == s.languages.end())
        s.languages.insert(s.languages.begin(), pivotLanguage());
    double sum = s.split.train + s.split.dev + s.split.test;
    if (std::abs(sum - 1.0) > 1e-9)
        throw config::ConfigError("field 'corpus.split': train + dev + test must be 1, got " +
                                  nlohmann::json(sum).dump());
    if (s.bitext.minChars > s.bitext.maxChars)
        throw config::ConfigError("field 'corpus.bitext.min_chars': larger than max_chars");
    return s;
}

std::string helpCorpusName(std::vector<std::string> languages) {
    const auto defaults = CorpusSettings::defaults();
    auto sorted = [](std::vector<std::string> v) {
        std::sort(v.begin(), v.end());
        v.erase(std::unique(v.begin(), v.end()), v.end());
        return v;
    };
    languages.push_back(pivotLanguage());
    languages = sorted(languages);
    if (languages == sorted(defaults.languages)) return defaults.name;
    std::string name = defaults.name;
    for (const auto& l : languages)
        if (l != pivotLanguage()) name += "-" + l;
    return name;
}

CorpusSettings CorpusSettings::defaults() {
    nlohmann::json j = nlohmann::json::object();
    config::validate(j, corpusSchema(), "corpus");
    return fromJson(j);
}

nlohmann::json CorpusSettings::toJson() const {
    return {
        {"name", name},
        {"languages", languages},
        {"split",
         {{"train", split.train}, {"dev", split.dev}, {"test", split.test}, {"seed", split.seed}}},
        {"bitext",
         {{"min_chars", bitext.minChars},
          {"max_chars", bitext.maxChars},
          {"max_length_ratio", bitext.maxLengthRatio}}}};
}

}  // namespace clir::data
