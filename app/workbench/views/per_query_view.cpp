// Per-query view (see per_query_view.h).
#include "app/workbench/views/per_query_view.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QSplitter>
#include <QTableView>
#include <QTableWidget>
#include <QVBoxLayout>
#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

#include "app/workbench/models/number_table_model.h"
#include "app/workbench/models/run_comparison.h"
#include "app/workbench/plots/chart_theme.h"
#include "core/store/run_store.h"

namespace clir::workbench {
namespace {

// What one query's value of the measure is called: AP for map, RR for MRR.
QString perQueryName(const QString& measure) {
    if (measure == "map") return "AP";
    if (measure == "recip_rank") return "RR";
    return measure;
}

QString runLabel(store::RunStore& runs, qint64 id) {
    auto r = runs.run(id);
    return r ? QString("#%1 %2").arg(id).arg(QString::fromStdString(r->name))
             : QString("#%1").arg(id);
}

constexpr int kDepth = 20;  // ranked pages shown per run

}  // namespace

PerQueryView::PerQueryView(store::Database& db, QWidget* parent)
    : ChartPanel(tr("Per-query differences"), true, parent),
      db_(db),
      perQuery_(std::make_unique<jobs::PerQuery>(db)),
      runA_(new QComboBox(this)),
      runB_(new QComboBox(this)),
      language_(new QComboBox(this)),
      measure_(new QComboBox(this)),
      queryLabel_(new QLabel(this)),
      headerA_(new QLabel(this)),
      headerB_(new QLabel(this)),
      rankingA_(new QTableWidget(this)),
      rankingB_(new QTableWidget(this)) {
    measure_->addItems(chartMeasures());
    runA_->setToolTip(tr("Run A: bars below zero are queries where A is better"));
    runB_->setToolTip(tr("Run B: bars above zero are queries where B is better"));
    language_->setToolTip(tr("Query language and query set both runs were evaluated on"));
    for (auto* box : {runA_, runB_}) box->setMinimumContentsLength(18);
    auto* c = controls();
    int i = 0;
    c->insertWidget(i++, new QLabel(tr("A:"), this));
    c->insertWidget(i++, runA_);
    c->insertWidget(i++, new QLabel(tr("B:"), this));
    c->insertWidget(i++, runB_);
    c->insertWidget(i++, new QLabel(tr("Queries:"), this));
    c->insertWidget(i++, language_);
    c->insertWidget(i++, new QLabel(tr("Measure:"), this));
    c->insertWidget(i++, measure_);

    auto* p = plot();
    p->xAxis->setLabel(tr("Queries, sorted by difference"));
    p->xAxis->grid()->setVisible(false);
    placeLegendBelow(*p, 2);
    wins_ = new QCPBars(p->xAxis, p->yAxis);
    losses_ = new QCPBars(p->xAxis, p->yAxis);
    for (auto [bars, color] :
         {std::pair{wins_, seriesColor(2)}, std::pair{losses_, seriesColor(3)}}) {
        bars->setBrush(color);
        bars->setPen(QPen(color.darker(120), 0.5));
        bars->setWidth(1.0);
    }
    p->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    p->axisRect()->setRangeDrag(Qt::Horizontal);
    p->axisRect()->setRangeZoom(Qt::Horizontal);
    connect(p, &QCustomPlot::plottableClick, this,
            [this](QCPAbstractPlottable* plottable, int dataIndex, QMouseEvent*) {
                auto* bars = qobject_cast<QCPBars*>(plottable);
                if (!bars || dataIndex < 0 || dataIndex >= bars->data()->size()) return;
                showQuery(int(std::lround(bars->data()->at(dataIndex)->key)) - 1);
            });
    connect(tableView(), &QTableView::clicked, this,
            [this](const QModelIndex& index) { showQuery(index.row()); });

    // The two rankings side by side under the chart.
    auto* detail = new QWidget(this);
    auto* grid = new QGridLayout(detail);
    grid->setContentsMargins(0, 0, 0, 0);
    queryLabel_->setWordWrap(true);
    queryLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    grid->addWidget(queryLabel_, 0, 0, 1, 2);
    for (auto* h : {headerA_, headerB_}) {  // a long message wraps instead of widening the panel
        h->setWordWrap(true);
        h->setTextInteractionFlags(Qt::TextSelectableByMouse);
    }
    grid->addWidget(headerA_, 1, 0);
    grid->addWidget(headerB_, 1, 1);
    for (auto* t : {rankingA_, rankingB_}) {
        t->setColumnCount(4);
        t->setHorizontalHeaderLabels({tr("Rank"), tr("Relevant"), tr("Page"), tr("Score")});
        t->verticalHeader()->hide();
        t->setEditTriggers(QAbstractItemView::NoEditTriggers);
        t->setSelectionBehavior(QAbstractItemView::SelectRows);
        t->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
        t->horizontalHeader()->setSectionResizeMode(2, QHeaderView::Stretch);
    }
    grid->addWidget(rankingA_, 2, 0);
    grid->addWidget(rankingB_, 2, 1);
    addBelow(detail, 1);
    if (auto* split = findChild<QSplitter*>()) {  // the query texts need room beside the chart
        split->setStretchFactor(0, 3);
        split->setStretchFactor(1, 2);
        split->setSizes({3000, 2000});  // proportions until shown: chart 3, query table 2
    }

    connect(runA_, &QComboBox::currentIndexChanged, this, [this] { fillLanguages(); });
    connect(runB_, &QComboBox::currentIndexChanged, this, [this] { fillLanguages(); });
    connect(measure_, &QComboBox::currentIndexChanged, this, [this] { fillLanguages(); });
    connect(language_, &QComboBox::currentIndexChanged, this, [this] { rebuild(); });
    refresh();
}

PerQueryView::~PerQueryView() = default;

void PerQueryView::setRuns(const QVector<qint64>& runIds) {
    store::RunStore runs(db_);
    QVector<qint64> withResults;
    for (auto id : runIds)
        if (!runs.results(id).empty()) withResults << id;
    std::sort(withResults.begin(), withResults.end());
    fillRunChoosers();
    if (withResults.size() >= 2) {
        QSignalBlocker blockA(runA_), blockB(runB_);
        runA_->setCurrentIndex(std::max(0, runA_->findData(withResults[0])));
        runB_->setCurrentIndex(std::max(0, runB_->findData(withResults[1])));
    }
    fillLanguages();
}

void PerQueryView::refresh() {
    perQuery_ = std::make_unique<jobs::PerQuery>(db_);  // files may have been rewritten
    fillRunChoosers();
    fillLanguages();
}

void PerQueryView::fillRunChoosers() {
    // Every finished run with results, oldest first; the current choices are kept.
    store::RunStore runs(db_);
    QVector<qint64> ids;
    for (const auto& r : runs.runs())
        if (r.status == store::RunStatus::Finished && !runs.results(r.id).empty()) ids << r.id;
    std::sort(ids.begin(), ids.end());
    for (auto* box : {runA_, runB_}) {
        QVector<qint64> current;
        for (int i = 0; i < box->count(); ++i) current << box->itemData(i).toLongLong();
        if (current == ids) continue;
        const qint64 keep = box->currentData().toLongLong();
        QSignalBlocker block(box);
        box->clear();
        for (auto id : ids) box->addItem(runLabel(runs, id), id);
        const int at = box->findData(keep);
        box->setCurrentIndex(at >= 0 ? at : (box == runB_ && box->count() > 1 ? 1 : 0));
    }
}

void PerQueryView::fillLanguages() {
    const qint64 a = runA_->currentData().toLongLong(), b = runB_->currentData().toLongLong();
    const QString keep = language_->currentData().toString();
    {
        QSignalBlocker block(language_);
        language_->clear();
        if (a && b && a != b)
            for (const auto& [lang, set] :
                 perQuery_->shared(a, b, measure_->currentText().toStdString())) {
                const QString l = QString::fromStdString(lang), s = QString::fromStdString(set);
                language_->addItem(l + " · " + s, l + "|" + s);
            }
        int at = language_->findData(keep);
        if (at < 0) {  // prefer a cross-lingual language and the plain query set
            for (int i = 0; i < language_->count() && at < 0; ++i)
                if (!language_->itemText(i).contains('+')) at = i;
        }
        language_->setCurrentIndex(std::max(at, language_->count() ? 0 : -1));
    }
    rebuild();
}

void PerQueryView::rebuild() {
    const qint64 a = runA_->currentData().toLongLong(), b = runB_->currentData().toLongLong();
    const QStringList key = language_->currentData().toString().split('|');
    const QString measure = measure_->currentText();
    const QString name = perQueryName(measure);
    differences_ = {};
    if (key.size() == 2 && a && b && a != b)
        differences_ = perQuery_->differences(a, b, key[0].toStdString(), key[1].toStdString(),
                                              measure.toStdString());
    store::RunStore runs(db_);
    const QString labelA = a ? runLabel(runs, a) : QString(),
                  labelB = b ? runLabel(runs, b) : QString();

    QVector<double> winKeys, winValues, lossKeys, lossValues;
    double low = 0, high = 0;
    const auto& rows = differences_.rows;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const double d = rows[i].difference();
        (d >= 0 ? winKeys : lossKeys) << double(i + 1);
        (d >= 0 ? winValues : lossValues) << d;
        low = std::min(low, d);
        high = std::max(high, d);
    }
    wins_->setData(winKeys, winValues, true);
    losses_->setData(lossKeys, lossValues, true);
    const std::size_t ties = rows.size() - differences_.wins() - differences_.losses();
    wins_->setName(tr("B better: %1 queries").arg(differences_.wins()));
    losses_->setName(tr("A better: %1 queries").arg(differences_.losses()));
    auto* p = plot();
    p->yAxis->setLabel(tr("%1 of B − %1 of A").arg(name));
    p->xAxis->setRange(0, double(rows.size()) + 1);
    const double pad = std::max(0.05, 0.08 * (high - low));
    p->yAxis->setRange(low - pad, high + pad);
    if (rows.empty()) {
        setTitle(a && b && a != b ? tr("Per-query differences — %1 and %2 share no per-query %3")
                                        .arg(labelA, labelB, measure)
                                  : tr("Per-query differences — choose two runs with results"));
    } else {
        double meanA = 0, meanB = 0;
        for (const auto& r : rows) {
            meanA += r.a;
            meanB += r.b;
        }
        meanA /= double(rows.size());
        meanB /= double(rows.size());
        // Two lines: the run names are long, a one-line title was clipped on both sides.
        setTitle(tr("%1 per %2 query, B − A (mean %5 vs %6, %7 ties)\nB %3 − A %4")
                     .arg(name, language_->currentText(), labelB, labelA)
                     .arg(meanB, 0, 'f', 4)
                     .arg(meanA, 0, 'f', 4)
                     .arg(ties));
    }

