// Importing a researcher's own collection (see corpus_import.h).
#include "core/data/corpus_import.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "core/config/schema.h"
#include "core/data/corpus_writer.h"
#include "core/data/import_readers.h"
#include "core/data/splitter.h"
#include "core/util/fs.h"
#include "core/util/sha256.h"
#include "core/util/text.h"

namespace clir::data {
using namespace imports;
namespace {

int splitRank(const std::string& s) {
    return s == "test" ? 2 : s == "dev" ? 1 : 0;
}

constexpr int kImporterVersion = 1;  // bump when the output changes for the same input
const char* const kSplitNames[] = {"train", "dev", "test"};


// A source file in the manifest: its name and content hash (not its folder, so the same files
// imported from elsewhere give the same corpus hash).
nlohmann::json fileRecord(const std::string& path) {
    return {{"file", std::filesystem::path(path).filename().string()},
            {"sha256", Sha256::hexOfFile(path)}};
}

}  // namespace

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
    auto bump = [&](const std::string& lang, const std::string& split, const std::string& what) {
        auto& n = stats[lang][split][what];
        n = n.get<int>() + 1;
    };
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
                bump(lang, split, "documents");
                std::vector<std::string> paragraphs = d.paragraphs;
                if (paragraphs.empty()) paragraphs.push_back(d.title);
                for (std::size_t k = 0; k < paragraphs.size(); ++k) {
                    passageOut << nlohmann::json{{"doc", d.id},
                                                 {"id", d.id + "#" + std::to_string(k)},
                                                 {"text", paragraphs[k]},
                                                 {"split", split}}
                                      .dump()
                               << "\n";
                    bump(lang, split, "passages");
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
                bump(lang, p.split, "passages");
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
                bump(lang, k.split, "queries_" + set);
                for (const auto* j : judged.at(k.query->qid))
                    for (const auto& [dlang, ids] : docIds) {
                        if (!ids.count(j->docid)) continue;
                        qrelsOut[dlang][k.split] << j->qid << " 0 " << j->docid << " "
                                                 << j->relevance << "\n";
                        if (dlang == pivot) bump(lang, k.split, "qrels_" + set);
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
            bump(lang, p.split, "bitext_pairs");
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
