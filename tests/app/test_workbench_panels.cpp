// The workbench's chart panels over a database made here with finished runs: what each panel
// shows after simulated clicks and keys (curve points, heatmap size and token labels, bar
// values and markers), the exported files, and the new-run form's validation.
#include <QtTest>

#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSlider>
#include <QSvgRenderer>
#include <QTemporaryDir>
#include <qcustomplot.h>

#include <QTableView>
#include <QTableWidget>

#include <cmath>
#include <tuple>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>

#include "app/workbench/main_window.h"
#include "app/workbench/models/number_table_model.h"
#include "app/workbench/models/run_table_model.h"
#include "app/workbench/plots/chart_theme.h"
#include "app/workbench/theme.h"
#include "app/workbench/views/alignment_view.h"
#include "app/workbench/views/loss_curves_view.h"
#include "app/workbench/views/new_run_dialog.h"
#include "app/workbench/views/per_query_view.h"
#include "app/workbench/views/results_view.h"
#include "app/workbench/views/run_browser.h"
#include "app/workbench/views/scaling_view.h"
#include "core/store/database.h"
#include "core/eval/trec_io.h"
#include "core/model/encoder_config.h"
#include "core/retrieval/test_evaluation.h"
#include "core/store/run_archive.h"
#include "core/store/run_store.h"
#include "core/util/fs.h"
#include "tests/train/synthetic_corpus.h"

using namespace clir;

