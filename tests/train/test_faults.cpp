// Injected kills (issue 16): `clirlab run` killed with SIGKILL (CLIRLAB_FAULT, core/util/fault.h)
// in the middle of a checkpoint write, between a checkpoint and its `latest` pointer, and inside
// a store transaction, for MLM pretraining, OPTICAL retrieval training and the NMT baseline. Each
// time the checkpoint `latest` names stays valid, `clirlab resume` continues from it, and the
// loss curve equals the uninterrupted run's step for step, every step recorded once.
#include "tests/train/fault_fixture.h"

#include <QElapsedTimer>
#include <QFileInfo>

#include "core/util/sha256.h"
#include "core/util/text.h"

using namespace clir;
using clir::testing::CliResult;
namespace stdfs = std::filesystem;

class TestFaults : public QObject, protected testing::FaultFixture {
    Q_OBJECT

    // The uninterrupted run, then the same run killed at `fault` and resumed: the killed run's
    // `latest` checkpoint is readable, the resume finishes, the losses are identical.
    void killAndResume(const QString& data, const QString& baseDb, const nlohmann::json& spec,
                       const QString& fault) {
        const std::string name = spec.at("name");
        const QString file = writeSpec(QString::fromStdString(name), spec);
        const QString tag = QString::fromStdString(name) + "-" + QString(fault).replace('@', '-');
        const QString refDb =
            baseDb.isEmpty() ? tmp_.filePath(tag + "-ref.db") : copyDb(baseDb, tag + "-ref.db");
        const QString cutDb =
            baseDb.isEmpty() ? tmp_.filePath(tag + "-cut.db") : copyDb(baseDb, tag + "-cut.db");
        auto ref = runCli(data, refDb, {"run", file});
        QVERIFY2(!ref.killed && ref.exitCode == 0, qPrintable(ref.output));
        int refPoints = 0;
        const auto expected = losses(refDb, runId(refDb, name), &refPoints);
        const auto steps = spec.contains("pretrain") ? spec["pretrain"]["steps"]
                           : spec.contains("nmt")    ? spec["nmt"]["steps"]
                                                     : spec["train"]["steps"];
        QCOMPARE(refPoints, steps.get<int>());

        auto cut = runCli(data, cutDb, {"run", file}, fault);
        QVERIFY2(cut.killed, qPrintable("the fault " + fault + " did not fire:\n" + cut.output));
        const auto id = runId(cutDb, name);
        QVERIFY(id > 0);
        const std::string checkpoints =
            cutDb.toStdString() + ".runs/" + std::to_string(id) + "/checkpoints";
        std::int64_t resumeStep = 0;
        if (auto latest = model::latestCheckpoint(checkpoints)) {
            // Sizes and SHA-256 of every file match the sidecar.
            try {
                resumeStep = model::readCheckpointMeta(*latest).step;
            } catch (const std::exception& e) {
                QFAIL(
                    qPrintable(QString("the checkpoint left by the kill is broken: ") + e.what()));
            }
        }
        // The loss points up to that checkpoint were stored before it was written.
        const auto beforeResume = wallTimes(cutDb, id);
        for (std::int64_t step = 1; step <= resumeStep; ++step)
            QVERIFY2(beforeResume.count(step), qPrintable(QString("step %1 lost").arg(step)));
        // Every fault here strikes after the first checkpoint: the resume starts from one.
        QVERIFY2(resumeStep > 0, qPrintable(fault + " left no checkpoint to resume from"));
        auto resumed = runCli(data, cutDb, {"resume", QString::number(id)});
        QVERIFY2(!resumed.killed && resumed.exitCode == 0, qPrintable(resumed.output));
        {
            store::Database d(cutDb.toStdString());
            // (QCOMPARE would hand store::toString's literal to QTest, which frees it.)
            QVERIFY(store::RunStore(d).run(id)->status == store::RunStatus::Finished);
        }
        // It continued from that checkpoint: the steps up to it were not trained again.
        const auto afterResume = wallTimes(cutDb, id);
        for (std::int64_t step = 1; step <= resumeStep; ++step)
            QVERIFY2(afterResume.at(step) == beforeResume.at(step),
                     qPrintable(QString("%1: step %2 was trained again after the resume from "
                                        "step %3")
                                    .arg(fault)
                                    .arg(step)
                                    .arg(resumeStep)));
        int points = 0;
        const auto got = losses(cutDb, id, &points);
        QCOMPARE(points, refPoints);  // every step once: none lost, none twice
        for (const auto& [step, loss] : expected)
            QVERIFY2(got.count(step) && got.at(step) == loss,
                     qPrintable(QString("%1, step %2: %3 after the kill, %4 uninterrupted")
                                    .arg(fault)
                                    .arg(step)
                                    .arg(got.count(step) ? got.at(step) : -1.0, 0, 'g', 17)
                                    .arg(loss, 0, 'g', 17)));
    }

  private slots:
    void initTestCase() {
        const QString error = setUp();
        QVERIFY2(error.isEmpty(), qPrintable(error));
    }

    void killedPretrainingResumesExactly_data() {
        QTest::addColumn<QString>("fault");
        QTest::newRow("checkpoint.write") << "checkpoint.write@2";
        QTest::newRow("checkpoint.publish") << "checkpoint.publish@2";
        QTest::newRow("store.commit") << "store.commit@6";
    }
    void killedPretrainingResumesExactly() {
        QFETCH(QString, fault);
        killAndResume(helpData_, {}, pretrainSpec(), fault);
    }

    // OPTICAL writes "best" at step 0 and at each evaluation that improves dev MAP, before that
    // step's checkpoint: the fourth write comes after step 4's checkpoint whatever dev does.
    void killedOpticalResumesExactly_data() {
        QTest::addColumn<QString>("fault");
        QTest::newRow("checkpoint.write") << "checkpoint.write@4";
        QTest::newRow("checkpoint.publish") << "checkpoint.publish@4";
        QTest::newRow("store.commit") << "store.commit@6";
    }
    void killedOpticalResumesExactly() {
        QFETCH(QString, fault);
        killAndResume(synthData_, teacherDb_, retrievalSpec("optical", "optical", 12), fault);
    }

    void killedNmtResumesExactly_data() { killedPretrainingResumesExactly_data(); }
    void killedNmtResumesExactly() {
        QFETCH(QString, fault);
        auto spec = testing::tinyNmtExperiment("nmt", 12);
        spec["nmt"]["checkpoint_every"] = 4;
        spec["nmt"]["log_every"] = 2;
        killAndResume(synthData_, {}, spec, fault);
    }
};

QTEST_GUILESS_MAIN(TestFaults)
#include "test_faults.moc"
