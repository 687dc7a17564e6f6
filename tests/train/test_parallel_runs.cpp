// Data-parallel training through the command line (issue 17): `clirlab run --nproc 2` over
// loopback gives the losses of one process on the same (whole) batch, for the teacher (InfoNCE
// with in-batch and hard negatives, documents gathered across ranks), OPTICAL (<P, C> with the
// English anchor) and NMT; a worker killed mid-run fails the run, and `clirlab resume --nproc 2`
// continues it to the uninterrupted run's losses. The encoders have no dropout, so a rank's
// share computes exactly what the one process computes for those rows; MLM pretraining (the
// preset's dropout) agrees in level.
#include "tests/train/fault_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>

using namespace clir;
using clir::testing::CliResult;

class TestParallelRuns : public QObject, protected testing::FaultFixture {
    Q_OBJECT

    QString aloneDb_, parallelDb_;

    // A TCP port nothing listens on now (the rendezvous of a hand-started group).
    static int freePort() {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof(a);
        ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
        ::close(fd);
        return ntohs(a.sin_port);
    }

    static std::map<std::int64_t, double> metric(const QString& db, const std::string& run,
                                                 const std::string& name) {
        store::Database d(db.toStdString());
        std::map<std::int64_t, double> out;
        for (const auto& m : store::RunStore(d).metrics(runId(db, run), name))
            out[m.step] = m.value;
        return out;
    }

    // Every step of `name` within `tolerance` of the one-process run's (relative above 1).
    static void compareCurves(const QString& alone, const QString& parallel, const std::string& run,
                              const std::string& name, double tolerance, std::size_t points) {
        const auto a = metric(alone, run, name), p = metric(parallel, run, name);
        QCOMPARE(a.size(), points);
        QCOMPARE(p.size(), points);
        for (const auto& [step, value] : a)
            QVERIFY2(p.count(step) &&
                         std::abs(p.at(step) - value) <= tolerance * std::max(1.0, std::abs(value)),
                     qPrintable(QString("%1 at step %2: %3 with 2 workers, %4 alone")
                                    .arg(QString::fromStdString(name))
                                    .arg(step)
                                    .arg(p.count(step) ? p.at(step) : -1.0, 0, 'g', 10)
                                    .arg(value, 0, 'g', 10)));
    }

    // Adam turns float noise (the order of a sum over one batch or two shares) into whole
    // steps of the learning rate where a gradient is near zero (the anchor at step 1, where the
    // student is the teacher): a small rate keeps that below the tolerance over the run, and
    // grad_norm at every step shows a wrong share of the gradient at once.
    nlohmann::json spec(const std::string& method, int steps) {
        auto j = retrievalSpec(method, method, steps);
        j["train"]["learning_rate"] = 1e-4;
        j["train"]["log_every"] = 1;
        if (method == "optical") j["ot"]["anchor_weight"] = 0.5;
        return j;
    }

  private slots:
    void initTestCase() {
        buildHelpCorpus();
        buildSyntheticCorpus(0.0);
        aloneDb_ = tmp_.filePath("alone.db");
        parallelDb_ = tmp_.filePath("parallel.db");
    }

    void teacherWithTwoWorkersEqualsOneProcess() {
        const QString file = writeSpec("teacher", spec("teacher", 8));
        auto alone = runCli(synthData_, aloneDb_, {"run", file});
        QVERIFY2(alone.exitCode == 0, qPrintable(alone.output));
        auto two = runCli(synthData_, parallelDb_, {"run", file, "--nproc", "2"});
        QVERIFY2(!two.killed && two.exitCode == 0, qPrintable(two.output));
        QVERIFY2(two.output.contains("rank 0 of 2"), qPrintable(two.output));
        compareCurves(aloneDb_, parallelDb_, "teacher", "loss", 1e-5, 8);
        compareCurves(aloneDb_, parallelDb_, "teacher", "grad_norm", 1e-5, 8);
        QCOMPARE(metric(parallelDb_, "teacher", "pairs_per_second").size(), std::size_t(8));
        // The same model at the end: the same test MAP.
        const auto a = maps(aloneDb_), p = maps(parallelDb_);
        QVERIFY(!a.empty());
        for (const auto& [key, value] : a)
            QVERIFY2(p.count(key) && std::abs(p.at(key) - value) < 1e-3, key.c_str());
    }

