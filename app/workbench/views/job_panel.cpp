// Job panel (see job_panel.h).
#include "app/workbench/views/job_panel.h"

#include <QFileDialog>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QListView>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QStringListModel>
#include <QVBoxLayout>

#include <cmath>

#include "app/workbench/models/job_queue.h"
#include "app/workbench/views/new_run_dialog.h"
#include "core/store/run_store.h"

namespace clir::workbench {
namespace {

QString duration(double seconds) {
    if (seconds < 0) return QObject::tr("ETA —");
    int s = int(std::lround(seconds));
    if (s >= 3600) return QObject::tr("ETA %1 h %2 min").arg(s / 3600).arg((s % 3600) / 60);
    if (s >= 60) return QObject::tr("ETA %1 min %2 s").arg(s / 60).arg(s % 60);
    return QObject::tr("ETA %1 s").arg(s);
}

QString runLabel(store::Database& db, qint64 id) {
    auto r = store::RunStore(db).run(id);
    return r ? QString("#%1 %2 (%3)")
                   .arg(id)
                   .arg(QString::fromStdString(r->name), QString::fromStdString(r->method))
             : QString("#%1").arg(id);
}

}  // namespace

JobPanel::JobPanel(store::Database& db, JobQueue& queue, QWidget* parent)
    : QWidget(parent),
      db_(db),
      queue_(queue),
      status_(new QLabel(this)),
      eta_(new QLabel(this)),
      loss_(new QLabel(this)),
      bar_(new QProgressBar(this)),
      cancel_(new QPushButton(tr("Cancel"), this)),
      resume_(new QPushButton(tr("Resume selected"), this)),
      pending_(new QStringListModel(this)) {
    auto* open = new QPushButton(tr("Open experiment…"), this);
    open->setToolTip(tr("Queue an experiments/*.json file"));
    auto* create = new QPushButton(tr("New run…"), this);
    create->setToolTip(tr("Build an experiment in a form generated from the config schema"));
    resume_->setToolTip(
        tr("Continue the selected interrupted, failed or cancelled run from its last checkpoint"));
    cancel_->setToolTip(tr("Stop the running job; its run ends cancelled, checkpoints kept"));
    bar_->setRange(0, 1000);
    bar_->setFormat("%p%");
    status_->setWordWrap(true);
    auto* pendingView = new QListView(this);
    pendingView->setModel(pending_);
    pendingView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    pendingView->setMaximumHeight(90);

    auto* buttons = new QHBoxLayout;
    buttons->addWidget(open);
    buttons->addWidget(create);
    buttons->addWidget(resume_);
    buttons->addStretch(1);
    auto* running = new QHBoxLayout;
    running->addWidget(bar_, 1);
    running->addWidget(cancel_);
    auto* facts = new QHBoxLayout;
    facts->addWidget(eta_);
    facts->addWidget(loss_);
    facts->addStretch(1);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(buttons);
    layout->addWidget(status_);
    layout->addLayout(running);
    layout->addLayout(facts);
    layout->addWidget(new QLabel(tr("Queued:"), this));
    layout->addWidget(pendingView);
    layout->addStretch(1);

    connect(open, &QPushButton::clicked, this, &JobPanel::openExperiment);
    connect(create, &QPushButton::clicked, this, &JobPanel::newRun);
    connect(cancel_, &QPushButton::clicked, this, [this] {
        if (queue_.currentRun()) queue_.cancel(queue_.currentRun());
    });
    connect(resume_, &QPushButton::clicked, this, [this] {
        try {
            queue_.resume(selected_);
        } catch (const std::exception& e) {
            qWarning("cannot resume: %s", e.what());
            QMessageBox::warning(this, tr("Cannot resume"), QString::fromLocal8Bit(e.what()));
        }
    });
    connect(&queue_, &JobQueue::changed, this, &JobPanel::update);
    update();
}

void JobPanel::setSelectedRun(qint64 runId) {
    selected_ = runId;
    update();
}

void JobPanel::openExperiment() {
    QString path = QFileDialog::getOpenFileName(this, tr("Queue an experiment"), "experiments",
                                                tr("Experiments (*.json)"));
    if (path.isEmpty()) return;
    try {
        emit queued(queue_.enqueueFile(path));
    } catch (const std::exception& e) {
        QMessageBox::warning(this, tr("Cannot queue %1").arg(path),
                             QString::fromLocal8Bit(e.what()));
    }
}

void JobPanel::newRun() {
    NewRunDialog dialog(this);
    while (dialog.exec() == QDialog::Accepted) {
        try {
            emit queued(queue_.enqueue(dialog.experiment()));
            return;
        } catch (const std::exception& e) {
            // Inputs that only the store can check (init.from naming a run) come back here.
            dialog.showError(QString::fromLocal8Bit(e.what()));
        }
    }
}

void JobPanel::update() {
    const qint64 current = queue_.currentRun();
    if (current) {
        status_->setText(tr("Running %1: %2").arg(runLabel(db_, current), queue_.message()));
        bar_->setValue(int(std::lround(1000 * queue_.progress())));
        eta_->setText(duration(queue_.etaSeconds()));
        double loss = queue_.lastLoss();
        loss_->setText(std::isnan(loss) ? QString() : tr("loss %1").arg(loss, 0, 'f', 4));
    } else {
        status_->setText(tr("No job running. Queue an experiment file or build a new run."));
        bar_->setValue(0);
        eta_->clear();
        loss_->clear();
    }
    cancel_->setEnabled(current != 0);
    QStringList pending;
    for (auto id : queue_.pendingRuns()) pending << runLabel(db_, id);
    pending_->setStringList(pending);
    bool resumable = false;
    if (selected_ && selected_ != current && !queue_.pendingRuns().contains(selected_))
        if (auto r = store::RunStore(db_).run(selected_)) resumable = store::isResumable(r->status);
    resume_->setEnabled(resumable);
}

}  // namespace clir::workbench
