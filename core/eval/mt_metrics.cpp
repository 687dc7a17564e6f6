// chrF and BLEU (see mt_metrics.h).
#include "core/eval/mt_metrics.h"

#include <cmath>
#include <map>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace clir::eval {
namespace {

void replaceAll(std::string& s, const std::string& from, const std::string& to) {
    for (std::size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
        s.replace(pos, from.size(), to);
}

// UTF-8 code points of `s` with every whitespace character removed.
std::vector<std::string> codePointsWithoutSpace(const std::string& s) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < s.size();) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        std::size_t len = c < 0x80         ? 1
                          : (c >> 5) == 6  ? 2
                          : (c >> 4) == 14 ? 3
                          : (c >> 3) == 30 ? 4
                                           : 1;
        std::string cp = s.substr(i, len);
        i += len;
        if (len == 1 && std::isspace(c)) continue;
        if (cp == "\u00a0" || cp == "\u2028" || cp == "\u2029" || cp == "\u3000") continue;
        out.push_back(std::move(cp));
    }
    return out;
}

std::map<std::string, long long> ngrams(const std::vector<std::string>& units, std::size_t n,
                                        const char* joiner) {
    std::map<std::string, long long> out;
    if (units.size() < n) return out;
    for (std::size_t i = 0; i + n <= units.size(); ++i) {
        std::string g = units[i];
        for (std::size_t k = 1; k < n; ++k) g += joiner + units[i + k];
        ++out[g];
    }
    return out;
}

void checkLengths(const std::vector<std::string>& hyp,
                  const std::vector<std::vector<std::string>>& refs) {
    if (refs.empty()) throw std::invalid_argument("no reference stream");
    for (std::size_t r = 0; r < refs.size(); ++r)
        if (refs[r].size() != hyp.size())
            throw std::invalid_argument("reference stream " + std::to_string(r + 1) + " has " +
                                        std::to_string(refs[r].size()) + " lines, the hypotheses " +
                                        std::to_string(hyp.size()));
}

std::vector<std::string> words(const std::string& s) {
    std::istringstream in(s);
    std::vector<std::string> out;
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

}  // namespace

std::string tokenize13a(const std::string& input) {
    std::string line = input;
    replaceAll(line, "<skipped>", "");
    replaceAll(line, "-\n", "");
    replaceAll(line, "\n", " ");
    if (line.find('&') != std::string::npos) {
        replaceAll(line, "&quot;", "\"");
        replaceAll(line, "&amp;", "&");
        replaceAll(line, "&lt;", "<");
        replaceAll(line, "&gt;", ">");
    }
    line = " " + line + " ";
    // The four rules of sacreBLEU's TokenizerRegexp, applied in order.
    static const std::regex punctuation(R"(([\{-~\[-` -&\(-\+:-@/]))");
    static const std::regex periodCommaAfter(R"(([^0-9])([\.,]))");
    static const std::regex periodCommaBefore(R"(([\.,])([^0-9]))");
    static const std::regex dashAfterDigit(R"(([0-9])(-))");
    line = std::regex_replace(line, punctuation, " $1 ");
    line = std::regex_replace(line, periodCommaAfter, "$1 $2 ");
    line = std::regex_replace(line, periodCommaBefore, " $1 $2");
    line = std::regex_replace(line, dashAfterDigit, "$1 $2 ");
    std::string out;
    for (const auto& w : words(line)) out += (out.empty() ? "" : " ") + w;
    return out;
}

