// Reading the files of an import description (see corpus_import.h), each line validated with
// errors "<file>:<line>: what"; texts normalised (white space collapsed, NFC). No LibTorch here.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/data/corpus_import.h"

namespace clir::data::imports {

struct Document {
    std::string id, title;
    std::vector<std::string> paragraphs;
};
// JSONL ({"doc_id" | "id" | "docid", "title", "text"}) or TSV (id<TAB>text, id<TAB>title<TAB>text).
std::vector<Document> readDocumentFile(const std::string& path);

struct Query {
    std::string qid, text;
};
// TSV (qid<TAB>text) or JSONL topics, flat or nested (q.topicLanguage), text from q.fields.
std::vector<Query> readQueryFile(const ImportSpec::Queries& q);

struct Judgment {
    std::string qid, docid;
    int relevance;
};
// TREC qrels; every judged document must be in `docs` (the file `docsSource`).
std::vector<Judgment> readQrelsFile(const std::string& path, const std::set<std::string>& docs,
                                    const std::string& docsSource);

struct Pair {
    std::string english, other, split;
    std::size_t line;
};
// English<TAB>translation; pairs with an empty side are counted in emptyPairs, not kept; the
// split is the entry's or the seeded hash of the pair.
std::vector<Pair> readBitextFile(const ImportSpec::Bitext& b, const SplitSettings& split,
                                 int& emptyPairs);

// qid<TAB>train|dev|test.
std::map<std::string, std::string> readSplitsFile(const std::string& path);

}  // namespace clir::data::imports