class TestWorkbenchPanels : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    QString db_;
    std::int64_t base_ = 0, better_ = 0, optical_ = 0;

    std::int64_t addRun(store::RunStore& runs, const char* name, const char* method) {
        store::RunRecord r;
        r.name = name;
        r.method = method;
        r.preset = "xs";
        r.languages = {"en-US", "om", "de"};
        r.config = "{}";
        r.configHash = name;
        r.codeVersion = "test";
        auto id = runs.createRun(r);
        runs.markRunning(id, store::ProcessIdentity::current());
        runs.finish(id, store::RunStatus::Finished);
        return id;
    }

    // Per-query AP of 40 queries: `shift` added to a base pattern, so that two runs are clearly
    // different (or equal with shift 0).
    void addResults(store::RunStore& runs, std::int64_t id, double shift) {
        std::vector<store::QueryResultRow> q;
        std::vector<store::ResultRow> means;
        for (const char* lang : {"om", "de"}) {
            double sum = 0;
            for (int i = 0; i < 40; ++i) {
                double v = std::min(1.0, 0.1 + 0.01 * (i % 7) + shift + (lang[0] == 'd' ? 0.1 : 0));
                q.push_back({lang, "entries", "q" + std::to_string(i), "map", v});
                sum += v;
            }
            means.push_back({lang, "entries", "map", sum / 40});
        }
        runs.storeQueryResults(id, q);
        runs.storeResults(id, means);
    }

  private slots:
    void initTestCase() {
        qputenv("CLIRLAB_DATA", tmp_.filePath("data").toUtf8());
        db_ = tmp_.filePath("panels.db");
        store::Database db(db_.toStdString());
        store::RunStore runs(db);
        base_ = addRun(runs, "zero-shot-xs", "zero-shot");
        better_ = addRun(runs, "hybrid-xs", "hybrid");
        optical_ = addRun(runs, "optical-xs", "optical");
        addResults(runs, base_, 0.0);
        addResults(runs, better_, 0.2);
        addResults(runs, optical_, 0.0);
        std::vector<store::MetricPoint> loss;
        for (int s = 1; s <= 50; ++s) loss.push_back({"loss", s, 5.0 / s + 0.1 * (s % 3), 0.1 * s});
        runs.appendMetrics(better_, loss);
        loss.resize(20);
        runs.appendMetrics(optical_, loss);
        runs.appendMetrics(base_, {{"dev_map", 0, 0.35, 1.0}});  // one point only
        for (int step : {0, 100}) {
            store::AlignmentRecord a;
            a.step = step;
            a.pairKey = "om:page1#p2";
            a.sourceTokens = {"▁the", "▁red", "▁house"};
            a.targetTokens = {"▁xthe", "▁xred", "▁xho", "use"};
            for (int i = 0; i < 12; ++i) {
                a.plan.push_back(step == 0 ? 1.0f / 12 : (i % 5 == 0 ? 0.2f : 0.01f));
                a.cost.push_back(0.1f * float(i));
            }
            runs.storeAlignment(optical_, a);
        }
        runs.addArtifact(better_, "best_checkpoint",
                         tmp_.filePath("gone-checkpoint").toStdString());
    }

    void browserShowsMapColumns() {
        workbench::MainWindow w(db_, false);
        auto* m = w.runBrowser()->model();
        QCOMPARE(m->rowCount(), 3);
        int omColumn = -1;
        for (int c = 0; c < m->columnCount(); ++c)
            if (m->languageOf(c) == "om") omColumn = c;
        QVERIFY(omColumn >= 0);
        w.runBrowser()->selectRuns({better_});
        auto row = w.runBrowser()->proxy()->mapToSource(w.runBrowser()->view()->currentIndex());
        // om: 0.3 + mean of 0.01 * (i % 7) over 40 queries = 0.3 + 0.02875.
        QVERIFY(std::abs(m->index(row.row(), omColumn)
                             .data(workbench::RunTableModel::RawValueRole)
                             .toDouble() -
                         0.32875) < 1e-9);
        QVERIFY(m->index(row.row(), omColumn).data().toString().startsWith("0.328"));
        // Tags edit in place and reach the store.
        QVERIFY(m->setData(m->index(row.row(), workbench::RunTableModel::Tags), "b, a, b",
                           Qt::EditRole));
        store::Database db(db_.toStdString());
        QCOMPARE(store::RunStore(db).run(better_)->tags, (std::vector<std::string>{"a", "b"}));
        QVERIFY(m->setData(m->index(row.row(), workbench::RunTableModel::Notes), "lr too high?",
                           Qt::EditRole));
        QCOMPARE(store::RunStore(db).notes(better_).back(), std::string("lr too high?"));
    }

    void curvesOverlaySelectedRuns() {
        workbench::MainWindow w(db_, false);
        auto* curves = w.lossCurves();
        w.runBrowser()->selectRuns({better_, optical_});
        QCOMPARE(curves->pointCount(better_), 50);
        QCOMPARE(curves->pointCount(optical_), 20);
        QCOMPARE(curves->pointCount(base_), -1);
        QCOMPARE(curves->metricChooser()->currentText(), QString("loss"));
        // Smoothing adds a smoothed curve per run; at 0 only the raw ones are drawn.
        QCOMPARE(curves->plot()->graphCount(), 4);
        curves->smoothingSlider()->setValue(0);
        QCOMPARE(curves->plot()->graphCount(), 2);
        curves->smoothingSlider()->setFocus();
        QTest::keyClick(curves->smoothingSlider(), Qt::Key_End);
        QCOMPARE(curves->smoothingSlider()->value(), 99);
        QTest::mouseClick(curves->logY(), Qt::LeftButton);
        QVERIFY(curves->logY()->isChecked());
        QCOMPARE(curves->plot()->yAxis->scaleType(), QCPAxis::stLogarithmic);
        QCOMPARE(curves->pointCount(better_), 50);
        QCOMPARE(curves->plot()->legend->itemCount(), 2);
        // A single point is drawn as a dot, in a range around its value.
        QTest::mouseClick(curves->logY(), Qt::LeftButton);
        QVERIFY(!curves->logY()->isChecked());
        w.runBrowser()->selectRuns({base_});
        QCOMPARE(curves->metricChooser()->currentText(), QString("dev_map"));
        QCOMPARE(curves->pointCount(base_), 1);
        QCOMPARE(curves->plot()->graph(0)->scatterStyle().shape(), QCPScatterStyle::ssDisc);
        QVERIFY(curves->plot()->yAxis->range().contains(0.35));
        QVERIFY(curves->plot()->yAxis->range().size() < 0.1);
    }

    void alignmentHeatmap() {
        workbench::MainWindow w(db_, false);
        w.show();
        auto* a = w.alignments();
        QCOMPARE(a->runChooser()->count(), 1);
        QCOMPARE(a->pairChooser()->currentText(), QString("om:page1#p2"));
        QCOMPARE(a->colorMap()->data()->keySize(), 4);    // target tokens, columns
        QCOMPARE(a->colorMap()->data()->valueSize(), 3);  // English tokens, rows
        QVERIFY(!a->colorMap()->interpolate());
        auto ticker = qSharedPointerCast<QCPAxisTickerText>(a->plot()->xAxis->ticker());
        QVERIFY(ticker);
        QCOMPARE(ticker->ticks().value(3), QString("use"));
        auto yTicker = qSharedPointerCast<QCPAxisTickerText>(a->plot()->yAxis->ticker());
        QCOMPARE(yTicker->ticks().value(1), QString("▁red"));
        // The latest step first; the argmax of each English row is marked.
        QCOMPARE(a->shown()->step, 100);
        QCOMPARE(a->argmaxOverlay()->dataCount(), 3);
        QCOMPARE(a->colorMap()->data()->cell(0, 0), double(0.2f));
        QVERIFY(a->cellText(1, 2).contains("▁house"));
        QVERIFY(a->cellText(1, 2).contains("cost 0.9"));
        QVERIFY(a->cellText(4, 0).isEmpty());
        // The step slider goes back to the first plan; the toggle shows the cost matrix.
        a->stepSlider()->setFocus();
        QTest::keyClick(a->stepSlider(), Qt::Key_Home);
        QCOMPARE(a->shown()->step, 0);
        QCOMPARE(a->colorMap()->data()->cell(0, 0), double(1.0f / 12));
        a->matrixChooser()->setCurrentIndex(a->matrixChooser()->findData("cost"));
        QCOMPARE(a->colorMap()->data()->cell(3, 2), double(0.1f * 11));
        QTest::mouseClick(a->argmaxToggle(), Qt::LeftButton);
        QVERIFY(!a->argmaxOverlay()->visible());
        // Live mode lists finished runs' best checkpoints; a broken one fails with its path
        // named, off the UI thread (the real plan is checked in test_retrieval).
        QCOMPARE(a->liveCheckpointChooser()->count(), 1);
        QTest::keyClicks(a->liveEnglish(), "the red house");
        QTest::keyClicks(a->liveOther(), "xthe xred xhouse");
        QSignalSpy done(a, &workbench::AlignmentView::liveFinished);
        QTest::mouseClick(a->liveButton(), Qt::LeftButton);
        QVERIFY(done.wait(20000));
        QCOMPARE(done.at(0).at(0).toBool(), false);
        QVERIFY2(a->title().contains("gone-checkpoint"), qPrintable(a->title()));
        QVERIFY(a->liveButton()->isEnabled());
    }

    void resultsBarsAndMarkers() {
        workbench::MainWindow w(db_, false);
        auto* r = w.results();
        w.runBrowser()->selectRuns({base_, better_});
        QCOMPARE(r->bars().size(), 2);
        // Bars are the per-language means; om (low-resource) before de (high-resource).
        QCOMPARE(r->compared().comparison.languages, (std::vector<std::string>{"om", "de"}));
        const auto* bars = r->bars()[1]->data().data();
        QCOMPARE(bars->size(), 2);
        QVERIFY(std::abs(bars->at(0)->value - 0.32875) < 1e-9);
        QVERIFY(std::abs(bars->at(1)->value - 0.42875) < 1e-9);
        QCOMPARE(r->markerCount(), 0);
        r->setBaseline(base_);
        QCOMPARE(r->markerCount(), 2);  // hybrid differs in both languages
        QCOMPARE(r->table()->rowCount(), 2);
        QVERIFY(r->table()->index(1, 1).data().toString().contains("★"));
        r->measureChooser()->setCurrentText("P_10");  // nothing stored for it
        QCOMPARE(r->bars().size(), 0);
        QVERIFY(r->title().contains("no run"));
    }

    // A results chart of more than 10 runs (issue 13's suite has 12) repeats no bar fill: the
    // 11th run is hatched in the first one's colour, not a second solid blue.
    void barFillsDoNotRepeat() {
        for (int i = 0; i < 60; ++i)
            for (int j = i + 1; j < 60; ++j)
                QVERIFY2(workbench::seriesBrush(i) != workbench::seriesBrush(j),
                         qPrintable(QString("series %1 and %2").arg(i).arg(j)));
        QCOMPARE(workbench::seriesBrush(10).color(), workbench::seriesColor(0));
        QCOMPARE(workbench::seriesBrush(3).style(), Qt::SolidPattern);
    }

    void exportsChartsAndTables() {
        workbench::MainWindow w(db_, false);
        w.runBrowser()->selectRuns({base_, better_});
        auto* r = w.results();
        r->resize(900, 500);
        QDir out(tmp_.filePath("export"));
        out.mkpath(".");
        r->exportChart(out.filePath("r.png"));
        r->exportChart(out.filePath("r.pdf"));
        r->exportChart(out.filePath("r.svg"));
        r->exportTable(out.filePath("r.csv"));
        QImage png(out.filePath("r.png"));
        QVERIFY(!png.isNull() && png.width() >= 900);
        QFile pdf(out.filePath("r.pdf"));
        QVERIFY(pdf.open(QIODevice::ReadOnly));
        QCOMPARE(pdf.read(5), QByteArray("%PDF-"));
        QSvgRenderer svg(out.filePath("r.svg"));
        QVERIFY(svg.isValid());
        QFile csv(out.filePath("r.csv"));
        QVERIFY(csv.open(QIODevice::ReadOnly | QIODevice::Text));
        auto lines = QString::fromUtf8(csv.readAll()).split('\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 3);
        QVERIFY(lines[0].startsWith("Run,om,de,low mean"));
        QVERIFY2(lines[2].startsWith("#2 hybrid-xs,0.328"), qPrintable(lines[2]));
        // A bad format or place is named.
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, r->exportChart(out.filePath("r.gif")));
        QVERIFY_THROWS_EXCEPTION(std::runtime_error,
                                 r->exportTable(tmp_.filePath("no/such/dir/r.csv")));
        // Every chart panel exports.
        for (workbench::ChartPanel* p : std::initializer_list<workbench::ChartPanel*>{
                 w.lossCurves(), w.alignments(), w.scaling()}) {
            p->exportChart(out.filePath("p.svg"));
            QVERIFY(QSvgRenderer(out.filePath("p.svg")).isValid());
        }
    }

    void newRunFormValidates() {
        workbench::NewRunDialog d;
        d.methodChooser()->setCurrentText("fine-tune");
        auto* lr = qobject_cast<QLineEdit*>(d.field("train.learning_rate"));
        QVERIFY(lr);
        QCOMPARE(lr->text(), QString("3e-05"));
        QVERIFY(lr->toolTip().contains("default"));
        QTest::keyClicks(qobject_cast<QLineEdit*>(d.field("name")), "ft-test");
        lr->selectAll();
        QTest::keyClicks(lr, "-1");
        d.accept();
        QCOMPARE(d.result(), int(QDialog::Rejected));  // not accepted
        QVERIFY2(d.errorLabel()->text().contains("train.learning_rate"),
                 qPrintable(d.errorLabel()->text()));
        QVERIFY(!lr->styleSheet().isEmpty());
        // A valid BM25 run is accepted and parsed with its defaults.
        workbench::NewRunDialog ok;
        ok.methodChooser()->setCurrentText("bm25");
        QTest::keyClicks(qobject_cast<QLineEdit*>(ok.field("name")), "bm25-form");
        QVERIFY(ok.field("bm25.k1"));
        QVERIFY(!ok.field("train.learning_rate"));  // bm25 does not read train
        ok.accept();
        QCOMPARE(ok.result(), int(QDialog::Accepted));
        QCOMPARE(ok.experiment().name, std::string("bm25-form"));
        QCOMPARE(ok.experiment().config.at("bm25").at("k1").get<double>(), 1.2);
    }

    void screenshotsInBothPalettes() {
        const QString dir = qEnvironmentVariable("CLIRLAB_SCREENSHOT_DIR", QDir::tempPath());
        for (const char* palette : {"light", "dark"}) {
            workbench::applyPalette(palette);
            workbench::MainWindow w(db_, false);
            w.runBrowser()->selectRuns({base_, better_, optical_});
            QVERIFY(workbench::isDark(w.results()->palette()) == (QString(palette) == "dark"));
            for (const auto& name : workbench::MainWindow::panelNames()) {
                QPixmap shot = w.renderPanel(name, QSize(900, 520));
                QString file = dir + "/test-" + name + "-" + palette + ".png";
                QVERIFY(shot.save(file));
                QVERIFY(QFileInfo(file).size() > 2000);
            }
            // The chart background follows the palette.
            QCOMPARE(w.results()->plot()->axisRect()->backgroundBrush().color(),
                     w.results()->palette().color(QPalette::Base));
        }
        workbench::applyPalette("light");
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, workbench::applyPalette("purple"));
    }

    // The seeds of one configuration (one group) are one bar of mean ± sd with an error bar.
    void seedsOfOneGroupAreOneBarWithSpread() {
        std::int64_t seed1 = 0, seed2 = 0;
        {
            store::Database db(db_.toStdString());
            store::RunStore runs(db);
            seed1 = addRun(runs, "hybrid-s[seed=1]", "hybrid");
            seed2 = addRun(runs, "hybrid-s[seed=2]", "hybrid");
            db.exec("UPDATE runs SET config = '{\"group\":\"hybrid-s\"}' WHERE id IN (" +
                    std::to_string(seed1) + "," + std::to_string(seed2) + ")");
            addResults(runs, seed1, 0.1);
            addResults(runs, seed2, 0.3);
        }
        workbench::MainWindow w(db_, false);
        auto* r = w.results();
        w.runBrowser()->selectRuns({base_, seed1, seed2});
        QCOMPARE(r->bars().size(), 2);
        const auto& c = r->compared().comparison;
        QVERIFY2(c.labels[1].find("hybrid-s (2 seeds)") != std::string::npos, c.labels[1].c_str());
        const auto& om = c.cells[1][0];
        QCOMPARE(om.seeds, std::size_t(2));
        QVERIFY(std::abs(om.mean - 0.32875) < 1e-9);        // (0.22875 + 0.42875) / 2
        QVERIFY(std::abs(om.sd - std::sqrt(0.02)) < 1e-9);  // sample sd of the two
        QCOMPARE(r->plot()->plottableCount(), 3);           // two bar series, one error bar set
        QCOMPARE(r->plot()->legend->itemCount(), 2);
        const auto text = r->table()->index(1, 1).data().toString();
        QVERIFY2(text.startsWith("0.328") && text.endsWith(" ± 0.1414"), qPrintable(text));
    }

    // Two runs on the synthetic corpus whose TREC files put each test query's one relevant page
    // at known ranks: AP = 1 / rank, so the sorted differences and the click's rankings are
    // known without the code under test.
    void perQueryDifferencesAndRankings() {
        const std::string corpus = tmp_.filePath("pq-corpus").toStdString();
        testing::writeSyntheticCorpus(corpus);
        const std::string qrels = corpus + "/qrels/om.en-US.entries.test.qrels";
        auto rankA = [](int i) { return 1 + i % 3; };
        auto rankB = [](int i) { return i < 10 ? 1 : 4; };
        std::int64_t a = 0, b = 0;
        std::vector<std::string> qids;
        for (int page = 32; page < 40; ++page)
            for (int k = 0; k < 2; ++k)
                qids.push_back("a/page" + std::to_string(page) + "#bm" + std::to_string(k) + ".0");
        {
            store::Database db(db_.toStdString());
            store::RunStore runs(db);
            store::CorpusRecord c;
            c.name = "synthetic";
            c.path = corpus;
            c.hash = "pq-corpus";
            c.manifest = "{}";
            const auto corpusId = runs.upsertCorpus(c);
            a = addRun(runs, "bm25-pq", "bm25");
            b = addRun(runs, "optical-pq", "optical");
            for (auto [id, rankOf] : {std::pair{a, std::function<int(int)>(rankA)},
                                      std::pair{b, std::function<int(int)>(rankB)}}) {
                runs.setCorpus(id, corpusId);
                eval::Run run;
                for (int i = 0; i < int(qids.size()); ++i) {
                    const int relevant = 32 + i / 2;
                    // The relevant page at rankOf(i); the other test pages around it.
                    std::vector<int> order;
                    for (int p = 32; p < 40; ++p)
                        if (p != relevant) order.push_back(p);
                    order.insert(order.begin() + (rankOf(i) - 1), relevant);
                    for (int r = 0; r < int(order.size()); ++r)
                        run.byQuery[qids[std::size_t(i)]].push_back(
                            {"a/page" + std::to_string(order[std::size_t(r)]), 10.0 - r});
                }
                const std::string dir =
                    tmp_.filePath("pq-run-" + QString::number(id)).toStdString();
                std::filesystem::create_directories(dir);
                const std::string trec = dir + "/om.entries.test.trec";
                eval::writeRun(trec, run, "pq");
                fs::writeFileAtomic(
                    retrieval::TrecSidecar::pathFor(trec),
                    nlohmann::json{{"language", "om"}, {"query_set", "entries"}, {"qrels", qrels}}
                        .dump());
                runs.addArtifact(id, "trec_run", trec);
                std::vector<store::ResultRow> rows;
                std::vector<store::QueryResultRow> queryRows;
                retrieval::recordEvaluation(trec, qrels, "om", "entries", rows, queryRows);
                runs.storeResults(id, rows);
                runs.storeQueryResults(id, queryRows);
            }
        }
        workbench::MainWindow w(db_, false);
        w.runBrowser()->selectRuns({b, a});
        auto* v = w.perQuery();
        QCOMPARE(v->runAChooser()->currentData().toLongLong(), a);  // the older run is A
        QCOMPARE(v->runBChooser()->currentData().toLongLong(), b);
        QCOMPARE(v->languageChooser()->currentText(), QString("om · entries"));
        const auto& d = v->differences();
        QCOMPARE(d.rows.size(), qids.size());
        // Expected from the ranks alone: AP = 1 / rank with one relevant page.
        std::vector<double> expected;
        std::size_t wins = 0, losses = 0;
        for (int i = 0; i < int(qids.size()); ++i) {
            const double diff = 1.0 / rankB(i) - 1.0 / rankA(i);
            expected.push_back(diff);
            wins += diff > 1e-12;
            losses += diff < -1e-12;
        }
        std::sort(expected.rbegin(), expected.rend());
        for (std::size_t i = 0; i < expected.size(); ++i)
            QVERIFY2(std::abs(d.rows[i].difference() - expected[i]) < 1e-4,
                     qPrintable(QString("row %1: %2 vs %3")
                                    .arg(i)
                                    .arg(d.rows[i].difference())
                                    .arg(expected[i])));
        QCOMPARE(d.wins(), wins);
        QCOMPARE(d.losses(), losses);
        QCOMPARE(std::size_t(v->winBars()->data()->size() + v->lossBars()->data()->size()),
                 qids.size());
        // Query texts in the query language and in English beside each row.
        QVERIFY2(QString::fromStdString(d.rows[0].text).startsWith("xhow xdo"),
                 d.rows[0].text.c_str());
        QVERIFY(QString::fromStdString(d.rows[0].pivotText).startsWith("how do"));
        QCOMPARE(v->table()->rowCount(), int(qids.size()));
        // Text columns read from the left (a right-aligned English text in a narrow column
        // showed only its end); numbers align right.
        auto alignment = [&](int column) {
            return Qt::Alignment(v->table()->index(0, column).data(Qt::TextAlignmentRole).toInt());
        };
        QVERIFY(alignment(1) & Qt::AlignLeft);   // English
        QVERIFY(alignment(2) & Qt::AlignRight);  // AP of A
        QVERIFY(alignment(5) & Qt::AlignLeft);   // qid
        // The title names both runs on a line of its own, under the measure and the means.
        QVERIFY2(v->title().contains("\nB #"), qPrintable(v->title()));

        // A click on the first bar opens that query's rankings in both runs.
        QPixmap shot = w.renderPanel("perquery", QSize(1000, 800));
        QVERIFY(!shot.isNull());
        auto* p = v->plot();
        p->replot();
        const auto& first = d.rows[0];
        const QPoint at(int(p->xAxis->coordToPixel(1.0)),
                        int(p->yAxis->coordToPixel(first.difference() / 2)));
        QSignalSpy shown(v, &workbench::PerQueryView::queryShown);
        QTest::mouseClick(p, Qt::LeftButton, Qt::NoModifier, at);
        QCOMPARE(shown.count(), 1);
        QCOMPARE(v->shownQuery(), 0);
        const int i = int(std::find(qids.begin(), qids.end(), first.qid) - qids.begin());
        const std::string relevantPage = "a/page" + std::to_string(32 + i / 2);
        for (int which : {0, 1}) {
            auto* t = v->rankingTable(which);
            QCOMPARE(t->rowCount(), 8);  // every test page was ranked
            const int rank = which ? rankB(i) : rankA(i);
            for (int r = 0; r < t->rowCount(); ++r) {
                const bool marked = t->item(r, 1)->text().startsWith("✓");
                QCOMPARE(marked, r + 1 == rank);
                QCOMPARE(t->item(r, 0)->text(), QString::number(r + 1));
            }
            QCOMPARE(t->item(rank - 1, 2)->toolTip(), QString::fromStdString(relevantPage));
            // Titles come from the corpus's English pages.
            QVERIFY(t->item(rank - 1, 2)->text().endsWith(" help"));
        }
        QVERIFY(v->queryLabel()->text().contains("xhow"));
        // A click on a table row opens that row's query.
        auto* view = v->tableView();
        const QRect cell = view->visualRect(v->table()->index(3, 0));
        QVERIFY(cell.isValid());
        QTest::mouseClick(view->viewport(), Qt::LeftButton, Qt::NoModifier, cell.center());
        QCOMPARE(v->shownQuery(), 3);
        // A TREC file that is gone is named where the ranking would be.
        std::filesystem::remove(tmp_.filePath("pq-run-" + QString::number(a)).toStdString() +
                                "/om.entries.test.trec");
        v->refresh();
        v->showQuery(0);
        QCOMPARE(v->rankingTable(0)->rowCount(), 0);
        QCOMPARE(v->rankingTable(1)->rowCount(), 8);
        bool named = false;
        for (auto* label : v->findChildren<QLabel*>())
            named = named || label->text().contains("om.entries.test.trec is missing");
        QVERIFY(named);

        // The same runs restored from their archives into another database: no TREC file comes
        // with them, yet the differences and the query texts (from the corpus and evaluation
        // split they record) are there, and the ranking says why it cannot be shown.
        const QString restoredDb = tmp_.filePath("pq-restored.db");
        {
            store::Database from(db_.toStdString());
            store::Database to(restoredDb.toStdString());
            for (auto id : {a, b})  // an archive wants a real configuration hash
                from.exec("UPDATE runs SET config_hash = '" + std::string(64, id == a ? 'a' : 'b') +
                          "' WHERE id = " + std::to_string(id));
            for (auto id : {a, b})
                QVERIFY(store::restoreRun(to, store::archiveRun(from, id), "pq.json").restored);
        }
        workbench::MainWindow restored(restoredDb, false);
        restored.runBrowser()->selectRuns({b, a});
        auto* r = restored.perQuery();
        QCOMPARE(r->differences().rows.size(), qids.size());
        QCOMPARE(r->differences().rows[0].difference(), d.rows[0].difference());
        QVERIFY2(QString::fromStdString(r->differences().rows[0].text).startsWith("xhow xdo"),
                 r->differences().rows[0].text.c_str());
        QVERIFY(QString::fromStdString(r->differences().rows[0].pivotText).startsWith("how do"));
        r->showQuery(0);
        QCOMPARE(r->rankingTable(0)->rowCount(), 0);
        bool why = false;
        for (auto* label : r->findChildren<QLabel*>())
            why = why || (label->text().contains("restored from pq.json") &&
                          label->text().contains("carries no TREC runs"));
        QVERIFY(why);
    }

    // The scaling chart: two sizes with two seeds each are two points with ± sd error bars, and
    // the fitted slope per decade of parameters and its spread over seeds are the ones computed
    // here from the known per-seed means.
    void scalingLadderWithSeedsAndFit() {
        const std::vector<std::pair<std::string, double>> plan = {
            {"xs", 0.0}, {"xs", 0.02}, {"s", 0.1}, {"s", 0.14}};
        QVector<qint64> ladder;
        {
            store::Database db(db_.toStdString());
            store::RunStore runs(db);
            int k = 0;
            ladder.clear();
            for (const auto& [preset, shift] : plan) {
                const std::string name =
                    "ladder[model.preset=" + preset + ",seed=" + std::to_string(k % 2) + "]";
                auto id = addRun(runs, name.c_str(), "fine-tune");
                ladder << id;
                db.exec("UPDATE runs SET preset = '" + preset +
                        "', seed = " + std::to_string(k % 2) +
                        ", config = '{\"group\":\"ladder[model.preset=" + preset +
                        "]\"}' WHERE id = " + std::to_string(id));
                addResults(runs, id, shift);
                ++k;
            }
        }
        workbench::MainWindow w(db_, false);
        auto* v = w.scaling();
        v->refresh();
        const workbench::ScalingView::Fit* fit = nullptr;
        for (const auto& f : v->fits())
            if (f.method == "fine-tune") fit = &f;
        QVERIFY(fit);
        // om mean 0.12875 + shift, de 0.22875 + shift: a seed's mean is 0.17875 + shift.
        const double dx =
            std::log10(double(model::countParameters(model::presetConfig("s")).encoder())) -
            std::log10(double(model::countParameters(model::presetConfig("xs")).encoder()));
        const double xs = 0.17875 + 0.01, s = 0.17875 + 0.12;  // means over the two seeds
        QVERIFY2(std::abs(fit->slope - (s - xs) / dx) < 1e-9,
                 qPrintable(QString::number(fit->slope)));
        QCOMPARE(fit->seeds, std::size_t(2));
        const double slope0 = 0.1 / dx, slope1 = 0.12 / dx;  // each seed fitted alone
        QVERIFY(std::abs(fit->slopeSd - std::abs(slope1 - slope0) / std::sqrt(2.0)) < 1e-9);
        int errorBars = 0;
        for (int i = 0; i < v->plot()->plottableCount(); ++i)
            errorBars += qobject_cast<QCPErrorBars*>(v->plot()->plottable(i)) != nullptr;
        QVERIFY(errorBars >= 2);  // mean and gap of the ladder
        bool fitRow = false;
        for (int r = 0; r < v->table()->rowCount(); ++r)
            if (v->table()->index(r, 0).data().toString() == "fine-tune: fitted slope per decade")
                fitRow = v->table()->index(r, 4).data().toString().contains(" ± ");
        QVERIFY(fitRow);
        // Sizes within one decade of parameters: a linear axis over just the sizes drawn, in the
        // window (every finished run: the ladder and the fixture's other small runs) as for a
        // report's runs (the ladder alone: xs and s, tight), with the same fit.
        const double pXs = double(model::countParameters(model::presetConfig("xs")).encoder());
        const double pS = double(model::countParameters(model::presetConfig("s")).encoder());
        QVERIFY(pXs < pS && pS < pXs * 10);
        auto fitsTheLadder = [&](bool tight) {
            const auto range = v->plot()->xAxis->range();
            return v->plot()->xAxis->scaleType() == QCPAxis::stLinear && range.contains(pXs) &&
                   range.contains(pS) && range.upper < pS * 1.5 &&
                   (!tight || range.size() < (pS - pXs) * 1.5);
        };
        QVERIFY(fitsTheLadder(false));
        v->setRuns(ladder);
        QVERIFY(fitsTheLadder(true));
        QCOMPARE(v->fits().size(), std::size_t(1));
        QVERIFY(std::abs(v->fits()[0].slope - (s - xs) / dx) < 1e-9);
        const QString dir = qEnvironmentVariable("CLIRLAB_SCREENSHOT_DIR", QDir::tempPath());
        QVERIFY(w.renderPanel("scaling", QSize(1000, 560)).save(dir + "/test-scaling-fit.png"));
        // Runs picked in the browser (two or more) are what the window's scaling panel draws.
        v->setRuns({});
        w.runBrowser()->selectRuns({ladder[0], ladder[2]});
        QCOMPARE(v->fits().size(), std::size_t(1));
        QVERIFY(std::abs(v->fits()[0].slope - (0.1 - 0.0) / dx) < 1e-9);  // seed 0 alone
        w.runBrowser()->selectRuns({ladder[0]});  // one run: every finished run again
        QVERIFY(fitsTheLadder(false));
        // One size only: the log axis over every preset, where the other sizes will go.
        v->setRuns({ladder[0], ladder[1]});
        QCOMPARE(v->plot()->xAxis->scaleType(), QCPAxis::stLogarithmic);
        QVERIFY(v->plot()->xAxis->range().upper > pS * 10);
        v->setRuns({});
        QVERIFY(fitsTheLadder(false));
    }

    // The slope's spread pairs the sizes' runs by seed number, as the report does: xs has seeds
    // 3, 1, 2 (stored in that order) and s has 2, 1, so seeds 1 and 2 are fitted alone and the
    // outlier seed 3 is left out of the sd (paired by position it met seed 2 at s).
    void scalingPairsSeedsByNumber() {
        const std::vector<std::tuple<std::string, int, double>> plan = {
            {"xs", 3, 0.3}, {"xs", 1, 0.0}, {"xs", 2, 0.02}, {"s", 2, 0.14}, {"s", 1, 0.1}};
        QVector<qint64> ladder;
        {
            store::Database db(db_.toStdString());
            store::RunStore runs(db);
            for (const auto& [preset, seed, shift] : plan) {
                const std::string name =
                    "uneven[model.preset=" + preset + ",seed=" + std::to_string(seed) + "]";
                auto id = addRun(runs, name.c_str(), "fine-tune");
                ladder << id;
                db.exec("UPDATE runs SET preset = '" + preset +
                        "', seed = " + std::to_string(seed) +
                        ", config = '{\"group\":\"uneven[model.preset=" + preset +
                        "]\"}' WHERE id = " + std::to_string(id));
                addResults(runs, id, shift);
            }
        }
        workbench::MainWindow w(db_, false);
        auto* v = w.scaling();
        v->setRuns(ladder);
        QCOMPARE(v->fits().size(), std::size_t(1));
        const auto& fit = v->fits().front();
        const double dx =
            std::log10(double(model::countParameters(model::presetConfig("s")).encoder())) -
            std::log10(double(model::countParameters(model::presetConfig("xs")).encoder()));
        QCOMPARE(fit.seeds, std::size_t(2));
        const double slope1 = 0.1 / dx, slope2 = 0.12 / dx;
        QVERIFY2(std::abs(fit.slopeSd - std::abs(slope2 - slope1) / std::sqrt(2.0)) < 1e-9,
                 qPrintable(QString::number(fit.slopeSd)));
        // The fitted slope itself is through the means over every seed: xs 0.10667, s 0.12.
        QVERIFY(std::abs(fit.slope - (0.12 - 0.32 / 3) / dx) < 1e-9);
    }
};

QTEST_MAIN(TestWorkbenchPanels)
#include "test_workbench_panels.moc"
