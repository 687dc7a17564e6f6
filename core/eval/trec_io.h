// TREC run and qrels files: streaming readers with line-numbered errors (nothing is returned
// half-loaded: a bad line throws), and writers. Readers take plain or gzip-compressed files;
// writeRun compresses when the path ends in .gz (what jobs write: <...>.trec.gz).
//   run:   qid Q0 docid rank score tag     (the rank column is read but ignored, as trec_eval)
//   qrels: qid iter docid rel
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace clir::eval {

class TrecFormatError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct ScoredDoc {
    std::string docid;
    double score = 0;
};

struct Run {
    std::map<std::string, std::vector<ScoredDoc>> byQuery;  // in file order
    std::string tag;                                        // the run tag of the first line
    std::size_t lines = 0;
};

struct Qrels {
    std::map<std::string, std::map<std::string, int>> byQuery;  // qid -> docid -> relevance
};

// A run held compactly for evaluation: per line its score, docid (in one shared buffer) and
// line number, queries in the order they first appear.
struct CompactRun {
    struct Doc {
        double score = 0;
        std::uint64_t docOffset = 0;
        std::uint32_t docLength = 0;
        std::uint32_t line = 0;
    };
    std::vector<std::string> qids;
    std::vector<std::vector<Doc>> docs;  // per qid, in file order
    std::string docids;                  // every docid, one after another
    std::string tag;                     // the run tag of the first line
    std::size_t lines = 0;
    std::string_view docid(const Doc& d) const {
        return {docids.data() + d.docOffset, d.docLength};
    }
};

Run readRun(const std::string& path);
// The same checks and errors as readRun, reading the file in pieces.
CompactRun readRunCompact(const std::string& path);
Qrels readQrels(const std::string& path);
// The same, from text already in memory; `source` names it in errors.
Run parseRun(const std::string& text, const std::string& source);
Qrels parseQrels(const std::string& text, const std::string& source);

// Writes each query's documents ranked by score (ties by docid descending, as trec_eval ranks
// them), at most `depth` per query.
void writeRun(const std::string& path, const Run& run, const std::string& tag,
              std::size_t depth = 1000);
std::string formatRun(const Run& run, const std::string& tag, std::size_t depth = 1000);
void writeQrels(const std::string& path, const Qrels& qrels);

// trec_eval's order: score descending, then docid descending (strcmp).
void sortTrecOrder(std::vector<ScoredDoc>& docs);

}  // namespace clir::eval
