// The workbench window over a store with runs: browser contents, filtering, sorting, and a
// screenshot for a person to look at.
#include <QtTest>

#include <QComboBox>
#include <QLineEdit>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTemporaryDir>

#include "app/workbench/main_window.h"
#include "app/workbench/models/run_table_model.h"
#include "app/workbench/views/run_browser.h"
#include "app/workbench/views/run_details.h"
#include "core/store/database.h"
#include "core/store/run_store.h"

using namespace clir;

class TestWorkbench : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    QString db_;

  private slots:
    void initTestCase() {
        db_ = tmp_.filePath("wb.db");
        store::Database db(db_.toStdString());
        store::RunStore runs(db);
        auto add = [&](const char* name, const char* method, store::RunStatus status,
                       std::vector<std::string> langs, const char* error = "") {
            store::RunRecord r;
            r.name = name;
            r.method = method;
            r.languages = std::move(langs);
            r.config = "{}";
            r.configHash = "h";
            r.codeVersion = "test";
            auto id = runs.createRun(r);
            if (status != store::RunStatus::Queued) {
                runs.markRunning(id, store::ProcessIdentity::current());
                if (status != store::RunStatus::Running) runs.finish(id, status, error);
            }
            return id;
        };
        auto q = add("quickstart", "corpus", store::RunStatus::Finished,
                     {"en-US", "om", "km", "dz", "eu", "de", "fr", "es"});
        runs.addTag(q, "quickstart");
        auto bm25 = add("bm25-untranslated", "bm25", store::RunStatus::Finished, {"en-US", "om"});
        runs.storeResults(bm25, {{"om", "entries", "map", 0.1392},
                                 {"en-US", "entries", "map", 0.5791},
                                 {"om", "entries", "P_10", 0.0172}});
        add("corpus-low-resource", "corpus", store::RunStatus::Failed, {"en-US", "om", "dz"},
            "not in the data cache: libreoffice-help-dz; run: clirlab data fetch");
        add("corpus-european", "corpus", store::RunStatus::Running, {"en-US", "de", "fr", "es"});
        add("corpus-queued", "corpus", store::RunStatus::Queued, {"en-US", "eu"});
    }

    void browserListsFiltersAndSorts() {
        workbench::MainWindow w(db_);
        w.show();
        auto* b = w.runBrowser();
        QCOMPARE(b->model()->rowCount(), 5);
        QCOMPARE(b->proxy()->rowCount(), 5);
        // Newest first by id, sorted on the raw value.
        QCOMPARE(b->proxy()->index(0, workbench::RunTableModel::Name).data().toString(),
                 QString("corpus-queued"));
        QTest::keyClicks(b->filterEdit(), "european");
        QCOMPARE(b->proxy()->rowCount(), 1);
        b->filterEdit()->clear();
        QCOMPARE(b->proxy()->rowCount(), 5);
        b->statusFilter()->setCurrentIndex(b->statusFilter()->findData("failed"));
        QCOMPARE(b->proxy()->rowCount(), 1);
        auto failed = b->proxy()->index(0, workbench::RunTableModel::Status);
        QVERIFY(failed.data(Qt::ToolTipRole).toString().contains("clirlab data fetch"));
        b->statusFilter()->setCurrentIndex(0);
        b->view()->sortByColumn(workbench::RunTableModel::Id, Qt::AscendingOrder);
        QCOMPARE(b->proxy()->index(0, workbench::RunTableModel::Name).data().toString(),
                 QString("quickstart"));
        QCOMPARE(b->proxy()->index(0, workbench::RunTableModel::Tags).data().toString(),
                 QString("quickstart"));
    }

    void detailsFollowSelection() {
        workbench::MainWindow w(db_);
        auto* b = w.runBrowser();
        b->view()->sortByColumn(workbench::RunTableModel::Id, Qt::AscendingOrder);
        b->selectRow(2);  // corpus-low-resource, failed
        QString shown = w.runDetails()->toPlainText();
        QVERIFY2(shown.contains("corpus-low-resource"), qPrintable(shown));
        QVERIFY(shown.contains("failed"));
        QVERIFY(shown.contains("clirlab data fetch"));
        b->selectRow(0);
        QVERIFY(w.runDetails()->toPlainText().contains("quickstart"));
        b->selectRow(1);  // bm25-untranslated: its results table
        shown = w.runDetails()->toPlainText();
        QVERIFY2(shown.contains("Results: entries") && shown.contains("0.1392") &&
                     shown.contains("0.5791"),
                 qPrintable(shown));
    }

    void refreshSeesOtherWriters() {
        workbench::MainWindow w(db_);
        auto* b = w.runBrowser();
        int before = b->model()->rowCount();
        {
            store::Database other(db_.toStdString());
            store::RunRecord r;
            r.name = "from-another-process";
            r.method = "corpus";
            r.config = "{}";
            r.configHash = "h";
            r.codeVersion = "test";
            store::RunStore(other).createRun(r);
        }
        b->refresh();
        QCOMPARE(b->model()->rowCount(), before + 1);
    }

    void screenshot() {
        workbench::MainWindow w(db_);
        w.resize(1100, 420);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w) ||
                qEnvironmentVariable("QT_QPA_PLATFORM") == "offscreen");
        QString out = qEnvironmentVariable("CLIRLAB_SCREENSHOT_DIR", QDir::tempPath()) +
                      "/workbench-run-browser.png";
        QVERIFY(w.grab().save(out));
        QVERIFY(QFileInfo(out).size() > 1000);
    }
};

QTEST_MAIN(TestWorkbench)
#include "test_workbench.moc"
