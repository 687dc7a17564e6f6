// Reading the files of an import description (see import_readers.h).
#include "core/data/import_readers.h"

#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "core/data/splitter.h"
#include "core/util/fs.h"
#include "core/util/text.h"

namespace clir::data::imports {
namespace {

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

}  // namespace

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

}  // namespace clir::data::imports
