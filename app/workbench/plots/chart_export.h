// Export of charts (PNG, PDF, SVG, chosen by the file's suffix) and of tables (CSV). Errors are
// std::runtime_error naming the file.
#pragma once

#include <QString>

class QAbstractItemModel;
class QCustomPlot;

namespace clir::workbench {

void exportChart(QCustomPlot& plot, const QString& path);
// Every row and column of the model as displayed, with a header row; RFC 4180 quoting.
void exportCsv(const QAbstractItemModel& model, const QString& path);

}  // namespace clir::workbench
