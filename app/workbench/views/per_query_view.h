// Per-query view: where run B wins and loses against run A. The difference of a per-query
// measure (AP by default) for every query both runs answered, sorted, as bars (B better above
// zero, A better below) with the query texts in a table beside them; a click on a bar or a row
// opens that query's ranked pages in both runs side by side, relevant pages marked.
#pragma once

#include <QVector>
#include <memory>

#include "app/workbench/views/chart_panel.h"
#include "core/jobs/per_query.h"

class QComboBox;
class QCPBars;
class QLabel;
class QTableWidget;

namespace clir::store {
class Database;
}

namespace clir::workbench {

class PerQueryView : public ChartPanel {
    Q_OBJECT
  public:
    explicit PerQueryView(store::Database& db, QWidget* parent = nullptr);
    ~PerQueryView() override;

    QComboBox* runAChooser() const { return runA_; }
    QComboBox* runBChooser() const { return runB_; }
    QComboBox* languageChooser() const { return language_; }
    QComboBox* measureChooser() const { return measure_; }
    QCPBars* winBars() const { return wins_; }     // B better
    QCPBars* lossBars() const { return losses_; }  // A better
    const jobs::QueryDifferences& differences() const { return differences_; }
    // The rankings shown (after a click): index 0 run A, 1 run B.
    QTableWidget* rankingTable(int which) const { return which ? rankingB_ : rankingA_; }
    QLabel* queryLabel() const { return queryLabel_; }
    int shownQuery() const { return shownQuery_; }  // row in differences(), -1 none

  public slots:
    // The two runs compared: the first two of the selection in id order (A the older).
    void setRuns(const QVector<qint64>& runIds);
    void refresh();
    // Opens the ranked pages of differences().rows[row] in both runs.
    void showQuery(int row);

  signals:
    void queryShown(int row);

  private:
    void fillRunChoosers();
    void fillLanguages();
    void rebuild();
    void clearRankings(const QString& why);
    void fillRanking(QTableWidget* table, QLabel* header, qint64 runId, const QString& query);
    store::Database& db_;
    std::unique_ptr<jobs::PerQuery> perQuery_;
    QComboBox *runA_, *runB_, *language_, *measure_;
    QCPBars *wins_ = nullptr, *losses_ = nullptr;
    jobs::QueryDifferences differences_;
    QLabel *queryLabel_, *headerA_, *headerB_;
    QTableWidget *rankingA_, *rankingB_;
    int shownQuery_ = -1;
};

}  // namespace clir::workbench
