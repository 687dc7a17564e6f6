// `clirlab-workbench`: the Qt GUI over the same store and jobs as the CLI.
#include <QApplication>
#include <QCommandLineParser>
#include <QMessageBox>
#include <QPixmap>
#include <QSettings>

#include <QComboBox>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/workbench/main_window.h"
#include "app/workbench/theme.h"
#include "app/workbench/views/results_view.h"
#include "app/workbench/views/per_query_view.h"
#include "app/workbench/views/run_browser.h"
#include "app/workbench/views/scaling_view.h"
#include "core/store/database.h"
#include "core/util/fs.h"

namespace {

// The charts of a report request: {"charts": [{"panel": "results", "runs": [ids], "measure",
// "query_set", "baseline", "file"}]}, each drawn by the workbench's own panel and exported as
// <file>.png and <file>.svg in the light palette.
int drawCharts(const QString& databasePath, const QString& requestPath) {
    const std::string source = requestPath.toStdString();
    auto request = nlohmann::json::parse(clir::fs::readFile(source));
    clir::store::Database db(databasePath.toStdString());
    clir::workbench::applyPalette("light");
    int index = 0;
    for (const auto& c : request.at("charts")) {
        const std::string where = source + ": charts[" + std::to_string(index++) + "]";
        const std::string panel = c.at("panel").get<std::string>();
        if (panel != "results" && panel != "scaling")
            throw std::invalid_argument(where + ": panel '" + panel +
                                        "' cannot be drawn (results, scaling)");
        QVector<qint64> ids;
        for (const auto& id : c.at("runs")) ids << id.get<qint64>();
        const QString file = QString::fromStdString(c.at("file").get<std::string>());
        if (panel == "scaling") {
            clir::workbench::ScalingView view(db);
            view.setRuns(ids);
            view.resize(1200, 640);
            view.show();
            QApplication::processEvents();
            view.exportChart(file + ".png");
            view.exportChart(file + ".svg");
            continue;
        }
        auto view = std::make_unique<clir::workbench::ResultsView>(db);
        auto choose = [&](QComboBox* box, const std::string& field) {
            const QString value = QString::fromStdString(c.at(field).get<std::string>());
            const int at = box->findText(value);
            if (at < 0)
                throw std::invalid_argument(where + ": " + field + " '" + value.toStdString() +
                                            "' is not offered");
            box->setCurrentIndex(at);
        };
        choose(view->measureChooser(), "measure");
        choose(view->querySetChooser(), "query_set");
        view->setRuns(ids);
        view->setBaseline(c.value("baseline", qint64(0)));
        view->resize(1200, 640);
        view->show();
        QApplication::processEvents();
        view->exportChart(file + ".png");
        view->exportChart(file + ".svg");
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setOrganizationName("clirlab");
    QApplication::setApplicationName("clirlab-workbench");
    QCommandLineParser parser;
    parser.setApplicationDescription("clirlab: cross-lingual retrieval experiment workbench");
    parser.addHelpOption();
    QCommandLineOption db("db", "Database file (default: the last one opened, else the default).",
                          "file");
    QCommandLineOption shot("screenshot", "Save a PNG of the window (or of --panel) and quit.",
                            "png");
    QCommandLineOption panel("panel",
                             "With --screenshot: one panel (" +
                                 clir::workbench::MainWindow::panelNames().join(", ") + ").",
                             "name");
    QCommandLineOption select("select", "Select these runs first (comma-separated ids).", "ids");
    QCommandLineOption baseline("baseline", "Results panel: mark differences from this run id.",
                                "id");
    QCommandLineOption query("query",
                             "Per-query panel: open the ranked pages of this row (0 is the query "
                             "where the second run gains most).",
                             "row");
    QCommandLineOption charts("charts",
                              "Draw the charts a JSON request lists (clirlab report writes it) as "
                              "PNG and SVG, then quit.",
                              "json");
    QCommandLineOption palette("palette", "light, dark or system (default).", "name", "system");
    QCommandLineOption size("size", "With --screenshot: the size, WIDTHxHEIGHT.", "size",
                            "1400x900");
    for (const auto& o : {db, shot, panel, select, baseline, query, charts, palette, size})
        parser.addOption(o);
    parser.process(app);
    try {
        clir::workbench::applyPalette(parser.value(palette));
        QString path = parser.value(db);
        if (path.isEmpty())
            path = QSettings()
                       .value("database", QString::fromStdString(clir::fs::defaultDatabasePath()))
                       .toString();
        if (parser.isSet(charts)) return drawCharts(path, parser.value(charts));
        const bool screenshot = parser.isSet(shot);
        const QString panelName = parser.value(panel);
        if (!panelName.isEmpty() && !clir::workbench::MainWindow::panelNames().contains(panelName))
            throw std::invalid_argument(
                "--panel: unknown panel '" + panelName.toStdString() + "' (" +
                clir::workbench::MainWindow::panelNames().join(", ").toStdString() + ")");
        QStringList wh = parser.value(size).split('x');
        if (wh.size() != 2 || wh[0].toInt() <= 0 || wh[1].toInt() <= 0)
            throw std::invalid_argument("--size: expected WIDTHxHEIGHT, got '" +
                                        parser.value(size).toStdString() + "'");
        const QSize shotSize(wh[0].toInt(), wh[1].toInt());
        clir::workbench::MainWindow window(path, !screenshot);
        if (parser.isSet(select)) {
            QVector<qint64> ids;
            for (const auto& s : parser.value(select).split(',', Qt::SkipEmptyParts)) {
                bool ok = false;
                ids << s.trimmed().toLongLong(&ok);
                if (!ok)
                    throw std::invalid_argument("--select: '" + s.toStdString() +
                                                "' is not a run id");
            }
            window.runBrowser()->selectRuns(ids);
        }
        if (parser.isSet(baseline))
            window.results()->setBaseline(parser.value(baseline).toLongLong());
        if (parser.isSet(query)) {
            bool ok = false;
            const int row = parser.value(query).toInt(&ok);
            if (!ok || row < 0 || row >= int(window.perQuery()->differences().rows.size()))
                throw std::invalid_argument(
                    "--query: '" + parser.value(query).toStdString() +
                    "' is not a row of the "
                    "per-query panel (0 to " +
                    std::to_string(int(window.perQuery()->differences().rows.size()) - 1) +
                    "; select two runs with --select)");
            window.perQuery()->showQuery(row);
        }
        if (screenshot) window.resize(shotSize);
        window.show();
        if (screenshot) {
            QApplication::processEvents();
            QPixmap image = window.renderPanel(panelName, shotSize);
            if (image.isNull() || !image.save(parser.value(shot))) {
                std::fprintf(stderr, "%s: could not be written\n", qPrintable(parser.value(shot)));
                return 1;
            }
            return 0;
        }
        return app.exec();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "clirlab-workbench: %s\n", e.what());
        if (!parser.isSet(shot) && qEnvironmentVariable("QT_QPA_PLATFORM") != "offscreen")
            QMessageBox::critical(nullptr, "clirlab", QString::fromLocal8Bit(e.what()));
        return 1;
    }
}
