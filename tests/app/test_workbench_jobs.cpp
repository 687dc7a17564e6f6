// Jobs from the workbench: a training run queued, watched (progress, loss, curve growing) and
// cancelled with the panel's button, then resumed from its checkpoint; a run whose process died
// shows as interrupted and its resume button finishes it. Runs on the synthetic corpus.
#include <QtTest>

#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTemporaryDir>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "app/workbench/main_window.h"
#include "app/workbench/models/job_queue.h"
#include "app/workbench/models/run_table_model.h"
#include "app/workbench/views/job_panel.h"
#include "app/workbench/views/loss_curves_view.h"
#include "app/workbench/views/run_browser.h"
#include "core/data/corpus_stats.h"
#include "core/store/database.h"
#include "core/store/run_store.h"
#include "tests/train/synthetic_corpus.h"

using namespace clir;

class TestWorkbenchJobs : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    QString db_;

    nlohmann::json experiment(const std::string& name, int steps) {
        auto j = testing::tinyNmtExperiment(name, steps);
        j["nmt"]["dev_sentences"] = 8;
        j["nmt"]["beam_size"] = 1;
        j["nmt"]["log_every"] = 1;  // a live curve
        j["nmt"]["checkpoint_every"] = 10;
        return j;
    }

    store::RunStatus statusOf(std::int64_t id) {
        store::Database db(db_.toStdString());
        return store::RunStore(db).run(id)->status;
    }

    QString errorOf(std::int64_t id) {
        store::Database db(db_.toStdString());
        auto r = store::RunStore(db).run(id);
        return QString::fromLatin1(store::toString(r->status)) + ": " +
               QString::fromStdString(r->error);
    }

    std::vector<std::int64_t> lossSteps(std::int64_t id) {
        store::Database db(db_.toStdString());
        std::vector<std::int64_t> steps;
        for (const auto& m : store::RunStore(db).metrics(id, "loss")) steps.push_back(m.step);
        return steps;
    }

    // Value and wall time of the loss at a step, as stored.
    std::pair<double, double> lossRecord(std::int64_t id, std::int64_t step) {
        store::Database db(db_.toStdString());
        for (const auto& m : store::RunStore(db).metrics(id, "loss"))
            if (m.step == step) return {m.value, m.wallTime};
        return {-1, -1};
    }

  private slots:
    void initTestCase() {
        qputenv("CLIRLAB_DATA", tmp_.filePath("data").toUtf8());
        testing::writeSyntheticCorpus(data::defaultCorpusDir());
        db_ = tmp_.filePath("jobs.db");
    }

    void startWatchCancelResume() {
        workbench::MainWindow w(db_, false);
        w.show();
        auto* queue = w.jobQueue();
        auto* panel = w.jobPanel();
        QVERIFY(!panel->cancelButton()->isEnabled());
        const QString file = tmp_.filePath("long.json");
        std::ofstream(file.toStdString()) << experiment("gui-long", 3000).dump(2);
        const qint64 id = queue->enqueueFile(file);
        QVERIFY(id > 0);
        // Watched: progress, the latest loss and an ETA while it trains; the UI stays live.
        QTRY_VERIFY_WITH_TIMEOUT(lossSteps(id).size() >= 25, 60000);
        QTRY_VERIFY_WITH_TIMEOUT(panel->progressBar()->value() > 0, 10000);
        QVERIFY(panel->statusLabel()->text().contains("gui-long"));
        QVERIFY(panel->cancelButton()->isEnabled());
        QVERIFY(!std::isnan(queue->lastLoss()));
        QTRY_VERIFY_WITH_TIMEOUT(panel->etaLabel()->text().contains("ETA "), 10000);
        w.runBrowser()->refresh();
        w.runBrowser()->selectRuns({id});
        QTRY_VERIFY_WITH_TIMEOUT(w.lossCurves()->pointCount(id) > 0, 10000);
        const int before = w.lossCurves()->pointCount(id);
        QTRY_VERIFY_WITH_TIMEOUT(w.lossCurves()->pointCount(id) > before, 20000);  // live

        QTest::mouseClick(panel->cancelButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(queue->idle(), 60000);
        QCOMPARE(statusOf(id), store::RunStatus::Cancelled);
        const std::string outputDir = db_.toStdString() + ".runs/" + std::to_string(id);
        QVERIFY(std::filesystem::exists(outputDir + "/checkpoints"));  // kept
        auto stepsBefore = lossSteps(id);
        const auto early = lossRecord(id, 5);

        // Resume from the browser's selection: it continues, it does not start over.
        w.runBrowser()->refresh();
        w.runBrowser()->selectRuns({id});
        QTRY_VERIFY_WITH_TIMEOUT(panel->resumeButton()->isEnabled(), 5000);
        QTest::mouseClick(panel->resumeButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(queue->currentRun() == id, 5000);
        QTRY_VERIFY_WITH_TIMEOUT(lossSteps(id).size() > stepsBefore.size() + 5, 60000);
        queue->cancel(id);  // no need to train 3,000 steps here
        QTRY_VERIFY_WITH_TIMEOUT(queue->idle(), 60000);
        // It continued from the last checkpoint: the early steps were not trained (and so not
        // recorded) again, and it went past where it was cancelled.
        QCOMPARE(lossRecord(id, 5), early);
        QVERIFY(lossSteps(id).back() > stepsBefore.back());
    }

    void crashedRunResumes() {
        std::int64_t id = 0;
        {
            store::Database db(db_.toStdString());
            store::RunStore runs(db);
            auto spec = experiment("gui-crashed", 30);
            store::RunRecord r;
            r.name = "gui-crashed";
            r.method = "nmt";
            r.languages = {"en-US", "om"};
            r.config = spec.dump();
            r.configHash = "crashed";
            r.codeVersion = "test";
            id = runs.createRun(r);
            auto dead = store::ProcessIdentity::current();
            dead.pid = 0x7ffffff0;  // no such process
            runs.markRunning(id, dead);
        }
        workbench::MainWindow w(db_, false);
        w.show();
        QCOMPARE(statusOf(id), store::RunStatus::Interrupted);
        w.runBrowser()->selectRuns({id});
        auto* m = w.runBrowser()->model();
        auto row = w.runBrowser()->proxy()->mapToSource(w.runBrowser()->view()->currentIndex());
        QCOMPARE(m->index(row.row(), workbench::RunTableModel::Status).data().toString(),
                 QString("interrupted"));
        QVERIFY(w.jobPanel()->resumeButton()->isEnabled());
        QTest::mouseClick(w.jobPanel()->resumeButton(), Qt::LeftButton);
        QTRY_VERIFY2_WITH_TIMEOUT(statusOf(id) == store::RunStatus::Finished,
                                  qPrintable(errorOf(id) + " | " + w.jobQueue()->message() + " " +
                                             QString::number(w.jobQueue()->progress()) + " run " +
                                             QString::number(w.jobQueue()->currentRun())),
                                  120000);
        QTRY_VERIFY_WITH_TIMEOUT(w.jobQueue()->idle(), 10000);
        QCOMPARE(lossSteps(id).size(), std::size_t(30));
        QVERIFY(!w.jobPanel()->resumeButton()->isEnabled());  // finished runs do not resume
    }

    void badExperimentIsRefusedBeforeQueueing() {
        workbench::MainWindow w(db_, false);
        const QString file = tmp_.filePath("bad.json");
        auto bad = experiment("gui-bad", 10);
        bad["nmt"]["learning_rate"] = -1;
        std::ofstream(file.toStdString()) << bad.dump(2);
        int before = w.runBrowser()->model()->rowCount();
        try {
            w.jobQueue()->enqueueFile(file);
            QFAIL("queued an invalid experiment");
        } catch (const std::exception& e) {
            QVERIFY2(QString(e.what()).contains("bad.json") &&
                         QString(e.what()).contains("nmt.learning_rate"),
                     e.what());
        }
        w.runBrowser()->refresh();
        QCOMPARE(w.runBrowser()->model()->rowCount(), before);
        QVERIFY(w.jobQueue()->idle());
    }

    void sweepQueuesEveryRunAndRefusesABadCombinationWhole() {
        workbench::MainWindow w(db_, false);
        const QString bad = tmp_.filePath("bad-sweep.json");
        auto spec = experiment("gui-sweep", 3);
        spec["sweep"] = {{"nmt.learning_rate", {0.001, -1}}};
        std::ofstream(bad.toStdString()) << spec.dump(2);
        w.runBrowser()->refresh();
        const int before = w.runBrowser()->model()->rowCount();
        try {
            w.jobQueue()->enqueueFile(bad);
            QFAIL("queued a sweep with an invalid combination");
        } catch (const std::exception& e) {
            QVERIFY2(QString(e.what()).contains("bad-sweep.json [nmt.learning_rate=-1]"), e.what());
        }
        w.runBrowser()->refresh();
        QCOMPARE(w.runBrowser()->model()->rowCount(), before);  // the valid one not queued either

        const QString good = tmp_.filePath("sweep.json");
        spec["sweep"] = {{"seed", {1, 2}}};
        std::ofstream(good.toStdString()) << spec.dump(2);
        const qint64 first = w.jobQueue()->enqueueFile(good);
        QTRY_VERIFY_WITH_TIMEOUT(w.jobQueue()->idle(), 120000);
        store::Database db(db_.toStdString());
        store::RunStore runs(db);
        for (const auto& [id, name] : {std::pair<qint64, std::string>{first, "gui-sweep[seed=1]"},
                                       {first + 1, "gui-sweep[seed=2]"}}) {
            auto r = runs.run(id);
            QVERIFY(r);
            QCOMPARE(r->name, name);
            QCOMPARE(r->status, store::RunStatus::Finished);
        }
    }
};

QTEST_MAIN(TestWorkbenchJobs)
#include "test_workbench_jobs.moc"
