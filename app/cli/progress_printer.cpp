// Progress output (see progress_printer.h).
#include "app/cli/progress_printer.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace clir::cli {

ProgressPrinter::ProgressPrinter(std::FILE* stream)
    : stream_(stream),
      tty_(::isatty(::fileno(stream)) != 0),
      start_(std::chrono::steady_clock::now()),
      lastDraw_(start_ - std::chrono::hours(1)) {}

ProgressPrinter::~ProgressPrinter() {
    finish();
}

void ProgressPrinter::update(const jobs::Progress& p) {
    auto now = std::chrono::steady_clock::now();
    double sinceDraw = std::chrono::duration<double>(now - lastDraw_).count();
    double elapsed = std::chrono::duration<double>(now - start_).count();
    if (!tty_) {
        // Plain lines: only when the message changes and at most every 2 s.
        if (p.message == lastMessage_ || (sinceDraw < 2.0 && p.fraction < 1.0)) return;
        std::fprintf(stream_, "[%5.1f%%] %s\n", 100.0 * p.fraction, p.message.c_str());
        std::fflush(stream_);
        lastMessage_ = p.message;
        lastDraw_ = now;
        return;
    }
    if (sinceDraw < 0.1 && p.fraction < 1.0) return;
    lastDraw_ = now;
    const int width = 30;
    int filled = static_cast<int>(std::round(width * std::clamp(p.fraction, 0.0, 1.0)));
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.resize(width, '-');
    std::string eta = "--:--";
    if (p.fraction > 0.01 && p.fraction < 1.0) {
        int left = static_cast<int>(elapsed * (1.0 - p.fraction) / p.fraction);
        char buf[16];
        std::snprintf(buf, sizeof(buf), "%02d:%02d", left / 60, left % 60);
        eta = buf;
    }
    std::string msg = p.message.substr(0, 60);
    std::fprintf(stream_, "\r\033[K[%s] %5.1f%% ETA %s  %s", bar.c_str(), 100.0 * p.fraction,
                 eta.c_str(), msg.c_str());
    std::fflush(stream_);
    barShown_ = true;
}

void ProgressPrinter::line(const std::string& message) {
    if (tty_ && barShown_) std::fprintf(stream_, "\r\033[K");
    std::fprintf(stream_, "%s\n", message.c_str());
    std::fflush(stream_);
}

void ProgressPrinter::finish() {
    if (tty_ && barShown_) {
        std::fprintf(stream_, "\n");
        std::fflush(stream_);
        barShown_ = false;
    }
}

}  // namespace clir::cli
