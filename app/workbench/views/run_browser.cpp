// Run browser (see run_browser.h).
#include "app/workbench/views/run_browser.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QRegularExpression>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>

#include "app/workbench/models/run_table_model.h"
#include "core/store/run_store.h"

namespace clir::workbench {
namespace {

// Filters on the free text across all columns and on the status column.
class RunFilterProxy : public QSortFilterProxyModel {
  public:
    using QSortFilterProxyModel::QSortFilterProxyModel;
    QString status;
    void invalidateStatus() { invalidateFilter(); }

  protected:
    bool filterAcceptsRow(int row, const QModelIndex& parent) const override {
        auto* m = sourceModel();
        if (!status.isEmpty() &&
            m->index(row, RunTableModel::Status, parent).data().toString() != status)
            return false;
        return QSortFilterProxyModel::filterAcceptsRow(row, parent);
    }
};

constexpr int kRefreshMs = 2000;

}  // namespace

RunBrowser::RunBrowser(store::Database& db, QWidget* parent)
    : QWidget(parent),
      db_(db),
      model_(new RunTableModel(&db, this)),
      proxy_(new RunFilterProxy(this)),
      view_(new QTableView(this)),
      filter_(new QLineEdit(this)),
      status_(new QComboBox(this)),
      timer_(new QTimer(this)) {
    proxy_->setSourceModel(model_);
    proxy_->setSortRole(RunTableModel::RawValueRole);
    proxy_->setFilterKeyColumn(-1);
    proxy_->setFilterCaseSensitivity(Qt::CaseInsensitive);

    filter_->setPlaceholderText(tr("Filter runs (name, method, language, tag)…"));
    filter_->setClearButtonEnabled(true);
    status_->addItem(tr("All statuses"), QString());
    for (const char* s : {"queued", "running", "finished", "failed", "cancelled", "interrupted"})
        status_->addItem(QString::fromLatin1(s), QString::fromLatin1(s));

    view_->setModel(proxy_);
    view_->setSortingEnabled(true);
    view_->sortByColumn(RunTableModel::Id, Qt::DescendingOrder);
    view_->setSelectionBehavior(QAbstractItemView::SelectRows);
    view_->setSelectionMode(QAbstractItemView::ExtendedSelection);
    view_->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed);
    view_->setToolTip(
        tr("Ctrl- or Shift-click to select several runs: their curves and bars are "
           "overlaid"));
    view_->setAlternatingRowColors(true);
    view_->verticalHeader()->hide();
    view_->horizontalHeader()->setStretchLastSection(true);
    view_->horizontalHeader()->setSectionResizeMode(RunTableModel::Name, QHeaderView::Stretch);

    auto* bar = new QHBoxLayout;
    bar->addWidget(filter_, 1);
    bar->addWidget(status_);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(bar);
    layout->addWidget(view_);

    connect(filter_, &QLineEdit::textChanged, this, [this](const QString& t) {
        proxy_->setFilterRegularExpression(QRegularExpression(
            QRegularExpression::escape(t), QRegularExpression::CaseInsensitiveOption));
        emit countsChanged(proxy_->rowCount(), model_->rowCount());
    });
    connect(status_, &QComboBox::currentIndexChanged, this, [this] { applyStatusFilter(); });
    connect(view_->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex& current) {
                const auto* run = model_->runAt(proxy_->mapToSource(current).row());
                selectedState_.clear();
                emit runSelected(run ? run->id : 0);
            });
    connect(view_->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        auto ids = selectedRuns();
        if (ids != lastSelection_) {
            lastSelection_ = ids;
            emit runsSelected(ids);
        }
    });
    connect(timer_, &QTimer::timeout, this, &RunBrowser::refresh);
    timer_->start(kRefreshMs);
    refresh();
    view_->resizeColumnsToContents();
}

void RunBrowser::applyStatusFilter() {
    auto* p = static_cast<RunFilterProxy*>(proxy_);
    p->status = status_->currentData().toString();
    p->invalidateStatus();
    emit countsChanged(proxy_->rowCount(), model_->rowCount());
}

void RunBrowser::refresh() {
    store::RunStore runs(db_);
    auto all = runs.runs();
    std::vector<RunTableModel::RunExtras> extras;
    for (const auto& r : all) {
        RunTableModel::RunExtras x;
        if (r.status == store::RunStatus::Finished) {
            auto& cached = mapCache_[r.id];
            if (cached.first != r.finishedAt) {
                cached.first = r.finishedAt;
                cached.second.clear();
                for (const auto& row : runs.results(r.id))
                    if (row.measure == "map" && row.querySet == "entries")
                        cached.second[row.language] = row.value;
            }
            x.mapByLanguage = cached.second;
        }
        x.notes = runs.notes(r.id);
        extras.push_back(std::move(x));
    }
    model_->setRuns(std::move(all), std::move(extras));
    emit countsChanged(proxy_->rowCount(), model_->rowCount());
    // Re-announce the selected run only when it changed, so its details keep their scroll.
    const auto* run = model_->runAt(proxy_->mapToSource(view_->currentIndex()).row());
    std::string state = run ? std::to_string(run->id) + store::toString(run->status) +
                                  std::to_string(run->progress) + run->finishedAt
                            : std::string();
    if (run && state != selectedState_) emit runSelected(run->id);
    selectedState_ = state;
    auto ids = selectedRuns();
    if (ids != lastSelection_) {
        lastSelection_ = ids;
        emit runsSelected(ids);
    }
}

QVector<qint64> RunBrowser::selectedRuns() const {
    QVector<qint64> ids;
    auto rows = view_->selectionModel()->selectedRows();
    std::sort(rows.begin(), rows.end(),
              [](const QModelIndex& a, const QModelIndex& b) { return a.row() < b.row(); });
    for (const auto& index : rows)
        if (const auto* r = model_->runAt(proxy_->mapToSource(index).row())) ids << r->id;
    return ids;
}

void RunBrowser::selectRuns(const QVector<qint64>& runIds) {
    QItemSelection selection;
    QModelIndex first;
    for (int row = 0; row < proxy_->rowCount(); ++row) {
        const auto* r = model_->runAt(proxy_->mapToSource(proxy_->index(row, 0)).row());
        if (r && runIds.contains(r->id)) {
            selection.select(proxy_->index(row, 0), proxy_->index(row, proxy_->columnCount() - 1));
            if (!first.isValid()) first = proxy_->index(row, 0);
        }
    }
    if (first.isValid())
        view_->selectionModel()->setCurrentIndex(first, QItemSelectionModel::NoUpdate);
    view_->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect);
}

void RunBrowser::selectRow(int proxyRow) {
    view_->setCurrentIndex(proxy_->index(proxyRow, 0));
}

}  // namespace clir::workbench
