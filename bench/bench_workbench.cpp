// Benchmark for issue 7: does the workbench's event loop stay responsive while a training job
// runs? A 10 ms timer on the UI thread records how late each tick fires, first with the window
// idle (the reference, same run) and then while the job queue trains the xs encoder (pretrain-xs
// cut to 100 steps, tokenizer training included) with its loss curve selected and refreshing
// live. Goal: the 99th percentile of lateness under 50 ms. Needs the real corpus (`clirlab data
// build`); runs offscreen.
#include <QApplication>
#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QTimer>

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <vector>

#include "app/workbench/main_window.h"
#include "app/workbench/models/job_queue.h"
#include "app/workbench/views/run_browser.h"
#include "core/jobs/experiment.h"
#include "core/config/experiment_spec.h"

using namespace clir;

namespace {

struct Lateness {
    double p50 = 0, p99 = 0, max = 0;
    std::size_t ticks = 0;
};

// Runs the event loop until `done` says so, timing a 10 ms timer's ticks.
template <typename Done>
Lateness measure(Done done) {
    std::vector<double> late;
    QElapsedTimer clock;
    clock.start();
    qint64 last = clock.nsecsElapsed();
    QTimer tick;
    tick.setTimerType(Qt::PreciseTimer);
    QEventLoop loop;
    QObject::connect(&tick, &QTimer::timeout, [&] {
        qint64 now = clock.nsecsElapsed();
        late.push_back(std::max(0.0, (now - last) / 1e6 - 10.0));
        last = now;
        if (done()) loop.quit();
    });
    tick.start(10);
    loop.exec();
    std::sort(late.begin(), late.end());
    Lateness l;
    l.ticks = late.size();
    if (!late.empty()) {
        l.p50 = late[late.size() / 2];
        l.p99 = late[std::min(late.size() - 1, std::size_t(0.99 * double(late.size())))];
        l.max = late.back();
    }
    return l;
}

}  // namespace

int main(int argc, char** argv) {
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QTemporaryDir tmp;
    workbench::MainWindow w(tmp.filePath("bench.db"), false);
    w.show();

    QElapsedTimer idleClock;
    idleClock.start();
    auto idle = measure([&] { return idleClock.elapsed() > 5000; });

    auto spec =
        jobs::loadExperiment(std::string(CLIRLAB_SOURCE_DIR) + "/experiments/pretrain-xs.json");
    spec.name = "bench-ui";
    spec.config["pretrain"]["steps"] = 100;
    spec.config["pretrain"]["warmup_steps"] = 10;
    spec.config["pretrain"]["log_every"] = 2;
    spec.config["name"] = spec.name;
    spec = jobs::parseExperiment(spec.config.dump(), "bench-ui");
    QElapsedTimer jobClock;
    jobClock.start();
    qint64 id = w.jobQueue()->enqueue(spec);
    w.runBrowser()->refresh();
    w.runBrowser()->selectRuns({id});
    auto busy = measure([&] { return w.jobQueue()->idle(); });
    const double jobSeconds = jobClock.elapsed() / 1000.0;

    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    std::printf("Workbench event loop, 10 ms timer lateness (ms)\n");
    std::printf("  idle window (reference)   p50 %6.2f  p99 %6.2f  max %7.2f  (%zu ticks)\n",
                idle.p50, idle.p99, idle.max, idle.ticks);
    std::printf(
        "  training job running      p50 %6.2f  p99 %6.2f  max %7.2f  (%zu ticks, "
        "job %.0f s)\n",
        busy.p50, busy.p99, busy.max, busy.ticks, jobSeconds);
    std::printf("  p99 while training / idle: %.1fx; goal p99 < 50 ms: %s\n",
                busy.p99 / std::max(idle.p99, 0.01), busy.p99 < 50 ? "met" : "NOT met");
    std::printf("  peak memory (UI + job): %.1f MiB\n", usage.ru_maxrss / 1024.0);
    return 0;
}
