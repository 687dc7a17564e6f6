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
namespace {

// Parameter counts in millions ("35.8 M") on the linear axis of a narrow ladder.
class MillionsTicker : public QCPAxisTicker {
  protected:
    QString getTickLabel(double tick, const QLocale& locale, QChar, int) override {
        const double step = tickStep();
        const int decimals = step >= 1e6 ? 0 : step >= 1e5 ? 1 : 2;
        return locale.toString(tick / 1e6, 'f', decimals) + " M";
    }
    double tickStep() const { return step_; }
    double getTickStep(const QCPRange& range) override {
        step_ = QCPAxisTicker::getTickStep(range);
        return step_;
    }

  private:
    double step_ = 1e6;
};

}  // namespace

// Parameters on a log axis with decade ticks.
static void useLogAxis(QCustomPlot& p) {
    p.xAxis->setScaleType(QCPAxis::stLogarithmic);
    auto log = QSharedPointer<QCPAxisTickerLog>::create();
    log->setSubTickCount(8);
    p.xAxis->setTicker(log);
    p.xAxis->setNumberFormat("eb");
    p.xAxis->setNumberPrecision(0);
    p.xAxis->setLabel(QObject::tr("Encoder parameters (log scale)"));
}

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
    useLogAxis(*p);
    placeLegendBelow(*p, 4);
    p->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    for (auto* box : {measure_, querySet_})
        connect(box, &QComboBox::currentIndexChanged, this, [this] { refresh(); });
    refresh();
}

void ScalingView::setRuns(const QVector<qint64>& runIds) {
    runs_ = runIds;
    refresh();
}

