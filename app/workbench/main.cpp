// `clirlab-workbench`: the Qt GUI over the same store and jobs as the CLI.
#include <QApplication>
#include <QCommandLineParser>
#include <QMessageBox>

#include "app/workbench/main_window.h"
#include "core/util/fs.h"

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setApplicationName("clirlab-workbench");
    QCommandLineParser parser;
    parser.setApplicationDescription("clirlab: cross-lingual retrieval experiment workbench");
    parser.addHelpOption();
    QCommandLineOption db("db", "Database file.", "file",
                          QString::fromStdString(clir::fs::defaultDatabasePath()));
    QCommandLineOption shot("screenshot", "Save a screenshot of the window to <png> and quit.",
                            "png");
    parser.addOption(db);
    parser.addOption(shot);
    parser.process(app);
    try {
        clir::workbench::MainWindow window(parser.value(db));
        window.show();
        if (parser.isSet(shot)) {
            QApplication::processEvents();
            bool ok = window.grab().save(parser.value(shot));
            return ok ? 0 : 1;
        }
        return app.exec();
    } catch (const std::exception& e) {
        QMessageBox::critical(nullptr, "clirlab", QString::fromLocal8Bit(e.what()));
        return 1;
    }
}
