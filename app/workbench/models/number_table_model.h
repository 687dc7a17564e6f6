// The numbers behind a chart, shown beside it and exported to CSV: row labels, column headers
// and cells (text with an optional raw number for sorting).
#pragma once

#include <QAbstractTableModel>
#include <QStringList>
#include <QVector>

namespace clir::workbench {

class NumberTableModel : public QAbstractTableModel {
    Q_OBJECT
  public:
    static constexpr int RawValueRole = Qt::UserRole + 1;
    struct Cell {
        QString text;
        double raw = 0;  // NaN: no value
        QString toolTip;
        bool isText = false;  // a text column (left-aligned); numbers and their "–" align right
    };

    explicit NumberTableModel(QObject* parent = nullptr);
    // The first column holds the row labels under `labelHeader`.
    void setTable(const QString& labelHeader, const QStringList& columns, const QStringList& rows,
                  const QVector<QVector<Cell>>& cells);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation o, int role) const override;

  private:
    QString labelHeader_;
    QStringList columns_, rows_;
    QVector<QVector<Cell>> cells_;
};

}  // namespace clir::workbench
