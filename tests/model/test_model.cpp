// The encoder: preset sizes against the published XLM-R counts, the analytic count against the
// built module, padding invariance, and the retrieval heads against brute-force definitions.
#include <torch/nn/module.h>  // LibTorch before Qt: Qt's `slots` macro breaks its headers

#include <QtTest>

#include "core/model/encoder_config.h"
#include "core/model/heads.h"
#include "core/model/xlmr_encoder.h"

using namespace clir::model;

class TestModel : public QObject {
    Q_OBJECT
  private slots:
    void publishedSizes() {
        // Hugging Face parameter counts of XLMRobertaModel: xlm-roberta-base 278,043,648 and
        // xlm-roberta-large 559,890,432; XLM-R XL is reported as 3.5B (Goyal et al. 2021).
        QCOMPARE(countParameters(presetConfig("xlmr-base")).encoder(), std::int64_t(278043648));
        QCOMPARE(countParameters(presetConfig("xlmr-large")).encoder(), std::int64_t(559890432));
        double xl = double(countParameters(presetConfig("xlmr-xl")).encoder());
        QVERIFY(std::fabs(xl - 3.5e9) / 3.5e9 < 0.01);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, presetConfig("huge"));
    }

    void analyticCountEqualsModule_data() {
        QTest::addColumn<QString>("preset");
        QTest::newRow("xs") << "xs";
        QTest::newRow("s") << "s";
    }
    void analyticCountEqualsModule() {
        QFETCH(QString, preset);
        auto c = presetConfig(preset.toStdString(), 1000);
        XlmrEncoder net(c);
        QCOMPARE(net->parameterCount(), countParameters(c).withMlmHead());
    }

    void paddingDoesNotChangeRealTokens() {
        torch::manual_seed(3);
        auto c = presetConfig("xs", 300);
        XlmrEncoder net(c);
        net->eval();
        torch::NoGradGuard noGrad;
        auto alone = torch::tensor({{0, 17, 42, 99, 2}}, torch::kLong);
        auto padded =
            torch::tensor({{0, 17, 42, 99, 2, 1, 1, 1}, {0, 5, 6, 7, 8, 9, 10, 2}}, torch::kLong);
        auto h1 = net->forward(alone, alone.ne(1).to(torch::kLong));
        auto h2 = net->forward(padded, padded.ne(1).to(torch::kLong));
        QVERIFY(torch::allclose(h1[0], h2[0].slice(0, 0, 5), 1e-5, 1e-5));
        QVERIFY(!torch::isnan(h2).any().item<bool>());
    }

    void colbertVectorsUnitForRealZeroForPadding() {
        torch::manual_seed(1);
        ColbertHead head(16, 8);
        auto hidden = torch::randn({2, 4, 16});
        auto mask = torch::tensor({{1, 1, 1, 0}, {1, 1, 0, 0}}, torch::kLong);
        auto v = head->forward(hidden, mask);
        auto norms = v.norm(2, -1);
        QVERIFY(torch::allclose(norms, mask.to(torch::kFloat), 1e-5, 1e-5));
    }

    void meanPoolIgnoresPadding() {
        auto hidden = torch::tensor({{{1.0, 2.0}, {3.0, 4.0}, {100.0, 100.0}}});
        auto mask = torch::tensor({{1, 1, 0}}, torch::kLong);
        auto p = pool(hidden, mask, Pooling::Mean);
        QVERIFY(torch::allclose(p, torch::tensor({{2.0, 3.0}})));
        QVERIFY(torch::allclose(pool(hidden, mask, Pooling::Cls), torch::tensor({{1.0, 2.0}})));
    }

    void maxSimEqualsBruteForce() {
        torch::manual_seed(2);
        auto q = torch::randn({2, 3, 4}), d = torch::randn({3, 5, 4});
        auto qm = torch::tensor({{1, 1, 0}, {1, 1, 1}}, torch::kLong);
        auto dm = torch::tensor({{1, 1, 1, 0, 0}, {1, 1, 1, 1, 1}, {1, 0, 0, 0, 0}}, torch::kLong);
        auto s = maxSim(q, qm, d, dm);
        for (int a = 0; a < 2; ++a)
            for (int b = 0; b < 3; ++b) {
                double expected = 0;
                for (int i = 0; i < 3; ++i) {
                    if (!qm[a][i].item<long>()) continue;
                    double best = -1e30;
                    for (int j = 0; j < 5; ++j)
                        if (dm[b][j].item<long>())
                            best = std::max(best, q[a][i].dot(d[b][j]).item<double>());
                    expected += best;
                }
                QVERIFY(std::fabs(s[a][b].item<double>() - expected) < 1e-4);
            }
    }
};

QTEST_APPLESS_MAIN(TestModel)
#include "test_model.moc"
