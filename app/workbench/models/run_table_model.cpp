// Run table model (see run_table_model.h).
#include "app/workbench/models/run_table_model.h"

#include <QBrush>
#include <QColor>
#include <QStringList>

namespace clir::workbench {
namespace {

QString joined(const std::vector<std::string>& items) {
    QStringList out;
    for (const auto& s : items) out << QString::fromStdString(s);
    return out.join(", ");
}

QColor statusColor(store::RunStatus s) {
    switch (s) {
        case store::RunStatus::Finished:
            return QColor(0x2e, 0x7d, 0x32);
        case store::RunStatus::Failed:
            return QColor(0xc6, 0x28, 0x28);
        case store::RunStatus::Running:
            return QColor(0x15, 0x65, 0xc0);
        case store::RunStatus::Interrupted:
            return QColor(0xef, 0x6c, 0x00);
        default:
            return QColor();
    }
}

}  // namespace

RunTableModel::RunTableModel(QObject* parent) : QAbstractTableModel(parent) {}

int RunTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(runs_.size());
}

int RunTableModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RunTableModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount()) return {};
    const auto& r = runs_[static_cast<std::size_t>(index.row())];
    if (role == RawValueRole) {
        switch (index.column()) {
            case Id:
                return QVariant::fromValue<qlonglong>(r.id);
            case Progress:
                return r.progress;
            default:
                return data(index, Qt::DisplayRole);
        }
    }
    if (role == Qt::ForegroundRole && index.column() == Status) {
        QColor c = statusColor(r.status);
        return c.isValid() ? QVariant(QBrush(c)) : QVariant();
    }
    if (role == Qt::ToolTipRole && index.column() == Status && !r.error.empty())
        return QString::fromStdString(r.error);
    if (role == Qt::TextAlignmentRole && (index.column() == Id || index.column() == Progress))
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole) return {};
    switch (index.column()) {
        case Id:
            return QString::number(r.id);
        case Name:
            return QString::fromStdString(r.name);
        case Method:
            return QString::fromStdString(r.method);
        case Status:
            return QString::fromLatin1(store::toString(r.status));
        case Progress:
            return QString::number(100.0 * r.progress, 'f', 0) + " %";
        case Languages:
            return joined(r.languages);
        case Tags:
            return joined(r.tags);
        case Created:
            return QString::fromStdString(r.createdAt).replace('T', ' ').left(19);
        default:
            return {};
    }
}

QVariant RunTableModel::headerData(int section, Qt::Orientation o, int role) const {
    if (o != Qt::Horizontal || role != Qt::DisplayRole) return {};
    static const char* names[] = {"Id",       "Name",      "Method", "Status",
                                  "Progress", "Languages", "Tags",   "Created"};
    return section >= 0 && section < ColumnCount ? tr(names[section]) : QVariant();
}

void RunTableModel::setRuns(std::vector<store::RunRecord> runs) {
    // Same run ids in the same order: update cells in place so selection and scroll survive.
    bool sameRows = runs.size() == runs_.size();
    for (std::size_t i = 0; sameRows && i < runs.size(); ++i) sameRows = runs[i].id == runs_[i].id;
    if (sameRows) {
        runs_ = std::move(runs);
        if (!runs_.empty()) emit dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
        return;
    }
    beginResetModel();
    runs_ = std::move(runs);
    endResetModel();
}

const store::RunRecord* RunTableModel::runAt(int row) const {
    return row >= 0 && row < rowCount() ? &runs_[static_cast<std::size_t>(row)] : nullptr;
}

}  // namespace clir::workbench
