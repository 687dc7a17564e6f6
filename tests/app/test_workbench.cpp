// The workbench window over a store with runs: browser contents, filtering, sorting, and a
// screenshot for a person to look at.
#include <QtTest>

#include <QComboBox>
#include <QHeaderView>
#include <QImage>
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
        const QImage shot = w.grab().toImage();
        QVERIFY(shot.save(out));
        // What a person would see: the window is not blank, the browser's header row and its
        // first rows carry text, and anti-aliased text gives many distinct colours.
        auto ink = [&](const QWidget* part, int height) {
            const QPoint origin = part->mapTo(&w, QPoint(0, 0));
            const QRect area = QRect(origin, QSize(part->width(), std::min(height, part->height())))
                                   .intersected(shot.rect());
            QMap<QRgb, int> counts;
            for (int y = area.top(); y <= area.bottom(); ++y)
                for (int x = area.left(); x <= area.right(); ++x) ++counts[shot.pixel(x, y)];
            int background = 0;
            for (int c : counts) background = std::max(background, c);
            const int total = area.width() * area.height();
            return total ? double(total - background) / total : 0.0;
        };
        auto* browser = w.findChild<workbench::RunBrowser*>();
        QVERIFY(browser);
        auto* table = browser->findChild<QTableView*>();
        QVERIFY(table);
        const double headerInk =
            ink(table->horizontalHeader(), table->horizontalHeader()->height());
        const double rowInk = ink(table->viewport(), table->rowHeight(0) * 3);
        QVERIFY2(headerInk > 0.02, qPrintable(QString::number(headerInk)));
        QVERIFY2(rowInk > 0.02, qPrintable(QString::number(rowInk)));
        QSet<QRgb> colours;
        for (int y = 0; y < shot.height(); y += 2)
            for (int x = 0; x < shot.width(); x += 2) colours.insert(shot.pixel(x, y));
        QVERIFY2(colours.size() > 40, qPrintable(QString::number(colours.size())));
    }
};

QTEST_MAIN(TestWorkbench)
#include "test_workbench.moc"
