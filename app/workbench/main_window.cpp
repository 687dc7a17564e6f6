// Main window (see main_window.h).
#include "app/workbench/main_window.h"

#include <QAction>
#include <QApplication>
#include <QLabel>
#include <QMenuBar>
#include <QStatusBar>
#include <QSplitter>
#include <QTableView>
#include <QToolBar>

#include "app/workbench/models/run_table_model.h"
#include "app/workbench/views/run_browser.h"
#include "app/workbench/views/run_details.h"
#include "core/store/database.h"
#include "core/store/run_store.h"

namespace clir::workbench {

MainWindow::MainWindow(const QString& databasePath, QWidget* parent)
    : QMainWindow(parent), db_(std::make_unique<store::Database>(databasePath.toStdString())) {
    store::RunStore(*db_).recoverInterrupted();
    setWindowTitle(tr("clirlab workbench — %1").arg(databasePath));
    browser_ = new RunBrowser(*db_, this);
    details_ = new RunDetails(*db_, this);
    auto* split = new QSplitter(Qt::Vertical, this);
    split->addWidget(browser_);
    split->addWidget(details_);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 2);
    setCentralWidget(split);
    connect(browser_, &RunBrowser::runSelected, details_, &RunDetails::showRun);

    auto* refresh = new QAction(tr("&Refresh"), this);
    refresh->setShortcut(QKeySequence::Refresh);
    connect(refresh, &QAction::triggered, browser_, &RunBrowser::refresh);
    auto* quit = new QAction(tr("&Quit"), this);
    quit->setShortcut(QKeySequence::Quit);
    connect(quit, &QAction::triggered, qApp, &QApplication::quit);
    auto* file = menuBar()->addMenu(tr("&File"));
    file->addAction(refresh);
    file->addSeparator();
    file->addAction(quit);
    auto* tools = addToolBar(tr("Runs"));
    tools->setObjectName("runsToolBar");
    tools->addAction(refresh);

    auto* counts = new QLabel(this);
    statusBar()->addPermanentWidget(counts);
    connect(browser_, &RunBrowser::countsChanged, counts, [counts](int shown, int total) {
        counts->setText(tr("%1 of %2 runs").arg(shown).arg(total));
    });
    browser_->refresh();
    browser_->selectRow(0);
    statusBar()->showMessage(tr("Database: %1").arg(databasePath));
    resize(1200, 800);
}

MainWindow::~MainWindow() = default;

}  // namespace clir::workbench
