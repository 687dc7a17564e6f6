// Batched log-domain Sinkhorn against POT (python3-pot, an oracle only): plans on the real
// tokens of padded, batched pairs agree with ot.bregman.sinkhorn_log and ot.sinkhorn run per
// pair; marginals hold; small eps stays finite; gradients match finite differences; bad input.
#include <torch/nn/module.h>  // LibTorch before Qt

#include <QtTest>

#include <QProcess>
#include <QTemporaryDir>
#include <nlohmann/json.hpp>

#include "core/ot/sinkhorn.h"
#include "core/util/fs.h"

using namespace clir;

namespace {

struct Batch {
    at::Tensor C, rowMask, colMask;
    std::vector<std::int64_t> n, m;
};

// Padded batch of random pairs: cost 1 - cos of random vectors, as OPTICAL's cost.
Batch randomBatch(std::int64_t B, std::int64_t maxN, std::int64_t maxM, std::uint64_t seed) {
    torch::manual_seed(seed);
    Batch b;
    b.C = torch::zeros({B, maxN, maxM}, torch::kDouble);
    b.rowMask = torch::zeros({B, maxN}, torch::kLong);
    b.colMask = torch::zeros({B, maxM}, torch::kLong);
    for (std::int64_t i = 0; i < B; ++i) {
        std::int64_t n = 1 + (seed + 3 * i) % maxN, m = 1 + (seed * 7 + 5 * i) % maxM;
        if (i == 0) n = maxN, m = maxM;
        auto x = torch::randn({n, 8}, torch::kDouble), y = torch::randn({m, 8}, torch::kDouble);
        x = x / x.norm(2, 1, true);
        y = y / y.norm(2, 1, true);
        b.C[i].slice(0, 0, n).slice(1, 0, m).copy_(1 - x.matmul(y.t()));
        b.C[i].slice(0, n).fill_(123.0);  // padding cost must not matter
        b.rowMask[i].slice(0, 0, n).fill_(1);
        b.colMask[i].slice(0, 0, m).fill_(1);
        b.n.push_back(n);
        b.m.push_back(m);
    }
    return b;
}

nlohmann::json pot(const Batch& b, double eps, int maxIter, double tol, const std::string& dir) {
    nlohmann::json spec = {
        {"eps", eps}, {"max_iter", maxIter}, {"tol", tol}, {"pairs", nlohmann::json::array()}};
    for (std::size_t i = 0; i < b.n.size(); ++i) {
        auto C = b.C[long(i)].slice(0, 0, b.n[i]).slice(1, 0, b.m[i]).contiguous();
        std::vector<std::vector<double>> rows;
        for (std::int64_t r = 0; r < b.n[i]; ++r)
            rows.emplace_back(C[r].data_ptr<double>(), C[r].data_ptr<double>() + b.m[i]);
        spec["pairs"].push_back(
            {{"C", rows},
             {"a", std::vector<double>(std::size_t(b.n[i]), 1.0 / double(b.n[i]))},
             {"b", std::vector<double>(std::size_t(b.m[i]), 1.0 / double(b.m[i]))}});
    }
    std::string in = dir + "/pot-in.json";
    fs::writeFileAtomic(in, spec.dump());
    QProcess py;
    py.start("/usr/bin/python3",
             {QStringLiteral(CLIRLAB_SOURCE_DIR "/tests/reference/sinkhorn_pot.py"),
              QString::fromStdString(in)});
    py.waitForFinished(120000);
    if (py.exitCode() != 0) qWarning() << py.readAllStandardError();
    return nlohmann::json::parse(py.readAllStandardOutput().toStdString());
}

}  // namespace

