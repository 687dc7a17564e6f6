// Reading a built corpus: documents, queries and the paths of its qrels files, with errors
// naming the file and line.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace clir::data {

struct CorpusDocument {
    std::string id, title, text, split;
};

struct CorpusQuery {
    std::string qid, text;
};

std::vector<CorpusDocument> readDocuments(const std::string& corpusDir,
                                          const std::string& language);
std::vector<CorpusQuery> readQueries(const std::string& corpusDir, const std::string& language,
                                     const std::string& querySet, const std::string& split);
// One aligned paragraph pair of <lang>.<split>.tsv (English<TAB>other) and its id in .ids.
struct BitextPair {
    std::string key;  // "<language>:<paragraph id>"
    std::string english, other;
};

// Up to `limit` pairs in file order; pairs with an empty side are skipped (the corpus builder
// counts them). Throws naming the file and line on a malformed line.
std::vector<BitextPair> readBitext(const std::string& corpusDir, const std::string& language,
                                   const std::string& split, std::size_t limit = SIZE_MAX);

// The passages/<lang>.jsonl paragraphs of one language, split by their page's split.
struct PassageText {
    std::vector<std::string> train, heldOut;  // heldOut: dev and test pages
};
PassageText readPassages(const std::string& corpusDir, const std::string& language);

std::string qrelsPath(const std::string& corpusDir, const std::string& queryLanguage,
                      const std::string& documentLanguage, const std::string& querySet,
                      const std::string& split);

// The study's resource groups (SPEC 2): low = om, km, dz, eu; high = de, fr, es; the pivot and
// any other language: "other".
std::string resourceGroup(const std::string& language);

}  // namespace clir::data
