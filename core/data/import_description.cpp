// The import description: parsing and checking (see corpus_import.h).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

#include "core/config/schema.h"
#include "core/data/corpus_import.h"

namespace clir::data {
namespace {

using config::ConfigError;
const char* const kSplitNames[] = {"train", "dev", "test"};

std::string stringField(const nlohmann::json& j, const std::string& key, const std::string& at,
                        bool required = true) {
    if (!j.contains(key)) {
        if (required) throw ConfigError("field '" + at + key + "': required");
        return "";
    }
    if (!j.at(key).is_string() || j.at(key).get<std::string>().empty())
        throw ConfigError("field '" + at + key + "': expected a non-empty string, got " +
                          j.at(key).dump());
    return j.at(key).get<std::string>();
}

void checkKeys(const nlohmann::json& j, const std::set<std::string>& known, const std::string& at) {
    if (!j.is_object()) throw ConfigError("field '" + at + "': expected an object");
    for (const auto& [key, _] : j.items())
        if (!known.count(key)) throw ConfigError("field '" + at + key + "': unknown key");
}

std::string checkedLanguage(const std::string& language, const std::string& field) {
    if (!isLanguageTag(language))
        throw ConfigError("field '" + field + "': '" + language +
                          "' is not a language tag (like om, pt-BR or zh-CN)");
    return language;
}

std::string checkedSplit(const std::string& split, const std::string& field) {
    for (const char* s : kSplitNames)
        if (split == s) return split;
    throw ConfigError("field '" + field + "': '" + split + "' is not train, dev or test");
}

}  // namespace

std::vector<std::string> ImportSpec::languages() const {
    std::vector<std::string> out = {pivotLanguage()};
    auto add = [&](const std::string& l) {
        if (std::find(out.begin(), out.end(), l) == out.end()) out.push_back(l);
    };
    for (const auto& d : documents) add(d.language);
    for (const auto& q : queries) add(q.language);
    for (const auto& b : bitext) add(b.language);
    return out;
}

std::vector<std::string> ImportSpec::querySets() const {
    std::vector<std::string> out;
    for (const auto& q : queries)
        if (std::find(out.begin(), out.end(), q.set) == out.end()) out.push_back(q.set);
    return out;
}

ImportSpec parseImportSpec(const std::string& text, const std::string& source) {
    ImportSpec s;
    s.source = source;
    const auto base = std::filesystem::path(source).parent_path();
    auto resolve = [&](const std::string& file) {
        auto p = std::filesystem::path(file);
        return (p.is_absolute() || base.empty() ? p : base / p).lexically_normal().string();
    };
    try {
        auto j = config::parseJson(text, source);
        checkKeys(
            j,
            {"name", "description", "documents", "queries", "qrels", "bitext", "splits", "split"},
            "");
        s.name = stringField(j, "name", "");
        if (s.name.find('/') != std::string::npos || s.name == "." || s.name == "..")
            throw ConfigError("field 'name': '" + s.name + "' must be a folder name");
        auto list = [&](const char* key, bool required) {
            if (!j.contains(key)) {
                if (required) throw ConfigError(std::string("field '") + key + "': required");
                return nlohmann::json::array();
            }
            if (!j.at(key).is_array() || (required && j.at(key).empty()))
                throw ConfigError(std::string("field '") + key + "': expected a " +
                                  (required ? "non-empty " : "") + "list");
            return j.at(key);
        };
        std::size_t i = 0;
        for (const auto& d : list("documents", true)) {
            const std::string at = "documents[" + std::to_string(i++) + "].";
            checkKeys(d, {"language", "file"}, at);
            s.documents.push_back({checkedLanguage(stringField(d, "language", at), at + "language"),
                                   resolve(stringField(d, "file", at))});
        }
        if (std::none_of(s.documents.begin(), s.documents.end(),
                         [](const auto& d) { return d.language == pivotLanguage(); }))
            throw ConfigError("field 'documents': no documents of the pivot language " +
                              pivotLanguage() + " (the pages every query is judged against)");
        i = 0;
        for (const auto& q : list("queries", true)) {
            const std::string at = "queries[" + std::to_string(i++) + "].";
            checkKeys(q, {"language", "set", "file", "fields", "topic_language"}, at);
            ImportSpec::Queries e{
                checkedLanguage(stringField(q, "language", at), at + "language"),
                q.contains("set") ? stringField(q, "set", at) : "entries",
                resolve(stringField(q, "file", at)),
                {"title"},
                q.contains("topic_language") ? stringField(q, "topic_language", at) : ""};
            if (e.set.find_first_of("./+@ \t") != std::string::npos)
                throw ConfigError("field '" + at + "set': '" + e.set +
                                  "' may not contain . / + @ or white space");
            if (q.contains("fields")) {
                const auto& f = q.at("fields");
                if (!f.is_array() || f.empty() ||
                    !std::all_of(f.begin(), f.end(), [](const auto& x) { return x.is_string(); }))
                    throw ConfigError("field '" + at +
                                      "fields': expected a non-empty list of names");
                e.fields = f.get<std::vector<std::string>>();
            }
            for (const auto& other : s.queries)
                if (other.language == e.language && other.set == e.set)
                    throw ConfigError("field '" + at + "': a second file for " + e.language +
                                      " queries of set '" + e.set + "'");
            s.queries.push_back(std::move(e));
        }
        i = 0;
        for (const auto& q : list("qrels", true)) {
            const std::string at = "qrels[" + std::to_string(i++) + "].";
            checkKeys(q, {"set", "file", "language"}, at);
            ImportSpec::QrelsFile e{
                q.contains("set") ? stringField(q, "set", at) : "entries",
                resolve(stringField(q, "file", at)),
                q.contains("language")
                    ? checkedLanguage(stringField(q, "language", at), at + "language")
                    : ""};
            const auto sets = s.querySets();
            if (std::find(sets.begin(), sets.end(), e.set) == sets.end())
                throw ConfigError("field '" + at + "set': no queries of set '" + e.set + "'");
            s.qrels.push_back(std::move(e));
        }
        i = 0;
        for (const auto& b : list("bitext", false)) {
            const std::string at = "bitext[" + std::to_string(i++) + "].";
            checkKeys(b, {"language", "file", "split"}, at);
            ImportSpec::Bitext e{
                checkedLanguage(stringField(b, "language", at), at + "language"),
                resolve(stringField(b, "file", at)),
                b.contains("split") ? checkedSplit(stringField(b, "split", at), at + "split") : ""};
            if (e.language == pivotLanguage())
                throw ConfigError("field '" + at +
                                  "language': bitext pairs English with another "
                                  "language, not with " +
                                  pivotLanguage());
            s.bitext.push_back(std::move(e));
        }
        if (j.contains("splits")) s.splitsFile = resolve(stringField(j, "splits", ""));
        if (j.contains("split")) {
            if (!s.splitsFile.empty())
                throw ConfigError(
                    "field 'split': give either 'splits' (a file) or 'split' "
                    "(shares for the seeded splitter)");
            nlohmann::json split = j.at("split");
            config::validate(split, SplitSettings::fields().schema(), "split");
            s.split = SplitSettings::fields().read(split);
            const double sum = s.split.train + s.split.dev + s.split.test;
            if (std::abs(sum - 1.0) > 1e-9)
                throw ConfigError("field 'split': train + dev + test must be 1, got " +
                                  nlohmann::json(sum).dump());
        }
    } catch (const ConfigError& e) {
        const std::string msg = e.what();
        if (msg.rfind(source + ":", 0) == 0) throw;
        throw ConfigError(source + ": " + msg);
    }
    return s;
}

CorpusSettings importedSettings(const ImportSpec& spec) {
    CorpusSettings s = CorpusSettings::defaults();
    s.name = spec.name;
    s.languages = spec.languages();
    s.split = spec.split;
    return s;
}

}  // namespace clir::data
