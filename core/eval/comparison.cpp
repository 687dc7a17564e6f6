// Run comparison (see comparison.h).
#include "core/eval/comparison.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>

#include "core/data/corpus_reader.h"
#include "core/data/corpus_settings.h"
#include "core/eval/significance.h"

namespace clir::eval {

ComparedRun poolSeeds(const std::vector<ComparedRun>& seeds, const std::string& label) {
    ComparedRun pooled;
    pooled.label = label;
    std::map<std::string, std::map<std::string, std::pair<double, int>>> sums;
    for (const auto& run : seeds)
        for (const auto& [language, queries] : run.perLanguage) {
            if (queries.empty()) continue;
            double mean = 0;
            for (const auto& [q, v] : queries) {
                auto& [sum, n] = sums[language][q];
                sum += v;
                ++n;
                mean += v;
            }
            pooled.seedMeans[language].push_back(mean / double(queries.size()));
        }
    for (const auto& [language, queries] : sums)
        for (const auto& [q, sn] : queries)
            pooled.perLanguage[language][q] = sn.first / double(sn.second);
    return pooled;
}

bool seedGroupMeans(const std::map<std::string, std::vector<double>>& seedMeans,
                    std::vector<double>& low, std::vector<double>& high) {
    std::size_t seeds = 0;
    for (const auto& [lang, m] : seedMeans)
        if (data::resourceGroup(lang) != "other") seeds = std::max(seeds, m.size());
    if (seeds == 0) return false;
    low.assign(seeds, 0);
    high.assign(seeds, 0);
    std::vector<int> nLow(seeds, 0), nHigh(seeds, 0);
    for (const auto& [lang, m] : seedMeans) {
        const auto g = data::resourceGroup(lang);
        if (g == "other") continue;
        if (m.size() != seeds) return false;  // a seed without this language
        for (std::size_t k = 0; k < seeds; ++k) {
            (g == "low" ? low : high)[k] += m[k];
            ++(g == "low" ? nLow : nHigh)[k];
        }
    }
    for (std::size_t k = 0; k < seeds; ++k) {
        if (!nLow[k] || !nHigh[k]) return false;
        low[k] /= nLow[k];
        high[k] /= nHigh[k];
    }
    return true;
}

std::map<std::string, std::vector<double>> seedMeansOf(const ComparedRun& row) {
    if (!row.seedMeans.empty()) return row.seedMeans;
    std::map<std::string, std::vector<double>> own;
    for (const auto& [lang, queries] : row.perLanguage) {
        double sum = 0;
        for (const auto& [q, v] : queries) sum += v;
        if (!queries.empty()) own[lang] = {sum / double(queries.size())};
    }
    return own;
}

double sampleSd(const std::vector<double>& v) {
    if (v.size() < 2) return 0;
    double mean = 0, ss = 0;
    for (double x : v) mean += x;
    mean /= double(v.size());
    for (double x : v) ss += (x - mean) * (x - mean);
    return std::sqrt(ss / double(v.size() - 1));
}

bool fitLine(const std::vector<double>& x, const std::vector<double>& y, double& intercept,
             double& slope) {
    const std::size_t n = std::min(x.size(), y.size());
    if (n < 2) return false;
    double mx = 0, my = 0;
    for (std::size_t i = 0; i < n; ++i) {
        mx += x[i];
        my += y[i];
    }
    mx /= double(n);
    my /= double(n);
    double sxx = 0, sxy = 0;
    for (std::size_t i = 0; i < n; ++i) {
        sxx += (x[i] - mx) * (x[i] - mx);
        sxy += (x[i] - mx) * (y[i] - my);
    }
    // Every x the same (several runs of one size): no line. Rounding in the mean leaves sxx a
    // few ulps above zero there, which gave a slope of pure noise.
    const auto [lo, hi] = std::minmax_element(x.begin(), x.begin() + std::ptrdiff_t(n));
    if (sxx <= 0 || *hi - *lo <= 1e-12 * std::max(std::abs(*lo), std::abs(*hi))) return false;
    slope = sxy / sxx;
    intercept = my - slope * mx;
    return true;
}

std::vector<double> perSeedSlopes(
    const std::vector<double>& x,
    const std::vector<std::vector<std::pair<std::int64_t, double>>>& bySeed) {
    const std::size_t n = std::min(x.size(), bySeed.size());
    std::vector<std::map<std::int64_t, std::pair<double, int>>> at(n);
    for (std::size_t i = 0; i < n; ++i)
        for (const auto& [seed, y] : bySeed[i]) {
            auto& [sum, count] = at[i][seed];
            sum += y;
            ++count;
        }
    std::vector<double> slopes;
    if (n < 2) return slopes;
    for (const auto& entry : at.front()) {
        const std::int64_t seed = entry.first;
        std::vector<double> y;
        for (const auto& values : at) {
            auto it = values.find(seed);
            if (it == values.end()) break;
            y.push_back(it->second.first / it->second.second);
        }
        double intercept = 0, slope = 0;
        if (y.size() == n && fitLine(x, y, intercept, slope)) slopes.push_back(slope);
    }
    return slopes;
}

Comparison compareRuns(const std::vector<ComparedRun>& runs, std::size_t permutations,
                       std::uint64_t seed, double alpha) {
    Comparison c;
    c.alpha = alpha;
    std::set<std::string> langs;
    for (const auto& r : runs)
        for (const auto& [l, _] : r.perLanguage) langs.insert(l);
    // The study's order (om, km, dz, eu, de, fr, es, en-US) within each group, others after.
    const auto study = data::CorpusSettings::defaults().languages;
    auto rank = [&](const std::string& l) {
        auto it = std::find(study.begin(), study.end(), l);
        return it == study.end() ? study.size() : std::size_t(it - study.begin());
    };
    for (const char* group : {"low", "high", "other"}) {
        std::vector<std::string> members;
        for (const auto& l : langs)
            if (data::resourceGroup(l) == group) members.push_back(l);
        std::stable_sort(members.begin(), members.end(),
                         [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
        c.languages.insert(c.languages.end(), members.begin(), members.end());
    }
    const ComparedRun* baseline = nullptr;
    for (const auto& r : runs)
        if (r.isBaseline) baseline = &r;

    for (const auto& r : runs) {
        c.labels.push_back(r.label);
        std::vector<ComparisonCell> row;
        std::vector<std::size_t> tested;
        for (const auto& l : c.languages) {
            ComparisonCell cell;
            auto it = r.perLanguage.find(l);
            if (it != r.perLanguage.end() && !it->second.empty()) {
                cell.present = true;
                cell.queries = it->second.size();
                for (const auto& [q, v] : it->second) cell.mean += v;
                cell.mean /= double(cell.queries);
                auto seeds = r.seedMeans.find(l);
                if (seeds != r.seedMeans.end() && seeds->second.size() > 1) {
                    const auto& m = seeds->second;
                    cell.seeds = m.size();
                    double mean = 0, ss = 0;
                    for (double v : m) mean += v;
                    mean /= double(m.size());
                    for (double v : m) ss += (v - mean) * (v - mean);
                    cell.mean = mean;
                    cell.sd = std::sqrt(ss / double(m.size() - 1));
                }
            }
            row.push_back(cell);
        }
        // Paired tests over the queries both runs have, corrected across the languages tested.
        if (baseline && &r != baseline) {
            std::vector<std::pair<double, double>> raw(c.languages.size(), {1.0, 1.0});
            std::size_t comparisons = 0;
            for (std::size_t i = 0; i < c.languages.size(); ++i) {
                auto mine = r.perLanguage.find(c.languages[i]);
                auto base = baseline->perLanguage.find(c.languages[i]);
                if (mine == r.perLanguage.end() || base == baseline->perLanguage.end()) continue;
                std::vector<double> a, b;
                for (const auto& [q, v] : mine->second) {
                    auto o = base->second.find(q);
                    if (o == base->second.end()) continue;
                    a.push_back(v);
                    b.push_back(o->second);
                }
                if (a.size() < 2) continue;
                raw[i] = {pairedTTest(a, b).pValue,
                          pairedRandomisationTest(a, b, permutations, seed).pValue};
                tested.push_back(i);
                ++comparisons;
            }
            for (auto i : tested) {
                row[i].pTTest = bonferroni(raw[i].first, comparisons);
                row[i].pRandomisation = bonferroni(raw[i].second, comparisons);
                row[i].significantT = row[i].pTTest < alpha;
                row[i].significantRandomisation = row[i].pRandomisation < alpha;
            }
        }
        // Gap only when every low- and high-resource language of the table is present.
        double low = 0, high = 0;
        int nLow = 0, nHigh = 0;
        bool complete = true;
        for (std::size_t i = 0; i < c.languages.size(); ++i) {
            std::string g = data::resourceGroup(c.languages[i]);
            if (g == "other") continue;
            if (!row[i].present) {
                complete = false;
                continue;
            }
            (g == "low" ? low : high) += row[i].mean;
            ++(g == "low" ? nLow : nHigh);
        }
        c.gap.push_back(complete && nLow && nHigh ? high / nHigh - low / nLow : std::nan(""));
        c.cells.push_back(std::move(row));
    }
    return c;
}

namespace {

// The Markdown table of a comparison; `markers(run, language)` is appended to each mean.
std::string formatTable(const Comparison& c, const std::string& measure,
                        const std::string& querySet,
                        const std::function<std::string(std::size_t, std::size_t)>& markers) {
    std::ostringstream out;
    out << "| " << measure << " (" << querySet << ") |";
    for (const auto& l : c.labels) out << " " << l << " |";
    out << "\n|---|";
    for (std::size_t i = 0; i < c.labels.size(); ++i) out << "---:|";
    out << "\n";
    char buf[64];
    for (std::size_t li = 0; li < c.languages.size(); ++li) {
        std::string g = data::resourceGroup(c.languages[li]);
        out << "| " << c.languages[li] << (g == "other" ? "" : " (" + g + ")") << " |";
        for (std::size_t r = 0; r < c.labels.size(); ++r) {
            const auto& cell = c.cells[r][li];
            if (!cell.present) {
                out << " – |";
                continue;
            }
            if (cell.seeds > 1)
                std::snprintf(buf, sizeof(buf), "%.4f ± %.4f", cell.mean, cell.sd);
            else
                std::snprintf(buf, sizeof(buf), "%.4f", cell.mean);
            out << " " << buf << markers(r, li) << " |";
        }
        out << "\n";
    }
    out << "| gap (high − low) |";
    for (double g : c.gap) {
        if (std::isnan(g)) {
            out << " – |";
        } else {
            std::snprintf(buf, sizeof(buf), "%+.4f", g);
            out << " " << buf << " |";
        }
    }
    out << "\n";
    return out.str();
}

}  // namespace

std::string formatComparison(const Comparison& c, const std::string& measure,
                             const std::string& querySet) {
    return formatTable(c, measure, querySet, [&](std::size_t r, std::size_t li) {
        const auto& cell = c.cells[r][li];
        return std::string(cell.significantT ? "*" : "") +
               (cell.significantRandomisation ? "†" : "");
    });
}

std::string formatAgainstBaselines(const std::vector<ComparedRun>& runs,
                                   const std::vector<std::size_t>& baselines,
                                   const std::string& measure, const std::string& querySet,
                                   std::size_t permutations, std::uint64_t seed, double alpha) {
    static const std::map<char, std::string> superscript = {
        {'a', "ᵃ"}, {'b', "ᵇ"}, {'c', "ᶜ"}, {'d', "ᵈ"}, {'e', "ᵉ"}, {'f', "ᶠ"}, {'g', "ᵍ"},
        {'h', "ʰ"}, {'i', "ⁱ"}, {'j', "ʲ"}, {'k', "ᵏ"}, {'l', "ˡ"}, {'m', "ᵐ"}, {'n', "ⁿ"},
        {'o', "ᵒ"}, {'p', "ᵖ"}, {'r', "ʳ"}, {'s', "ˢ"}, {'t', "ᵗ"}, {'u', "ᵘ"}, {'v', "ᵛ"},
        {'w', "ʷ"}, {'x', "ˣ"}, {'y', "ʸ"}, {'z', "ᶻ"}};
    static const std::vector<std::string> digits = {"¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"};
    std::vector<std::string> markers;
    std::set<std::string> usedLetters;
    bool letters = true;
    for (auto b : baselines) {
        if (b >= runs.size()) throw std::invalid_argument("baseline index out of range");
        char first = runs[b].label.empty() ? '?' : char(std::tolower(runs[b].label[0]));
        auto it = superscript.find(first);
        if (it == superscript.end() || !usedLetters.insert(it->second).second) letters = false;
    }
    for (std::size_t k = 0; k < baselines.size(); ++k)
        markers.push_back(letters ? superscript.at(char(std::tolower(runs[baselines[k]].label[0])))
                                  : digits[k % digits.size()]);
    std::vector<Comparison> perBaseline;
    for (auto b : baselines) {
        auto copy = runs;
        for (std::size_t i = 0; i < copy.size(); ++i) copy[i].isBaseline = i == b;
        perBaseline.push_back(compareRuns(copy, permutations, seed, alpha));
    }
    if (perBaseline.empty()) {
        auto copy = runs;
        if (!copy.empty()) copy[0].isBaseline = true;
        perBaseline.push_back(compareRuns(copy, permutations, seed, alpha));
    }
    std::ostringstream out;
    out << formatTable(perBaseline.front(), measure, querySet, [&](std::size_t r, std::size_t li) {
        std::string m;
        for (std::size_t k = 0; k < perBaseline.size() && k < markers.size(); ++k)
            if (perBaseline[k].cells[r][li].significantRandomisation) m += markers[k];
        return m;
    });
    char buf[64];
    for (std::size_t k = 0; k < markers.size(); ++k) {
        std::snprintf(buf, sizeof(buf), "%g", alpha);
        out << "\n"
            << markers[k] << " differs from " << runs[baselines[k]].label
            << " (paired randomisation test, " << permutations << " permutations, p < " << buf
            << " after Bonferroni correction across languages)";
    }
    if (!markers.empty()) out << "\n";
    return out.str();
}

}  // namespace clir::eval
