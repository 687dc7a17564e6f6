// Reading a built corpus: documents, queries and the paths of its qrels files, with errors
// naming the file and line.
#pragma once

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
std::string qrelsPath(const std::string& corpusDir, const std::string& queryLanguage,
                      const std::string& documentLanguage, const std::string& querySet,
                      const std::string& split);

// The study's resource groups (SPEC 2): low = om, km, dz, eu; high = de, fr, es; the pivot and
// any other language: "other".
std::string resourceGroup(const std::string& language);

}  // namespace clir::data
