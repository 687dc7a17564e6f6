// The frame every chart panel shares: a row of controls, the chart with a title, the numbers in a
// table beside it, and export of the chart (PNG, PDF, SVG) and the table (CSV).
#pragma once

#include <QWidget>

class QCustomPlot;
class QCPTextElement;
class QHBoxLayout;
class QTableView;

namespace clir::workbench {

class NumberTableModel;

class ChartPanel : public QWidget {
    Q_OBJECT
  public:
    ChartPanel(const QString& title, bool withTable, QWidget* parent = nullptr);

    QCustomPlot* plot() const { return plot_; }
    NumberTableModel* table() const { return table_; }  // null without a table
    QTableView* tableView() const { return tableView_; }
    QString title() const;

    // Writes the chart, by suffix (png, pdf, svg); throws std::runtime_error naming the file.
    void exportChart(const QString& path);
    void exportTable(const QString& path);  // CSV

  protected:
    QHBoxLayout* controls() const { return controls_; }
    // Adds a widget under the chart and its table (a detail pane).
    void addBelow(QWidget* widget, int stretch = 1);
    void setTitle(const QString& title);
    // Re-applies the palette's colours and replots (after the data or the palette changed).
    void restyle();
    void changeEvent(QEvent* event) override;

  private:
    void exportWithDialog();
    QCustomPlot* plot_;
    QCPTextElement* title_;
    NumberTableModel* table_ = nullptr;
    QTableView* tableView_ = nullptr;
    QHBoxLayout* controls_;
};

}  // namespace clir::workbench
