// The workbench's job queue: experiments run one at a time on a worker thread (STYLE 3: the
// worker owns its own store connection and talks to the UI with queued signals only). Queued
// runs are recorded in the store at once, so the run browser shows them; a running job can be
// cancelled (the run ends `cancelled`, its checkpoints kept) and an interrupted, failed or
// cancelled run resumed from its last checkpoint.
#pragma once

#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <QThread>
#include <QVector>
#include <atomic>
#include <cstdint>
#include <memory>

namespace clir::config {
struct ExperimentSpec;
}

namespace clir::workbench {

class JobWorker;

class JobQueue : public QObject {
    Q_OBJECT
  public:
    explicit JobQueue(const QString& databasePath, QObject* parent = nullptr);
    ~JobQueue() override;  // cancels the running job and waits for the worker

    // Validates, resolves inputs (init.from ...) and queues; returns the run id (a file with a
    // sweep queues each of its runs and returns the first). Throws
    // config::ConfigError (naming the file and field) or std::runtime_error.
    qint64 enqueueFile(const QString& experimentPath);
    qint64 enqueue(config::ExperimentSpec spec);
    // Queues a stored interrupted, failed or cancelled run to continue from its checkpoint;
    // throws std::runtime_error naming the run when it cannot resume.
    void resume(qint64 runId);
    // Cancels the running job (it stops at its next check) or removes a queued one (its run is
    // recorded as cancelled). Returns false when the run is neither.
    bool cancel(qint64 runId);

    qint64 currentRun() const { return current_; }  // 0 when idle
    QVector<qint64> pendingRuns() const;
    double progress() const { return progress_; }
    QString message() const { return message_; }
    // Seconds left, from the progress rate so far; negative when unknown.
    double etaSeconds() const;
    // The last value of the run's `loss` metric; NaN before the first one.
    double lastLoss() const { return lastLoss_; }
    bool idle() const { return current_ == 0 && pending_.isEmpty(); }

  signals:
    void changed();  // queue, progress or current run changed
    void metric(qint64 runId, const QString& name, qint64 step, double value);
    void runEnded(qint64 runId, const QString& status, const QString& error);

  private:
    struct Pending {
        qint64 runId;
        bool resume;
    };
    void startNext();
    void onProgress(qint64 runId, double fraction, const QString& message);
    void onMetric(qint64 runId, const QString& name, qint64 step, double value);
    void onEnded(qint64 runId, const QString& status, const QString& error);
    QString dbPath_;
    QThread thread_;
    JobWorker* worker_;
    std::shared_ptr<std::atomic<bool>> cancel_;
    QVector<Pending> pending_;
    qint64 current_ = 0;
    double progress_ = 0, startProgress_ = 0;
    double lastLoss_;
    QString message_;
    QElapsedTimer clock_;
};

// Runs one stored run on the worker thread (internal to JobQueue; declared here for moc).
class JobWorker : public QObject {
    Q_OBJECT
  public:
    JobWorker(QString databasePath, std::shared_ptr<std::atomic<bool>> cancel)
        : dbPath_(std::move(databasePath)), cancel_(std::move(cancel)) {}
  public slots:
    void execute(qint64 runId, bool resume);
  signals:
    void progress(qint64 runId, double fraction, const QString& message);
    void metric(qint64 runId, const QString& name, qint64 step, double value);
    void ended(qint64 runId, const QString& status, const QString& error);

  private:
    QString dbPath_;
    std::shared_ptr<std::atomic<bool>> cancel_;
};

}  // namespace clir::workbench
