// Run table model (see run_table_model.h).
#include "app/workbench/models/run_table_model.h"

#include <QBrush>
#include <QColor>
#include <QDateTime>
#include <QStringList>

#include <algorithm>
#include <cmath>

#include "core/data/corpus_settings.h"

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

// Seconds from start to finish (or to now while running); negative when unknown.
double durationSeconds(const store::RunRecord& r) {
    auto start = QDateTime::fromString(QString::fromStdString(r.startedAt), Qt::ISODateWithMs);
    if (!start.isValid()) return -1;
    auto end = r.finishedAt.empty()
                   ? (r.status == store::RunStatus::Running ? QDateTime::currentDateTimeUtc()
                                                            : QDateTime())
                   : QDateTime::fromString(QString::fromStdString(r.finishedAt), Qt::ISODateWithMs);
    return end.isValid() ? start.msecsTo(end) / 1000.0 : -1;
}

QString durationText(double s) {
    if (s < 0) return {};
    if (s < 60) return QString::number(s, 'f', 0) + " s";
    if (s < 3600) return QString("%1 min %2 s").arg(int(s) / 60).arg(int(s) % 60);
    return QString("%1 h %2 min").arg(int(s) / 3600).arg((int(s) % 3600) / 60);
}

}  // namespace

RunTableModel::RunTableModel(QObject* parent) : RunTableModel(nullptr, parent) {}

RunTableModel::RunTableModel(store::Database* db, QObject* parent)
    : QAbstractTableModel(parent), db_(db), languages_(data::CorpusSettings::defaults().languages) {
    // MAP columns for the cross-lingual languages; the pivot's monolingual MAP is not among them.
    languages_.erase(std::remove(languages_.begin(), languages_.end(), data::pivotLanguage()),
                     languages_.end());
}

int RunTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(runs_.size());
}

int RunTableModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : FixedColumns + int(languages_.size());
}

QString RunTableModel::languageOf(int column) const {
    int i = column - FixedColumns;
    return i >= 0 && i < int(languages_.size()) ? QString::fromStdString(languages_[std::size_t(i)])
                                                : QString();
}

QVariant RunTableModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount()) return {};
    const auto row = static_cast<std::size_t>(index.row());
    const auto& r = runs_[row];
    static const RunExtras none;
    const RunExtras& x = row < extras_.size() ? extras_[row] : none;
    const int col = index.column();
    auto mapOf = [&](const std::string& lang) {
        auto it = x.mapByLanguage.find(lang);
        return it == x.mapByLanguage.end() ? std::nan("") : it->second;
    };
    auto meanMap = [&] {
        double sum = 0;
        int n = 0;
        for (const auto& l : languages_)
            if (!std::isnan(mapOf(l))) sum += mapOf(l), ++n;
        return n ? sum / n : std::nan("");
    };
    if (role == RawValueRole) {
        if (col == Id) return QVariant::fromValue<qlonglong>(r.id);
        if (col == Progress) return r.progress;
        if (col == Duration) return durationSeconds(r);
        if (col == MeanMap) return std::isnan(meanMap()) ? -1.0 : meanMap();
        if (col >= FixedColumns) {
            double v = mapOf(languageOf(col).toStdString());
            return std::isnan(v) ? -1.0 : v;
        }
        return data(index, Qt::DisplayRole);
    }
    if (role == Qt::EditRole) {
        if (col == Tags) return joined(r.tags);
        if (col == Notes) return QString();  // a new note is added, earlier ones kept
        return data(index, Qt::DisplayRole);
    }
    if (role == Qt::ForegroundRole && col == Status) {
        QColor c = statusColor(r.status);
        return c.isValid() ? QVariant(QBrush(c)) : QVariant();
    }
    if (role == Qt::ToolTipRole) {
        if (col == Status && !r.error.empty()) return QString::fromStdString(r.error);
        if (col == Notes && !x.notes.empty()) {
            QStringList all;
            for (const auto& n : x.notes) all << QString::fromStdString(n);
            return all.join("\n—\n");
        }
        if (col == Tags && db_) return tr("Double-click to edit (comma-separated)");
        if (col == MeanMap) return tr("Mean test MAP over the cross-lingual languages (entries)");
        return {};
    }
    if (role == Qt::TextAlignmentRole &&
        (col == Id || col == Progress || col == Duration || col == MeanMap || col >= FixedColumns))
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole) return {};
    auto number = [](double v) { return std::isnan(v) ? QString() : QString::number(v, 'f', 4); };
    if (col >= FixedColumns) return number(mapOf(languageOf(col).toStdString()));
    switch (col) {
        case Id:
            return QString::number(r.id);
        case Name:
            return QString::fromStdString(r.name);
        case Method:
            return QString::fromStdString(r.method);
        case Preset:
            return QString::fromStdString(r.preset);
        case Status:
            return QString::fromLatin1(store::toString(r.status));
        case Progress:
            return QString::number(100.0 * r.progress, 'f', 0) + " %";
        case Duration:
            return durationText(durationSeconds(r));
        case MeanMap:
            return number(meanMap());
        case Languages:
            return joined(r.languages);
        case Tags:
            return joined(r.tags);
        case Notes:
            return x.notes.empty() ? QString() : QString::fromStdString(x.notes.back());
        case Created:
            return QString::fromStdString(r.createdAt).replace('T', ' ').left(19);
        default:
            return {};
    }
}

