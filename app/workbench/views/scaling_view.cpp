// Scaling chart (see scaling_view.h).
#include "app/workbench/views/scaling_view.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <qcustomplot.h>

#include <cmath>
#include <map>
#include <set>

#include "app/workbench/models/number_table_model.h"
#include "app/workbench/plots/chart_theme.h"
#include "core/jobs/methods.h"
#include "core/model/encoder_config.h"
#include "core/store/run_store.h"
#include "core/train/retrieval_settings.h"

namespace clir::workbench {

ScalingView::ScalingView(store::Database& db, QWidget* parent)
    : ChartPanel(tr("Scaling"), true, parent),
      db_(db),
      measure_(new QComboBox(this)),
      querySet_(new QComboBox(this)) {
    measure_->addItems(chartMeasures());
    // "+bm25": the neural run fused with BM25 (retrieval.fusion); BM25 runs have no such set.
    querySet_->addItems({"entries", "headings", "entries+bm25", "headings+bm25"});
    auto* c = controls();
    c->insertWidget(0, new QLabel(tr("Measure:"), this));
    c->insertWidget(1, measure_);
    c->insertWidget(2, new QLabel(tr("Queries:"), this));
    c->insertWidget(3, querySet_);
    auto* p = plot();
    p->xAxis->setScaleType(QCPAxis::stLogarithmic);
    auto log = QSharedPointer<QCPAxisTickerLog>::create();
    p->xAxis->setTicker(log);
    p->xAxis->setNumberFormat("eb");
    p->xAxis->setNumberPrecision(0);
    log->setSubTickCount(8);
    p->xAxis->setLabel(tr("Encoder parameters (log scale)"));
    placeLegendBelow(*p, 4);
    p->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    for (auto* box : {measure_, querySet_})
        connect(box, &QComboBox::currentIndexChanged, this, [this] { refresh(); });
    refresh();
}

void ScalingView::refresh() {
    // Every experiment's latest finished run with a model preset and per-query results.
    const QVector<qint64> ids = latestFinishedRuns(db_);
    const std::string measure = measure_->currentText().toStdString();
    auto compared = compareStoredRuns(db_, ids, measure, querySet_->currentText().toStdString(), 0);
    struct Point {
        double params, mean, gap;
        QString label;
    };
    std::map<std::string, std::vector<Point>> byMethod;
    QStringList rows;
    QVector<QVector<NumberTableModel::Cell>> cells;
    const auto& c = compared.comparison;
    for (std::size_t r = 0; r < compared.runIds.size(); ++r) {
        // Encoder methods only: BM25 has no encoder, and an NMT run's size is its translator's.
        if (compared.presets[r].empty() || !jobs::isRetrievalMethod(compared.methods[r])) continue;
        double params = 0;
        try {
            params =
                double(model::countParameters(model::presetConfig(compared.presets[r])).encoder());
        } catch (const std::exception&) {
            continue;  // a preset this build does not know
        }
        double low = compared.groupMean(r, "low"), high = compared.groupMean(r, "high");
        double mean = (low + high) / 2, gap = c.gap.size() > r ? c.gap[r] : std::nan("");
        if (std::isnan(mean)) continue;
        byMethod[compared.methods[r]].push_back(
            {params, mean, gap, QString::fromStdString(c.labels[r])});
        rows << QString::fromStdString(c.labels[r]);
        auto num = [](double v) { return QString::number(v, 'f', 4); };
        cells << QVector<NumberTableModel::Cell>{
            {QString::fromStdString(compared.methods[r]), std::nan(""), {}},
            {QString::fromStdString(compared.presets[r]), params, {}},
            {QString::number(params / 1e6, 'f', 2) + " M", params, {}},
            {num(mean), mean, {}},
            {num(gap), gap, {}}};
    }
    table()->setTable(tr("Run"),
                      {tr("method"), tr("preset"), tr("parameters"), tr("mean (low, high)"),
                       tr("gap (high − low)")},
                      rows, cells);

    auto* p = plot();
    p->clearGraphs();
    p->yAxis->setLabel(QString::fromStdString(measure) + tr(" (solid: mean; dashed: gap)"));
    int colour = 0;
    double lo = 1e300, hi = 0;
    for (auto& [method, points] : byMethod) {
        std::sort(points.begin(), points.end(),
                  [](const Point& a, const Point& b) { return a.params < b.params; });
        QVector<double> x, mean, gap;
        for (const auto& pt : points) {
            x << pt.params;
            mean << pt.mean;
            gap << pt.gap;
            lo = std::min(lo, pt.params);
            hi = std::max(hi, pt.params);
        }
        QColor col = seriesColor(colour++);
        auto* g = p->addGraph();
        g->setData(x, mean, true);
        g->setPen(QPen(col, 2));
        g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, col, col, 8));
        g->setName(QString::fromStdString(method) + tr(" mean"));
        auto* d = p->addGraph();
        d->setData(x, gap, true);
        d->setPen(QPen(col, 1.5, Qt::DashLine));
        d->setScatterStyle(
            QCPScatterStyle(QCPScatterStyle::ssTriangle, QPen(col, 1.5), QBrush(Qt::NoBrush), 9));
        d->setName(QString::fromStdString(method) + tr(" gap"));
    }
    p->rescaleAxes();
    // The x range spans every preset this build knows (xs to XL), so one size's points sit where
    // the larger models will go, with decade ticks.
    for (const auto& preset : model::presetNames()) {
        double n = double(model::countParameters(model::presetConfig(preset)).encoder());
        lo = std::min(lo, n);
        hi = std::max(hi, n);
    }
    p->xAxis->setRange(std::pow(10.0, std::floor(std::log10(lo / 2))),
                       std::pow(10.0, std::ceil(std::log10(hi))));
    auto yr = p->yAxis->range();
    p->yAxis->setRange(std::min(0.0, yr.lower) - 0.005, yr.upper * 1.15 + 0.005);
    setTitle(
        byMethod.empty()
            ? tr("Scaling — no finished neural run has per-query %1").arg(measure_->currentText())
            : tr("Scaling: %1 and the high − low gap against model size")
                  .arg(measure_->currentText()));
    restyle();
}

}  // namespace clir::workbench
