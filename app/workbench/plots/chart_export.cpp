// Chart and table export (see chart_export.h).
#include "app/workbench/plots/chart_export.h"

#include <QAbstractItemModel>
#include <QFileInfo>
#include <QSaveFile>
#include <QSvgGenerator>
#include <qcustomplot.h>

#include <stdexcept>

namespace clir::workbench {
namespace {

[[noreturn]] void fail(const QString& path, const QString& why) {
    throw std::runtime_error((path + ": " + why).toStdString());
}

QString csvField(QString s) {
    if (s.contains(',') || s.contains('"') || s.contains('\n') || s.contains('\r'))
        return '"' + s.replace('"', "\"\"") + '"';
    return s;
}

}  // namespace

void exportChart(QCustomPlot& plot, const QString& path) {
    const QString suffix = QFileInfo(path).suffix().toLower();
    const int w = std::max(plot.width(), 640), h = std::max(plot.height(), 400);
    bool ok = false;
    if (suffix == "png") {
        ok = plot.savePng(path, w, h, 2.0);  // 2x: sharp on high-DPI screens and in papers
    } else if (suffix == "pdf") {
        ok = plot.savePdf(path, w, h);
    } else if (suffix == "svg") {
        QSvgGenerator svg;
        svg.setFileName(path);
        svg.setSize(QSize(w, h));
        svg.setViewBox(QRect(0, 0, w, h));
        svg.setTitle(path);
        QCPPainter painter;
        ok = painter.begin(&svg);
        if (ok) {
            plot.toPainter(&painter, w, h);
            ok = painter.end();
        }
    } else {
        fail(path, "unknown chart format '" + suffix + "' (png, pdf or svg)");
    }
    if (!ok || QFileInfo(path).size() == 0) fail(path, "could not be written");
}

void exportCsv(const QAbstractItemModel& model, const QString& path) {
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Text)) fail(path, file.errorString());
    QStringList header;
    for (int c = 0; c < model.columnCount(); ++c)
        header << csvField(model.headerData(c, Qt::Horizontal).toString());
    QString out = header.join(',') + '\n';
    for (int r = 0; r < model.rowCount(); ++r) {
        QStringList row;
        for (int c = 0; c < model.columnCount(); ++c)
            row << csvField(model.index(r, c).data().toString());
        out += row.join(',') + '\n';
    }
    file.write(out.toUtf8());
    if (!file.commit()) fail(path, file.errorString());
}

}  // namespace clir::workbench
