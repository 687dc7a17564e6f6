// Alignment inspector (see alignment_view.h).
#include "app/workbench/views/alignment_view.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QThread>
#include <QVBoxLayout>
#include <QSlider>
#include <QToolTip>
#include <qcustomplot.h>

#include <algorithm>
#include <memory>
#include <set>

#include "core/train/live_alignment.h"

namespace clir::workbench {
namespace {

QSharedPointer<QCPAxisTickerText> tokenTicker(const std::vector<std::string>& tokens) {
    auto t = QSharedPointer<QCPAxisTickerText>::create();
    for (std::size_t i = 0; i < tokens.size(); ++i)
        t->addTick(double(i), QString::fromStdString(tokens[i]));
    return t;
}

}  // namespace

AlignmentView::AlignmentView(store::Database& db, QWidget* parent)
    : ChartPanel(tr("Transport plan"), false, parent),
      db_(db),
      run_(new QComboBox(this)),
      pair_(new QComboBox(this)),
      matrix_(new QComboBox(this)),
      step_(new QSlider(Qt::Horizontal, this)),
      stepLabel_(new QLabel(this)),
      argmax_(new QCheckBox(tr("Argmax"), this)),
      liveRun_(new QComboBox(this)),
      liveEnglish_(new QLineEdit(this)),
      liveOther_(new QLineEdit(this)),
      liveButton_(new QPushButton(tr("Align"), this)),
      liveStatus_(new QLabel(this)) {
    run_->setToolTip(tr("Runs that saved transport plans (OPTICAL)"));
    run_->setMinimumContentsLength(16);
    pair_->setToolTip(tr("Dev bitext pair (language:paragraph)"));
    pair_->setMinimumContentsLength(14);
    matrix_->addItem(tr("Transport plan"), "plan");
    matrix_->addItem(tr("Cost matrix"), "cost");
    step_->setToolTip(tr("Training step at which the plan was saved"));
    step_->setMinimumWidth(120);
    argmax_->setChecked(true);
    argmax_->setToolTip(tr("Mark each English token's highest-mass target token"));
    auto* c = controls();
    int i = 0;
    c->insertWidget(i++, new QLabel(tr("Run:"), this));
    c->insertWidget(i++, run_);
    c->insertWidget(i++, new QLabel(tr("Pair:"), this));
    c->insertWidget(i++, pair_);
    c->insertWidget(i++, matrix_);
    c->insertWidget(i++, new QLabel(tr("Step:"), this));
    c->insertWidget(i++, step_);
    c->insertWidget(i++, stepLabel_);
    c->insertWidget(i++, argmax_);

    // Live mode: a row under the controls.
    liveRun_->setToolTip(
        tr("Retrieval checkpoint (a finished run's best) that encodes both "
           "sentences"));
    liveRun_->setMinimumContentsLength(16);
    liveEnglish_->setPlaceholderText(tr("English sentence"));
    liveOther_->setPlaceholderText(tr("the same in another language"));
    liveButton_->setToolTip(tr("Compute the transport plan of the two sentences (eps 0.05)"));
    auto* live = new QHBoxLayout;
    live->addWidget(new QLabel(tr("Live:"), this));
    live->addWidget(liveRun_);
    live->addWidget(liveEnglish_, 1);
    live->addWidget(liveOther_, 1);
    live->addWidget(liveButton_);
    live->addWidget(liveStatus_);
    static_cast<QVBoxLayout*>(layout())->insertLayout(1, live);
    connect(liveButton_, &QPushButton::clicked, this, &AlignmentView::alignLive);
    connect(liveOther_, &QLineEdit::returnPressed, this, &AlignmentView::alignLive);

    auto* p = plot();
    map_ = new QCPColorMap(p->xAxis, p->yAxis);
    map_->setInterpolate(false);
    map_->setTightBoundary(false);
    scale_ = new QCPColorScale(p);
    p->plotLayout()->addElement(1, 1, scale_);
    scale_->setType(QCPAxis::atRight);
    map_->setColorScale(scale_);
    auto* group = new QCPMarginGroup(p);
    p->axisRect()->setMarginGroup(QCP::msBottom | QCP::msTop, group);
    scale_->setMarginGroup(QCP::msBottom | QCP::msTop, group);
    overlay_ = p->addGraph();
    overlay_->setLineStyle(QCPGraph::lsNone);
    overlay_->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle,
                                              QPen(QColor(0x00, 0xd0, 0xff), 2), Qt::NoBrush, 9));
    overlay_->setName(tr("argmax"));
    p->yAxis->setRangeReversed(true);  // the first English token on top, as it reads
    p->xAxis->setTickLabelRotation(60);
    p->xAxis->setSubTicks(false);
    p->yAxis->setSubTicks(false);
    p->xAxis->grid()->setVisible(false);
    p->yAxis->grid()->setVisible(false);
    p->setMouseTracking(true);

    connect(run_, &QComboBox::currentIndexChanged, this, [this] { loadRun(); });
    connect(pair_, &QComboBox::currentIndexChanged, this, [this] { loadPair(); });
    connect(step_, &QSlider::valueChanged, this, [this] { draw(); });
    connect(matrix_, &QComboBox::currentIndexChanged, this, [this] { draw(); });
    connect(argmax_, &QCheckBox::toggled, this, [this] { draw(); });
    connect(p, &QCustomPlot::mouseMove, this, [this](QMouseEvent* e) {
        int col = 0, row = 0;
        double key = plot()->xAxis->pixelToCoord(e->pos().x());
        double value = plot()->yAxis->pixelToCoord(e->pos().y());
        map_->data()->coordToCell(key, value, &col, &row);
        QString text = cellText(col, row);
        if (text.isEmpty())
            QToolTip::hideText();
        else
            QToolTip::showText(plot()->mapToGlobal(e->pos()), text, plot());
    });
    refresh();
}

