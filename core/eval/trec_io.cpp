// TREC file reading and writing (see trec_io.h).
#include "core/eval/trec_io.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/util/fs.h"
#include "core/util/gzip.h"
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
        return gzip::isGzipFile(path) ? gzip::readText(path) : fs::readFile(path);
    } catch (const std::exception& e) {
        throw TrecFormatError(e.what());
    }
}
}  // namespace

Run readRun(const std::string& path) {
    return parseRun(readTrecFile(path), path);
}

namespace {

// Numbers on the fast path (std::from_chars, no copy); anything it does not take in full goes
// through parseScore / parseInteger, so what is accepted and every message stay theirs.
double fastScore(std::string_view s, const std::string& source, std::size_t line) {
    double v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc() && end == s.data() + s.size() && std::isfinite(v)) return v;
    return parseScore(s, source, line);
}

void fastInteger(std::string_view s, const char* what, const std::string& source,
                 std::size_t line) {
    long v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc() && end == s.data() + s.size()) return;
    parseInteger(s, what, source, line);
}

}  // namespace

CompactRun readRunCompact(const std::string& path) {
    std::unique_ptr<gzip::Reader> reader;  // a plain or gzip-compressed file
    try {
        reader = std::make_unique<gzip::Reader>(path);
    } catch (const std::exception& e) {
        throw TrecFormatError(e.what());
    }
    CompactRun run;
    std::unordered_map<std::string, std::size_t> index;  // qid -> position in run.qids
    // Duplicates are found as the file is read while a query's lines are contiguous (hashes of
    // its docids; a hash seen again is compared in full). A query that comes back after another
    // is checked once, sorted, when the file ends or an error is found: the error of the
    // earliest line wins, as in parseRun.
    std::unordered_set<std::uint64_t> seen;
    std::vector<bool> reopened;
    std::size_t current = SIZE_MAX;
    auto duplicateMessage = [&](std::size_t q, std::string_view docid) {
        return "duplicate document '" + std::string(docid) + "' for query '" + run.qids[q] + "'";
    };
    // The earliest line that repeats a document of a query that came back (0: none).
    auto firstDeferredDuplicate = [&](std::string* message) {
        std::uint32_t first = 0;
        std::vector<std::uint32_t> order;
        for (std::size_t q = 0; q < run.qids.size(); ++q) {
            if (!reopened[q]) continue;
            const auto& docs = run.docs[q];
            order.resize(docs.size());
            for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
            std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
                const int c = run.docid(docs[a]).compare(run.docid(docs[b]));
                return c != 0 ? c < 0 : docs[a].line < docs[b].line;
            });
            for (std::size_t i = 1; i < order.size(); ++i) {
                const auto &prev = docs[order[i - 1]], &d = docs[order[i]];
                if (run.docid(prev) == run.docid(d) && (first == 0 || d.line < first)) {
                    first = d.line;
                    *message = duplicateMessage(q, run.docid(d));
                }
            }
        }
        return first;
    };
    constexpr std::size_t kChunk = 1 << 22;
    std::string buffer, carry;
    std::vector<std::string_view> fieldViews;
    std::size_t lineNo = 0;
    auto onLine = [&](std::string_view line) {
        ++lineNo;
        std::size_t bad = 0;
        if (!text::isValidUtf8(line, &bad))
            fail(path, lineNo, "invalid UTF-8 at column " + std::to_string(bad + 1));
        fieldViews.clear();
        std::size_t i = 0;
        while (i < line.size()) {
            while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
            const std::size_t start = i;
            while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
            if (i > start) fieldViews.push_back(line.substr(start, i - start));
        }
        if (fieldViews.empty()) return;
        if (fieldViews.size() != 6)
            fail(path, lineNo,
                 "expected 6 columns (qid Q0 docid rank score tag), found " +
                     std::to_string(fieldViews.size()));
        fastInteger(fieldViews[3], "rank", path, lineNo);
        const double score = fastScore(fieldViews[4], path, lineNo);
        const std::string_view qid = fieldViews[0], docid = fieldViews[2];
        if (current == SIZE_MAX || run.qids[current] != qid) {
            auto [it, added] = index.emplace(std::string(qid), run.qids.size());
            if (added) {
                run.qids.emplace_back(qid);
                run.docs.emplace_back();
                reopened.push_back(false);
            } else {
                reopened[it->second] = true;
            }
            current = it->second;
            seen.clear();
        }
        auto& docs = run.docs[current];
        if (!reopened[current] && !seen.insert(std::hash<std::string_view>()(docid)).second)
            for (const auto& d : docs)
                if (run.docid(d) == docid) fail(path, lineNo, duplicateMessage(current, docid));
        if (run.tag.empty()) run.tag = std::string(fieldViews[5]);
        docs.push_back(
            {score, run.docids.size(), std::uint32_t(docid.size()), std::uint32_t(lineNo)});
        run.docids.append(docid);
        ++run.lines;
    };
    try {
        // A small run needs no 4 MiB buffer (one byte more than the file shows the end).
        std::error_code sizeError;
        const auto fileSize = std::filesystem::file_size(path, sizeError);
        const std::size_t chunkSize =
            sizeError ? kChunk : std::size_t(std::min<std::uintmax_t>(kChunk, fileSize + 1));
        buffer.resize(chunkSize);
        for (;;) {
            std::size_t got = 0;
            try {
                got = reader->read(buffer.data(), chunkSize);
            } catch (const std::exception& e) {
                throw TrecFormatError(e.what());
            }
            if (got == 0) break;
            std::string_view chunk(buffer.data(), got);
            std::size_t start = 0;
            for (;;) {
                const auto nl = chunk.find('\n', start);
                if (nl == std::string_view::npos) break;
                if (!carry.empty()) {
                    carry.append(chunk.substr(start, nl - start));
                    onLine(carry);
                    carry.clear();
                } else {
                    onLine(chunk.substr(start, nl - start));
                }
                start = nl + 1;
            }
            carry.append(chunk.substr(start));
        }
        if (!carry.empty()) onLine(carry);
    } catch (const TrecFormatError&) {
        std::string message;
        const auto line = firstDeferredDuplicate(&message);
        if (line != 0 && line < lineNo) fail(path, line, message);
        throw;
    }
    std::string message;
    if (const auto line = firstDeferredDuplicate(&message)) fail(path, line, message);
    return run;
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
    const std::string text = formatRun(run, tag, depth);
    fs::writeFileAtomic(path, text::endsWith(path, ".gz") ? gzip::compress(text) : text);
}

void writeQrels(const std::string& path, const Qrels& qrels) {
    std::ostringstream out;
    for (const auto& [qid, docs] : qrels.byQuery)
        for (const auto& [doc, rel] : docs) out << qid << " 0 " << doc << ' ' << rel << '\n';
    fs::writeFileAtomic(path, out.str());
}

}  // namespace clir::eval