    // The table: one row per query in the chart's order.
    QStringList columns{tr("English"), "A", "B", "B − A", tr("qid")};
    QStringList rowLabels;
    QVector<QVector<NumberTableModel::Cell>> cells;
    for (const auto& r : rows) {
        const QString text = QString::fromStdString(r.text.empty() ? r.qid : r.text);
        rowLabels << text;
        cells << QVector<NumberTableModel::Cell>{
            {QString::fromStdString(r.pivotText), std::nan(""), {}, true},
            {QString::number(r.a, 'f', 4), r.a, labelA},
            {QString::number(r.b, 'f', 4), r.b, labelB},
            {QString::number(r.difference(), 'f', 4), r.difference(), {}},
            {QString::fromStdString(r.qid), std::nan(""), {}, true}};
    }
    table()->setTable(tr("Query"), columns, rowLabels, cells);
    clearRankings(rows.empty()
                      ? QString()
                      : tr("Click a bar or a row to see the query's ranked pages in both runs."));
    restyle();
}

void PerQueryView::clearRankings(const QString& why) {
    shownQuery_ = -1;
    queryLabel_->setText(why);
    headerA_->clear();
    headerB_->clear();
    rankingA_->setRowCount(0);
    rankingB_->setRowCount(0);
}

void PerQueryView::showQuery(int row) {
    if (row < 0 || row >= int(differences_.rows.size())) return;
    const auto& q = differences_.rows[std::size_t(row)];
    shownQuery_ = row;
    const QString name = perQueryName(measure_->currentText());
    QString text =
        tr("<b>%1</b>")
            .arg(QString::fromStdString(q.text.empty() ? q.qid : q.text).toHtmlEscaped());
    if (!q.pivotText.empty())
        text +=
            tr(" — English: <i>%1</i>").arg(QString::fromStdString(q.pivotText).toHtmlEscaped());
    text += tr(" &nbsp; (%1; %2 A %3, B %4)")
                .arg(QString::fromStdString(q.qid).toHtmlEscaped(), name)
                .arg(q.a, 0, 'f', 4)
                .arg(q.b, 0, 'f', 4);
    queryLabel_->setText(text);
    fillRanking(rankingA_, headerA_, runA_->currentData().toLongLong(),
                QString::fromStdString(q.qid));
    fillRanking(rankingB_, headerB_, runB_->currentData().toLongLong(),
                QString::fromStdString(q.qid));
    tableView()->selectRow(row);
    emit queryShown(row);
}

