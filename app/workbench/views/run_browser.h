// The run browser: every run in the database, sortable and filterable, refreshed while runs
// written by other processes (the CLI, remote workers) progress.
#pragma once

#include <QWidget>
#include <cstdint>
#include <memory>
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

  public slots:
    void refresh();
    void selectRow(int proxyRow);

  signals:
    void countsChanged(int shown, int total);
    void runSelected(std::int64_t runId);  // 0 when the selection is cleared

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
};

}  // namespace clir::workbench
