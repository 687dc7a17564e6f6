// Scaling: each method's mean score over the cross-lingual languages and its high-minus-low-
// resource gap against the encoder's parameter count (log x), one line per method across the
// presets it was run at, with the numbers in a table beside the chart.
#pragma once

#include <QVector>

#include "app/workbench/models/run_comparison.h"
#include "app/workbench/views/chart_panel.h"

class QComboBox;

namespace clir::workbench {

class ScalingView : public ChartPanel {
    Q_OBJECT
  public:
    explicit ScalingView(store::Database& db, QWidget* parent = nullptr);

    QComboBox* measureChooser() const { return measure_; }
    QComboBox* querySetChooser() const { return querySet_; }

  public slots:
    void refresh();

  private:
    store::Database& db_;
    QComboBox *measure_, *querySet_;
};

}  // namespace clir::workbench