void AlignmentView::refresh() {
    store::RunStore store(db_);
    {
        // Live mode's checkpoints: every finished run that kept a best retrieval checkpoint.
        QStringList names;
        QStringList paths;
        for (const auto& r : store.runs()) {
            if (r.status != store::RunStatus::Finished) continue;
            for (const auto& a : store.artifacts(r.id))
                if (a.kind == "best_checkpoint") {
                    names << QString("#%1 %2").arg(r.id).arg(QString::fromStdString(r.name));
                    paths << QString::fromStdString(a.path);
                }
        }
        QStringList current;
        for (int i = 0; i < liveRun_->count(); ++i) current << liveRun_->itemText(i);
        if (names != current) {
            QString keep = liveRun_->currentText();
            liveRun_->clear();
            for (int i = 0; i < names.size(); ++i) liveRun_->addItem(names[i], paths[i]);
            int at = liveRun_->findText(keep);
            liveRun_->setCurrentIndex(at >= 0 ? at : 0);
        }
        liveButton_->setEnabled(liveRun_->count() > 0);
    }
    QVector<qint64> ids;
    QStringList labels;
    for (const auto& r : store.runs())
        if (r.method.rfind("optical", 0) == 0 && !store.alignments(r.id, false).empty()) {
            ids << r.id;
            labels << QString("#%1 %2").arg(r.id).arg(QString::fromStdString(r.name));
        }
    QStringList current;
    for (int i = 0; i < run_->count(); ++i) current << run_->itemText(i);
    if (labels == current) return;
    qint64 keep = run_->currentData().toLongLong();
    {
        QSignalBlocker block(run_);
        run_->clear();
        for (int i = 0; i < ids.size(); ++i) run_->addItem(labels[i], ids[i]);
        int at = run_->findData(keep);
        run_->setCurrentIndex(at >= 0 ? at : 0);
    }
    loadRun();
}

void AlignmentView::showRun(qint64 runId) {
    int at = run_->findData(runId);
    if (at >= 0) run_->setCurrentIndex(at);
}

void AlignmentView::loadRun() {
    records_.clear();
    if (run_->currentIndex() >= 0)
        records_ = store::RunStore(db_).alignments(run_->currentData().toLongLong(), true);
    std::vector<std::string> keys;
    for (const auto& r : records_)
        if (std::find(keys.begin(), keys.end(), r.pairKey) == keys.end()) keys.push_back(r.pairKey);
    QSignalBlocker block(pair_);
    pair_->clear();
    for (const auto& k : keys) pair_->addItem(QString::fromStdString(k));
    pair_->setCurrentIndex(keys.empty() ? -1 : 0);
    loadPair();
}

void AlignmentView::loadPair() {
    pairSteps_.clear();
    const std::string key = pair_->currentText().toStdString();
    for (std::size_t i = 0; i < records_.size(); ++i)
        if (records_[i].pairKey == key) pairSteps_.push_back(i);
    std::sort(pairSteps_.begin(), pairSteps_.end(),
              [&](std::size_t a, std::size_t b) { return records_[a].step < records_[b].step; });
    QSignalBlocker block(step_);
    step_->setRange(0, std::max(0, int(pairSteps_.size()) - 1));
    step_->setValue(step_->maximum());  // the latest plan first
    step_->setEnabled(pairSteps_.size() > 1);
    draw();
}

