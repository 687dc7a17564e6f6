// Chart colours from the widget palette, so charts follow the system light or dark theme, and a
// series palette that stays distinguishable on both (Okabe & Ito 2008, colour-blind safe).
#pragma once

#include <QBrush>
#include <QColor>
#include <QPalette>

class QCustomPlot;

namespace clir::workbench {

// Background, axes, ticks, grid, legend and title colours of every axis rect from `palette`.
void applyTheme(QCustomPlot& plot, const QPalette& palette);
// The i-th series colour (cycles through 10).
QColor seriesColor(int i);
// The i-th series fill for bars: its colour, solid for the first 10, then hatched (one hatch per
// further 10), so a chart of more than 10 series repeats no fill.
QBrush seriesBrush(int i);
// Moves the legend out of the plot into a row under it, filled row by row in `columns` columns,
// so that it never hides data.
void placeLegendBelow(QCustomPlot& plot, int columns);
// True when the palette's window colour is dark.
bool isDark(const QPalette& palette);

}  // namespace clir::workbench
