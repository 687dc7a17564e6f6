// Results: per-language scores of the chosen runs as grouped bars (QCPBarsGroup), low-resource
// languages first and high-resource after, a star over a bar that differs from the chosen
// baseline (paired randomisation test, Bonferroni across languages), a measure and query-set
// chooser, and the numbers in a table beside the chart.
#pragma once

#include <QVector>

#include "app/workbench/models/run_comparison.h"
#include "app/workbench/views/chart_panel.h"

class QComboBox;
class QCPBarsGroup;
class QCPBars;

namespace clir::workbench {

class ResultsView : public ChartPanel {
    Q_OBJECT
  public:
    explicit ResultsView(store::Database& db, QWidget* parent = nullptr);

    QComboBox* measureChooser() const { return measure_; }
    QComboBox* querySetChooser() const { return querySet_; }
    QComboBox* baselineChooser() const { return baseline_; }
    QVector<QCPBars*> bars() const { return bars_; }
    const ComparedRuns& compared() const { return compared_; }
    int markerCount() const { return markers_; }

  public slots:
    // The runs to compare; with fewer than two of them that have results, the latest finished
    // run of every experiment name with results is shown instead.
    void setRuns(const QVector<qint64>& runIds);
    void refresh();
    void setBaseline(qint64 runId);  // 0: none

  private:
    void rebuild();
    QVector<qint64> candidates() const;
    store::Database& db_;
    QVector<qint64> selected_;
    QComboBox *measure_, *querySet_, *baseline_;
    QCPBarsGroup* group_;
    QVector<QCPBars*> bars_;
    ComparedRuns compared_;
    int markers_ = 0;
};

}  // namespace clir::workbench
