// Loss curves (see loss_curves_view.h).
#include "app/workbench/views/loss_curves_view.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSlider>
#include <QToolTip>
#include <qcustomplot.h>

#include <cmath>
#include <map>
#include <set>

#include "app/workbench/plots/chart_theme.h"
#include "core/eval/smoothing.h"
#include "core/store/run_store.h"

namespace clir::workbench {
LossCurvesView::LossCurvesView(store::Database& db, QWidget* parent)
    : ChartPanel(tr("Training curves"), false, parent),
      db_(db),
      metric_(new QComboBox(this)),
      smoothing_(new QSlider(Qt::Horizontal, this)),
      smoothingLabel_(new QLabel(this)),
      logY_(new QCheckBox(tr("Log y"), this)) {
    metric_->setToolTip(tr("The stored metric to plot"));
    metric_->setMinimumContentsLength(18);
    smoothing_->setRange(0, 99);
    smoothing_->setValue(60);
    smoothing_->setToolTip(
        tr("Exponential moving average weight, bias-corrected (TensorBoard's smoothing)"));
    smoothing_->setMaximumWidth(160);
    auto* c = controls();
    c->insertWidget(0, new QLabel(tr("Metric:"), this));
    c->insertWidget(1, metric_);
    c->insertWidget(2, new QLabel(tr("Smoothing:"), this));
    c->insertWidget(3, smoothing_);
    c->insertWidget(4, smoothingLabel_);
    c->insertWidget(5, logY_);

    auto* p = plot();
    p->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom | QCP::iSelectPlottables);
    p->xAxis->setLabel(tr("Training step"));
    p->yAxis->setLabel(tr("loss"));
    placeLegendBelow(*p, 3);
    p->setMouseTracking(true);

    connect(metric_, &QComboBox::currentTextChanged, this, [this] {
        lastSignature_.clear();
        rebuild();
    });
    connect(smoothing_, &QSlider::valueChanged, this, [this] {
        lastSignature_.clear();
        rebuild();
    });
    connect(logY_, &QCheckBox::toggled, this, [this] {
        lastSignature_.clear();
        rebuild();
    });
    connect(p, &QCustomPlot::mouseMove, this, [this](QMouseEvent* e) { showValueAt(e->pos()); });
    rebuild();
}

void LossCurvesView::setRuns(const QVector<qint64>& runIds) {
    if (runIds == runs_) return;
    runs_ = runIds;
    refresh();
}

void LossCurvesView::refresh() {
    // The metric chooser lists what the selected runs recorded; loss first when present.
    std::set<std::string> names;
    store::RunStore store(db_);
    for (auto id : runs_)
        for (const auto& m : store.metrics(id)) names.insert(m.name);
    QStringList items;
    if (names.count("loss")) items << "loss";
    for (const auto& n : names)
        if (n != "loss") items << QString::fromStdString(n);
    QStringList current;
    for (int i = 0; i < metric_->count(); ++i) current << metric_->itemText(i);
    if (items != current) {
        QString keep = metric_->currentText();
        QSignalBlocker block(metric_);
        metric_->clear();
        metric_->addItems(items);
        int at = metric_->findText(keep);
        metric_->setCurrentIndex(at >= 0 ? at : 0);
    }
    rebuild();
}

