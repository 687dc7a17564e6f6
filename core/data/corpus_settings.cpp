// Corpus settings and their schema: the single home of every corpus default.
#include "core/data/corpus_settings.h"

#include <algorithm>

namespace clir::data {

const std::vector<std::string>& helpLanguages() {
    static const std::vector<std::string> langs = {
        "ca", "cs",    "da", "de", "dz", "el", "en-GB", "en-US", "es",    "et",   "eu", "fi",
        "fr", "gl",    "hi", "hu", "id", "it", "ja",    "km",    "ko",    "nl",   "om", "pl",
        "pt", "pt-BR", "ru", "sk", "sl", "sv", "tr",    "vi",    "zh-CN", "zh-TW"};
    return langs;
}

const std::string& pivotLanguage() {
    static const std::string pivot = "en-US";
    return pivot;
}

config::SchemaNode corpusSchema() {
    using config::SchemaNode;
    SchemaNode languages = SchemaNode::array(
        "languages to build (SPEC 2: low-resource om, km, dz, eu; high-resource de, fr, es; "
        "pivot en-US, always added)",
        SchemaNode::string("a LibreOffice help language", nullptr, helpLanguages()),
        {"en-US", "om", "km", "dz", "eu", "de", "fr", "es"});
    languages.minItems = 1;
    languages.uniqueItems = true;
    return SchemaNode::object(
        "corpus built from Debian's libreoffice-help packages",
        {{"name", SchemaNode::string("corpus folder name under $CLIRLAB_DATA/corpora",
                                     "libreoffice-help-7.4")},
         {"languages", languages},
         {"split",
          SchemaNode::object(
              "deterministic split of pages by hash (fractions sum to 1)",
              {{"train", SchemaNode::number("share of pages for training", 0.7, 0.0, 1.0)},
               {"dev", SchemaNode::number("share of pages for development", 0.1, 0.0, 1.0)},
               {"test", SchemaNode::number("share of pages for testing", 0.2, 0.0, 1.0)},
               {"seed", SchemaNode::integer("seed of the page hash", 20240601, 0.0)}})},
         {"bitext",
          SchemaNode::object(
              "length filter for paragraph pairs",
              {{"min_chars", SchemaNode::integer("shortest side, code points", 3, 1.0)},
               {"max_chars", SchemaNode::integer("longest side, code points", 1000, 1.0)},
               {"max_length_ratio",
                SchemaNode::number("longer/shorter side length, code points", 4.0, 1.0)}})}});
}

CorpusSettings CorpusSettings::fromJson(const nlohmann::json& j) {
    CorpusSettings s;
    s.name = j.at("name").get<std::string>();
    s.languages = j.at("languages").get<std::vector<std::string>>();
    if (std::find(s.languages.begin(), s.languages.end(), pivotLanguage()) == s.languages.end())
        s.languages.insert(s.languages.begin(), pivotLanguage());
    const auto& sp = j.at("split");
    s.split = {sp.at("train").get<double>(), sp.at("dev").get<double>(),
               sp.at("test").get<double>(), sp.at("seed").get<std::uint64_t>()};
    double sum = s.split.train + s.split.dev + s.split.test;
    if (std::abs(sum - 1.0) > 1e-9)
        throw config::ConfigError("field 'corpus.split': train + dev + test must be 1, got " +
                                  nlohmann::json(sum).dump());
    const auto& bt = j.at("bitext");
    s.bitext = {bt.at("min_chars").get<int>(), bt.at("max_chars").get<int>(),
                bt.at("max_length_ratio").get<double>()};
    if (s.bitext.minChars > s.bitext.maxChars)
        throw config::ConfigError("field 'corpus.bitext.min_chars': larger than max_chars");
    return s;
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
