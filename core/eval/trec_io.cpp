// TREC file reading and writing (see trec_io.h).
#include "core/eval/trec_io.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "core/util/fs.h"
#include "core/util/text.h"

namespace clir::eval {
namespace {

// Splits on runs of spaces/tabs, as trec_eval's readers do.
std::vector<std::string_view> fields(std::string_view line) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
        std::size_t start = i;
        while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
        if (i > start) out.push_back(line.substr(start, i - start));
    }
    return out;
}

[[noreturn]] void fail(const std::string& source, std::size_t line, const std::string& what) {
    throw TrecFormatError(source + ":" + std::to_string(line) + ": " + what);
}

double parseScore(std::string_view s, const std::string& source, std::size_t line) {
    std::string str(s);
    char* end = nullptr;
    errno = 0;
    double v = std::strtod(str.c_str(), &end);
    if (end == str.c_str() || *end != '\0' || errno == ERANGE || !std::isfinite(v))
        fail(source, line, "score '" + str + "' is not a finite number");
    return v;
}

long parseInteger(std::string_view s, const char* what, const std::string& source,
                  std::size_t line) {
    std::string str(s);
    char* end = nullptr;
    errno = 0;
    long v = std::strtol(str.c_str(), &end, 10);
    if (end == str.c_str() || *end != '\0' || errno == ERANGE)
        fail(source, line, std::string(what) + " '" + str + "' is not an integer");
    return v;
}

template <typename OnLine>
void forEachLine(const std::string& text, const std::string& source, OnLine onLine) {
    std::size_t start = 0, lineNo = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        std::string_view line(text.data() + start, end - start);
        ++lineNo;
        std::size_t bad = 0;
        if (!text::isValidUtf8(line, &bad))
            fail(source, lineNo, "invalid UTF-8 at column " + std::to_string(bad + 1));
        auto f = fields(line);
        if (!f.empty()) onLine(f, lineNo);
        start = end + 1;
    }
}

}  // namespace

void sortTrecOrder(std::vector<ScoredDoc>& docs) {
    std::sort(docs.begin(), docs.end(), [](const ScoredDoc& a, const ScoredDoc& b) {
        if (a.score != b.score) return a.score > b.score;
        return std::strcmp(a.docid.c_str(), b.docid.c_str()) > 0;
    });
}

Run parseRun(const std::string& text, const std::string& source) {
    Run run;
    std::map<std::string, std::set<std::string>> seen;
    forEachLine(text, source, [&](const std::vector<std::string_view>& f, std::size_t line) {
        if (f.size() != 6)
            fail(source, line,
                 "expected 6 columns (qid Q0 docid rank score tag), found " +
                     std::to_string(f.size()));
        parseInteger(f[3], "rank", source, line);
        double score = parseScore(f[4], source, line);
        std::string qid(f[0]), docid(f[2]);
        if (!seen[qid].insert(docid).second)
            fail(source, line, "duplicate document '" + docid + "' for query '" + qid + "'");
        if (run.tag.empty()) run.tag = std::string(f[5]);
        run.byQuery[qid].push_back({docid, score});
        ++run.lines;
    });
    return run;
}

Qrels parseQrels(const std::string& text, const std::string& source) {
    Qrels qrels;
    forEachLine(text, source, [&](const std::vector<std::string_view>& f, std::size_t line) {
        if (f.size() != 4)
            fail(source, line,
                 "expected 4 columns (qid iter docid rel), found " + std::to_string(f.size()));
        long rel = parseInteger(f[3], "relevance", source, line);
        auto& q = qrels.byQuery[std::string(f[0])];
        if (!q.emplace(std::string(f[2]), static_cast<int>(rel)).second)
            fail(source, line,
                 "duplicate judgement of '" + std::string(f[2]) + "' for query '" +
                     std::string(f[0]) + "'");
    });
    return qrels;
}

namespace {
std::string readTrecFile(const std::string& path) {
    try {
        return fs::readFile(path);
    } catch (const std::exception& e) {
        throw TrecFormatError(e.what());
    }
}
}  // namespace

Run readRun(const std::string& path) {
    return parseRun(readTrecFile(path), path);
}

Qrels readQrels(const std::string& path) {
    return parseQrels(readTrecFile(path), path);
}

std::string formatRun(const Run& run, const std::string& tag, std::size_t depth) {
    std::string out;
    char buf[64];
    for (const auto& [qid, docs] : run.byQuery) {
        auto ranked = docs;
        sortTrecOrder(ranked);
        for (std::size_t i = 0; i < ranked.size() && i < depth; ++i) {
            std::snprintf(buf, sizeof(buf), " %zu %.9g ", i + 1, ranked[i].score);
            out += qid;
            out += " Q0 ";
            out += ranked[i].docid;
            out += buf;
            out += tag;
            out += '\n';
        }
    }
    return out;
}

void writeRun(const std::string& path, const Run& run, const std::string& tag, std::size_t depth) {
    fs::writeFileAtomic(path, formatRun(run, tag, depth));
}

void writeQrels(const std::string& path, const Qrels& qrels) {
    std::ostringstream out;
    for (const auto& [qid, docs] : qrels.byQuery)
        for (const auto& [doc, rel] : docs) out << qid << " 0 " << doc << ' ' << rel << '\n';
    fs::writeFileAtomic(path, out.str());
}

}  // namespace clir::eval
