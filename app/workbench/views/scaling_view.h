// Scaling: each method's mean score over the cross-lingual languages and its high-minus-low-
// resource gap against the encoder's parameter count (log x), one line per method across the
// presets it was run at, with the numbers in a table beside the chart.
#pragma once

#include <QVector>
#include <string>
#include <vector>

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

    // A method's line across sizes: mean against log10(parameters).
    struct Fit {
        std::string method;
        double intercept = 0, slope = 0;  // slope: change of the mean per decade of parameters
        double slopeSd = 0;               // sd of the slope fitted per seed (NaN: one seed)
        std::size_t seeds = 0;
    };
    const std::vector<Fit>& fits() const { return fits_; }

  public slots:
    // The runs drawn (a report's); empty: every experiment's latest finished run.
    void setRuns(const QVector<qint64>& runIds);
    void refresh();

  private:
    store::Database& db_;
    QComboBox *measure_, *querySet_;
    std::vector<Fit> fits_;
    QVector<qint64> runs_;
};

}  // namespace clir::workbench
