// Table model over the store's runs (STYLE 8): a column enum, a raw-value role for sorting, and
// refreshes that change only what changed.
#pragma once

#include <QAbstractTableModel>
#include <vector>

#include "core/store/run_store.h"

namespace clir::workbench {

class RunTableModel : public QAbstractTableModel {
    Q_OBJECT
  public:
    enum Column { Id, Name, Method, Status, Progress, Languages, Tags, Created, ColumnCount };
    static constexpr int RawValueRole = Qt::UserRole + 1;

    explicit RunTableModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation o, int role) const override;

    void setRuns(std::vector<store::RunRecord> runs);
    const store::RunRecord* runAt(int row) const;

  private:
    std::vector<store::RunRecord> runs_;
};

}  // namespace clir::workbench