    void opticalWithTwoWorkersEqualsOneProcess() {
        // Both databases hold a teacher; OPTICAL starts from the one-process teacher in both.
        const QString alone = copyDb(aloneDb_, "optical-alone.db");
        const QString two = copyDb(aloneDb_, "optical-two.db");
        const QString file = writeSpec("optical", spec("optical", 8));
        auto a = runCli(synthData_, alone, {"run", file});
        QVERIFY2(a.exitCode == 0, qPrintable(a.output));
        auto p = runCli(synthData_, two, {"run", file, "--nproc", "2"});
        QVERIFY2(!p.killed && p.exitCode == 0, qPrintable(p.output));
        compareCurves(alone, two, "optical", "loss", 1e-5, 8);
        compareCurves(alone, two, "optical", "loss/anchor", 1e-5, 8);
        compareCurves(alone, two, "optical", "loss/ot", 1e-5, 8);
        compareCurves(alone, two, "optical", "grad_norm", 1e-5, 8);
    }

    void killedWorkerFailsTheRunAndResumeContinuesIt() {
        const QString reference = copyDb(aloneDb_, "kill-reference.db");
        const QString cut = copyDb(aloneDb_, "kill-cut.db");
        const QString file = writeSpec("optical", spec("optical", 12));
        auto ref = runCli(synthData_, reference, {"run", file, "--nproc", "2"});
        QVERIFY2(ref.exitCode == 0, qPrintable(ref.output));
        // Worker 1 dies at its 6th step (after the checkpoint of step 4).
        auto killed = runCli(synthData_, cut, {"run", file, "--nproc", "2"}, "parallel.worker@6");
        QVERIFY2(!killed.killed && killed.exitCode == 1, qPrintable(killed.output));
        QVERIFY2(killed.output.contains("worker 1") && killed.output.contains("signal 9"),
                 qPrintable(killed.output));
        auto [status, error] = outcome(cut, "optical");
        QVERIFY2(status == store::RunStatus::Failed, error.c_str());
        QVERIFY2(error.find("data-parallel") != std::string::npos, error.c_str());
        const auto id = runId(cut, "optical");
        const auto before = wallTimes(cut, id);
        auto resumed = runCli(synthData_, cut, {"resume", QString::number(id), "--nproc", "2"});
        QVERIFY2(resumed.exitCode == 0, qPrintable(resumed.output));
        QVERIFY(outcome(cut, "optical").first == store::RunStatus::Finished);
        // It continued from the checkpoint of step 4: those steps were not trained again.
        const auto after = wallTimes(cut, id);
        for (std::int64_t step = 1; step <= 4; ++step)
            QVERIFY2(before.count(step) && after.at(step) == before.at(step),
                     qPrintable(QString("step %1 trained again").arg(step)));
        compareCurves(reference, cut, "optical", "loss", 1e-5, 12);
    }

    // Two machines' worth of processes under a launcher's environment (what torchrun sets),
    // started by hand here: the same command on both ranks, rank 0 records the run.
    void launcherEnvironmentFormsTheGroup() {
        const QString db = tmp_.filePath("launcher.db");
        auto j = spec("teacher", 8);
        j["name"] = "launched";
        const QString file = writeSpec("launched", j);
        const QString port = QString::number(freePort());
        std::vector<std::unique_ptr<QProcess>> ranks;
        for (int rank = 0; rank < 2; ++rank) {
            auto p = std::make_unique<QProcess>();
            auto env = QProcessEnvironment::systemEnvironment();
            env.insert("CLIRLAB_DATA", synthData_);
            env.insert("RANK", QString::number(rank));
            env.insert("WORLD_SIZE", "2");
            env.insert("MASTER_ADDR", "127.0.0.1");
            env.insert("MASTER_PORT", port);
            p->setProcessEnvironment(env);
            p->setProcessChannelMode(QProcess::MergedChannels);
            p->start(cli(), {"--db", db, "run", file});
            ranks.push_back(std::move(p));
        }
        for (auto& p : ranks) {
            QVERIFY(p->waitForFinished(300000));
            QVERIFY2(p->exitCode() == 0, qPrintable(QString::fromUtf8(p->readAll())));
        }
        QVERIFY(outcome(db, "launched").first == store::RunStatus::Finished);
        // The one-process teacher of the first test, the same configuration: the same curve.
        const auto mine = metric(db, "launched", "loss"), ref = metric(aloneDb_, "teacher", "loss");
        QCOMPARE(mine.size(), std::size_t(8));
        for (const auto& [step, value] : ref)
            QVERIFY2(mine.count(step) && std::abs(mine.at(step) - value) <= 1e-5 * value,
                     qPrintable(QString("step %1").arg(step)));
    }

