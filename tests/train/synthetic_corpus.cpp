// The synthetic corpus (see synthetic_corpus.h).
#include "tests/train/synthetic_corpus.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "core/util/sha256.h"

namespace clir::testing {
namespace {

void put(const std::string& path, const std::string& text) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path) << text;
}

}  // namespace

// A made-up word for topic i, variant k: letters only, so the tokenizer cannot share digits.
std::string word(int i, int k) {
    static const char* syllables[] = {"ka", "zo", "mi", "tu", "le", "ro", "vi", "pa",
                                      "ne", "su", "do", "fe", "gi", "ha", "ju", "bo"};
    std::uint32_t h = std::uint32_t(i * 131 + k * 17 + 7) * 2654435761u;
    std::string w;
    for (int s = 0; s < 3; ++s, h >>= 4) w += syllables[h % 16];
    return w + syllables[(i + k) % 16];
}

// 40 pages on 40 topics. A page is its topic words among many words every page shares; a query
// is one topic word among question words. An untrained encoder's mean vector is dominated by
// the shared words, so ranking well needs training. Oromo-like pages and queries put "x" before
// every word.
void writeSyntheticCorpus(const std::string& dir) {
    const std::vector<std::string> langs = {"en-US", "om"};
    std::map<std::string, std::string> docs, queries[3], qrels[3], bitext[3], ids[3];
    const char* splits[3] = {"train", "dev", "test"};
    const std::string filler =
        " the program shows the dialog and the menu of the document with"
        " the options for the selected text in the window";
    auto prefixed = [](const std::string& text, const std::string& p) {
        std::istringstream in(text);
        std::string out, w;
        while (in >> w) out += (out.empty() ? "" : " ") + p + w;
        return out;
    };
    for (int i = 0; i < 40; ++i) {
        int s = i < 24 ? 0 : i < 32 ? 1 : 2;
        std::string docid = "a/page" + std::to_string(i);
        for (const auto& lang : langs) {
            std::string p = lang == "om" ? "x" : "";
            std::string text = word(i, 1) + filler + " " + word(i, 2) + filler;
            docs[lang] += nlohmann::json({{"id", docid},
                                          {"title", prefixed(word(i, 0) + " help", p)},
                                          {"text", prefixed(text, p)},
                                          {"split", splits[s]}})
                              .dump() +
                          "\n";
            for (int k = 0; k < 2; ++k) {
                std::string qid = docid + "#bm" + std::to_string(k) + ".0";
                queries[s][lang] +=
                    qid + "\t" + prefixed("how do i use " + word(i, k + 1) + " here", p) + "\n";
                qrels[s][lang] += qid + " 0 " + docid + " 1\n";
            }
        }
        for (int k = 0; k < 3; ++k) {
            std::string en = "the " + word(i, k) + " of the document " + word(i, 2 - k);
            bitext[s]["om"] += en + "\t" + prefixed(en, "x") + "\n";
            ids[s]["om"] += docid + "#par" + std::to_string(k) + "\n";
        }
    }
    for (const auto& lang : langs) put(dir + "/docs/" + lang + ".jsonl", docs[lang]);
    for (int s = 0; s < 3; ++s) {
        for (const auto& lang : langs) {
            for (const char* set : {"entries", "headings"}) {
                put(dir + "/queries/" + lang + "." + set + "." + splits[s] + ".tsv",
                    queries[s][lang]);
                // Queries of both languages are judged against pages of both languages.
                for (const auto& dlang : langs)
                    put(dir + "/qrels/" + lang + "." + dlang + "." + set + "." + splits[s] +
                            ".qrels",
                        qrels[s][lang]);
            }
        }
        put(dir + "/bitext/om." + std::string(splits[s]) + ".tsv", bitext[s]["om"]);
        put(dir + "/bitext/om." + std::string(splits[s]) + ".ids", ids[s]["om"]);
    }
    std::filesystem::remove(dir + "/manifest.json");
    sealCorpus(dir);
}

void sealCorpus(const std::string& dir) {
    // Every file's SHA-256, as the corpus builder records them (jobs verify them).
    nlohmann::json files = nlohmann::json::object();
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
        const auto name = std::filesystem::relative(e.path(), dir).generic_string();
        if (e.is_regular_file() && name != "manifest.json")
            files[name] = Sha256::hexOfFile(e.path().string());
    }
    put(dir + "/manifest.json", nlohmann::json({{"hash", std::string(64, 'c')},
                                                {"settings", {{"languages", {"en-US", "om"}}}},
                                                {"files", files}})
                                    .dump());
}

nlohmann::json tinyNmtExperiment(const std::string& name, int steps) {
    return {{"name", name},
            {"method", "nmt"},
            {"seed", 4},
            {"corpus", {{"languages", {"en-US", "om"}}}},
            {"model", {{"threads", 1}, {"device", "cpu"}}},
            {"nmt",
             {{"layers", 1},
              {"hidden", 64},
              {"heads", 4},
              {"ffn", 128},
              {"dropout", 0.0},
              {"vocab_size", 400},
              {"tokenizer_sentences", 400},
              {"steps", steps},
              {"batch_size", 16},
              {"learning_rate", 3e-3},
              {"warmup_steps", 10},
              {"max_length", 24},
              {"dev_sentences", 24},
              {"beam_size", 3},
              {"compare_apertium", false},
              {"log_every", 10}}},
            {"evaluation", {{"query_sets", {"entries"}}}}};
}

}  // namespace clir::testing
