// Job queue (see job_queue.h).
#include "app/workbench/models/job_queue.h"

#include <cmath>
#include <limits>
#include <stdexcept>

#include "core/jobs/experiment.h"
#include "core/config/experiment_spec.h"
#include "core/jobs/job_factory.h"
#include "core/jobs/job_runner.h"
#include "core/store/database.h"
#include "core/store/run_store.h"

namespace clir::workbench {

void JobWorker::execute(qint64 runId, bool resume) {
    try {
        store::Database db(dbPath_.toStdString());
        auto run = store::RunStore(db).run(runId);
        if (!run) throw std::runtime_error("run " + std::to_string(runId) + " is gone");
        auto spec = jobs::experimentOfRun(*run);
        auto job = jobs::makeJob(spec);
        jobs::RunnerListener listener;
        listener.progress = [&](std::int64_t id, const jobs::Progress& p) {
            emit progress(id, p.fraction, QString::fromStdString(p.message));
        };
        listener.metric = [&](std::int64_t id, const std::string& name, std::int64_t step,
                              double value) {
            emit metric(id, QString::fromStdString(name), step, value);
        };
        auto outcome =
            jobs::JobRunner(db).execute(runId, spec, *job, cancel_.get(), listener, resume);
        emit ended(runId, QString::fromLatin1(store::toString(outcome.status)),
                   QString::fromStdString(outcome.error));
    } catch (const std::exception& e) {
        // The job could not even start (its stored config no longer parses, the store is gone):
        // record that on the run when possible.
        try {
            store::Database db(dbPath_.toStdString());
            store::RunStore(db).finish(runId, store::RunStatus::Failed, e.what());
        } catch (const std::exception&) {
        }
        emit ended(runId, "failed", QString::fromLocal8Bit(e.what()));
    }
}

JobQueue::JobQueue(const QString& databasePath, QObject* parent)
    : QObject(parent),
      dbPath_(databasePath),
      cancel_(std::make_shared<std::atomic<bool>>(false)),
      lastLoss_(std::numeric_limits<double>::quiet_NaN()) {
    worker_ = new JobWorker(databasePath, cancel_);
    worker_->moveToThread(&thread_);
    connect(&thread_, &QThread::finished, worker_, &QObject::deleteLater);
    connect(worker_, &JobWorker::progress, this, &JobQueue::onProgress, Qt::QueuedConnection);
    connect(worker_, &JobWorker::metric, this, &JobQueue::onMetric, Qt::QueuedConnection);
    connect(worker_, &JobWorker::ended, this, &JobQueue::onEnded, Qt::QueuedConnection);
    thread_.setObjectName("clirlab-jobs");
    thread_.start(QThread::LowPriority);
}

JobQueue::~JobQueue() {
    cancel_->store(true);
    thread_.requestInterruption();
    thread_.quit();
    thread_.wait();
}

qint64 JobQueue::enqueueFile(const QString& experimentPath) {
    auto experiments = jobs::loadExperiments(experimentPath.toStdString());  // all checked first
    qint64 first = -1;
    for (auto& spec : experiments) {
        const qint64 id = enqueue(std::move(spec));
        if (first < 0) first = id;
    }
    return first;
}

qint64 JobQueue::enqueue(config::ExperimentSpec spec) {
    if (spec.method == "suite")
        throw std::runtime_error(spec.source +
                                 ": a suite runs several experiments; queue its files one by one "
                                 "or run it with `clirlab run`");
    store::Database db(dbPath_.toStdString());
    jobs::JobRunner runner(db);
    runner.resolveInputs(spec);
    jobs::makeJob(spec);  // the job's own checks, before anything is recorded
    qint64 id = runner.enqueue(spec);
    pending_.push_back({id, false});
    startNext();
    emit changed();
    return id;
}

void JobQueue::resume(qint64 runId) {
    store::Database db(dbPath_.toStdString());
    store::RunStore runs(db);
    runs.recoverInterrupted();
    auto r = runs.run(runId);
    if (!r) throw std::runtime_error("no run " + std::to_string(runId));
    for (const auto& p : pending_)
        if (p.runId == runId)
            throw std::runtime_error("run " + std::to_string(runId) + " is queued");
    if (!store::isResumable(r->status))
        throw std::runtime_error("run " + std::to_string(runId) + " is " +
                                 store::toString(r->status) +
                                 "; only interrupted, failed or cancelled runs resume");
    pending_.push_back({runId, true});
    startNext();
    emit changed();
}

bool JobQueue::cancel(qint64 runId) {
    if (runId == current_) {
        cancel_->store(true);
        message_ = tr("cancelling…");
        emit changed();
        return true;
    }
    for (int i = 0; i < pending_.size(); ++i)
        if (pending_[i].runId == runId) {
            bool wasResume = pending_[i].resume;
            pending_.remove(i);
            if (!wasResume) {  // a fresh run never started: it ends here
                store::Database db(dbPath_.toStdString());
                store::RunStore runs(db);
                runs.markRunning(runId, store::ProcessIdentity::current());
                runs.finish(runId, store::RunStatus::Cancelled, "cancelled before it started");
            }
            emit changed();
            return true;
        }
    return false;
}

QVector<qint64> JobQueue::pendingRuns() const {
    QVector<qint64> out;
    for (const auto& p : pending_) out << p.runId;
    return out;
}

double JobQueue::etaSeconds() const {
    if (current_ == 0 || !clock_.isValid()) return -1;
    const double done = progress_ - startProgress_, elapsed = clock_.elapsed() / 1000.0;
    if (done <= 0.005 || elapsed < 2) return -1;
    return elapsed * (1.0 - progress_) / done;
}

void JobQueue::startNext() {
    if (current_ != 0 || pending_.isEmpty()) return;
    auto next = pending_.takeFirst();
    current_ = next.runId;
    cancel_->store(false);
    progress_ = startProgress_ = 0;
    lastLoss_ = std::numeric_limits<double>::quiet_NaN();
    message_ = next.resume ? tr("resuming…") : tr("starting…");
    clock_.start();
    QMetaObject::invokeMethod(worker_, "execute", Qt::QueuedConnection, Q_ARG(qint64, next.runId),
                              Q_ARG(bool, next.resume));
}

void JobQueue::onProgress(qint64 runId, double fraction, const QString& message) {
    if (runId != current_) return;
    if (progress_ == 0 && startProgress_ == 0 && fraction > 0) {
        // A resumed run starts part-way: the rate counts from here.
        startProgress_ = fraction;
        clock_.restart();
    }
    progress_ = fraction;
    if (!cancel_->load()) message_ = message;
    emit changed();
}

void JobQueue::onMetric(qint64 runId, const QString& name, qint64 step, double value) {
    if (runId == current_ && name == "loss") lastLoss_ = value;
    emit metric(runId, name, step, value);
}

void JobQueue::onEnded(qint64 runId, const QString& status, const QString& error) {
    if (runId == current_) current_ = 0;
    emit runEnded(runId, status, error);
    startNext();
    emit changed();
}

}  // namespace clir::workbench
