// Chart theme (see chart_theme.h).
#include "app/workbench/plots/chart_theme.h"

#include <qcustomplot.h>

namespace clir::workbench {

bool isDark(const QPalette& palette) {
    return palette.color(QPalette::Window).lightness() < 128;
}

QColor seriesColor(int i) {
    // Okabe-Ito without black (unreadable on dark backgrounds), then two of Tol's muted colours.
    static const QColor colors[] = {QColor(0x00, 0x72, 0xb2), QColor(0xe6, 0x9f, 0x00),
                                    QColor(0x00, 0x9e, 0x73), QColor(0xd5, 0x5e, 0x00),
                                    QColor(0xcc, 0x79, 0xa7), QColor(0x56, 0xb4, 0xe9),
                                    QColor(0x99, 0x99, 0x99), QColor(0xf0, 0xe4, 0x42),
                                    QColor(0x88, 0x22, 0x55), QColor(0x44, 0xaa, 0x99)};
    return colors[((i % 10) + 10) % 10];
}

QBrush seriesBrush(int i) {
    static const Qt::BrushStyle styles[] = {Qt::SolidPattern, Qt::BDiagPattern,
                                            Qt::FDiagPattern, Qt::DiagCrossPattern,
                                            Qt::HorPattern,   Qt::VerPattern};
    const int round = (i < 0 ? 0 : i) / 10;
    return QBrush(seriesColor(i), styles[round % 6]);
}

void placeLegendBelow(QCustomPlot& plot, int columns) {
    auto* legend = plot.legend;
    if (!legend) return;
    if (legend->layout() == plot.axisRect()->insetLayout()) {
        plot.axisRect()->insetLayout()->take(legend);
        plot.axisRect()->insetLayout()->simplify();
        plot.plotLayout()->addElement(plot.plotLayout()->rowCount(), 0, legend);
        plot.plotLayout()->setRowStretchFactor(plot.plotLayout()->rowCount() - 1, 0.001);
    }
    legend->setFillOrder(QCPLegend::foColumnsFirst);
    legend->setWrap(columns);
    legend->setMargins(QMargins(6, 2, 6, 2));
    legend->setVisible(true);
}

void applyTheme(QCustomPlot& plot, const QPalette& palette) {
    const QColor bg = palette.color(QPalette::Base), fg = palette.color(QPalette::Text);
    QColor grid = fg;
    grid.setAlpha(40);
    QColor subGrid = fg;
    subGrid.setAlpha(18);
    auto styleAxis = [&](QCPAxis* axis) {
        axis->setBasePen(QPen(fg));
        axis->setTickPen(QPen(fg));
        axis->setSubTickPen(QPen(fg));
        axis->setTickLabelColor(fg);
        axis->setLabelColor(fg);
    };
    plot.setBackground(bg);
    for (auto* rect : plot.axisRects()) {
        rect->setBackground(bg);
        for (auto* axis : rect->axes()) {
            styleAxis(axis);
            axis->grid()->setPen(QPen(grid, 1, Qt::DotLine));
            axis->grid()->setSubGridPen(QPen(subGrid, 1, Qt::DotLine));
            axis->grid()->setZeroLinePen(QPen(grid));
        }
    }
    if (plot.legend) {
        plot.legend->setBrush(QBrush(bg));
        plot.legend->setBorderPen(QPen(grid));
        plot.legend->setTextColor(fg);
    }
    for (auto* element : plot.plotLayout()->elements(true)) {
        if (auto* title = qobject_cast<QCPTextElement*>(element)) title->setTextColor(fg);
        if (auto* scale = qobject_cast<QCPColorScale*>(element)) styleAxis(scale->axis());
    }
    for (int i = 0; i < plot.itemCount(); ++i)
        if (auto* text = qobject_cast<QCPItemText*>(plot.item(i))) text->setColor(fg);
}

}  // namespace clir::workbench
