// Score fusion (see fusion.h).
#include "core/retrieval/fusion.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>
#include <unordered_map>

#include "core/eval/measures.h"

namespace clir::retrieval {
namespace {

// One query's pages (the union of both runs) with their z-scores in each run; a page a run
// did not retrieve takes that run's lowest z-score. Computed once, fused at any weight.
struct QueryZ {
    std::vector<std::string> docs;  // sorted by docid
    std::vector<double> neural, bm25;
};

void zScores(const std::vector<eval::ScoredDoc>* ranked, std::unordered_map<std::string, double>& z,
             double& lowest) {
    lowest = 0;
    if (!ranked || ranked->empty()) return;
    double mean = 0;
    for (const auto& d : *ranked) mean += d.score;
    mean /= double(ranked->size());
    double var = 0;
    for (const auto& d : *ranked) var += (d.score - mean) * (d.score - mean);
    const double sd = std::sqrt(var / double(ranked->size()));
    bool first = true;
    for (const auto& d : *ranked) {
        const double v = sd > 0 ? (d.score - mean) / sd : 0.0;
        z[d.docid] = v;
        lowest = first ? v : std::min(lowest, v);
        first = false;
    }
}

const std::vector<eval::ScoredDoc>* find(const eval::Run& run, const std::string& qid) {
    auto it = run.byQuery.find(qid);
    return it == run.byQuery.end() ? nullptr : &it->second;
}

std::map<std::string, QueryZ> prepare(const eval::Run& neural, const eval::Run& bm25) {
    std::map<std::string, QueryZ> out;
    std::vector<std::string> qids;
    for (const auto& [q, _] : neural.byQuery) qids.push_back(q);
    for (const auto& [q, _] : bm25.byQuery)
        if (!neural.byQuery.count(q)) qids.push_back(q);
    for (const auto& q : qids) {
        std::unordered_map<std::string, double> zn, zb;
        double lowN = 0, lowB = 0;
        zScores(find(neural, q), zn, lowN);
        zScores(find(bm25, q), zb, lowB);
        auto& qz = out[q];
        qz.docs.reserve(zn.size() + zb.size());
        for (const auto& [doc, _] : zn) qz.docs.push_back(doc);
        for (const auto& [doc, _] : zb)
            if (!zn.count(doc)) qz.docs.push_back(doc);
        std::sort(qz.docs.begin(), qz.docs.end());
        for (const auto& doc : qz.docs) {
            auto n = zn.find(doc), b = zb.find(doc);
            qz.neural.push_back(n != zn.end() ? n->second : lowN);
            qz.bm25.push_back(b != zb.end() ? b->second : lowB);
        }
    }
    return out;
}

eval::Run fuse(const std::map<std::string, QueryZ>& prepared, double alpha, std::size_t depth) {
    if (!(alpha >= 0 && alpha <= 1))
        throw std::invalid_argument("fusion weight " + std::to_string(alpha) + " is not in [0, 1]");
    eval::Run fused;
    for (const auto& [q, qz] : prepared) {
        auto& ranked = fused.byQuery[q];
        ranked.reserve(qz.docs.size());
        for (std::size_t i = 0; i < qz.docs.size(); ++i)
            ranked.push_back({qz.docs[i], alpha * qz.neural[i] + (1 - alpha) * qz.bm25[i]});
        std::stable_sort(ranked.begin(), ranked.end(), [](const auto& x, const auto& y) {
            return x.score > y.score;  // docid order breaks ties
        });
        if (ranked.size() > depth) ranked.resize(depth);
    }
    return fused;
}

}  // namespace

eval::Run fuseZScores(const eval::Run& neural, const eval::Run& bm25, double alpha,
                      std::size_t depth) {
    return fuse(prepare(neural, bm25), alpha, depth);
}

AlphaChoice chooseAlpha(const std::vector<DevFusionSet>& dev, std::size_t depth) {
    if (dev.empty()) throw std::invalid_argument("no dev queries to choose the fusion weight on");
    std::vector<std::map<std::string, QueryZ>> prepared;
    for (const auto& set : dev) prepared.push_back(prepare(*set.neural, *set.bm25));
    AlphaChoice choice;
    choice.devMap = -1;
    for (int step = 0; step <= 20; ++step) {
        const double alpha = step / 20.0;
        double sum = 0;
        for (std::size_t i = 0; i < dev.size(); ++i)
            sum += eval::evaluate(fuse(prepared[i], alpha, depth), *dev[i].qrels, {true})
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
