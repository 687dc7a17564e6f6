// Importing a researcher's own collection (see corpus_import.h).
#include "core/data/corpus_import.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "core/config/schema.h"
#include "core/data/corpus_writer.h"
#include "core/data/splitter.h"
#include "core/util/fs.h"
#include "core/util/sha256.h"
#include "core/util/text.h"

namespace clir::data {
namespace {

constexpr int kImporterVersion = 1;  // bump when the output changes for the same input
const char* const kSplitNames[] = {"train", "dev", "test"};

using config::ConfigError;

// ---- the description -------------------------------------------------------------------

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

// ---- reading the inputs --------------------------------------------------------------------

// Calls row(line, lineNo) for each line of a file that is not empty after trimming, after
// checking it is UTF-8; errors name the file and line.
template <typename Row>
void forEachLine(const std::string& path, Row&& row) {
    std::istringstream in(fs::readFile(path));
    std::size_t lineNo = 0;
    for (std::string line; std::getline(in, line);) {
        ++lineNo;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (text::trim(line).empty()) continue;
        std::size_t bad = 0;
        if (!text::isValidUtf8(line, &bad))
            throw std::runtime_error(path + ":" + std::to_string(lineNo) +
                                     ": invalid UTF-8 at byte " + std::to_string(bad + 1));
        try {
            row(line, lineNo);
        } catch (const nlohmann::json::exception& e) {
            throw std::runtime_error(path + ":" + std::to_string(lineNo) + ": " + e.what());
        }
    }
}

std::string lineError(const std::string& path, std::size_t lineNo, const std::string& what) {
    return path + ":" + std::to_string(lineNo) + ": " + what;
}

bool isJsonl(const std::string& path) {
    return text::endsWith(path, ".jsonl") || text::endsWith(path, ".json");
}

// A normalised one-line text: white space collapsed, NFC.
std::string oneLine(const std::string& s) {
    return text::nfc(text::collapseWhitespace(s));
}

// An id given as a string or an integer; "" when absent.
std::string idOf(const nlohmann::json& j, const std::vector<const char*>& keys, std::string& key) {
    for (const char* k : keys) {
        if (!j.contains(k)) continue;
        key = k;
        const auto& v = j.at(k);
        if (v.is_string()) return text::trim(v.get<std::string>());
        if (v.is_number_integer()) return v.dump();
        return "\x01";  // present but not usable
    }
    return "";
}

std::string textField(const nlohmann::json& j, const char* key) {
    if (!j.contains(key) || j.at(key).is_null()) return "";
    if (!j.at(key).is_string())
        throw std::invalid_argument(std::string("field '") + key + "' is not a string");
    return j.at(key).get<std::string>();
}

struct Document {
    std::string id, title;
    std::vector<std::string> paragraphs;
};

std::vector<Document> readDocumentFile(const std::string& path) {
    std::vector<Document> docs;
    std::map<std::string, std::size_t> lineOf;
    forEachLine(path, [&](const std::string& line, std::size_t lineNo) {
        Document d;
        std::string body;
        if (isJsonl(path)) {
            auto j = nlohmann::json::parse(line);
            if (!j.is_object()) throw std::runtime_error(lineError(path, lineNo, "not an object"));
            std::string key;
            d.id = idOf(j, {"doc_id", "id", "docid"}, key);
            if (d.id == "\x01")
                throw std::runtime_error(
                    lineError(path, lineNo, "field '" + key + "' is not a string or integer"));
            if (d.id.empty())
                throw std::runtime_error(lineError(path, lineNo, "no \"doc_id\" or \"id\""));
            try {
                d.title = oneLine(textField(j, "title"));
                body = textField(j, "text");
            } catch (const std::invalid_argument& e) {
                throw std::runtime_error(lineError(path, lineNo, e.what()));
            }
        } else {
            auto parts = text::split(line, '\t');
            if (parts.size() != 2 && parts.size() != 3)
                throw std::runtime_error(
                    lineError(path, lineNo,
                              "expected id<TAB>text or id<TAB>title<TAB>text, got " +
                                  std::to_string(parts.size()) + " fields"));
            d.id = text::trim(parts[0]);
            if (d.id.empty()) throw std::runtime_error(lineError(path, lineNo, "empty id"));
            if (parts.size() == 3) d.title = oneLine(parts[1]);
            body = parts.back();
        }
        if (d.id.find_first_of(" \t") != std::string::npos)
            throw std::runtime_error(
                lineError(path, lineNo, "document id '" + d.id + "' contains white space"));
        for (const auto& p : text::split(body, '\n')) {
            auto clean = oneLine(p);
            if (!clean.empty()) d.paragraphs.push_back(std::move(clean));
        }
        if (d.paragraphs.empty() && d.title.empty())
            throw std::runtime_error(
                lineError(path, lineNo, "document '" + d.id + "' has neither title nor text"));
        if (auto [it, added] = lineOf.emplace(d.id, lineNo); !added)
            throw std::runtime_error(lineError(path, lineNo,
                                               "duplicate document id '" + d.id +
                                                   "' (first on line " +
                                                   std::to_string(it->second) + ")"));
        docs.push_back(std::move(d));
    });
    if (docs.empty()) throw std::runtime_error(path + ": no documents");
    return docs;
}

struct Query {
    std::string qid, text;
};

std::vector<Query> readQueryFile(const ImportSpec::Queries& q) {
    std::vector<Query> out;
    std::map<std::string, std::size_t> lineOf;
    forEachLine(q.file, [&](const std::string& line, std::size_t lineNo) {
        Query query;
        if (isJsonl(q.file)) {
            auto j = nlohmann::json::parse(line);
            if (!j.is_object())
                throw std::runtime_error(lineError(q.file, lineNo, "not an object"));
            std::string key;
            query.qid = idOf(j, {"query_id", "qid", "topic_id", "id"}, key);
            if (query.qid == "\x01")
                throw std::runtime_error(
                    lineError(q.file, lineNo, "field '" + key + "' is not a string or integer"));
            if (query.qid.empty())
                throw std::runtime_error(
                    lineError(q.file, lineNo, "no \"query_id\", \"qid\", \"topic_id\" or \"id\""));
            const nlohmann::json* source = &j;
            std::string prefix;
            if (!q.topicLanguage.empty()) {
                // HC4 / NeuCLIR: {"topics": [{"lang": .., "topic_title": .., ...}]}
                if (!j.contains("topics") || !j.at("topics").is_array())
                    throw std::runtime_error(lineError(q.file, lineNo, "no \"topics\" array"));
                source = nullptr;
                for (const auto& t : j.at("topics"))
                    if (t.is_object() && t.value("lang", "") == q.topicLanguage) {
                        source = &t;
                        break;
                    }
                if (!source)
                    throw std::runtime_error(lineError(
                        q.file, lineNo, "no topic in language '" + q.topicLanguage + "'"));
                prefix = "topic_";
            }
            std::vector<std::string> parts;
            for (const auto& f : q.fields) {
                const std::string name = source->contains(f) ? f : prefix + f;
                try {
                    if (auto t = oneLine(textField(*source, name.c_str())); !t.empty())
                        parts.push_back(t);
                } catch (const std::invalid_argument& e) {
                    throw std::runtime_error(lineError(q.file, lineNo, e.what()));
                }
            }
            query.text = text::join(parts, " ");
        } else {
            auto tab = line.find('\t');
            if (tab == std::string::npos || line.find('\t', tab + 1) != std::string::npos)
                throw std::runtime_error(lineError(q.file, lineNo, "expected qid<TAB>text"));
            query.qid = text::trim(line.substr(0, tab));
            query.text = oneLine(line.substr(tab + 1));
        }
        if (query.qid.empty()) throw std::runtime_error(lineError(q.file, lineNo, "empty qid"));
        if (query.qid.find_first_of(" \t") != std::string::npos)
            throw std::runtime_error(
                lineError(q.file, lineNo, "query id '" + query.qid + "' contains white space"));
        if (query.text.empty())
            throw std::runtime_error(lineError(
                q.file, lineNo,
                "query '" + query.qid + "' has no text" +
                    (isJsonl(q.file) ? " in its fields " + text::join(q.fields, ", ") : "")));
        if (auto [it, added] = lineOf.emplace(query.qid, lineNo); !added)
            throw std::runtime_error(lineError(q.file, lineNo,
                                               "duplicate qid '" + query.qid + "' (first on line " +
                                                   std::to_string(it->second) + ")"));
        out.push_back(std::move(query));
    });
    if (out.empty()) throw std::runtime_error(q.file + ": no queries");
    return out;
}

struct Judgment {
    std::string qid, docid;
    int relevance;
};

std::vector<Judgment> readQrelsFile(const std::string& path, const std::set<std::string>& docs,
                                    const std::string& docsSource) {
    std::vector<Judgment> out;
    std::map<std::pair<std::string, std::string>, std::size_t> lineOf;
    forEachLine(path, [&](const std::string& line, std::size_t lineNo) {
        std::istringstream in(line);
        std::vector<std::string> f;
        for (std::string w; in >> w;) f.push_back(w);
        if (f.size() != 4)
            throw std::runtime_error(lineError(path, lineNo,
                                               "expected 'qid iteration docid relevance', got " +
                                                   std::to_string(f.size()) + " fields"));
        int rel = 0;
        try {
            std::size_t used = 0;
            rel = std::stoi(f[3], &used);
            if (used != f[3].size()) throw std::invalid_argument(f[3]);
        } catch (const std::exception&) {
            throw std::runtime_error(
                lineError(path, lineNo, "relevance '" + f[3] + "' is not an integer"));
        }
        if (!docs.count(f[2]))
            throw std::runtime_error(
                lineError(path, lineNo,
                          "document '" + f[2] + "' is not among the documents of " + docsSource));
        if (auto [it, added] = lineOf.emplace(std::make_pair(f[0], f[2]), lineNo); !added)
            throw std::runtime_error(lineError(path, lineNo,
                                               "query '" + f[0] + "' judges '" + f[2] +
                                                   "' twice (first on line " +
                                                   std::to_string(it->second) + ")"));
        out.push_back({f[0], f[2], rel});
    });
    return out;
}

struct Pair {
    std::string english, other, split;
    std::size_t line;
};

// The pairs of one bitext file; empty sides are counted, not kept.
std::vector<Pair> readBitextFile(const ImportSpec::Bitext& b, const SplitSettings& split,
                                 int& emptyPairs) {
    std::vector<Pair> out;
    forEachLine(b.file, [&](const std::string& line, std::size_t lineNo) {
        auto parts = text::split(line, '\t');
        if (parts.size() != 2)
            throw std::runtime_error(lineError(b.file, lineNo,
                                               "expected English<TAB>translation, got " +
                                                   std::to_string(parts.size()) + " fields"));
        Pair p{oneLine(parts[0]), oneLine(parts[1]), b.split, lineNo};
        if (p.english.empty() || p.other.empty()) {
            ++emptyPairs;
            return;
        }
        if (p.split.empty())
            p.split = toString(assignSplit(b.language + "\t" + p.english + "\t" + p.other, split));
        out.push_back(std::move(p));
    });
    return out;
}

std::map<std::string, std::string> readSplitsFile(const std::string& path) {
    std::map<std::string, std::string> out;
    std::map<std::string, std::size_t> lineOf;
    forEachLine(path, [&](const std::string& line, std::size_t lineNo) {
        auto parts = text::split(line, '\t');
        if (parts.size() != 2)
            throw std::runtime_error(lineError(path, lineNo, "expected qid<TAB>train|dev|test"));
        const std::string qid = text::trim(parts[0]), split = text::trim(parts[1]);
        if (split != "train" && split != "dev" && split != "test")
            throw std::runtime_error(
                lineError(path, lineNo, "split '" + split + "' is not train, dev or test"));
        if (auto [it, added] = lineOf.emplace(qid, lineNo); !added)
            throw std::runtime_error(lineError(path, lineNo,
                                               "query '" + qid + "' listed twice (first on line " +
                                                   std::to_string(it->second) + ")"));
        out[qid] = split;
    });
    return out;
}

int splitRank(const std::string& s) {
    return s == "test" ? 2 : s == "dev" ? 1 : 0;
}

// A source file in the manifest: its name and content hash (not its folder, so the same files
// imported from elsewhere give the same corpus hash).
nlohmann::json fileRecord(const std::string& path) {
    return {{"file", std::filesystem::path(path).filename().string()},
            {"sha256", Sha256::hexOfFile(path)}};
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

CorpusBuildResult importCorpus(const ImportSpec& spec, const std::string& outDir,
                               const jobs::JobContext& ctx) {
    const std::string& pivot = pivotLanguage();
    ctx.report(0.02, "reading documents");
    std::map<std::string, std::vector<Document>> docs;  // by language
    for (const auto& d : spec.documents) {
        if (docs.count(d.language))
            throw std::runtime_error(spec.source + ": two document files for " + d.language);
        docs[d.language] = readDocumentFile(d.file);
    }
    std::map<std::string, std::set<std::string>> docIds;  // by language
    for (const auto& [lang, list] : docs)
        for (const auto& d : list) docIds[lang].insert(d.id);
    const auto& pivotIds = docIds.at(pivot);
    ctx.checkCancelled();

    ctx.report(0.3, "reading queries and qrels");
    // queries[set][language]
    std::map<std::string, std::map<std::string, std::vector<Query>>> queries;
    for (const auto& q : spec.queries) queries[q.set][q.language] = readQueryFile(q);
    // judgments[set][language or ""]
    std::map<std::string, std::map<std::string, std::vector<Judgment>>> judgments;
    std::string pivotFile;
    for (const auto& d : spec.documents)
        if (d.language == pivot) pivotFile = d.file;
    for (const auto& q : spec.qrels) {
        auto read = readQrelsFile(q.file, pivotIds, pivotFile);
        auto& into = judgments[q.set][q.language];
        into.insert(into.end(), read.begin(), read.end());
    }
    auto judgedFor = [&](const std::string& set, const std::string& language) {
        std::map<std::string, std::vector<const Judgment*>> byQuery;
        auto it = judgments.find(set);
        if (it == judgments.end()) return byQuery;
        for (const auto& key : {std::string(), language})
            if (auto j = it->second.find(key); j != it->second.end())
                for (const auto& x : j->second) byQuery[x.qid].push_back(&x);
        return byQuery;
    };

    // Query splits: the user's file, else the seeded hash of the query id.
    std::map<std::string, std::string> given;
    if (!spec.splitsFile.empty()) given = readSplitsFile(spec.splitsFile);
    auto splitOfQuery = [&](const std::string& qid, const std::string& file) {
        if (spec.splitsFile.empty()) return std::string(toString(assignSplit(qid, spec.split)));
        auto it = given.find(qid);
        if (it == given.end())
            throw std::runtime_error(spec.splitsFile + ": no split for query '" + qid + "' of " +
                                     file);
        return it->second;
    };
    // Kept queries (with a relevant document) and, from them, each document's split.
    struct Kept {
        const Query* query;
        std::string split;
    };
    std::map<std::string, std::map<std::string, std::vector<Kept>>> kept;  // [set][language]
    nlohmann::json dropped = nlohmann::json::object();
    std::map<std::string, std::string> docSplit;
    for (const auto& q : spec.queries) {
        const auto judged = judgedFor(q.set, q.language);
        int unjudged = 0;
        for (const auto& query : queries[q.set][q.language]) {
            auto it = judged.find(query.qid);
            const bool relevant = it != judged.end() &&
                                  std::any_of(it->second.begin(), it->second.end(),
                                              [](const Judgment* j) { return j->relevance > 0; });
            if (!relevant) {
                ++unjudged;
                continue;
            }
            const std::string split = splitOfQuery(query.qid, q.file);
            kept[q.set][q.language].push_back({&query, split});
            for (const auto* j : it->second) {
                if (j->relevance <= 0) continue;
                auto& s = docSplit[j->docid];
                if (s.empty() || splitRank(split) > splitRank(s)) s = split;
            }
        }
        dropped[q.language]["queries_without_relevant_" + q.set] = unjudged;
    }
    auto splitOfDocument = [&](const std::string& id) {
        auto it = docSplit.find(id);
        return it != docSplit.end() ? it->second
                                    : std::string(toString(assignSplit(id, spec.split)));
    };
    ctx.checkCancelled();

    ctx.report(0.5, "reading bitext");
    std::map<std::string, std::vector<Pair>> bitext;
    for (const auto& b : spec.bitext) {
        int empty = 0;
        auto pairs = readBitextFile(b, spec.split, empty);
        auto& into = bitext[b.language];
        into.insert(into.end(), pairs.begin(), pairs.end());
        dropped[b.language]["bitext_empty"] = dropped[b.language].value("bitext_empty", 0) + empty;
    }

    ctx.report(0.6, "writing the corpus");
    CorpusWriter out(outDir);
    const auto languages = spec.languages();
    const auto sets = spec.querySets();
    nlohmann::json stats = nlohmann::json::object();
    for (const auto& lang : languages) {
        nlohmann::json ls;
        for (const char* split : kSplitNames) {
            ls[split] = {{"documents", 0}, {"passages", 0}, {"bitext_pairs", 0}};
            for (const auto& set : sets)
                ls[split]["queries_" + set] = ls[split]["qrels_" + set] = 0;
        }
        stats[lang] = ls;
        if (!dropped.contains(lang)) dropped[lang] = nlohmann::json::object();
    }
    // Documents and their paragraphs as passages.
    for (const auto& lang : languages) {
        std::ostringstream docOut, passageOut;
        if (auto it = docs.find(lang); it != docs.end()) {
            for (const auto& d : it->second) {
                const std::string split = splitOfDocument(d.id);
                docOut << nlohmann::json{{"id", d.id},
                                         {"title", d.title},
                                         {"text", text::join(d.paragraphs, "\n")},
                                         {"split", split}}
                              .dump()
                       << "\n";
                stats[lang][split]["documents"] = stats[lang][split]["documents"].get<int>() + 1;
                std::vector<std::string> paragraphs = d.paragraphs;
                if (paragraphs.empty()) paragraphs.push_back(d.title);
                for (std::size_t k = 0; k < paragraphs.size(); ++k) {
                    passageOut << nlohmann::json{{"doc", d.id},
                                                 {"id", d.id + "#" + std::to_string(k)},
                                                 {"text", paragraphs[k]},
                                                 {"split", split}}
                                      .dump()
                               << "\n";
                    stats[lang][split]["passages"] = stats[lang][split]["passages"].get<int>() + 1;
                }
            }
            out.write("docs/" + lang + ".jsonl", docOut.str());
        } else if (auto b = bitext.find(lang); b != bitext.end()) {
            // No documents: the language's side of its bitext is its text (pretraining).
            for (const auto& p : b->second) {
                passageOut << nlohmann::json{{"doc", "bitext"},
                                             {"id", "bitext#" + std::to_string(p.line)},
                                             {"text", p.other},
                                             {"split", p.split}}
                                  .dump()
                           << "\n";
                stats[lang][p.split]["passages"] = stats[lang][p.split]["passages"].get<int>() + 1;
            }
        }
        out.write("passages/" + lang + ".jsonl", passageOut.str());
    }
    // Queries and qrels per language, set and split; qrels against every document language that
    // holds the judged documents.
    for (const auto& set : sets) {
        for (const auto& lang : languages) {
            std::map<std::string, std::ostringstream> queryOut;
            std::map<std::string, std::map<std::string, std::ostringstream>> qrelsOut;  // dlang
            const auto judged = judgedFor(set, lang);
            auto ks = kept[set].find(lang);
            if (ks == kept[set].end()) continue;
            for (const auto& k : ks->second) {
                queryOut[k.split] << k.query->qid << "\t" << k.query->text << "\n";
                stats[lang][k.split]["queries_" + set] =
                    stats[lang][k.split]["queries_" + set].get<int>() + 1;
                for (const auto* j : judged.at(k.query->qid))
                    for (const auto& [dlang, ids] : docIds) {
                        if (!ids.count(j->docid)) continue;
                        qrelsOut[dlang][k.split] << j->qid << " 0 " << j->docid << " "
                                                 << j->relevance << "\n";
                        if (dlang == pivot)
                            stats[lang][k.split]["qrels_" + set] =
                                stats[lang][k.split]["qrels_" + set].get<int>() + 1;
                    }
            }
            for (const char* split : kSplitNames) {
                out.write("queries/" + lang + "." + set + "." + split + ".tsv",
                          queryOut[split].str());
                for (const auto& [dlang, _] : docs)
                    out.write("qrels/" + lang + "." + dlang + "." + set + "." + split + ".qrels",
                              qrelsOut[dlang][split].str());
            }
        }
    }
    // Bitext per split, each pair keyed by its line.
    for (const auto& [lang, pairs] : bitext) {
        std::map<std::string, std::ostringstream> tsv, ids;
        for (const auto& p : pairs) {
            tsv[p.split] << p.english << "\t" << p.other << "\n";
            ids[p.split] << "line" << p.line << "\n";
            stats[lang][p.split]["bitext_pairs"] =
                stats[lang][p.split]["bitext_pairs"].get<int>() + 1;
        }
        for (const char* split : kSplitNames) {
            out.write("bitext/" + lang + "." + split + ".tsv", tsv[split].str());
            out.write("bitext/" + lang + "." + split + ".ids", ids[split].str());
        }
    }

    nlohmann::json sources = nlohmann::json::object();
    for (const auto& d : spec.documents) sources["documents/" + d.language] = fileRecord(d.file);
    for (const auto& q : spec.queries)
        sources["queries/" + q.language + "/" + q.set] = fileRecord(q.file);
    for (std::size_t i = 0; i < spec.qrels.size(); ++i)
        sources["qrels/" + spec.qrels[i].set + "/" + std::to_string(i)] =
            fileRecord(spec.qrels[i].file);
    for (std::size_t i = 0; i < spec.bitext.size(); ++i)
        sources["bitext/" + spec.bitext[i].language + "/" + std::to_string(i)] =
            fileRecord(spec.bitext[i].file);
    if (!spec.splitsFile.empty()) sources["splits"] = fileRecord(spec.splitsFile);
    const auto settings = importedSettings(spec);
    nlohmann::json manifest = {{"name", spec.name},
                               {"importer_version", kImporterVersion},
                               {"settings", settings.toJson()},
                               {"split_seed", spec.split.seed},
                               {"split_source", spec.splitsFile.empty() ? "seeded" : "file"},
                               {"query_sets", sets},
                               {"sources", sources},
                               {"stats", stats},
                               {"dropped", dropped}};
    const std::string hash = out.publish(manifest);
    ctx.report(1.0, "corpus written to " + outDir);
    return {outDir, hash, manifest};
}

}  // namespace clir::data
