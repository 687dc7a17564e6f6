// Number table model (see number_table_model.h).
#include "app/workbench/models/number_table_model.h"

#include <cmath>

namespace clir::workbench {

NumberTableModel::NumberTableModel(QObject* parent) : QAbstractTableModel(parent) {}

void NumberTableModel::setTable(const QString& labelHeader, const QStringList& columns,
                                const QStringList& rows, const QVector<QVector<Cell>>& cells) {
    beginResetModel();
    labelHeader_ = labelHeader;
    columns_ = columns;
    rows_ = rows;
    cells_ = cells;
    endResetModel();
}

int NumberTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(rows_.size());
}

int NumberTableModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(columns_.size()) + 1;
}

QVariant NumberTableModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount()) return {};
    if (index.column() == 0)
        return role == Qt::DisplayRole || role == RawValueRole ? QVariant(rows_[index.row()])
                                                               : QVariant();
    const auto& row = cells_.value(index.row());
    if (index.column() - 1 >= row.size()) return {};
    const Cell& c = row[index.column() - 1];
    switch (role) {
        case Qt::DisplayRole:
            return c.text;
        case RawValueRole:
            return std::isnan(c.raw) ? QVariant() : QVariant(c.raw);
        case Qt::ToolTipRole:
            return c.toolTip.isEmpty() ? QVariant() : QVariant(c.toolTip);
        case Qt::TextAlignmentRole:
            return int((c.isText ? Qt::AlignLeft : Qt::AlignRight) | Qt::AlignVCenter);
        default:
            return {};
    }
}

QVariant NumberTableModel::headerData(int section, Qt::Orientation o, int role) const {
    if (o != Qt::Horizontal || role != Qt::DisplayRole) return {};
    if (section == 0) return labelHeader_;
    return columns_.value(section - 1);
}

}  // namespace clir::workbench
