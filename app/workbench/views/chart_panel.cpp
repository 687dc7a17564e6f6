// Chart panel frame (see chart_panel.h).
#include "app/workbench/views/chart_panel.h"

#include <QEvent>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QMessageBox>
#include <QSplitter>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>
#include <qcustomplot.h>

#include "app/workbench/models/number_table_model.h"
#include "app/workbench/plots/chart_export.h"
#include "app/workbench/plots/chart_theme.h"

namespace clir::workbench {

ChartPanel::ChartPanel(const QString& title, bool withTable, QWidget* parent)
    : QWidget(parent), plot_(new QCustomPlot(this)), controls_(new QHBoxLayout) {
    plot_->plotLayout()->insertRow(0);
    title_ = new QCPTextElement(plot_, title,
                                QFont(font().family(), font().pointSize() + 2, QFont::Bold));
    plot_->plotLayout()->addElement(0, 0, title_);
    plot_->setMinimumSize(360, 260);

    auto* exportButton = new QToolButton(this);
    exportButton->setText(tr("Export…"));
    exportButton->setToolTip(tr("Save the chart as PNG, PDF or SVG, or the table as CSV"));
    connect(exportButton, &QToolButton::clicked, this, &ChartPanel::exportWithDialog);
    controls_->addStretch(1);
    controls_->addWidget(exportButton);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(controls_);
    if (withTable) {
        table_ = new NumberTableModel(this);
        tableView_ = new QTableView(this);
        tableView_->setModel(table_);
        tableView_->verticalHeader()->hide();
        tableView_->setAlternatingRowColors(true);
        tableView_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
        auto* split = new QSplitter(Qt::Horizontal, this);
        split->addWidget(plot_);
        split->addWidget(tableView_);
        split->setStretchFactor(0, 3);
        split->setStretchFactor(1, 2);
        layout->addWidget(split, 1);
    } else {
        layout->addWidget(plot_, 1);
    }
    restyle();
}

QString ChartPanel::title() const {
    return title_->text();
}

void ChartPanel::setTitle(const QString& title) {
    title_->setText(title);
}

void ChartPanel::addBelow(QWidget* widget, int stretch) {
    static_cast<QVBoxLayout*>(layout())->addWidget(widget, stretch);
}

void ChartPanel::restyle() {
    applyTheme(*plot_, palette());
    plot_->replot();
}

void ChartPanel::changeEvent(QEvent* event) {
    if (event->type() == QEvent::PaletteChange) restyle();
    QWidget::changeEvent(event);
}

void ChartPanel::exportChart(const QString& path) {
    workbench::exportChart(*plot_, path);
}

void ChartPanel::exportTable(const QString& path) {
    if (!table_) throw std::runtime_error(path.toStdString() + ": this chart has no table");
    exportCsv(*table_, path);
}

void ChartPanel::exportWithDialog() {
    QString filters = tr("PNG image (*.png);;PDF document (*.pdf);;SVG drawing (*.svg)");
    if (table_) filters += tr(";;Table as CSV (*.csv)");
    QString selected;
    QString path = QFileDialog::getSaveFileName(this, tr("Export %1").arg(title()),
                                                title().toLower().replace(' ', '-') + ".png",
                                                filters, &selected);
    if (path.isEmpty()) return;
    try {
        if (path.endsWith(".csv", Qt::CaseInsensitive))
            exportTable(path);
        else
            exportChart(path);
    } catch (const std::exception& e) {
        QMessageBox::warning(this, tr("Export failed"), QString::fromLocal8Bit(e.what()));
    }
}

}  // namespace clir::workbench
