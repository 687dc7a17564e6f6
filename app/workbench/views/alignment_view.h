// Alignment inspector: the transport plans OPTICAL saved during training (SPEC 4), as a heatmap
// of English tokens (rows) against the other language's tokens (columns): no interpolation, a
// colour scale, the tokens as tick labels, the cell's plan and cost on hover, the argmax
// alignment of each English token overlaid, the cost matrix a toggle away, and a slider over the
// saved training steps. Live mode: two typed sentences aligned by a chosen retrieval checkpoint,
// computed off the UI thread.
#pragma once

#include <QVector>
#include <cstdint>

#include "app/workbench/views/chart_panel.h"
#include "core/store/run_store.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSlider;
class QCPColorMap;
class QCPColorScale;
class QCPGraph;

namespace clir::store {
class Database;
}

namespace clir::workbench {

class AlignmentView : public ChartPanel {
    Q_OBJECT
  public:
    explicit AlignmentView(store::Database& db, QWidget* parent = nullptr);

    QComboBox* runChooser() const { return run_; }
    QComboBox* pairChooser() const { return pair_; }
    QComboBox* matrixChooser() const { return matrix_; }  // plan | cost
    QSlider* stepSlider() const { return step_; }
    QCheckBox* argmaxToggle() const { return argmax_; }
    QComboBox* liveCheckpointChooser() const { return liveRun_; }
    QLineEdit* liveEnglish() const { return liveEnglish_; }
    QLineEdit* liveOther() const { return liveOther_; }
    QPushButton* liveButton() const { return liveButton_; }
    QCPColorMap* colorMap() const { return map_; }
    QCPGraph* argmaxOverlay() const { return overlay_; }
    const store::AlignmentRecord* shown() const;  // null when nothing is shown
    // Tooltip text of the cell (column, row), as shown on hover.
    QString cellText(int column, int row) const;

  public slots:
    void refresh();              // re-lists the runs that saved plans (and checkpoints)
    void alignLive();            // aligns the typed sentences on a worker thread
    void showRun(qint64 runId);  // selects the run when it has plans

  signals:
    void liveFinished(bool ok);  // after alignLive(), when the plan is shown or failed

  private:
    void loadRun();
    void loadPair();
    void draw();
    store::Database& db_;
    QComboBox *run_, *pair_, *matrix_;
    QSlider* step_;
    QLabel* stepLabel_;
    QCheckBox* argmax_;
    QCPColorMap* map_;
    QCPColorScale* scale_;
    QCPGraph* overlay_;
    std::vector<store::AlignmentRecord> records_;  // of the chosen run, with matrices
    std::vector<std::size_t> pairSteps_;           // indexes into records_ of the chosen pair
    QComboBox* liveRun_;
    QLineEdit *liveEnglish_, *liveOther_;
    QPushButton* liveButton_;
    QLabel* liveStatus_;
};

}  // namespace clir::workbench