double corpusChrf(const std::vector<std::string>& hyp,
                  const std::vector<std::vector<std::string>>& refs, int order, double beta) {
    checkLengths(hyp, refs);
    std::vector<long long> stats(std::size_t(order) * 3, 0);  // hyp, ref, match per order
    for (std::size_t i = 0; i < hyp.size(); ++i) {
        auto h = codePointsWithoutSpace(hyp[i]);
        // Several references: the one with the best sentence chrF counts (as sacreBLEU).
        std::vector<long long> best;
        double bestScore = -1;
        for (const auto& stream : refs) {
            auto r = codePointsWithoutSpace(stream[i]);
            std::vector<long long> s(stats.size(), 0);
            for (int n = 1; n <= order; ++n) {
                auto hn = ngrams(h, std::size_t(n), ""), rn = ngrams(r, std::size_t(n), "");
                long long hc = 0, rc = 0, mc = 0;
                for (const auto& [g, c] : hn) {
                    hc += c;
                    auto it = rn.find(g);
                    if (it != rn.end()) mc += std::min(c, it->second);
                }
                for (const auto& [g, c] : rn) rc += c;
                s[std::size_t(n - 1) * 3] = hc;
                s[std::size_t(n - 1) * 3 + 1] = rc;
                s[std::size_t(n - 1) * 3 + 2] = mc;
            }
            double score = refs.size() == 1 ? 0 : corpusChrf({hyp[i]}, {{stream[i]}}, order, beta);
            if (score > bestScore) {
                bestScore = score;
                best = s;
            }
        }
        for (std::size_t k = 0; k < stats.size(); ++k) stats[k] += best[k];
    }
    double precision = 0, recall = 0;
    int effective = 0;
    for (int n = 0; n < order; ++n) {
        long long hc = stats[std::size_t(n) * 3], rc = stats[std::size_t(n) * 3 + 1],
                  mc = stats[std::size_t(n) * 3 + 2];
        if (hc > 0 && rc > 0) {
            precision += double(mc) / double(hc);
            recall += double(mc) / double(rc);
            ++effective;
        }
    }
    if (effective == 0) return 0.0;
    precision /= effective;
    recall /= effective;
    if (precision + recall == 0) return 0.0;
    const double b2 = beta * beta;
    return 100.0 * (1 + b2) * precision * recall / (b2 * precision + recall);
}

BleuScore corpusBleu(const std::vector<std::string>& hyp,
                     const std::vector<std::vector<std::string>>& refs) {
    checkLengths(hyp, refs);
    BleuScore s;
    s.correct.assign(4, 0);
    s.total.assign(4, 0);
    for (std::size_t i = 0; i < hyp.size(); ++i) {
        auto h = words(tokenize13a(hyp[i]));
        std::map<std::string, long long> maxRef;  // n-gram -> most occurrences in one reference
        long long closest = -1;
        for (const auto& stream : refs) {
            auto r = words(tokenize13a(stream[i]));
            long long len = static_cast<long long>(r.size()), hl = static_cast<long long>(h.size());
            if (closest < 0 || std::llabs(len - hl) < std::llabs(closest - hl) ||
                (std::llabs(len - hl) == std::llabs(closest - hl) && len < closest))
                closest = len;
            for (std::size_t n = 1; n <= 4; ++n)
                for (const auto& [g, c] : ngrams(r, n, " "))
                    maxRef[std::to_string(n) + "|" + g] =
                        std::max(maxRef[std::to_string(n) + "|" + g], c);
        }
        s.hypothesisLength += static_cast<long long>(h.size());
        s.referenceLength += closest;
        for (std::size_t n = 1; n <= 4; ++n)
            for (const auto& [g, c] : ngrams(h, n, " ")) {
                s.total[n - 1] += c;
                auto it = maxRef.find(std::to_string(n) + "|" + g);
                if (it != maxRef.end()) s.correct[n - 1] += std::min(c, it->second);
            }
    }
    if (s.hypothesisLength < s.referenceLength)
        s.brevityPenalty =
            s.hypothesisLength > 0
                ? std::exp(1.0 - double(s.referenceLength) / double(s.hypothesisLength))
                : 0.0;
    bool any = false;
    for (auto c : s.correct) any = any || c > 0;
    if (!any) return s;  // no overlap at all: 0
    double logSum = 0, smooth = 1;
    for (std::size_t n = 0; n < 4; ++n) {
        if (s.total[n] == 0) {
            logSum += -9999999999.0;  // sacreBLEU's my_log(0)
            continue;
        }
        double p;
        if (s.correct[n] == 0) {
            smooth *= 2;
            p = 100.0 / (smooth * double(s.total[n]));
        } else {
            p = 100.0 * double(s.correct[n]) / double(s.total[n]);
        }
        logSum += std::log(p);
    }
    s.score = s.brevityPenalty * std::exp(logSum / 4.0);
    return s;
}

}  // namespace clir::eval
