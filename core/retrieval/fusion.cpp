// Score fusion (see fusion.h).
#include "core/retrieval/fusion.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

#include "core/eval/measures.h"

namespace clir::retrieval {
namespace {

// docid -> z-score, and the lowest z-score (for documents the run did not retrieve).
struct ZScores {
    std::map<std::string, double> z;
    double lowest = 0;
};

ZScores zScores(const std::vector<eval::ScoredDoc>* ranked) {
    ZScores out;
    if (!ranked || ranked->empty()) return out;
    double mean = 0;
    for (const auto& d : *ranked) mean += d.score;
    mean /= double(ranked->size());
    double var = 0;
    for (const auto& d : *ranked) var += (d.score - mean) * (d.score - mean);
    const double sd = std::sqrt(var / double(ranked->size()));
    out.lowest = 0;
    bool first = true;
    for (const auto& d : *ranked) {
        const double z = sd > 0 ? (d.score - mean) / sd : 0.0;
        out.z[d.docid] = z;
        out.lowest = first ? z : std::min(out.lowest, z);
        first = false;
    }
    return out;
}

const std::vector<eval::ScoredDoc>* find(const eval::Run& run, const std::string& qid) {
    auto it = run.byQuery.find(qid);
    return it == run.byQuery.end() ? nullptr : &it->second;
}

}  // namespace

eval::Run fuseZScores(const eval::Run& neural, const eval::Run& bm25, double alpha,
                      std::size_t depth) {
    if (!(alpha >= 0 && alpha <= 1))
        throw std::invalid_argument("fusion weight " + std::to_string(alpha) + " is not in [0, 1]");
    std::vector<std::string> qids;
    for (const auto& [q, _] : neural.byQuery) qids.push_back(q);
    for (const auto& [q, _] : bm25.byQuery)
        if (!neural.byQuery.count(q)) qids.push_back(q);
    eval::Run fused;
    for (const auto& q : qids) {
        const auto n = zScores(find(neural, q)), b = zScores(find(bm25, q));
        std::map<std::string, double> score;
        for (const auto& [doc, _] : n.z) score[doc] = 0;
        for (const auto& [doc, _] : b.z) score[doc] = 0;
        for (auto& [doc, s] : score) {
            auto zn = n.z.find(doc), zb = b.z.find(doc);
            s = alpha * (zn != n.z.end() ? zn->second : n.lowest) +
                (1 - alpha) * (zb != b.z.end() ? zb->second : b.lowest);
        }
        auto& ranked = fused.byQuery[q];
        for (const auto& [doc, s] : score) ranked.push_back({doc, s});
        std::stable_sort(ranked.begin(), ranked.end(), [](const auto& x, const auto& y) {
            return x.score > y.score;  // std::map order: docid breaks ties
        });
        if (ranked.size() > depth) ranked.resize(depth);
    }
    return fused;
}

AlphaChoice chooseAlpha(const std::vector<DevFusionSet>& dev, std::size_t depth) {
    if (dev.empty()) throw std::invalid_argument("no dev queries to choose the fusion weight on");
    AlphaChoice choice;
    choice.devMap = -1;
    for (int step = 0; step <= 20; ++step) {
        const double alpha = step / 20.0;
        double sum = 0;
        for (const auto& set : dev)
            sum += eval::evaluate(fuseZScores(*set.neural, *set.bm25, alpha, depth), *set.qrels,
                                  {true})
                       .mean.at("map");
        const double map = sum / double(dev.size());
        choice.grid.push_back(alpha);
        choice.map.push_back(map);
        if (map >= choice.devMap) {  // ties: the larger alpha
            choice.devMap = map;
            choice.alpha = alpha;
        }
    }
    return choice;
}

}  // namespace clir::retrieval
