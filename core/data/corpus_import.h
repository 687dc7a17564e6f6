// `clirlab data import`: a researcher's own CLIR collection in the built corpus's layout and
// manifest (SPEC 2, "bring your own data"), so every method, the workbench and the report read
// it unchanged. An import description (JSON) names the files:
//  - documents per language, JSONL as ir_datasets exports them ({"doc_id" or "id", "title",
//    "text"}) or TSV (id<TAB>text, or id<TAB>title<TAB>text); the pivot (en-US) is required;
//  - queries per language and query set, TSV (qid<TAB>text) or JSONL topics: flat
//    ({"query_id" | "qid" | "topic_id" | "id", "title", "description", ...}, the text from the
//    fields named) or HC4/NeuCLIR's nested form ({"topic_id", "topics": [{"lang",
//    "topic_title", "topic_description"}]}, one "topic_language" picked);
//  - TREC qrels per query set (qid iteration docid relevance), for the set's queries in every
//    language (topic ids are shared across languages), judged against the pivot's documents;
//  - bitext per language, TSV (English<TAB>translation), optionally one file per split.
// Splits: a TSV of qid<TAB>train|dev|test, or the seeded splitter over query ids. A document
// takes the split of the queries it is relevant to (test before dev before train; unjudged
// documents by the seeded hash), so test queries point only to test documents, as in the built
// corpus. Every line is validated; errors name the file and line. No LibTorch here.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/data/corpus_builder.h"
#include "core/data/corpus_settings.h"
#include "core/jobs/job.h"

namespace clir::data {

struct ImportSpec {
    struct Documents {
        std::string language, file;
    };
    struct Queries {
        std::string language, set, file;
        std::vector<std::string> fields;  // JSONL topics: the fields joined into the text
        std::string topicLanguage;        // nested topics: the "lang" picked
    };
    struct QrelsFile {
        std::string set, file;
        std::string language;  // only this query language ("" every language of the set)
    };
    struct Bitext {
        std::string language, file;
        std::string split;  // "" the seeded splitter per pair
    };
    std::string source;  // the description's path (errors name it)
    std::string name;    // corpus folder under $CLIRLAB_DATA/corpora
    std::vector<Documents> documents;
    std::vector<Queries> queries;
    std::vector<QrelsFile> qrels;
    std::vector<Bitext> bitext;
    std::string splitsFile;  // qid<TAB>split; "" the seeded splitter
    SplitSettings split{0.7, 0.1, 0.2, 20240601};

    std::vector<std::string> languages() const;  // the pivot first, then in order of mention
    std::vector<std::string> querySets() const;
};

// Parses an import description; relative file paths are taken from the description's folder.
// Throws config::ConfigError naming `source` and the field.
ImportSpec parseImportSpec(const std::string& text, const std::string& source);

// Validates and writes the collection into `outDir` (replaced atomically: a failed import
// leaves the old corpus in place). Throws std::runtime_error naming the file and line.
CorpusBuildResult importCorpus(const ImportSpec& spec, const std::string& outDir,
                               const jobs::JobContext& context);

// The CorpusSettings an imported corpus stands for (name, languages, split), for the store.
CorpusSettings importedSettings(const ImportSpec& spec);

}  // namespace clir::data
