// parallel_for's threads, as this library's code sees them (see threads.h).
#include "core/model/threads.h"

#include <ATen/Parallel.h>

#include <mutex>
#include <set>
#include <thread>

namespace clir::model {

int parallelForThreads() {
    std::set<std::thread::id> ids;
    std::mutex lock;
    at::parallel_for(0, 64, 1, [&](std::int64_t, std::int64_t) {
        std::lock_guard<std::mutex> guard(lock);
        ids.insert(std::this_thread::get_id());
    });
    return int(ids.size());
}

}  // namespace clir::model
