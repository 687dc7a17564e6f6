// chrF and BLEU against hand-computed cases and the figures sacreBLEU's own documentation
// publishes, and the 13a tokenizer rule by rule.
#include <QtTest>

#include <cmath>

#include "core/eval/mt_metrics.h"

using namespace clir::eval;

class TestMtMetrics : public QObject {
    Q_OBJECT
  private slots:
    void tokenizer13a() {
        QCOMPARE(tokenize13a("Hello, world. It costs $3.50 (approx.)!"),
                 std::string("Hello , world . It costs $ 3.50 ( approx . ) !"));
        QCOMPARE(tokenize13a("Don't re-use 12-3 a&amp;b x/y \"q\""),
                 std::string("Don't re-use 12 - 3 a & b x / y \" q \""));
        QCOMPARE(tokenize13a("Straße: café, naïve."), std::string("Straße : café , naïve ."));
        QCOMPARE(tokenize13a("  many   spaces\nand a line  "),
                 std::string("many spaces and a line"));
    }

    void chrfByHand() {
        // "ab" vs "abc": 1-grams P 1, R 2/3; 2-grams P 1, R 1/2; higher orders absent.
        // P = 1, R = 7/12, F2 = 5 * 7/12 / (4 + 7/12) = 35/55.
        QVERIFY(std::fabs(corpusChrf({"ab"}, {{"abc"}}) - 100.0 * 35.0 / 55.0) < 1e-9);
        // Whitespace is ignored; identical text scores 100; nothing in common scores 0.
        QVERIFY(std::fabs(corpusChrf({"a b c"}, {{"abc"}}) - 100.0) < 1e-9);
        QCOMPARE(corpusChrf({"xyz"}, {{"abc"}}), 0.0);
        // Characters are code points: "ñ" is one character, not two bytes.
        QVERIFY(std::fabs(corpusChrf({"ñ"}, {{"ñx"}}) - 100.0 * 5 * 0.5 / (4 + 0.5)) < 1e-9);
    }

    void chrfAsPublished() {
        // The examples of the chrF metric card (sacreBLEU defaults: 6, beta 2, no word n-grams).
        QVERIFY(std::fabs(corpusChrf({"The relationship between Obama and Netanyahu is not "
                                      "exactly friendly."},
                                     {{"The ties between Obama and Netanyahu are not particularly "
                                       "friendly."}}) -
                          61.576379378113785) < 1e-9);
        QVERIFY(std::fabs(
                    corpusChrf({"The relationship between cats and dogs is not exactly friendly.",
                                "a good bookshop is just a genteel black hole that knows how to "
                                "read."},
                               {{"The relationship between dogs and cats is not exactly friendly.",
                                 "A good bookshop is just a genteel Black Hole that knows how to "
                                 "read."}}) -
                    84.64214891738334) < 1e-9);
    }

    void bleuByHand() {
        // 5/6, 3/5, 2/4, 1/3 matched; same length, so BLEU = (1/12)^(1/4).
        auto b = corpusBleu({"the cat sat on the mat"}, {{"the cat sat on a mat"}});
        QCOMPARE(b.correct, (std::vector<long long>{5, 3, 2, 1}));
        QCOMPARE(b.total, (std::vector<long long>{6, 5, 4, 3}));
        QVERIFY(std::fabs(b.score - 100.0 * std::pow(1.0 / 12.0, 0.25)) < 1e-9);
        // A shorter hypothesis pays the brevity penalty exp(1 - 6/3).
        b = corpusBleu({"the cat sat"}, {{"the cat sat on a mat"}});
        QVERIFY(std::fabs(b.brevityPenalty - std::exp(1.0 - 2.0)) < 1e-12);
        // No 4-gram match: 'exp' smoothing gives it 100 / (2 * total).
        b = corpusBleu({"a b c d e"}, {{"a b c x d e"}});
        double expected = std::exp((std::log(100.0) + std::log(100.0 * 3 / 4) +
                                    std::log(100.0 * 1 / 3) + std::log(100.0 / (2 * 2))) /
                                   4) *
                          std::exp(1.0 - 6.0 / 5.0);
        QVERIFY(std::fabs(b.score - expected) < 1e-9);
        QCOMPARE(corpusBleu({"x y"}, {{"a b"}}).score, 0.0);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, corpusBleu({"a"}, {{"a", "b"}}));
    }

    void bleuAsPublished() {
        // sacreBLEU's README: BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943, 17/18).
        auto b = corpusBleu(
            {"The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."},
            {{"The dog bit the man.", "It was not unexpected.", "The man bit him first."},
             {"The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."}});
        QCOMPARE(b.hypothesisLength, 17LL);
        QCOMPARE(b.referenceLength, 18LL);
        QVERIFY(std::fabs(b.score - 48.530827009929865) < 1e-9);
        QVERIFY(std::fabs(100.0 * double(b.correct[0]) / double(b.total[0]) - 82.35) < 0.01);
    }
};

QTEST_GUILESS_MAIN(TestMtMetrics)
#include "test_mt_metrics.moc"