void AlignmentView::alignLive() {
    if (liveRun_->currentIndex() < 0) return;
    const std::string checkpoint = liveRun_->currentData().toString().toStdString();
    const std::string english = liveEnglish_->text().toStdString();
    const std::string other = liveOther_->text().toStdString();
    auto result = std::make_shared<store::AlignmentRecord>();
    auto error = std::make_shared<std::string>();
    liveButton_->setEnabled(false);
    liveStatus_->setText(tr("aligning…"));
    // Loading the checkpoint and encoding take a moment: never on the UI thread.
    QThread* worker = QThread::create([=] {
        try {
            *result = train::alignSentences(checkpoint, english, other);
        } catch (const std::exception& e) {
            *error = e.what();
        }
    });
    connect(worker, &QThread::finished, this, [=] {
        worker->deleteLater();
        liveButton_->setEnabled(true);
        if (!error->empty()) {
            liveStatus_->setText(tr("failed"));
            liveStatus_->setToolTip(QString::fromStdString(*error));
            setTitle(tr("Live alignment failed: %1").arg(QString::fromStdString(*error)));
            plot()->replot();
            emit liveFinished(false);
            return;
        }
        liveStatus_->clear();
        result->pairKey = "live:" + liveRun_->currentText().toStdString();
        records_ = {*result};
        {
            QSignalBlocker block(pair_);
            pair_->clear();
            pair_->addItem(QString::fromStdString(result->pairKey));
        }
        loadPair();
        emit liveFinished(true);
    });
    worker->start();
}

const store::AlignmentRecord* AlignmentView::shown() const {
    int i = step_->value();
    return i >= 0 && i < int(pairSteps_.size()) ? &records_[pairSteps_[std::size_t(i)]] : nullptr;
}

QString AlignmentView::cellText(int column, int row) const {
    const auto* a = shown();
    if (!a || column < 0 || row < 0 || column >= int(a->targetTokens.size()) ||
        row >= int(a->sourceTokens.size()))
        return {};
    const std::size_t at = std::size_t(row) * a->targetTokens.size() + std::size_t(column);
    return tr("%1  ×  %2\nplan %3\ncost %4")
        .arg(QString::fromStdString(a->sourceTokens[std::size_t(row)]),
             QString::fromStdString(a->targetTokens[std::size_t(column)]))
        .arg(double(a->plan[at]), 0, 'g', 4)
        .arg(double(a->cost[at]), 0, 'g', 4);
}

void AlignmentView::draw() {
    auto* p = plot();
    const auto* a = shown();
    const bool cost = matrix_->currentData().toString() == "cost";
    QVector<double> ax, ay;
    if (!a) {
        map_->data()->clear();
        overlay_->data()->clear();
        stepLabel_->clear();
        setTitle(run_->count() == 0 ? tr("Transport plan — no run saved plans (run an OPTICAL "
                                         "experiment)")
                                    : tr("Transport plan"));
        restyle();
        return;
    }
    const int rows = int(a->sourceTokens.size()), cols = int(a->targetTokens.size());
    const auto& m = cost ? a->cost : a->plan;
    map_->data()->setSize(cols, rows);
    map_->data()->setRange(QCPRange(0, cols - 1), QCPRange(0, rows - 1));
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c)
            map_->data()->setCell(c, r,
                                  double(m[std::size_t(r) * std::size_t(cols) + std::size_t(c)]));
    map_->setGradient(cost ? QCPColorGradient(QCPColorGradient::gpCold).inverted()
                           : QCPColorGradient(QCPColorGradient::gpThermal));
    map_->rescaleDataRange(true);
    scale_->axis()->setLabel(cost ? tr("cost (1 − cosine)") : tr("transport mass"));
    if (argmax_->isChecked())
        for (int r = 0; r < rows; ++r) {
            auto begin = a->plan.begin() + std::ptrdiff_t(r) * cols;
            ax << double(std::max_element(begin, begin + cols) - begin);
            ay << double(r);
        }
    overlay_->setData(ax, ay);
    overlay_->setVisible(argmax_->isChecked());
    p->xAxis->setTicker(tokenTicker(a->targetTokens));
    p->yAxis->setTicker(tokenTicker(a->sourceTokens));
    const QString lang = QString::fromStdString(a->pairKey.substr(0, a->pairKey.find(':')));
    p->xAxis->setLabel(lang == "live" ? tr("other-language tokens") : tr("%1 tokens").arg(lang));
    p->yAxis->setLabel(tr("English tokens"));
    p->xAxis->setRange(-0.5, cols - 0.5);
    p->yAxis->setRange(-0.5, rows - 0.5);
    stepLabel_->setText(tr("%1").arg(a->step));
    setTitle(tr("%1 — %2, step %3")
                 .arg(cost ? tr("Cost matrix") : tr("Transport plan"),
                      QString::fromStdString(a->pairKey))
                 .arg(a->step));
    restyle();
}

}  // namespace clir::workbench
