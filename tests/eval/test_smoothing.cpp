// The display smoothing against values worked out by hand from TensorBoard's definition.
#include <QtTest>

#include <cmath>
#include <limits>

#include "core/eval/smoothing.h"

using clir::eval::emaSmooth;
Q_DECLARE_METATYPE(std::vector<double>)

class TestSmoothing : public QObject {
    Q_OBJECT
  private slots:
    void handComputed_data() {
        QTest::addColumn<std::vector<double>>("values");
        QTest::addColumn<double>("weight");
        QTest::addColumn<std::vector<double>>("expected");
        // m1 = .5, /(1-.5) = 1; m2 = .25 + 1 = 1.25, /.75; m3 = .625 + 1.5 = 2.125, /.875
        QTest::newRow("w=.5") << std::vector<double>{1, 2, 3} << 0.5
                              << std::vector<double>{1, 1.25 / 0.75, 2.125 / 0.875};
        QTest::newRow("w=0 is the identity")
            << std::vector<double>{4, -1, 7} << 0.0 << std::vector<double>{4, -1, 7};
        QTest::newRow("a constant stays constant (bias corrected)")
            << std::vector<double>{3, 3, 3, 3} << 0.9 << std::vector<double>{3, 3, 3, 3};
        // m1 = .1 * 10 = 1 -> 10; m2 = .9 + 0 = .9, /(1 - .81) = 4.7368...
        QTest::newRow("w=.9") << std::vector<double>{10, 0} << 0.9
                              << std::vector<double>{10, 0.9 / 0.19};
    }
    void handComputed() {
        QFETCH(std::vector<double>, values);
        QFETCH(double, weight);
        QFETCH(std::vector<double>, expected);
        auto got = emaSmooth(values, weight);
        QCOMPARE(got.size(), expected.size());
        for (std::size_t i = 0; i < got.size(); ++i)
            QVERIFY2(std::abs(got[i] - expected[i]) < 1e-12, qPrintable(QString::number(got[i])));
    }
    void nonFiniteIsSkipped() {
        const double nan = std::numeric_limits<double>::quiet_NaN();
        auto got = emaSmooth({2, nan, 2}, 0.5);
        QVERIFY(std::isnan(got[1]));
        QCOMPARE(got[2], 2.0);
    }
    void badWeightIsNamed() {
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, emaSmooth({1}, 1.0));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, emaSmooth({1}, -0.1));
    }
};

QTEST_MAIN(TestSmoothing)
#include "test_smoothing.moc"
