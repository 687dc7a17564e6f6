// Load (issue 16): the workbench open on a database while two `clirlab run` processes train and
// write metrics as fast as they log (every step), and, half-way, a third process holds the
// database's write lock for five seconds. A 10 ms timer on the UI thread measures how late each
// tick fires: the 99th percentile stays under 50 ms. Afterwards every metric row of both runs is
// in the database (every step, once) and the live curve shows all of the selected run's points.
// CLIRLAB_LOAD_SECONDS sets how long the writers run (default 60).
#include <QtTest>

#include <QElapsedTimer>
#include <QProcess>
#include <QTemporaryDir>
#include <QTimer>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <csignal>
#include <fstream>

#include "app/workbench/main_window.h"
#include "app/workbench/views/loss_curves_view.h"
#include "app/workbench/views/run_browser.h"
#include "core/data/corpus_stats.h"
#include "core/store/database.h"
#include "core/store/run_store.h"
#include "tests/train/synthetic_corpus.h"

using namespace clir;

class TestWorkbenchLoad : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    QString db_;

    QString cli() { return qEnvironmentVariable("CLIRLAB_BIN_DIR") + "/clirlab"; }

    std::vector<store::MetricPoint> losses(std::int64_t id) {
        store::Database db(db_.toStdString());
        return store::RunStore(db).metrics(id, "loss");
    }

    std::int64_t runId(const std::string& name) {
        store::Database db(db_.toStdString());
        for (const auto& r : store::RunStore(db).runs())
            if (r.name == name) return r.id;
        return 0;
    }

  private slots:
    void initTestCase() {
        qputenv("CLIRLAB_DATA", tmp_.filePath("data").toUtf8());
        testing::writeSyntheticCorpus(data::defaultCorpusDir());
        db_ = tmp_.filePath("load.db");
        store::Database create(db_.toStdString());
    }

    void twoWritersAndALock() {
        const int seconds = qEnvironmentVariableIntValue("CLIRLAB_LOAD_SECONDS") > 0
                                ? qEnvironmentVariableIntValue("CLIRLAB_LOAD_SECONDS")
                                : 60;
        workbench::MainWindow w(db_, false);
        w.resize(1400, 900);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));

        // Two writers: NMT runs far longer than the test, logging every step, cancelled at the end.
        std::vector<std::unique_ptr<QProcess>> writers;
        for (const char* name : {"writer-a", "writer-b"}) {
            auto spec = testing::tinyNmtExperiment(name, 1000000);
            spec["nmt"]["log_every"] = 1;
            spec["nmt"]["checkpoint_every"] = 200;
            spec["nmt"]["dev_sentences"] = 8;
            const QString file = tmp_.filePath(QString(name) + ".json");
            std::ofstream(file.toStdString()) << spec.dump(2);
            auto p = std::make_unique<QProcess>();
            auto env = QProcessEnvironment::systemEnvironment();
            env.insert("CLIRLAB_DB", db_);
            p->setProcessEnvironment(env);
            p->setProcessChannelMode(QProcess::MergedChannels);
            p->start(cli(), {"run", file});
            QVERIFY(p->waitForStarted());
            writers.push_back(std::move(p));
        }
        QTRY_VERIFY_WITH_TIMEOUT(runId("writer-a") > 0 && !losses(runId("writer-a")).empty(),
                                 60000);
        const auto a = runId("writer-a"), b = runId("writer-b");
        w.runBrowser()->refresh();
        w.runBrowser()->selectRuns({a});

        // The UI thread's lateness, ticking every 10 ms for the whole load.
        std::vector<double> late;
        QElapsedTimer clock;
        clock.start();
        qint64 expected = 10;
        QTimer tick;
        tick.setTimerType(Qt::PreciseTimer);
        connect(&tick, &QTimer::timeout, [&] {
            const qint64 now = clock.elapsed();
            late.push_back(double(std::max<qint64>(0, now - expected)));
            expected = now + 10;
        });
        tick.start(10);

        // Half-way, another process holds the write lock for five seconds.
        QTest::qWait(seconds * 500);
        QProcess locker;
        locker.start("/usr/bin/python3", {"-c",
                                          "import sqlite3, sys, time\n"
                                          "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
                                          "c.execute('BEGIN EXCLUSIVE')\n"
                                          "print('locked', flush=True)\n"
                                          "time.sleep(5)\n"
                                          "c.execute('ROLLBACK')\n",
                                          db_});
        QVERIFY(locker.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(locker.state() == QProcess::NotRunning, 30000);
        QVERIFY2(locker.exitCode() == 0 && locker.readAll().contains("locked"),
                 locker.readAllStandardError().constData());
        QTest::qWait(seconds * 500);
        tick.stop();

        for (auto& p : writers) ::kill(pid_t(p->processId()), SIGINT);  // cancel, as Ctrl-C
        for (auto& p : writers) {
            QVERIFY(p->waitForFinished(60000));
            QVERIFY2(p->exitStatus() == QProcess::NormalExit, p->readAll().constData());
        }

        // Every step of both runs is stored, once, with no gap.
        for (auto id : {a, b}) {
            const auto points = losses(id);
            QVERIFY2(points.size() > 100, qPrintable(QString::number(points.size())));
            for (std::size_t i = 0; i < points.size(); ++i)
                QCOMPARE(points[i].step, std::int64_t(i + 1));
        }
        // The live curve has them all.
        w.runBrowser()->refresh();
        QTRY_COMPARE_WITH_TIMEOUT(w.lossCurves()->pointCount(a), int(losses(a).size()), 10000);

        std::sort(late.begin(), late.end());
        QVERIFY(late.size() > std::size_t(seconds) * 20);
        const double p50 = late[late.size() / 2], p99 = late[late.size() * 99 / 100];
        qInfo(
            "UI lateness over %zu ticks in %d s: p50 %.1f ms, p99 %.1f ms, max %.1f ms; %zu + "
            "%zu loss points written",
            late.size(), seconds, p50, p99, late.back(), losses(a).size(), losses(b).size());
        QVERIFY2(p99 < 50, qPrintable(QString("p99 lateness %1 ms").arg(p99)));
    }
};

QTEST_MAIN(TestWorkbenchLoad)
#include "test_workbench_load.moc"