QVariant RunTableModel::headerData(int section, Qt::Orientation o, int role) const {
    if (o != Qt::Horizontal) return {};
    if (section >= FixedColumns) {
        if (role == Qt::DisplayRole) return tr("MAP %1").arg(languageOf(section));
        if (role == Qt::ToolTipRole)
            return tr("Test MAP of %1 queries (entries) against English pages")
                .arg(languageOf(section));
        return {};
    }
    if (role != Qt::DisplayRole) return {};
    static const char* names[] = {"Id",       "Name", "Method",    "Preset", "Status", "Progress",
                                  "Duration", "MAP",  "Languages", "Tags",   "Notes",  "Created"};
    return section >= 0 && section < FixedColumns ? tr(names[section]) : QVariant();
}

Qt::ItemFlags RunTableModel::flags(const QModelIndex& index) const {
    auto f = QAbstractTableModel::flags(index);
    if (db_ && (index.column() == Tags || index.column() == Notes)) f |= Qt::ItemIsEditable;
    return f;
}

bool RunTableModel::setData(const QModelIndex& index, const QVariant& value, int role) {
    if (!db_ || role != Qt::EditRole || !index.isValid() || index.row() >= rowCount()) return false;
    auto& r = runs_[std::size_t(index.row())];
    try {
        store::RunStore store(*db_);
        if (index.column() == Tags) {
            std::vector<std::string> tags;
            for (const auto& t : value.toString().split(',', Qt::SkipEmptyParts))
                if (!t.trimmed().isEmpty()) tags.push_back(t.trimmed().toStdString());
            std::sort(tags.begin(), tags.end());
            tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
            store.setTags(r.id, tags);
            r.tags = tags;
        } else if (index.column() == Notes) {
            const QString text = value.toString().trimmed();
            if (text.isEmpty()) return false;
            store.addNote(r.id, text.toStdString());
            if (extras_.size() < runs_.size()) extras_.resize(runs_.size());
            extras_[std::size_t(index.row())].notes.push_back(text.toStdString());
        } else {
            return false;
        }
    } catch (const std::exception& e) {
        emit editFailed(QString::fromLocal8Bit(e.what()));
        return false;
    }
    emit dataChanged(index, index);
    return true;
}

void RunTableModel::setRuns(std::vector<store::RunRecord> runs, std::vector<RunExtras> extras) {
    extras.resize(runs.size());
    // Same run ids in the same order: update cells in place so selection and scroll survive.
    bool sameRows = runs.size() == runs_.size();
    for (std::size_t i = 0; sameRows && i < runs.size(); ++i) sameRows = runs[i].id == runs_[i].id;
    if (sameRows) {
        runs_ = std::move(runs);
        extras_ = std::move(extras);
        if (!runs_.empty()) emit dataChanged(index(0, 0), index(rowCount() - 1, columnCount() - 1));
        return;
    }
    beginResetModel();
    runs_ = std::move(runs);
    extras_ = std::move(extras);
    endResetModel();
}

const store::RunRecord* RunTableModel::runAt(int row) const {
    return row >= 0 && row < rowCount() ? &runs_[static_cast<std::size_t>(row)] : nullptr;
}

}  // namespace clir::workbench
