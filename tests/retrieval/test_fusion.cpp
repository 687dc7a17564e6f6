// BM25 fusion: z-scores computed by hand, documents missing from one run, the depth cut, and a
// fusion weight chosen on dev queries only (a test set that prefers the other end of the grid
// would change it, so a leak shows).
#include <QtTest>

#include <cmath>

#include "core/eval/measures.h"
#include "core/retrieval/fusion.h"
#include "core/retrieval/test_evaluation.h"

using namespace clir;
using namespace clir::retrieval;

namespace {

eval::Run runOf(const std::string& qid, std::vector<eval::ScoredDoc> docs) {
    eval::Run r;
    r.byQuery[qid] = std::move(docs);
    return r;
}

// One query whose one relevant page `rel` is ranked first by `good` and last by `bad`.
struct Set {
    eval::Run neural, bm25;
    eval::Qrels qrels;
};
Set oneSided(const std::string& qid, bool neuralRight) {
    std::vector<eval::ScoredDoc> right = {{"rel", 9}, {"x", 5}, {"y", 4}, {"z", 3}};
    std::vector<eval::ScoredDoc> wrong = {{"x", 9}, {"y", 8}, {"z", 7}, {"rel", 1}};
    Set s;
    s.neural = runOf(qid, neuralRight ? right : wrong);
    s.bm25 = runOf(qid, neuralRight ? wrong : right);
    s.qrels.byQuery[qid]["rel"] = 1;
    return s;
}

}  // namespace

class TestFusion : public QObject {
    Q_OBJECT
  private slots:
    void zScoresByHand() {
        // neural: d1 3, d2 1 -> mean 2, sd 1 -> z 1, -1 (lowest -1).
        // bm25: d2 10, d3 4, d4 1 -> mean 5, sd sqrt(14) -> z 5, -1, -4 over sqrt(14).
        auto neural = runOf("q", {{"d1", 3}, {"d2", 1}});
        auto bm25 = runOf("q", {{"d2", 10}, {"d3", 4}, {"d4", 1}});
        const double a = 0.3, r14 = std::sqrt(14.0);
        std::map<std::string, double> want = {
            {"d1", a * 1 + (1 - a) * (-4 / r14)},  // missing from BM25: its lowest z
            {"d2", a * -1 + (1 - a) * (5 / r14)},
            {"d3", a * -1 + (1 - a) * (-1 / r14)},  // missing from neural: its lowest z
            {"d4", a * -1 + (1 - a) * (-4 / r14)}};
        auto fused = fuseZScores(neural, bm25, a, 10);
        const auto& ranked = fused.byQuery.at("q");
        QCOMPARE(int(ranked.size()), 4);
        for (const auto& d : ranked) QVERIFY(std::fabs(d.score - want.at(d.docid)) < 1e-12);
        QCOMPARE(ranked[0].docid, std::string("d2"));
        QCOMPARE(ranked[3].docid, std::string("d4"));
        for (std::size_t i = 1; i < ranked.size(); ++i)
            QVERIFY(ranked[i - 1].score >= ranked[i].score);
        // alpha 1 is the neural order, alpha 0 BM25's; the depth cuts.
        QCOMPARE(fuseZScores(neural, bm25, 1.0, 10).byQuery.at("q")[0].docid, std::string("d1"));
        QCOMPARE(fuseZScores(neural, bm25, 0.0, 2).byQuery.at("q").size(), std::size_t(2));
        // All-equal scores carry no evidence (z 0); a query in one run only is kept.
        auto flat = fuseZScores(runOf("q", {{"a", 2}, {"b", 2}}), runOf("p", {{"c", 1}}), 0.5, 10);
        QCOMPARE(flat.byQuery.at("q")[0].score, 0.0);
        QCOMPARE(flat.byQuery.count("p"), std::size_t(1));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, fuseZScores(neural, bm25, 1.5, 10));
    }

    void alphaFromDevOnly() {
        // Dev: BM25 is right, so the chosen weight leans to BM25. Test queries, where the
        // neural run is right, would pull it to the other end: mixing them in changes it.
        auto dev = oneSided("dev1", false);
        auto test = oneSided("test1", true);
        auto choice = chooseAlpha({{&dev.neural, &dev.bm25, &dev.qrels}}, 100);
        QVERIFY2(choice.alpha < 0.5, std::to_string(choice.alpha).c_str());
        QCOMPARE(choice.devMap, 1.0);
        QCOMPARE(int(choice.grid.size()), 21);
        auto onTest = chooseAlpha({{&test.neural, &test.bm25, &test.qrels}}, 100);
        QVERIFY(onTest.alpha > 0.5);
        auto leaked = chooseAlpha(
            {{&dev.neural, &dev.bm25, &dev.qrels}, {&test.neural, &test.bm25, &test.qrels}}, 100);
        QVERIFY(leaked.alpha != choice.alpha);
        // The reported dev MAP is the fused run's at that alpha.
        auto fused = fuseZScores(dev.neural, dev.bm25, choice.alpha, 100);
        QCOMPARE(eval::evaluate(fused, dev.qrels, {true}).mean.at("map"), choice.devMap);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, chooseAlpha({}, 100));
    }

    // Language bias of a pooled run, by hand: the spread of the ranks at which each language's
    // parallel relevant page first appears (trec_eval's order, ties by docid descending), a
    // language not retrieved one past the last rank.
    void languageBiasByHand() {
        eval::Run run;
        run.byQuery["q1"] = {{"x:b", 1.0}, {"de:a", 3.0}, {"en:a", 2.0}};
        run.byQuery["q2"] = {{"de:c", 1.0}};
        run.byQuery["q3"] = {{"de:d", 1.0}, {"en:d", 1.0}};  // a tie: en:d ranks first
        eval::Qrels qrels;
        qrels.byQuery["q1"] = {{"de:a", 1}, {"en:a", 1}, {"fr:a", 1}};  // fr: not retrieved
        qrels.byQuery["q2"] = {{"de:c", 1}};                            // one language: no bias
        qrels.byQuery["q3"] = {{"de:d", 1}, {"en:d", 1}};
        qrels.byQuery["q4"] = {{"de:e", 1}, {"en:e", 1}};  // nothing retrieved: both at rank 1
        const auto bias = retrieval::languageBias(run, qrels);
        QCOMPARE(bias.size(), std::size_t(3));
        QCOMPARE(bias.at("q1"), 3.0);  // de 1, en 2, fr 3 + 1
        QCOMPARE(bias.at("q3"), 1.0);  // en 1, de 2
        QCOMPARE(bias.at("q4"), 0.0);
        QVERIFY(!bias.count("q2"));
    }
};

QTEST_GUILESS_MAIN(TestFusion)
#include "test_fusion.moc"
