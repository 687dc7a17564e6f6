// The job panel: the running job's progress bar, ETA, message and latest loss with a cancel
// button, the queue behind it, and the buttons that start work: open an experiment file, build a
// new run in a form, resume the run selected in the browser.
#pragma once

#include <QWidget>

class QLabel;
class QListView;
class QProgressBar;
class QPushButton;
class QStringListModel;

namespace clir::store {
class Database;
}

namespace clir::workbench {

class JobQueue;

class JobPanel : public QWidget {
    Q_OBJECT
  public:
    JobPanel(store::Database& db, JobQueue& queue, QWidget* parent = nullptr);

    QProgressBar* progressBar() const { return bar_; }
    QPushButton* cancelButton() const { return cancel_; }
    QPushButton* resumeButton() const { return resume_; }
    QLabel* statusLabel() const { return status_; }
    QLabel* etaLabel() const { return eta_; }

  public slots:
    void setSelectedRun(qint64 runId);  // what the resume button acts on
    void openExperiment();              // file dialog, then queue
    void newRun();                      // the form, then queue
    void update();

  signals:
    void queued(qint64 runId);

  private:
    store::Database& db_;
    JobQueue& queue_;
    qint64 selected_ = 0;
    QLabel *status_, *eta_, *loss_;
    QProgressBar* bar_;
    QPushButton *cancel_, *resume_;
    QStringListModel* pending_;
};

}  // namespace clir::workbench
