// Corpus statistics (see corpus_stats.h).
#include "core/data/corpus_stats.h"

#include <cstdio>
#include <filesystem>
#include <mutex>
#include <set>
#include <sstream>

#include "core/config/schema.h"
#include "core/data/corpus_settings.h"
#include "core/util/fs.h"
#include "core/util/sha256.h"
#include "core/util/text.h"

namespace clir::data {

std::string defaultCorpusDir(const std::string& name) {
    return fs::dataDir() + "/corpora/" + name;
}

nlohmann::json loadManifest(const std::string& corpusDir) {
    std::string path = corpusDir + "/manifest.json";
    if (!std::filesystem::exists(path))
        throw std::runtime_error("no corpus at " + corpusDir +
                                 "; run: clirlab data fetch && clirlab data build");
    return config::parseJson(fs::readFile(path), path);
}

void verifyCorpus(const std::string& corpusDir, const nlohmann::json& manifest) {
    static std::mutex mutex;
    static std::set<std::string> verified;  // "<dir> <hash>"
    const std::string key = corpusDir + " " + manifest.value("hash", "");
    {
        std::lock_guard<std::mutex> lock(mutex);
        if (verified.count(key)) return;
    }
    if (!manifest.contains("files") || !manifest.at("files").is_object())
        throw std::runtime_error(corpusDir +
                                 "/manifest.json: no file hashes; rebuild the corpus "
                                 "with: clirlab data build");
    for (const auto& [name, hash] : manifest.at("files").items()) {
        const std::string path = corpusDir + "/" + name;
        if (!std::filesystem::exists(path))
            throw std::runtime_error(path +
                                     ": missing from the corpus; rebuild it with: clirlab "
                                     "data build");
        if (!hash.is_string() || Sha256::hexOfFile(path) != hash.get<std::string>())
            throw std::runtime_error(path +
                                     ": corrupt or altered (its SHA-256 differs from "
                                     "manifest.json); rebuild the corpus with: clirlab "
                                     "data build");
    }
    std::lock_guard<std::mutex> lock(mutex);
    verified.insert(key);
}

namespace {

// An imported collection: its own query sets, and what the import dropped.
std::string formatImportedStats(const nlohmann::json& manifest) {
    std::ostringstream out;
    const auto sets = manifest.at("query_sets").get<std::vector<std::string>>();
    out << "| language | split | documents | passages | bitext pairs |";
    for (const auto& set : sets) out << " queries (" << set << ") | qrels (" << set << ") |";
    out << "\n|---|---|---:|---:|---:|";
    for (std::size_t i = 0; i < sets.size(); ++i) out << "---:|---:|";
    out << "\n";
    const auto& stats = manifest.at("stats");
    for (const auto& lang : manifest.at("settings").at("languages")) {
        const auto l = lang.get<std::string>();
        for (const char* split : {"train", "dev", "test"}) {
            const auto& s = stats.at(l).at(split);
            out << "| " << l << " | " << split << " | " << s.at("documents") << " | "
                << s.at("passages") << " | "
                << (l == pivotLanguage() ? std::string("–") : s.at("bitext_pairs").dump()) << " |";
            for (const auto& set : sets)
                out << " " << s.at("queries_" + set) << " | " << s.at("qrels_" + set) << " |";
            out << "\n";
        }
    }
    out << "\n| language | dropped |\n|---|---|\n";
    for (const auto& [l, d] : manifest.at("dropped").items()) {
        std::vector<std::string> parts;
        for (const auto& [what, n] : d.items()) parts.push_back(what + " " + n.dump());
        out << "| " << l << " | " << (parts.empty() ? "–" : text::join(parts, ", ")) << " |\n";
    }
    return out.str();
}

}  // namespace

std::string formatStatsTable(const nlohmann::json& manifest) {
    if (manifest.contains("query_sets")) return formatImportedStats(manifest);
    std::ostringstream out;
    out << "| language | split | documents | passages | bitext pairs | entry queries | "
           "heading queries | qrels (entries) | qrels (headings) |\n";
    out << "|---|---|---:|---:|---:|---:|---:|---:|---:|\n";
    const auto& stats = manifest.at("stats");
    for (const auto& lang : manifest.at("settings").at("languages")) {
        const auto& ls = stats.at(lang.get<std::string>());
        for (const char* split : {"train", "dev", "test"}) {
            const auto& s = ls.at(split);
            out << "| " << lang.get<std::string>() << " | " << split << " | " << s.at("documents")
                << " | " << s.at("passages") << " | "
                << (lang == pivotLanguage() ? std::string("–") : s.at("bitext_pairs").dump())
                << " | " << s.at("queries_entries") << " | " << s.at("queries_headings") << " | "
                << s.at("qrels_entries") << " | " << s.at("qrels_headings") << " |\n";
        }
    }
    out << "\n| language | index entries | dropped untranslated | share | unaligned | empty |\n";
    out << "|---|---:|---:|---:|---:|---:|\n";
    for (const auto& lang : manifest.at("settings").at("languages")) {
        std::string l = lang.get<std::string>();
        const auto& d = manifest.at("dropped").at(l);
        char share[32];
        std::snprintf(share, sizeof(share), "%.1f%%",
                      100.0 * stats.at(l).at("untranslated_share").get<double>());
        out << "| " << l << " | " << stats.at(l).at("entries_total") << " | "
            << d.at("entries_untranslated") << " | " << share << " | " << d.at("entries_unaligned")
            << " | " << d.at("entries_empty") << " |\n";
    }
    return out.str();
}

}  // namespace clir::data
