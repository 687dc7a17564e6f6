// Terminal progress: a redrawn bar with ETA on a terminal, plain throttled lines otherwise
// (logs, CI), so the same job reads well in both.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

#include "core/jobs/job.h"

namespace clir::cli {

class ProgressPrinter {
  public:
    explicit ProgressPrinter(std::FILE* stream = stderr);
    ~ProgressPrinter();
    void update(const jobs::Progress& p);
    void line(const std::string& message);  // a log line that does not break the bar
    void finish();

  private:
    std::FILE* stream_;
    bool tty_;
    bool barShown_ = false;
    std::string lastMessage_;
    std::chrono::steady_clock::time_point start_, lastDraw_;
};

}  // namespace clir::cli
