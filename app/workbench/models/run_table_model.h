// Table model over the store's runs (STYLE 8): a column enum, a raw-value role for sorting, and
// refreshes that change only what changed. Each run's test MAP per language (entries queries)
// follows the fixed columns; tags and notes are edited in place and written to the store.
#pragma once

#include <QAbstractTableModel>
#include <map>
#include <vector>

#include "core/store/run_store.h"

namespace clir::workbench {

class RunTableModel : public QAbstractTableModel {
    Q_OBJECT
  public:
    enum Column {
        Id,
        Name,
        Method,
        Preset,
        Status,
        Progress,
        Duration,
        MeanMap,  // macro mean over the cross-lingual languages (entries)
        Languages,
        Tags,
        Notes,
        Created,
        FixedColumns
    };
    static constexpr int RawValueRole = Qt::UserRole + 1;

    explicit RunTableModel(QObject* parent = nullptr);
    // With a store, tags and notes are editable (written through at once).
    explicit RunTableModel(store::Database* db, QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation o, int role) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    bool setData(const QModelIndex& index, const QVariant& value, int role) override;
    // The language of a per-language MAP column; empty for the fixed columns.
    QString languageOf(int column) const;

    struct RunExtras {
        std::map<std::string, double> mapByLanguage;  // test MAP on entries
        std::vector<std::string> notes;
    };
    void setRuns(std::vector<store::RunRecord> runs, std::vector<RunExtras> extras = {});
    const store::RunRecord* runAt(int row) const;

  signals:
    void editFailed(const QString& message);

  private:
    store::Database* db_ = nullptr;
    std::vector<store::RunRecord> runs_;
    std::vector<RunExtras> extras_;
    std::vector<std::string> languages_;  // the MAP columns, study order
};

}  // namespace clir::workbench