void LossCurvesView::rebuild() {
    const double weight = smoothing_->value() / 100.0;
    smoothingLabel_->setText(QString::number(weight, 'f', 2));
    const QString metric = metric_->currentText();
    store::RunStore store(db_);
    std::vector<std::pair<store::RunRecord, std::vector<store::MetricPoint>>> series;
    QString signature = metric + QString::number(weight) + (logY_->isChecked() ? "L" : "");
    for (auto id : runs_) {
        auto run = store.run(id);
        if (!run || metric.isEmpty()) continue;
        auto points = store.metrics(id, metric.toStdString());
        signature += QString(" %1:%2").arg(id).arg(points.size());
        series.emplace_back(*run, std::move(points));
    }
    if (signature == lastSignature_) return;  // a live refresh with nothing new
    lastSignature_ = signature;

    auto* p = plot();
    p->clearGraphs();
    p->yAxis->setLabel(metric.isEmpty() ? tr("value") : metric);
    bool log = logY_->isChecked();
    p->yAxis->setScaleType(log ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    if (log)
        p->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
    else
        p->yAxis->setTicker(QSharedPointer<QCPAxisTicker>::create());
    int colour = 0;
    for (const auto& [run, points] : series) {
        QVector<double> x, y;
        std::vector<double> values;
        for (const auto& m : points) {
            if (log && !(m.value > 0)) continue;  // a log axis cannot show zero or less
            x << double(m.step);
            values.push_back(m.value);
        }
        y = QVector<double>(values.begin(), values.end());
        const QColor c = seriesColor(colour++);
        const QString label = QString("#%1 %2").arg(run.id).arg(QString::fromStdString(run.name));
        auto* raw = p->addGraph();
        raw->setData(x, y, true);
        QColor faint = c;
        faint.setAlpha(weight > 0 ? 60 : 255);
        raw->setPen(QPen(faint, 1));
        raw->setName(label);
        // A handful of points (an evaluation metric, a run that just started) shows as dots:
        // a line through one point draws nothing.
        if (x.size() <= 20) raw->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, c, c, 6));
        raw->setProperty("runId", QVariant::fromValue<qlonglong>(run.id));
        raw->setProperty("raw", true);
        if (weight > 0) {
            raw->removeFromLegend();
            auto smooth = eval::emaSmooth(values, weight);
            auto* s = p->addGraph();
            s->setData(x, QVector<double>(smooth.begin(), smooth.end()), true);
            s->setPen(QPen(c, 2));
            s->setName(label);
            s->setProperty("runId", QVariant::fromValue<qlonglong>(run.id));
            s->setProperty("raw", false);
        }
    }
    setTitle(series.empty() ? tr("Training curves — select runs in the run browser")
                            : tr("Training curves: %1").arg(metric));
    p->rescaleAxes();
    // A single step or a constant value: open the range around it (QCustomPlot's own
    // widening of an empty range is far too wide for a MAP of 0.3).
    double xLo = 1e300, xHi = -1e300, yLo = 1e300, yHi = -1e300;
    for (int i = 0; i < p->graphCount(); ++i)
        for (auto it = p->graph(i)->data()->constBegin(); it != p->graph(i)->data()->constEnd();
             ++it) {
            xLo = std::min(xLo, it->key), xHi = std::max(xHi, it->key);
            yLo = std::min(yLo, it->value), yHi = std::max(yHi, it->value);
        }
    if (xLo <= xHi && xHi - xLo < 1e-12) p->xAxis->setRange(xLo - 1, xHi + 1);
    if (yLo <= yHi && yHi - yLo < 1e-12) {
        const double d = yLo != 0 ? std::abs(yLo) * 0.1 : 1.0;
        p->yAxis->setRange(log ? yLo / 2 : yLo - d, log ? yLo * 2 : yLo + d);
    }
    restyle();
}

int LossCurvesView::pointCount(std::int64_t runId) const {
    for (int i = 0; i < plot()->graphCount(); ++i) {
        auto* g = plot()->graph(i);
        if (g->property("runId").toLongLong() == runId && g->property("raw").toBool())
            return g->dataCount();
    }
    return -1;
}

void LossCurvesView::showValueAt(const QPoint& pos) {
    // The point nearest the cursor across the drawn curves, within 20 pixels.
    auto* p = plot();
    double best = 20 * 20;
    QString text;
    for (int i = 0; i < p->graphCount(); ++i) {
        auto* g = p->graph(i);
        for (auto it = g->data()->constBegin(); it != g->data()->constEnd(); ++it) {
            double dx = g->keyAxis()->coordToPixel(it->key) - pos.x();
            double dy = g->valueAxis()->coordToPixel(it->value) - pos.y();
            if (dx * dx + dy * dy < best) {
                best = dx * dx + dy * dy;
                text = QString("%1\nstep %2: %3%4")
                           .arg(g->name())
                           .arg(it->key)
                           .arg(it->value, 0, 'g', 6)
                           .arg(g->property("raw").toBool() ? "" : tr(" (smoothed)"));
            }
        }
    }
    if (text.isEmpty())
        QToolTip::hideText();
    else
        QToolTip::showText(p->mapToGlobal(pos), text, p);
}

}  // namespace clir::workbench
