// Integration: `clirlab run` killed with SIGKILL mid-pretraining on the real corpus; the next
// `clirlab list` marks the run interrupted, `clirlab resume` continues from the last checkpoint
// and finishes, and the loss curve has every step exactly once.
#include <QtTest>

#include <QProcess>
#include <QTemporaryDir>
#include <csignal>

#include "core/data/corpus_stats.h"
#include "core/store/database.h"
#include "core/store/run_store.h"
#include "core/util/fs.h"

using namespace clir;

class TestKillResume : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;

    QProcessEnvironment env() {
        auto e = QProcessEnvironment::systemEnvironment();
        e.insert("CLIRLAB_DB", tmp_.filePath("kill.db"));
        return e;
    }
    QString cli() { return qEnvironmentVariable("CLIRLAB_BIN_DIR") + "/clirlab"; }
    std::int64_t lastStep() {
        store::Database db(tmp_.filePath("kill.db").toStdString());
        auto m = store::RunStore(db).metrics(1, "loss");
        return m.empty() ? 0 : m.back().step;
    }

private slots:
    void initTestCase() {
        if (!QFile::exists(QString::fromStdString(data::defaultCorpusDir() + "/manifest.json"))) {
            if (qEnvironmentVariable("CI") == "true") QFAIL("no real corpus in CI");
            QSKIP("real corpus not built");
        }
    }

    void killedRunResumes() {
        const int steps = 300;
        nlohmann::json spec = {
            {"name", "kill-me"}, {"method", "pretrain"},
            {"model", {{"preset", "xs"}, {"vocab_size", 2000}, {"device", "cpu"}}},
            {"tokenizer", {{"training_sentences", 5000}}},
            {"pretrain", {{"steps", steps}, {"batch_size", 8}, {"max_length", 32}, {"warmup_steps", 20},
                          {"checkpoint_every", 40}, {"log_every", 5}, {"eval_sentences", 20}}}};
        std::string path = tmp_.filePath("kill.json").toStdString();
        fs::writeFileAtomic(path, spec.dump());
        QProcess run;
        run.setProcessEnvironment(env());
        run.start(cli(), {"run", QString::fromStdString(path)});
        QVERIFY(run.waitForStarted());
        // Wait until a checkpoint exists and training is past it, then kill without warning.
        QDeadlineTimer deadline(600000);
        while (lastStep() < 100 && !deadline.hasExpired() && run.state() == QProcess::Running) QTest::qWait(300);
        QVERIFY2(run.state() == QProcess::Running, "the run ended before it could be killed");
        ::kill(pid_t(run.processId()), SIGKILL);
        run.waitForFinished();
        const auto killedAt = lastStep();

        QProcess list;
        list.setProcessEnvironment(env());
        list.start(cli(), {"list"});
        list.waitForFinished();
        QVERIFY2(list.readAllStandardOutput().contains("interrupted"), "run not marked interrupted");

        QProcess resume;
        resume.setProcessEnvironment(env());
        resume.start(cli(), {"resume", "1"});
        QVERIFY(resume.waitForFinished(900000));
        QVERIFY2(resume.exitCode() == 0, resume.readAllStandardError().constData());
        store::Database db(tmp_.filePath("kill.db").toStdString());
        store::RunStore runs(db);
        QCOMPARE(runs.run(1)->status, store::RunStatus::Finished);
        auto loss = runs.metrics(1, "loss");
        QCOMPARE(int(loss.size()), steps);  // every step once: none lost, none twice
        for (int i = 0; i < steps; ++i) QCOMPARE(loss[std::size_t(i)].step, std::int64_t(i + 1));
        QVERIFY(killedAt >= 100);
        bool hasAccuracy = false;
        for (const auto& r : runs.results(1)) hasAccuracy |= r.measure == "accuracy";
        QVERIFY(hasAccuracy);
    }
};

QTEST_GUILESS_MAIN(TestKillResume)
#include "test_kill_resume.moc"
