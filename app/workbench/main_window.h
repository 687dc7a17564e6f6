// The workbench's main window: the run browser in the middle and dockable panels around it (run
// details, jobs, training curves, alignments, results, per-query differences, scaling) whose layout
// is remembered (QSettings). Everything long runs on the job queue's worker thread.
#pragma once

#include <QMainWindow>
#include <QMap>
#include <memory>

namespace clir::store {
class Database;
}

class QDockWidget;
class QTimer;

namespace clir::workbench {

class AlignmentView;
class JobPanel;
class JobQueue;
class LossCurvesView;
class PerQueryView;
class ResultsView;
class RunBrowser;
class RunDetails;
class ScalingView;

class MainWindow : public QMainWindow {
    Q_OBJECT
  public:
    // restoreLayout false ignores the remembered layout (screenshots and tests).
    explicit MainWindow(const QString& databasePath, bool restoreLayout = true,
                        QWidget* parent = nullptr);
    ~MainWindow() override;

    RunBrowser* runBrowser() const { return browser_; }
    RunDetails* runDetails() const { return details_; }
    JobPanel* jobPanel() const { return jobs_; }
    JobQueue* jobQueue() const { return queue_; }
    LossCurvesView* lossCurves() const { return curves_; }
    AlignmentView* alignments() const { return alignments_; }
    ResultsView* results() const { return results_; }
    ScalingView* scaling() const { return scaling_; }
    PerQueryView* perQuery() const { return perQuery_; }
    QString databasePath() const { return dbPath_; }

    // Panel names: runs, details, jobs, curves, alignments, results, perquery, scaling.
    static QStringList panelNames();
    QWidget* panel(const QString& name) const;
    // Renders the whole window (empty name) or one panel at `size` (panels only).
    QPixmap renderPanel(const QString& name, const QSize& size = QSize(1200, 640));

  public slots:
    void openDatabase();  // a file dialog, then a new window on the chosen database

  protected:
    void closeEvent(QCloseEvent* event) override;

  private:
    QDockWidget* addPanel(const QString& name, const QString& title, QWidget* widget,
                          Qt::DockWidgetArea area);
    void buildMenus();
    QString dbPath_;
    std::unique_ptr<store::Database> db_;
    JobQueue* queue_;
    RunBrowser* browser_;
    RunDetails* details_;
    JobPanel* jobs_;
    LossCurvesView* curves_;
    AlignmentView* alignments_;
    ResultsView* results_;
    ScalingView* scaling_;
    PerQueryView* perQuery_;
    QMap<QString, QDockWidget*> docks_;
    QTimer* live_;
    bool wasRunning_ = false;  // a selected run was running at the last live tick
};

}  // namespace clir::workbench