    // NMT with dropout 0: the same losses as one process.
    void nmtWithTwoWorkersEqualsOneProcess() {
        auto spec = testing::tinyNmtExperiment("nmt", 6);
        spec["nmt"]["dropout"] = 0.0;
        spec["nmt"]["log_every"] = 1;
        spec["nmt"]["learning_rate"] = 1e-4;
        const QString file = writeSpec("nmt", spec);
        const QString alone = tmp_.filePath("nmt-alone.db"), two = tmp_.filePath("nmt-two.db");
        auto a = runCli(synthData_, alone, {"run", file});
        QVERIFY2(a.exitCode == 0, qPrintable(a.output));
        auto p = runCli(synthData_, two, {"run", file, "--nproc", "2"});
        QVERIFY2(!p.killed && p.exitCode == 0, qPrintable(p.output));
        compareCurves(alone, two, "nmt", "loss", 1e-5, 6);
        compareCurves(alone, two, "nmt", "grad_norm", 1e-5, 6);
    }

    // MLM pretraining with model.dropout 0 (with dropout each process draws other masks).
    void pretrainingWithTwoWorkersEqualsOneProcess() {
        auto spec = pretrainSpec();
        spec["pretrain"]["steps"] = 6;
        spec["pretrain"]["learning_rate"] = 1e-4;
        spec["model"]["dropout"] = 0.0;
        const QString file = writeSpec("mlm", spec);
        const QString alone = tmp_.filePath("mlm-alone.db"), two = tmp_.filePath("mlm-two.db");
        auto a = runCli(helpData_, alone, {"run", file});
        QVERIFY2(a.exitCode == 0, qPrintable(a.output));
        auto p = runCli(helpData_, two, {"run", file, "--nproc", "2"});
        QVERIFY2(!p.killed && p.exitCode == 0, qPrintable(p.output));
        compareCurves(alone, two, "mlm", "loss", 1e-5, 6);
        compareCurves(alone, two, "mlm", "grad_norm", 1e-5, 6);
    }

    // The GPU script (scripts/gpu-compare) on a machine without one: two CPU runs of the teacher
    // and OPTICAL agree, and a tolerance no difference can meet fails it.
    void gpuCompareScriptRunsOnCpu() {
        auto run = [&](const QString& tolerance) {
            QProcess p;
            auto env = QProcessEnvironment::systemEnvironment();
            env.insert("CLIRLAB_DATA", synthData_);
            p.setProcessEnvironment(env);
            p.setProcessChannelMode(QProcess::MergedChannels);
            return finish(
                p, "bash",
                {QString(CLIRLAB_SOURCE_DIR) + "/scripts/gpu-compare", "--device", "cpu", "--init",
                 QString::fromStdString(encoder_), "--preset", "xs", "--steps", "3", "--compare",
                 "3", "--tolerance", tolerance, "--work", tmp_.filePath("gpu-" + tolerance)});
        };
        auto ok = run("1e-6");
        QVERIFY2(ok.exitCode == 0, qPrintable(ok.output));
        QVERIFY2(ok.output.contains("teacher: step") && ok.output.contains("optical: step") &&
                     ok.output.contains("agree on cpu and cpu"),
                 qPrintable(ok.output));
        auto strict = run("-1");
        QCOMPARE(strict.exitCode, 1);
        QVERIFY2(strict.output.contains("<-- differs"), qPrintable(strict.output));
    }

    void badShareAndMethodsAreRefused() {
        auto spec = retrievalSpec("odd", "teacher", 4);
        spec["train"]["batch_size"] = 7;
        auto odd = runCli(synthData_, tmp_.filePath("odd.db"),
                          {"run", writeSpec("odd", spec), "--nproc", "2"});
        QCOMPARE(odd.exitCode, 1);
        QVERIFY2(odd.output.contains("train.batch_size") && odd.output.contains("2 workers"),
                 qPrintable(odd.output));
        auto bm25 = runCli(synthData_, tmp_.filePath("bm25.db"),
                           {"run", writeSpec("bm25", bm25Spec()), "--nproc", "2"});
        QVERIFY(bm25.exitCode != 0);
        QVERIFY2(bm25.output.contains("'bm25' runs in one process"), qPrintable(bm25.output));
        auto zero = runCli(
            synthData_, tmp_.filePath("zero.db"),
            {"run", writeSpec("teacher", retrievalSpec("teacher", "teacher", 4)), "--nproc", "0"});
        QCOMPARE(zero.exitCode, 2);
        QVERIFY2(zero.output.contains("--nproc '0'"), qPrintable(zero.output));
    }
};

QTEST_GUILESS_MAIN(TestParallelRuns)
#include "test_parallel_runs.moc"
