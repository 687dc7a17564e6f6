// Results chart (see results_view.h).
#include "app/workbench/views/results_view.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <qcustomplot.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "app/workbench/models/number_table_model.h"
#include "app/workbench/plots/chart_theme.h"
#include "core/data/corpus_reader.h"
#include "core/store/run_store.h"

namespace clir::workbench {
namespace {

QString cellText(double v) {
    return std::isnan(v) ? QString("—") : QString::number(v, 'f', 4);
}

}  // namespace

ResultsView::ResultsView(store::Database& db, QWidget* parent)
    : ChartPanel(tr("Per-language results"), true, parent),
      db_(db),
      measure_(new QComboBox(this)),
      querySet_(new QComboBox(this)),
      baseline_(new QComboBox(this)) {
    measure_->addItems(chartMeasures());
    // "+bm25": the neural run fused with BM25 (retrieval.fusion); BM25 runs have no such set.
    querySet_->addItems(
        {"entries", "headings", "entries+bm25", "headings+bm25", "entries@all", "headings@all"});
    querySet_->setToolTip(
        tr("Query set: index entries or section headings; +bm25: neural runs fused with BM25 "
           "(z-scores, weight chosen on dev queries); @all: ranked in the pool of every "
           "language's pages (evaluation.pool all)"));
    baseline_->setToolTip(
        tr("Runs marked ★ differ from this baseline (paired randomisation test, p < 0.05 after "
           "Bonferroni correction across languages)"));
    baseline_->setMinimumContentsLength(16);
    auto* c = controls();
    int i = 0;
    c->insertWidget(i++, new QLabel(tr("Measure:"), this));
    c->insertWidget(i++, measure_);
    c->insertWidget(i++, new QLabel(tr("Queries:"), this));
    c->insertWidget(i++, querySet_);
    c->insertWidget(i++, new QLabel(tr("Baseline:"), this));
    c->insertWidget(i++, baseline_);

    auto* p = plot();
    group_ = new QCPBarsGroup(p);
    group_->setSpacingType(QCPBarsGroup::stAbsolute);
    group_->setSpacing(1);
    placeLegendBelow(*p, 3);
    p->xAxis->setSubTicks(false);
    p->xAxis->setTickLength(0, 4);
    p->xAxis->grid()->setVisible(false);
    p->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    p->axisRect()->setRangeDrag(Qt::Vertical);
    p->axisRect()->setRangeZoom(Qt::Vertical);

    for (auto* box : {measure_, querySet_, baseline_})
        connect(box, &QComboBox::currentIndexChanged, this, [this] { rebuild(); });
    refresh();
}

void ResultsView::setRuns(const QVector<qint64>& runIds) {
    selected_ = runIds;
    refresh();
}

QVector<qint64> ResultsView::candidates() const {
    store::RunStore store(db_);
    int withResults = 0;
    for (auto id : selected_) withResults += !store.results(id).empty();
    if (withResults >= 2) {  // in the order they were run, whatever the table's sorting
        auto ids = selected_;
        std::sort(ids.begin(), ids.end());
        return ids;
    }
    QVector<qint64> all;  // runs without results (a corpus build) have no bars
    for (auto id : latestFinishedRuns(db_))
        if (!store.results(id).empty()) all << id;
    return all;
}

void ResultsView::refresh() {
    // The baseline chooser lists the candidates; the previous choice is kept when still there.
    auto ids = candidates();
    store::RunStore store(db_);
    QStringList labels;
    for (auto id : ids)
        if (auto r = store.run(id)) labels << QString("#%1 %2").arg(id).arg(r->name.c_str());
    QStringList current;
    for (int i = 1; i < baseline_->count(); ++i) current << baseline_->itemText(i);
    if (labels != current) {
        qint64 keep = baseline_->currentData().toLongLong();
        QSignalBlocker block(baseline_);
        baseline_->clear();
        baseline_->addItem(tr("none"), 0);
        for (int i = 0; i < ids.size(); ++i) baseline_->addItem(labels[i], ids[i]);
        int at = baseline_->findData(keep);
        baseline_->setCurrentIndex(at > 0 ? at : 0);
    }
    rebuild();
}

void ResultsView::setBaseline(qint64 runId) {
    int at = baseline_->findData(runId);
    baseline_->setCurrentIndex(at > 0 ? at : 0);
}

void ResultsView::rebuild() {
    auto* p = plot();
    p->clearPlottables();
    p->clearItems();
    bars_.clear();
    markers_ = 0;
    const std::string measure = measure_->currentText().toStdString();
    compared_ =
        compareStoredRuns(db_, candidates(), measure, querySet_->currentText().toStdString(),
                          baseline_->currentData().toLongLong());
    const auto& c = compared_.comparison;

    // x positions: low-resource languages, a gap, high-resource ones, a gap, the rest.
    QVector<double> ticks;
    QVector<QString> tickLabels;
    std::string lastGroup;
    double x = 0;
    std::map<std::string, std::pair<double, double>> groupSpan;
    for (const auto& lang : c.languages) {
        const std::string g = data::resourceGroup(lang);
        x += (lastGroup.empty() || g == lastGroup) ? 1.0 : 1.8;
        lastGroup = g;
        ticks << x;
        tickLabels << QString::fromStdString(lang);
        auto& span = groupSpan[g];
        if (span.first == 0) span.first = x;
        span.second = x;
    }
    auto ticker = QSharedPointer<QCPAxisTickerText>::create();
    ticker->addTicks(ticks, tickLabels);
    p->xAxis->setTicker(ticker);
    p->xAxis->setLabel(tr("Query language (documents in English)"));
    p->yAxis->setLabel(QString::fromStdString(measure));

    const std::size_t n = c.labels.size();
    const double width = n ? 0.8 / double(n) : 0.8;
    group_->clear();
    double top = 0;
    for (std::size_t r = 0; r < n; ++r) {
        auto* bars = new QCPBars(p->xAxis, p->yAxis);
        bars->setName(QString::fromStdString(c.labels[r]));
        QColor col = seriesColor(int(r));
        bars->setBrush(seriesBrush(int(r)));
        bars->setPen(QPen(col.darker(130)));
        bars->setWidth(width);
        bars->setBarsGroup(group_);
        QVector<double> keys, values;
        for (std::size_t l = 0; l < c.languages.size(); ++l)
            if (c.cells[r][l].present) {
                keys << ticks[int(l)];
                values << c.cells[r][l].mean;
                top = std::max(top, c.cells[r][l].mean);
            }
        bars->setData(keys, values, true);
        bars_ << bars;
        // A row of several seeds: ± one standard deviation over the seeds' own means.
        QVector<double> spread;
        bool seeds = false;
        for (std::size_t l = 0; l < c.languages.size(); ++l)
            if (c.cells[r][l].present) {
                spread << c.cells[r][l].sd;
                seeds = seeds || c.cells[r][l].seeds > 1;
                top = std::max(top, c.cells[r][l].mean + c.cells[r][l].sd);
            }
        if (seeds) {
            auto* errors = new QCPErrorBars(p->xAxis, p->yAxis);
            errors->removeFromLegend();
            errors->setDataPlottable(bars);
            errors->setData(spread);
            errors->setPen(QPen(col.darker(200), 1.2));
        }
    }
    // Significance stars above the bars (positions need the group's offsets).
    for (std::size_t r = 0; r < n; ++r)
        for (std::size_t l = 0; l < c.languages.size(); ++l) {
            const auto& cell = c.cells[r][l];
            if (!cell.present || !cell.significantRandomisation) continue;
            auto* star = new QCPItemText(p);
            star->setText("★");
            star->position->setType(QCPItemPosition::ptPlotCoords);
            // The group centres its bars on the key: bar r sits (r - (n - 1) / 2) widths off.
            star->position->setCoords(ticks[int(l)] + (double(r) - double(n - 1) / 2) * width,
                                      cell.mean);
            star->setPositionAlignment(Qt::AlignHCenter | Qt::AlignBottom);
            ++markers_;
        }
    // Group captions above the bars.
    for (const auto& [g, span] : groupSpan) {
        auto* caption = new QCPItemText(p);
        caption->setText(g == "low"    ? tr("low-resource")
                         : g == "high" ? tr("high-resource")
                                       : tr("other"));
        caption->position->setType(QCPItemPosition::ptPlotCoords);
        caption->position->setCoords((span.first + span.second) / 2, top * 1.12);
        caption->setPositionAlignment(Qt::AlignHCenter | Qt::AlignBottom);
        caption->setFont(QFont(font().family(), font().pointSize(), QFont::DemiBold));
    }
    p->xAxis->setRange(0.3, x + 0.7);
    p->yAxis->setRange(0, top > 0 ? top * 1.22 : 1);
    setTitle(n == 0 ? tr("Per-language results — no run has per-query %1 on %2")
                          .arg(measure_->currentText(), querySet_->currentText())
                    : tr("%1 per language, %2 queries")
                          .arg(measure_->currentText(), querySet_->currentText()));

    // The table: one row per run, one column per language, then the group means and the gap.
    QStringList columns;
    for (const auto& l : c.languages) columns << QString::fromStdString(l);
    columns << tr("low mean") << tr("high mean") << tr("gap (high − low)");
    QStringList rows;
    QVector<QVector<NumberTableModel::Cell>> cells;
    for (std::size_t r = 0; r < n; ++r) {
        rows << QString::fromStdString(c.labels[r]);
        QVector<NumberTableModel::Cell> row;
        for (std::size_t l = 0; l < c.languages.size(); ++l) {
            const auto& cell = c.cells[r][l];
            double v = cell.present ? cell.mean : std::nan("");
            QString text = cellText(v) +
                           (cell.seeds > 1 ? QString(" ± %1").arg(cell.sd, 0, 'f', 4) : QString()) +
                           (cell.significantRandomisation ? " ★" : "");
            row.push_back({text, v,
                           cell.present ? tr("%1 queries, p = %2 (randomisation, Bonferroni)")
                                              .arg(cell.queries)
                                              .arg(cell.pRandomisation)
                                        : QString()});
        }
        for (double v : {compared_.groupMean(r, "low"), compared_.groupMean(r, "high"),
                         c.gap.size() > r ? c.gap[r] : std::nan("")})
            row.push_back({cellText(v), v, {}});
        cells << row;
    }
    table()->setTable(tr("Run"), columns, rows, cells);
    restyle();
}

}  // namespace clir::workbench