void PerQueryView::fillRanking(QTableWidget* table, QLabel* header, qint64 runId,
                               const QString& qid) {
    store::RunStore runs(db_);
    const QStringList key = language_->currentData().toString().split('|');
    table->setRowCount(0);
    if (key.size() != 2) return;
    jobs::QueryRanking ranking;
    try {
        ranking = perQuery_->ranking(runId, key[0].toStdString(), key[1].toStdString(),
                                     qid.toStdString(), kDepth);
    } catch (const std::exception& e) {
        header->setText(tr("%1: %2").arg(runLabel(runs, runId), QString::fromLocal8Bit(e.what())));
        return;
    }
    QStringList found;
    for (const auto& [doc, rank] : ranking.foundAt) found << QString::number(rank);
    std::sort(found.begin(), found.end(),
              [](const QString& x, const QString& y) { return x.toInt() < y.toInt(); });
    const std::size_t missing = ranking.relevant - ranking.foundAt.size();
    header->setText(tr("<b>%1</b>: relevant at rank %2%3")
                        .arg(runLabel(runs, runId).toHtmlEscaped(),
                             found.isEmpty() ? tr("—") : found.join(", "),
                             missing
                                 ? tr(" (%1 of %2 not ranked)").arg(missing).arg(ranking.relevant)
                                 : QString()));
    const QColor relevant(0x00, 0x9e, 0x73, 70);
    table->setRowCount(int(ranking.pages.size()));
    for (int i = 0; i < int(ranking.pages.size()); ++i) {
        const auto& page = ranking.pages[std::size_t(i)];
        const QString title = QString::fromStdString(page.title.empty() ? page.docid : page.title);
        const QStringList cells{
            QString::number(page.rank),
            page.relevance > 0 ? QString("✓ %1").arg(page.relevance) : QString(), title,
            QString::number(page.score, 'g', 5)};
        for (int c = 0; c < cells.size(); ++c) {
            auto* item = new QTableWidgetItem(cells[c]);
            item->setToolTip(QString::fromStdString(page.docid));
            if (page.relevance > 0) item->setBackground(relevant);
            table->setItem(i, c, item);
        }
    }
}

}  // namespace clir::workbench