void ScalingView::refresh() {
    // Every experiment's latest finished run with a model preset and per-query results.
    const QVector<qint64> ids = runs_.isEmpty() ? latestFinishedRuns(db_) : runs_;
    const std::string measure = measure_->currentText().toStdString();
    auto compared = compareStoredRuns(db_, ids, measure, querySet_->currentText().toStdString(), 0);
    struct Point {
        double params, mean, gap, sdMean = 0, sdGap = 0;
        std::vector<double> seedMean;  // each seed's mean (empty: not every seed has both groups)
        QString label;
        std::vector<std::int64_t> seeds;  // the seed of each entry of seedMean
    };
    std::map<std::string, std::vector<Point>> byMethod;
    QStringList rows;
    QVector<QVector<NumberTableModel::Cell>> cells;
    const auto& c = compared.comparison;
    auto num = [](double v) { return std::isnan(v) ? QString("—") : QString::number(v, 'f', 4); };
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
        Point pt{params,
                 mean,
                 gap,
                 0,
                 0,
                 compared.seedOverall(r),
                 QString::fromStdString(c.labels[r]),
                 compared.seeds[r]};
        const auto gaps = compared.seedGap(r);
        if (pt.seedMean.size() > 1) {  // the spread over seeds of the row's own means
            pt.sdMean = eval::sampleSd(pt.seedMean);
            pt.sdGap = eval::sampleSd(gaps);
        }
        byMethod[compared.methods[r]].push_back(pt);
        rows << pt.label;
        const QString seeds =
            pt.seedMean.size() > 1 ? QString(" ± %1").arg(pt.sdMean, 0, 'f', 4) : QString();
        cells << QVector<NumberTableModel::Cell>{
            {QString::fromStdString(compared.methods[r]), std::nan(""), {}},
            {QString::fromStdString(compared.presets[r]), params, {}},
            {QString::number(params / 1e6, 'f', 2) + " M", params, {}},
            {num(mean) + seeds, mean, {}},
            {num(gap) +
                 (pt.seedMean.size() > 1 ? QString(" ± %1").arg(pt.sdGap, 0, 'f', 4) : QString()),
             gap,
             {}}};
    }

    auto* p = plot();
    p->clearGraphs();
    p->clearPlottables();
    fits_.clear();
    p->yAxis->setLabel(QString::fromStdString(measure) +
                       tr(" (solid: mean; dashed: gap; dotted: fit)"));
    int colour = 0;
    double lo = 1e300, hi = 0;
    for (auto& [method, points] : byMethod) {
        std::sort(points.begin(), points.end(),
                  [](const Point& a, const Point& b) { return a.params < b.params; });
        QVector<double> x, mean, gap, sdMean, sdGap;
        bool spread = false;
        for (const auto& pt : points) {
            x << pt.params;
            mean << pt.mean;
            gap << pt.gap;
            sdMean << pt.sdMean;
            sdGap << pt.sdGap;
            spread = spread || pt.seedMean.size() > 1;
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
        if (spread) {  // ± one sd over seeds on both
            for (auto [graph, sd] : {std::pair{g, sdMean}, std::pair{d, sdGap}}) {
                auto* errors = new QCPErrorBars(p->xAxis, p->yAxis);
                errors->removeFromLegend();
                errors->setDataPlottable(graph);
                errors->setData(sd);
                errors->setPen(QPen(col.darker(130), 1.2));
            }
        }
        // The fitted line: mean against log10(parameters), its slope per decade, and the spread
        // of the slope over seeds (each seed present at every size fitted on its own, paired by
        // seed number).
        Fit fit;
        fit.method = method;
        std::vector<double> lx, ly;
        for (const auto& pt : points) {
            lx.push_back(std::log10(pt.params));
            ly.push_back(pt.mean);
        }
        if (!eval::fitLine(lx, ly, fit.intercept, fit.slope)) continue;
        std::vector<std::vector<std::pair<std::int64_t, double>>> bySeed;
        for (const auto& pt : points) {
            bySeed.emplace_back();
            for (std::size_t k = 0; k < pt.seedMean.size() && k < pt.seeds.size(); ++k)
                bySeed.back().push_back({pt.seeds[k], pt.seedMean[k]});
        }
        const auto slopes = eval::perSeedSlopes(lx, bySeed);
        fit.seeds = slopes.size();
        fit.slopeSd = slopes.size() > 1 ? eval::sampleSd(slopes) : std::nan("");
        auto* line = p->addGraph();
        const double x0 = points.front().params, x1 = points.back().params;
        line->setData(QVector<double>{x0, x1},
                      QVector<double>{fit.intercept + fit.slope * std::log10(x0),
                                      fit.intercept + fit.slope * std::log10(x1)});
        line->setPen(QPen(col.lighter(115), 1.5, Qt::DotLine));
        line->setName(
            QString::fromStdString(method) +
            tr(" fit: %1%2 per decade").arg(fit.slope >= 0 ? "+" : "").arg(fit.slope, 0, 'f', 4) +
            (fit.seeds > 1 ? tr(" ± %1 (%2 seeds)").arg(fit.slopeSd, 0, 'f', 4).arg(fit.seeds)
                           : QString()));
        fits_.push_back(fit);
        rows << tr("%1: fitted slope per decade").arg(QString::fromStdString(method));
        cells << QVector<NumberTableModel::Cell>{
            {QString::fromStdString(method), std::nan(""), {}},
            {tr("fit"), std::nan(""), {}},
            {QString(), std::nan(""), {}},
            {QString("%1%2").arg(fit.slope >= 0 ? "+" : "").arg(fit.slope, 0, 'f', 4) +
                 (fit.seeds > 1 ? QString(" ± %1").arg(fit.slopeSd, 0, 'f', 4) : QString()),
             fit.slope,
             tr("least squares of the mean against log10(parameters); ± sd of the slope fitted "
                "per seed")},
            {QString(), std::nan(""), {}}};
    }
    table()->setTable(tr("Run"),
                      {tr("method"), tr("preset"), tr("parameters"), tr("mean (low, high)"),
                       tr("gap (high − low)")},
                      rows, cells);
    p->rescaleAxes();
    // Points at two sizes or more: the x range spans just them, on a linear axis when they lie
    // within one decade (the lexical ladder: 35.7 M to 36.5 M, where a log axis would show no
    // tick and stack the points), else on a log axis with decade ticks. No point or one size:
    // every preset this build knows (xs to XL), so one size sits where the larger models will go.
    const bool fitted = lo < hi;
    if (!fitted) {
        for (const auto& preset : model::presetNames()) {
            double n = double(model::countParameters(model::presetConfig(preset)).encoder());
            lo = std::min(lo, n);
            hi = std::max(hi, n);
        }
    }
    if (fitted && hi < lo * 10) {
        p->xAxis->setScaleType(QCPAxis::stLinear);
        p->xAxis->setTicker(QSharedPointer<MillionsTicker>::create());
        p->xAxis->setLabel(tr("Encoder parameters"));
        const double pad = std::max((hi - lo) * 0.15, lo * 0.002);
        p->xAxis->setRange(lo - pad, hi + pad);
    } else {
        if (p->xAxis->scaleType() != QCPAxis::stLogarithmic) useLogAxis(*p);
        if (fitted)
            p->xAxis->setRange(lo / 1.25, hi * 1.25);
        else
            p->xAxis->setRange(std::pow(10.0, std::floor(std::log10(lo / 2))),
                               std::pow(10.0, std::ceil(std::log10(hi))));
    }
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