class TestSinkhorn : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;

  private slots:
    void initTestCase() {
        auto r = QProcess::execute("/usr/bin/python3", {"-c", "import ot"});
        if (r != 0) QSKIP("python3-pot is not installed (scripts/setup installs it)");
    }

    void agreesWithPot_data() {
        QTest::addColumn<double>("eps");
        QTest::addColumn<int>("maxN");
        QTest::addColumn<int>("maxM");
        QTest::addColumn<bool>("scaling");  // solved with scaling vectors (else the log domain)
        QTest::newRow("eps 0.5, 6x5") << 0.5 << 6 << 5 << true;
        QTest::newRow("eps 0.1, 12x9") << 0.1 << 12 << 9 << true;
        QTest::newRow("eps 0.05, 32x32") << 0.05 << 32 << 32 << true;
        QTest::newRow("eps 0.01, 20x24") << 0.01 << 20 << 24 << true;  // absorbs on the way
        // Cost range / eps far above 600: the kernel would underflow, so the log domain solves.
        QTest::newRow("eps 0.001, 10x8 (fallback)") << 0.001 << 10 << 8 << false;
    }
    void agreesWithPot() {
        QFETCH(double, eps);
        QFETCH(int, maxN);
        QFETCH(int, maxM);
        QFETCH(bool, scaling);
        auto b = randomBatch(5, maxN, maxM, std::uint64_t(maxN * 31 + maxM));
        ot::SinkhornOptions o;
        o.epsilon = eps;
        o.maxIterations = 20000;
        o.tolerance = 1e-9;  // POT's default stopThr, well above rounding noise
        auto r = ot::sinkhorn(b.C, b.rowMask, b.colMask, o);
        auto ref = pot(b, eps, 20000, 1e-9, tmp_.path().toStdString());
        QCOMPARE(ref.size(), b.n.size());
        QCOMPARE(r.scaling.all().item<bool>(), scaling);
        QCOMPARE(r.scaling.any().item<bool>(), scaling);
        if (eps == 0.01) QVERIFY(r.absorptions.max().item<std::int64_t>() > 0);
        if (eps >= 0.1) QCOMPARE(r.absorptions.max().item<std::int64_t>(), std::int64_t(0));
        for (std::size_t i = 0; i < b.n.size(); ++i) {
            auto plan = r.plan[long(i)];
            double maxDiff = 0, maxDiffClassic = 0;
            for (std::int64_t x = 0; x < b.n[i]; ++x)
                for (std::int64_t y = 0; y < b.m[i]; ++y) {
                    double ours = plan[x][y].item<double>();
                    maxDiff =
                        std::max(maxDiff, std::fabs(ours - ref[i]["plan"][x][y].get<double>()));
                    if (!ref[i]["plan_sinkhorn"].is_null())
                        maxDiffClassic =
                            std::max(maxDiffClassic,
                                     std::fabs(ours - ref[i]["plan_sinkhorn"][x][y].get<double>()));
                }
            QVERIFY2(maxDiff < 1e-6,
                     qPrintable(QString("pair %1 max |P - POT| = %2").arg(i).arg(maxDiff)));
            QVERIFY2(maxDiffClassic < 1e-6,
                     qPrintable(QString("pair %1 vs ot.sinkhorn %2").arg(i).arg(maxDiffClassic)));
            // Same stopping rule as POT (checks after iterations 1, 11, 21, ...; POT's niter is
            // 0-based); rounding may move a borderline stop by one check.
            auto ours = r.iterations[long(i)].item<std::int64_t>(),
                 theirs = ref[i]["niter"].get<std::int64_t>() + 1;
            const bool capped = theirs == 20000;  // neither converged within the cap
            QVERIFY2(
                capped ? ours == theirs : std::llabs(ours - theirs) <= 10 && (ours - 1) % 10 == 0,
                qPrintable(QString("iterations %1 vs POT %2").arg(ours).arg(theirs)));
            // Marginals to 1e-8 and nothing on padding.
            auto rows = plan.sum(1).slice(0, 0, b.n[i]), cols = plan.sum(0).slice(0, 0, b.m[i]);
            QVERIFY((rows - 1.0 / double(b.n[i])).abs().max().item<double>() < 1e-8);
            if (!capped) QVERIFY((cols - 1.0 / double(b.m[i])).abs().max().item<double>() < 1e-8);
            QCOMPARE(plan.sum().item<double>() -
                         plan.slice(0, 0, b.n[i]).slice(1, 0, b.m[i]).sum().item<double>(),
                     0.0);
            QCOMPARE(r.converged[long(i)].item<bool>(), !capped);
        }
    }

    void smallEpsilonStaysFinite() {
        auto b = randomBatch(4, 16, 16, 9);
        ot::SinkhornOptions o;
        o.epsilon = 1e-3;
        o.maxIterations = 300;
        for (auto type : {torch::kDouble, torch::kFloat}) {
            auto r = ot::sinkhorn(b.C.to(type), b.rowMask, b.colMask, o);
            QVERIFY(at::isfinite(r.plan).all().item<bool>());
            QVERIFY(at::isfinite(r.cost).all().item<bool>());
            QVERIFY(at::isfinite(r.marginalError).all().item<bool>());
        }
    }

    // A batch mixing pairs the two solvers take: each pair's plan is the one it gets alone (the
    // log domain for the pair whose cost range is too wide), in float and double.
    void mixedBatchEachPairAsAlone() {
        auto b = randomBatch(4, 12, 10, 21);
        b.C[2] = b.C[2] * 40;  // range ~80 at eps 0.05: 1600 > 600 (double), > 50 (float)
        ot::SinkhornOptions o;
        o.epsilon = 0.05;
        o.maxIterations = 3000;
        o.tolerance = 1e-7;
        for (auto type : {torch::kDouble, torch::kFloat}) {
            auto C = b.C.to(type);
            auto r = ot::sinkhorn(C, b.rowMask, b.colMask, o);
            QCOMPARE(r.scaling[2].item<bool>(), false);
            QCOMPARE(r.scaling.sum().item<std::int64_t>(), std::int64_t(3));
            for (std::int64_t i = 0; i < 4; ++i) {
                auto alone = ot::sinkhorn(C.slice(0, i, i + 1), b.rowMask.slice(0, i, i + 1),
                                          b.colMask.slice(0, i, i + 1), o);
                QVERIFY(torch::equal(alone.plan[0], r.plan[i]));
                QCOMPARE(alone.iterations[0].item<std::int64_t>(),
                         r.iterations[i].item<std::int64_t>());
            }
            // The float scaling vectors agree with the double solution.
            if (type == torch::kFloat) {
                auto d = ot::sinkhorn(b.C, b.rowMask, b.colMask, o);
                QVERIFY2((r.plan.to(torch::kDouble) - d.plan).abs().max().item<double>() < 1e-5,
                         "float and double plans differ");
            }
        }
        // Unrolled gradients go through the log domain.
        o.differentiate = true;
        QVERIFY(!ot::sinkhorn(b.C, b.rowMask, b.colMask, o).scaling.any().item<bool>());
    }

    void detachedGradientIsThePlan() {
        auto b = randomBatch(2, 5, 4, 4);
        auto C = b.C.clone().requires_grad_(true);
        auto r = ot::sinkhorn(C, b.rowMask, b.colMask, {0.1, 2000, 1e-12, 10, false});
        r.cost.sum().backward();
        auto mask = (b.rowMask.unsqueeze(2) * b.colMask.unsqueeze(1)).to(torch::kDouble);
        QVERIFY(torch::allclose(C.grad(), r.plan * mask, 0, 1e-12));
    }

    void unrolledGradientMatchesFiniteDifferences() {
        auto b = randomBatch(1, 4, 3, 11);
        ot::SinkhornOptions o{0.2, 200, 0.0, 10, true};  // tolerance 0: a fixed, smooth map
        auto C = b.C.clone().requires_grad_(true);
        ot::sinkhorn(C, b.rowMask, b.colMask, o).cost.sum().backward();
        const double h = 1e-6;
        for (int x = 0; x < 4; ++x)
            for (int y = 0; y < 3; ++y) {
                auto plus = b.C.clone(), minus = b.C.clone();
                plus[0][x][y] += h;
                minus[0][x][y] -= h;
                double fd = (ot::sinkhorn(plus, b.rowMask, b.colMask, o).cost.item<double>() -
                             ot::sinkhorn(minus, b.rowMask, b.colMask, o).cost.item<double>()) /
                            (2 * h);
                QVERIFY2(std::fabs(fd - C.grad()[0][x][y].item<double>()) < 1e-6,
                         qPrintable(QString("d/dC[%1][%2]: fd %3 autograd %4")
                                        .arg(x)
                                        .arg(y)
                                        .arg(fd)
                                        .arg(C.grad()[0][x][y].item<double>())));
            }
    }

    void badInput() {
        auto b = randomBatch(2, 3, 3, 1);
        auto expect = [](const std::function<void()>& f, const char* part) {
            try {
                f();
                QFAIL("accepted bad input");
            } catch (const std::invalid_argument& e) {
                QVERIFY2(std::string(e.what()).find(part) != std::string::npos, e.what());
            }
        };
        expect([&] { ot::sinkhorn(b.C, b.rowMask, b.colMask, {0.0}); }, "epsilon must be > 0");
        expect([&] { ot::sinkhorn(b.C, b.rowMask, b.colMask, {-1.0}); }, "epsilon must be > 0");
        expect([&] { ot::sinkhorn(b.C, b.rowMask.slice(1, 0, 2), b.colMask); },
               "do not match cost");
        expect([&] { ot::sinkhorn(b.C[0], b.rowMask, b.colMask); }, "cost must be [B, n, m]");
        auto empty = b.rowMask.clone();
        empty[1].zero_();
        expect([&] { ot::sinkhorn(b.C, empty, b.colMask); }, "pair 1 has no real token");
        auto nan = b.C.clone();
        nan[0][0][0] = NAN;
        expect([&] { ot::sinkhorn(nan, b.rowMask, b.colMask); }, "NaN or infinite");
    }
};

QTEST_APPLESS_MAIN(TestSinkhorn)
#include "test_sinkhorn.moc"
