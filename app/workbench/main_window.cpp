// Main window (see main_window.h).
#include "app/workbench/main_window.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QFileDialog>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QStatusBar>
#include <QTableView>
#include <QTimer>
#include <QToolBar>

#include "app/workbench/models/job_queue.h"
#include "app/workbench/models/run_table_model.h"
#include "app/workbench/views/alignment_view.h"
#include "app/workbench/views/job_panel.h"
#include "app/workbench/views/loss_curves_view.h"
#include "app/workbench/views/per_query_view.h"
#include "app/workbench/views/results_view.h"
#include "app/workbench/views/run_browser.h"
#include "app/workbench/views/run_details.h"
#include "app/workbench/views/scaling_view.h"
#include "core/store/database.h"
#include "core/store/run_store.h"

namespace clir::workbench {
namespace {

constexpr int kLayoutVersion = 3;  // bump when panels change, so old layouts are not restored
constexpr int kLiveMs = 1000;

}  // namespace

MainWindow::MainWindow(const QString& databasePath, bool restoreLayout, QWidget* parent)
    : QMainWindow(parent),
      dbPath_(databasePath),
      db_(std::make_unique<store::Database>(databasePath.toStdString())) {
    store::RunStore(*db_).recoverInterrupted();
    setWindowTitle(tr("clirlab workbench — %1").arg(databasePath));
    setDockNestingEnabled(true);
    queue_ = new JobQueue(databasePath, this);
    browser_ = new RunBrowser(*db_, this);
    details_ = new RunDetails(*db_, this);
    jobs_ = new JobPanel(*db_, *queue_, this);
    curves_ = new LossCurvesView(*db_, this);
    alignments_ = new AlignmentView(*db_, this);
    results_ = new ResultsView(*db_, this);
    scaling_ = new ScalingView(*db_, this);
    perQuery_ = new PerQueryView(*db_, this);
    setCentralWidget(browser_);
    addPanel("details", tr("Run details"), details_, Qt::RightDockWidgetArea);
    addPanel("jobs", tr("Jobs"), jobs_, Qt::RightDockWidgetArea);
    auto* curves = addPanel("curves", tr("Training curves"), curves_, Qt::BottomDockWidgetArea);
    tabifyDockWidget(
        curves, addPanel("alignments", tr("Alignments"), alignments_, Qt::BottomDockWidgetArea));
    tabifyDockWidget(curves,
                     addPanel("results", tr("Results"), results_, Qt::BottomDockWidgetArea));
    tabifyDockWidget(curves,
                     addPanel("perquery", tr("Per-query"), perQuery_, Qt::BottomDockWidgetArea));
    tabifyDockWidget(curves,
                     addPanel("scaling", tr("Scaling"), scaling_, Qt::BottomDockWidgetArea));
    curves->raise();

    connect(browser_, &RunBrowser::runSelected, details_, &RunDetails::showRun);
    connect(browser_, &RunBrowser::runSelected, jobs_, &JobPanel::setSelectedRun);
    connect(browser_, &RunBrowser::runSelected, alignments_, &AlignmentView::showRun);
    connect(browser_, &RunBrowser::runsSelected, curves_, &LossCurvesView::setRuns);
    connect(browser_, &RunBrowser::runsSelected, results_, &ResultsView::setRuns);
    connect(browser_, &RunBrowser::runsSelected, perQuery_, &PerQueryView::setRuns);
    // Scaling: the selected runs when there are two or more (a ladder picked out of a suite's
    // database), else every finished run, as the results panel does.
    connect(browser_, &RunBrowser::runsSelected, scaling_, [this](const QVector<qint64>& ids) {
        scaling_->setRuns(ids.size() >= 2 ? ids : QVector<qint64>{});
    });
    connect(jobs_, &JobPanel::queued, this, [this](qint64 id) {
        browser_->refresh();
        browser_->selectRuns({id});
        docks_["curves"]->raise();
    });
    connect(queue_, &JobQueue::runEnded, this,
            [this](qint64 id, const QString& status, const QString& error) {
                browser_->refresh();
                results_->refresh();
                scaling_->refresh();
                perQuery_->refresh();
                alignments_->refresh();
                statusBar()->showMessage(tr("Run %1 %2%3")
                                             .arg(id)
                                             .arg(status)
                                             .arg(error.isEmpty() ? QString() : ": " + error),
                                         10000);
            });
    // Curves of running runs grow while they train (this process's queue or another's).
    live_ = new QTimer(this);
    // One more refresh after the last selected run stops: the points it flushed as it ended.
    connect(live_, &QTimer::timeout, this, [this] {
        store::RunStore runs(*db_);
        bool running = false;
        for (auto id : browser_->selectedRuns())
            if (auto r = runs.run(id); r && r->status == store::RunStatus::Running) {
                running = true;
                break;
            }
        if (running || wasRunning_) curves_->refresh();
        wasRunning_ = running;
        jobs_->update();
    });
    live_->start(kLiveMs);

    buildMenus();
    auto* counts = new QLabel(this);
    statusBar()->addPermanentWidget(counts);
    connect(browser_, &RunBrowser::countsChanged, counts, [counts](int shown, int total) {
        counts->setText(tr("%1 of %2 runs").arg(shown).arg(total));
    });
    browser_->refresh();
    browser_->selectRow(0);
    statusBar()->showMessage(tr("Database: %1").arg(databasePath));
    resize(1400, 900);
    if (restoreLayout) {
        QSettings settings;
        restoreGeometry(settings.value("window/geometry").toByteArray());
        restoreState(settings.value("window/state").toByteArray(), kLayoutVersion);
    }
}

MainWindow::~MainWindow() = default;

QStringList MainWindow::panelNames() {
    return {"runs", "details", "jobs", "curves", "alignments", "results", "perquery", "scaling"};
}

QWidget* MainWindow::panel(const QString& name) const {
    if (name == "runs") return browser_;
    auto* dock = docks_.value(name);
    return dock ? dock->widget() : nullptr;
}

QDockWidget* MainWindow::addPanel(const QString& name, const QString& title, QWidget* widget,
                                  Qt::DockWidgetArea area) {
    auto* dock = new QDockWidget(title, this);
    dock->setObjectName(name + "Dock");  // saveState() needs names
    dock->setWidget(widget);
    addDockWidget(area, dock);
    docks_[name] = dock;
    return dock;
}

void MainWindow::buildMenus() {
    auto* open = new QAction(tr("&Open database…"), this);
    open->setShortcut(QKeySequence::Open);
    connect(open, &QAction::triggered, this, &MainWindow::openDatabase);
    auto* queueFile = new QAction(tr("&Queue experiment file…"), this);
    connect(queueFile, &QAction::triggered, jobs_, &JobPanel::openExperiment);
    auto* newRun = new QAction(tr("&New run…"), this);
    newRun->setShortcut(QKeySequence::New);
    connect(newRun, &QAction::triggered, jobs_, &JobPanel::newRun);
    auto* refresh = new QAction(tr("&Refresh"), this);
    refresh->setShortcut(QKeySequence::Refresh);
    connect(refresh, &QAction::triggered, this, [this] {
        browser_->refresh();
        curves_->refresh();
        alignments_->refresh();
        results_->refresh();
        scaling_->refresh();
        perQuery_->refresh();
    });
    auto* quit = new QAction(tr("&Quit"), this);
    quit->setShortcut(QKeySequence::Quit);
    connect(quit, &QAction::triggered, this, &QWidget::close);
    auto* file = menuBar()->addMenu(tr("&File"));
    file->addAction(open);
    file->addAction(queueFile);
    file->addAction(newRun);
    file->addAction(refresh);
    file->addSeparator();
    file->addAction(quit);
    auto* view = menuBar()->addMenu(tr("&View"));
    for (const auto& name : panelNames())
        if (docks_.contains(name)) view->addAction(docks_[name]->toggleViewAction());
    auto* tools = addToolBar(tr("Runs"));
    tools->setObjectName("runsToolBar");
    tools->addAction(open);
    tools->addAction(queueFile);
    tools->addAction(newRun);
    tools->addAction(refresh);
}

void MainWindow::openDatabase() {
    if (!queue_->idle()) {
        QMessageBox::information(this, tr("Jobs are running"),
                                 tr("Wait for the queued jobs or cancel them first."));
        return;
    }
    QString path =
        QFileDialog::getOpenFileName(this, tr("Open a clirlab database"), dbPath_,
                                     tr("SQLite databases (*.db *.sqlite);;All files (*)"));
    if (path.isEmpty()) return;
    try {
        auto* next = new MainWindow(path);
        next->setAttribute(Qt::WA_DeleteOnClose);
        next->show();
        QSettings().setValue("database", path);
        close();
    } catch (const std::exception& e) {
        QMessageBox::warning(this, tr("Cannot open %1").arg(path),
                             QString::fromLocal8Bit(e.what()));
    }
}

QPixmap MainWindow::renderPanel(const QString& name, const QSize& size) {
    if (name.isEmpty()) return grab();
    QWidget* w = panel(name);
    if (!w) return {};
    if (name != "runs") {
        // A panel is shown alone, raised and at the asked size, like a floating window.
        auto* dock = docks_[name];
        dock->setFloating(true);
        dock->show();
        dock->raise();
    }
    w->resize(size);
    if (auto* dock = docks_.value(name)) dock->resize(size);
    QApplication::processEvents();
    return w->grab();
}

void MainWindow::closeEvent(QCloseEvent* event) {
    if (!queue_->idle() &&
        QMessageBox::question(this, tr("Jobs are running"),
                              tr("Quit and cancel the running job? It can be resumed later from "
                                 "its last checkpoint.")) != QMessageBox::Yes) {
        event->ignore();
        return;
    }
    QSettings settings;
    settings.setValue("window/geometry", saveGeometry());
    settings.setValue("window/state", saveState(kLayoutVersion));
    event->accept();
}

}  // namespace clir::workbench
