// Measures after trec_eval's m_map.c, m_ndcg_cut.c, m_recip_rank.c, m_P.c, m_recall.c and
// form_res_rels.c. Details that matter for equal numbers:
//  - ranking: score descending, ties by docid descending; the file's rank column is ignored;
//  - relevant means rel >= 1; AP divides by every relevant judged document;
//  - ndcg gain is the rel value; discount 1 at ranks 1 and 2, log2(rank) after (trec_eval's
//    Jarvelin-Kekalainen form); the ideal ranking uses every judged level >= 1;
//  - P_k divides by k even when fewer documents were retrieved.
#include "core/eval/measures.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace clir::eval {
namespace {

constexpr int kRelevanceLevel = 1;

std::map<std::string, double> evaluateQuery(const std::vector<ScoredDoc>& docs,
                                            const std::map<std::string, int>& judged) {
    auto ranked = docs;
    sortTrecOrder(ranked);
    std::vector<int> rels;
    rels.reserve(ranked.size());
    for (const auto& d : ranked) {
        auto it = judged.find(d.docid);
        rels.push_back(it == judged.end() ? -1 : it->second);
    }
    long numRel = 0;
    std::vector<int> idealGains;
    for (const auto& [doc, rel] : judged) {
        if (rel >= kRelevanceLevel) ++numRel;
        if (rel >= 1) idealGains.push_back(rel);
    }
    std::sort(idealGains.rbegin(), idealGains.rend());

    auto discount = [](std::size_t i) { return i < 2 ? 1.0 : std::log2(double(i)); };  // i: rank
    double apSum = 0, dcg = 0, idcg = 0, rr = 0;
    long relSoFar = 0, relAt10 = 0, relAt100 = 0, relAt1000 = 0;
    for (std::size_t i = 0; i < rels.size(); ++i) {
        std::size_t rank = i + 1;
        if (rels[i] > 0 && rank <= 10) dcg += rels[i] / discount(rank);
        if (rels[i] >= kRelevanceLevel) {
            ++relSoFar;
            apSum += double(relSoFar) / double(rank);
            if (rr == 0) rr = 1.0 / double(rank);
            if (rank <= 10) ++relAt10;
            if (rank <= 100) ++relAt100;
            if (rank <= 1000) ++relAt1000;
        }
    }
    for (std::size_t i = 0; i < idealGains.size() && i < 10; ++i) idcg += idealGains[i] / discount(i + 1);
    return {{"map", numRel ? apSum / double(numRel) : 0.0},
            {"ndcg_cut_10", idcg > 0 ? dcg / idcg : 0.0},
            {"recip_rank", rr},
            {"P_10", double(relAt10) / 10.0},
            {"recall_100", numRel ? double(relAt100) / double(numRel) : 0.0},
            {"recall_1000", numRel ? double(relAt1000) / double(numRel) : 0.0},
            {"num_ret", double(ranked.size())},
            {"num_rel", double(numRel)},
            {"num_rel_ret", double(relSoFar)}};
}

}  // namespace

const std::vector<std::string>& measureNames() {
    static const std::vector<std::string> names = {"num_ret",    "num_rel",     "num_rel_ret",
                                                   "map",        "recip_rank",  "P_10",
                                                   "recall_100", "recall_1000", "ndcg_cut_10"};
    return names;
}

bool isCountMeasure(const std::string& name) { return name.rfind("num_", 0) == 0; }

Evaluation evaluate(const Run& run, const Qrels& qrels, const EvalOptions& options) {
    Evaluation e;
    for (const auto& [qid, docs] : run.byQuery) {
        auto judged = qrels.byQuery.find(qid);
        if (judged == qrels.byQuery.end()) continue;  // trec_eval ignores unjudged queries
        e.perQuery[qid] = evaluateQuery(docs, judged->second);
    }
    e.numQueries = e.perQuery.size();
    std::size_t denominator = e.numQueries;
    if (options.complete) {
        // -c: averages divide by every judged query (those not retrieved add 0); the num_*
        // counts stay sums over the evaluated queries (trec_eval's te_calc_avg_meas_empty).
        denominator = qrels.byQuery.size();
        e.numQueries = denominator;
    }
    for (const auto& name : measureNames()) {
        double sum = 0;
        for (const auto& [qid, values] : e.perQuery) sum += values.at(name);
        e.mean[name] = isCountMeasure(name) ? sum : (denominator ? sum / double(denominator) : 0.0);
    }
    return e;
}

std::string formatTrecEval(const Evaluation& e, const std::vector<std::string>& measures,
                           bool perQuery, const std::string& runTag) {
    std::string out;
    char buf[512];
    auto line = [&](const std::string& m, const std::string& qid, double v) {
        if (isCountMeasure(m))
            std::snprintf(buf, sizeof(buf), "%-22s\t%s\t%ld\n", m.c_str(), qid.c_str(), long(std::lround(v)));
        else
            std::snprintf(buf, sizeof(buf), "%-22s\t%s\t%6.4f\n", m.c_str(), qid.c_str(), v);
        out += buf;
    };
    if (perQuery)
        for (const auto& [qid, values] : e.perQuery)
            for (const auto& m : measures) line(m, qid, values.at(m));
    std::snprintf(buf, sizeof(buf), "%-22s\tall\t%s\n", "runid", runTag.c_str());
    out += buf;
    std::snprintf(buf, sizeof(buf), "%-22s\tall\t%zu\n", "num_q", e.numQueries);
    out += buf;
    for (const auto& m : measures) line(m, "all", e.mean.at(m));
    return out;
}

}  // namespace clir::eval
