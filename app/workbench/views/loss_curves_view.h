// Live training curves of the selected runs, overlaid with a legend: any stored metric (loss by
// default), TensorBoard-style bias-corrected EMA smoothing with the raw curve faint, log-y, zoom
// and pan with the mouse, and the nearest point's value on hover.
#pragma once

#include <QVector>
#include <cstdint>

#include "app/workbench/views/chart_panel.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QSlider;

namespace clir::store {
class Database;
}

namespace clir::workbench {

class LossCurvesView : public ChartPanel {
    Q_OBJECT
  public:
    explicit LossCurvesView(store::Database& db, QWidget* parent = nullptr);

    QComboBox* metricChooser() const { return metric_; }
    QSlider* smoothingSlider() const { return smoothing_; }  // 0..99: weight in hundredths
    QCheckBox* logY() const { return logY_; }
    // Points of the raw curve of one run (for tests); -1 when the run is not shown.
    int pointCount(std::int64_t runId) const;

  public slots:
    void setRuns(const QVector<qint64>& runIds);
    void refresh();  // re-reads the store (called by a timer while runs are live)

  private:
    void rebuild();
    void showValueAt(const QPoint& pos);
    store::Database& db_;
    QVector<qint64> runs_;
    QComboBox* metric_;
    QSlider* smoothing_;
    QLabel* smoothingLabel_;
    QCheckBox* logY_;
    QString lastSignature_;  // what was last drawn: skip replots when nothing changed
};

}  // namespace clir::workbench
