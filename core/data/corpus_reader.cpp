// Corpus reading (see corpus_reader.h).
#include "core/data/corpus_reader.h"

#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stdexcept>

#include "core/util/fs.h"

namespace clir::data {
namespace {

// Calls `row` with each non-empty line of a JSONL file parsed; errors name the file and line.
template <typename Row>
void forEachJsonLine(const std::string& path, Row&& row) {
    std::istringstream in(fs::readFile(path));
    std::size_t lineNo = 0;
    for (std::string line; std::getline(in, line);) {
        ++lineNo;
        if (line.empty()) continue;
        try {
            row(nlohmann::json::parse(line));
        } catch (const nlohmann::json::exception& e) {
            throw std::runtime_error(path + ":" + std::to_string(lineNo) + ": " + e.what());
        }
    }
}

}  // namespace

std::vector<CorpusDocument> readDocuments(const std::string& corpusDir,
                                          const std::string& language) {
    std::vector<CorpusDocument> docs;
    forEachJsonLine(corpusDir + "/docs/" + language + ".jsonl", [&](const nlohmann::json& j) {
        docs.push_back({j.at("id"), j.at("title"), j.at("text"), j.value("split", "")});
    });
    return docs;
}

std::vector<CorpusQuery> readQueries(const std::string& corpusDir, const std::string& language,
                                     const std::string& querySet, const std::string& split) {
    std::string path = corpusDir + "/queries/" + language + "." + querySet + "." + split + ".tsv";
    std::istringstream in(fs::readFile(path));
    std::vector<CorpusQuery> out;
    std::set<std::string> seen;
    std::size_t lineNo = 0;
    for (std::string line; std::getline(in, line);) {
        ++lineNo;
        if (line.empty()) continue;
        auto tab = line.find('\t');
        if (tab == std::string::npos || tab == 0)
            throw std::runtime_error(path + ":" + std::to_string(lineNo) +
                                     ": expected qid<TAB>text");
        std::string qid = line.substr(0, tab);
        if (!seen.insert(qid).second)
            throw std::runtime_error(path + ":" + std::to_string(lineNo) + ": duplicate qid '" +
                                     qid + "'");
        out.push_back({qid, line.substr(tab + 1)});
    }
    return out;
}

std::vector<BitextPair> readBitext(const std::string& corpusDir, const std::string& language,
                                   const std::string& split, std::size_t limit) {
    const std::string base = corpusDir + "/bitext/" + language + "." + split;
    const std::string path = base + ".tsv";
    std::istringstream lines(fs::readFile(path)), keys(fs::readFile(base + ".ids"));
    std::vector<BitextPair> out;
    std::size_t lineNo = 0;
    for (std::string line, key; std::getline(lines, line) && out.size() < limit;) {
        ++lineNo;
        if (!std::getline(keys, key))
            throw std::runtime_error(base + ".ids: fewer lines than " + path + " (line " +
                                     std::to_string(lineNo) + ")");
        auto tab = line.find('\t');
        if (tab == std::string::npos)
            throw std::runtime_error(path + ":" + std::to_string(lineNo) +
                                     ": expected English<TAB>translation");
        BitextPair p{language + ":" + key, line.substr(0, tab), line.substr(tab + 1)};
        if (p.english.empty() || p.other.empty()) continue;
        out.push_back(std::move(p));
    }
    return out;
}

PassageText readPassages(const std::string& corpusDir, const std::string& language) {
    PassageText out;
    forEachJsonLine(corpusDir + "/passages/" + language + ".jsonl", [&](const nlohmann::json& j) {
        (j.at("split") == "train" ? out.train : out.heldOut)
            .push_back(j.at("text").get<std::string>());
    });
    return out;
}

std::string qrelsPath(const std::string& corpusDir, const std::string& queryLanguage,
                      const std::string& documentLanguage, const std::string& querySet,
                      const std::string& split) {
    return corpusDir + "/qrels/" + queryLanguage + "." + documentLanguage + "." + querySet + "." +
           split + ".qrels";
}

std::string resourceGroup(const std::string& language) {
    static const std::set<std::string> low = {"om", "km", "dz", "eu"}, high = {"de", "fr", "es"};
    if (low.count(language)) return "low";
    if (high.count(language)) return "high";
    return "other";
}

}  // namespace clir::data
