// The run browser: every run in the database with its MAP per language, sortable and
// filterable, refreshed while runs written by other processes (the CLI, remote workers) or the
// job queue progress; several runs can be selected to overlay their curves and bars; tags and
// notes are edited in place.
#pragma once

#include <QVector>
#include <QWidget>
#include <cstdint>
#include <map>
#include <string>

class QComboBox;
class QLineEdit;
class QLabel;
class QSortFilterProxyModel;
class QTableView;
class QTimer;

namespace clir::store {
class Database;
}

namespace clir::workbench {

class RunTableModel;

class RunBrowser : public QWidget {
    Q_OBJECT
  public:
    explicit RunBrowser(store::Database& db, QWidget* parent = nullptr);

    QTableView* view() const { return view_; }
    RunTableModel* model() const { return model_; }
    QSortFilterProxyModel* proxy() const { return proxy_; }
    QLineEdit* filterEdit() const { return filter_; }
    QComboBox* statusFilter() const { return status_; }

    QVector<qint64> selectedRuns() const;

  public slots:
    void refresh();
    void selectRow(int proxyRow);
    void selectRuns(const QVector<qint64>& runIds);  // replaces the selection

  signals:
    void countsChanged(int shown, int total);
    void runSelected(std::int64_t runId);  // the current run; 0 when the selection is cleared
    void runsSelected(const QVector<qint64>& runIds);  // every selected run, in table order

  private:
    void applyStatusFilter();
    store::Database& db_;
    RunTableModel* model_;
    QSortFilterProxyModel* proxy_;
    QTableView* view_;
    QLineEdit* filter_;
    QComboBox* status_;
    QTimer* timer_;
    std::string selectedState_;  // id, status and progress of the selected run, last announced
    QVector<qint64> lastSelection_;
    // Per-run MAP columns, read once per finished run (keyed by id and finish time).
    std::map<std::int64_t, std::pair<std::string, std::map<std::string, double>>> mapCache_;
};

}  // namespace clir::workbench
