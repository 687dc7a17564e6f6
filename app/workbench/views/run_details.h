// The selected run's provenance and outcome: status and error, code version, config, and the
// corpus it built or used with its statistics.
#pragma once

#include <QTextBrowser>
#include <cstdint>

namespace clir::store {
class Database;
}

namespace clir::workbench {

class RunDetails : public QTextBrowser {
    Q_OBJECT
  public:
    explicit RunDetails(store::Database& db, QWidget* parent = nullptr);

  public slots:
    void showRun(std::int64_t runId);  // 0 clears

  private:
    store::Database& db_;
};

}  // namespace clir::workbench
