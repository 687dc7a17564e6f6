// Page splitter: deterministic, proportional, seed-dependent.
#include <QtTest>

#include <map>

#include "core/data/splitter.h"

using namespace clir::data;

class TestSplitter : public QObject {
    Q_OBJECT
  private slots:
    void deterministicAndProportional() {
        SplitSettings s{0.7, 0.1, 0.2, 20240601};
        std::map<Split, int> counts;
        const int n = 20000;
        for (int i = 0; i < n; ++i) {
            std::string page = "text/x/page" + std::to_string(i);
            Split a = assignSplit(page, s);
            QCOMPARE(assignSplit(page, s), a);  // same input, same split
            ++counts[a];
        }
        // Binomial standard deviation at n=20000 is < 0.004; allow 4 of them.
        QVERIFY(std::abs(counts[Split::Train] / double(n) - 0.7) < 0.015);
        QVERIFY(std::abs(counts[Split::Dev] / double(n) - 0.1) < 0.015);
        QVERIFY(std::abs(counts[Split::Test] / double(n) - 0.2) < 0.015);
    }

    void knownAssignment() {
        // Reference from Python: int(hashlib.sha256(b"20240601:swriter/guide/smarttags")
        // .hexdigest()[:13], 16) / 2**52 (digest 0e93415e943be558...).
        QCOMPARE(pageHashUnit("swriter/guide/smarttags", 20240601), 0.05693443831499634);
        QCOMPARE(assignSplit("swriter/guide/smarttags", {0.7, 0.1, 0.2, 20240601}), Split::Train);
        QCOMPARE(assignSplit("swriter/guide/smarttags", {0.05, 0.1, 0.85, 20240601}), Split::Dev);
    }

    void seedChangesAssignment() {
        int differ = 0;
        for (int i = 0; i < 1000; ++i) {
            std::string page = "p" + std::to_string(i);
            differ +=
                assignSplit(page, {0.5, 0.25, 0.25, 1}) != assignSplit(page, {0.5, 0.25, 0.25, 2});
        }
        QVERIFY(differ > 300);
    }

    void degenerateSplits() {
        QCOMPARE(assignSplit("any", {1.0, 0.0, 0.0, 5}), Split::Train);
        QCOMPARE(assignSplit("any", {0.0, 0.0, 1.0, 5}), Split::Test);
    }
};

QTEST_APPLESS_MAIN(TestSplitter)
#include "test_splitter.moc"
