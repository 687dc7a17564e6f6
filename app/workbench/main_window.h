// The workbench's main window: the run browser over the store and the selected run's details.
#pragma once

#include <QMainWindow>
#include <memory>

namespace clir::store {
class Database;
}

namespace clir::workbench {

class RunBrowser;
class RunDetails;

class MainWindow : public QMainWindow {
    Q_OBJECT
  public:
    explicit MainWindow(const QString& databasePath, QWidget* parent = nullptr);
    ~MainWindow() override;

    RunBrowser* runBrowser() const { return browser_; }
    RunDetails* runDetails() const { return details_; }

  private:
    std::unique_ptr<store::Database> db_;
    RunBrowser* browser_;
    RunDetails* details_;
};

}  // namespace clir::workbench
