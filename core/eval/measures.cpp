// Measures after trec_eval 10.0's m_map.c, m_ndcg_cut.c, m_recip_rank.c, m_P.c, m_recall.c,
// m_num_rel.c, form_res_rels.c and the query loop of trec_eval.c. Details that matter for equal
// numbers:
//  - ranking: score descending, ties by docid descending; the file's rank column is ignored;
//  - relevant means rel >= 1; AP divides by every relevant judged document;
//  - ndcg_cut gain is the rel value, discounted by log2(rank + 1) at every rank (m_ndcg_cut.c
//    `gain / log2(i + 2)` for 0-based i, since 9.0.4); the ideal ranking takes every judged
//    level >= 1 from the highest down;
//  - P_k divides by k even when fewer documents were retrieved;
//  - -c: every qrels query is evaluated, those missing from the run on an empty ranking, so
//    they add 0 to the means and their relevant documents to num_rel.
#include "core/eval/measures.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace clir::eval {
namespace {

constexpr int kRelevanceLevel = 1;

// The measures of one query from its ranked judgements (-1: unjudged) and its judged levels.
std::map<std::string, double> measuresOf(const std::vector<int>& rels,
                                         const std::vector<int>& judgedLevels) {
    long numRel = 0;
    std::vector<int> idealGains;
    for (int rel : judgedLevels) {
        if (rel >= kRelevanceLevel) ++numRel;
        if (rel >= 1) idealGains.push_back(rel);
    }
    std::sort(idealGains.rbegin(), idealGains.rend());

    auto discount = [](std::size_t rank) { return std::log2(double(rank) + 1.0); };
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
    for (std::size_t i = 0; i < idealGains.size() && i < 10; ++i)
        idcg += idealGains[i] / discount(i + 1);
    return {{"map", numRel ? apSum / double(numRel) : 0.0},
            {"ndcg_cut_10", idcg > 0 ? dcg / idcg : 0.0},
            {"recip_rank", rr},
            {"P_10", double(relAt10) / 10.0},
            {"recall_100", numRel ? double(relAt100) / double(numRel) : 0.0},
            {"recall_1000", numRel ? double(relAt1000) / double(numRel) : 0.0},
            {"num_ret", double(rels.size())},
            {"num_rel", double(numRel)},
            {"num_rel_ret", double(relSoFar)}};
}

std::vector<int> levelsOf(const std::map<std::string, int>& judged) {
    std::vector<int> levels;
    levels.reserve(judged.size());
    for (const auto& [doc, rel] : judged) levels.push_back(rel);
    return levels;
}

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
    return measuresOf(rels, levelsOf(judged));
}

// The means over the evaluated queries (counts summed), and with -c the qrels queries the run
// lacks, on an empty ranking.
void finish(Evaluation& e, const Qrels& qrels, const EvalOptions& options) {
    if (options.complete) {
        // trec_eval.c gives a qrels query without results a "bogus" empty ranking and evaluates
        // it like any other; m_num_rel.c then counts the relevant documents of every query.
        static const std::vector<ScoredDoc> none;
        for (const auto& [qid, judged] : qrels.byQuery)
            if (!e.perQuery.count(qid)) e.perQuery[qid] = evaluateQuery(none, judged);
    }
    e.numQueries = e.perQuery.size();
    for (const auto& name : measureNames()) {
        double sum = 0;
        for (const auto& [qid, values] : e.perQuery) sum += values.at(name);
        e.mean[name] =
            isCountMeasure(name) ? sum : (e.numQueries ? sum / double(e.numQueries) : 0.0);
    }
}

}  // namespace

const std::vector<std::string>& measureNames() {
    static const std::vector<std::string> names = {"num_ret",    "num_rel",     "num_rel_ret",
                                                   "map",        "recip_rank",  "P_10",
                                                   "recall_100", "recall_1000", "ndcg_cut_10"};
    return names;
}

bool isCountMeasure(const std::string& name) {
    return name.rfind("num_", 0) == 0;
}

const std::vector<std::string>& reportedMeasures() {
    static const std::vector<std::string> names = {"map",  "ndcg_cut_10", "recip_rank",
                                                   "P_10", "recall_100",  "recall_1000"};
    return names;
}

Evaluation evaluate(const Run& run, const Qrels& qrels, const EvalOptions& options) {
    Evaluation e;
    for (const auto& [qid, docs] : run.byQuery) {
        auto judged = qrels.byQuery.find(qid);
        if (judged == qrels.byQuery.end()) continue;  // trec_eval ignores unjudged queries
        e.perQuery[qid] = evaluateQuery(docs, judged->second);
    }
    finish(e, qrels, options);
    return e;
}

Evaluation evaluateRunFile(const std::string& runPath, const Qrels& qrels,
                           const EvalOptions& options, std::string* tag) {
    const CompactRun run = readRunCompact(runPath);
    if (tag) *tag = run.tag;
    Evaluation e;
    std::vector<std::uint32_t> order;
    std::vector<int> rels;
    for (std::size_t q = 0; q < run.qids.size(); ++q) {
        auto judged = qrels.byQuery.find(run.qids[q]);
        if (judged == qrels.byQuery.end()) continue;  // trec_eval ignores unjudged queries
        const auto& docs = run.docs[q];
        order.resize(docs.size());
        for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
        // trec_eval's order: score descending, then docid descending (strcmp on the bytes).
        std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
            if (docs[a].score != docs[b].score) return docs[a].score > docs[b].score;
            return run.docid(docs[a]).compare(run.docid(docs[b])) > 0;
        });
        rels.clear();
        for (auto i : order) {
            auto it = judged->second.find(std::string(run.docid(docs[i])));
            rels.push_back(it == judged->second.end() ? -1 : it->second);
        }
        e.perQuery[run.qids[q]] = measuresOf(rels, levelsOf(judged->second));
    }
    finish(e, qrels, options);
    return e;
}

std::string formatTrecEval(const Evaluation& e, const std::vector<std::string>& measures,
                           bool perQuery, const std::string& runTag) {
    std::string out;
    char buf[512];
    auto line = [&](const std::string& m, const std::string& qid, double v) {
        if (isCountMeasure(m))
            std::snprintf(buf, sizeof(buf), "%-22s\t%s\t%ld\n", m.c_str(), qid.c_str(),
                          long(std::lround(v)));
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
