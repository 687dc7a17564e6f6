// Data-parallel training over c10d (see data_parallel.h).
#include "core/train/data_parallel.h"

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <cstdlib>
#include <stdexcept>

namespace clir::train {
namespace {

int integerVariable(const char* name, int fallback, int lowest) {
    const char* v = std::getenv(name);
    if (!v || !*v) return fallback;
    char* end = nullptr;
    const long x = std::strtol(v, &end, 10);
    if (*end != '\0' || x < lowest || x > 65535)
        throw std::runtime_error(std::string("environment variable ") + name + "='" + v +
                                 "': expected an integer >= " + std::to_string(lowest));
    return int(x);
}

}  // namespace

LaunchEnvironment LaunchEnvironment::fromEnvironment() {
    LaunchEnvironment e;
    e.worldSize = integerVariable("WORLD_SIZE", 1, 1);
    e.rank = integerVariable("RANK", 0, 0);
    if (e.rank >= e.worldSize)
        throw std::runtime_error("environment variable RANK=" + std::to_string(e.rank) +
                                 ": must be below WORLD_SIZE=" + std::to_string(e.worldSize));
    if (const char* a = std::getenv("MASTER_ADDR"); a && *a) e.masterAddress = a;
    e.masterPort = integerVariable("MASTER_PORT", e.masterPort, 1);
    return e;
}

struct DataParallel::Impl {
    c10::intrusive_ptr<c10d::Store> store;
    c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
};

DataParallel::DataParallel(const LaunchEnvironment& env, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>()) {
    const std::string where = env.masterAddress + ":" + std::to_string(env.masterPort);
    try {
        c10d::TCPStoreOptions o;
        o.port = std::uint16_t(env.masterPort);
        o.isServer = env.rank == 0;
        o.numWorkers = std::size_t(env.worldSize);
        o.waitWorkers = true;
        o.timeout = timeout;
        impl_->store = c10::make_intrusive<c10d::TCPStore>(env.masterAddress, o);
        auto options = c10d::ProcessGroupGloo::Options::create(timeout);
        options->devices.push_back(
            c10d::ProcessGroupGloo::createDeviceForHostname(env.masterAddress));
        impl_->group = c10::make_intrusive<c10d::ProcessGroupGloo>(impl_->store, env.rank,
                                                                   env.worldSize, options);
    } catch (const std::exception& e) {
        throw std::runtime_error("data-parallel rendezvous at " + where + " (rank " +
                                 std::to_string(env.rank) + " of " + std::to_string(env.worldSize) +
                                 "): " + e.what());
    }
}

DataParallel::~DataParallel() = default;

int DataParallel::rank() const {
    return impl_->group->getRank();
}

int DataParallel::worldSize() const {
    return impl_->group->getSize();
}

void DataParallel::averageGradients(const std::vector<at::Tensor>& params) {
    const double world = double(worldSize());
    for (const auto& p : params) {
        if (!p.grad().defined()) continue;
        auto& grad = const_cast<at::Tensor&>(p).mutable_grad();
        if (grad.is_sparse()) {
            // Gloo's sparse all-reduce gathers every rank's rows; the result replaces ours.
            std::vector<at::Tensor> t = {grad.coalesce()};
            impl_->group->allreduce(t)->wait();
            grad = t[0].coalesce();
            grad._values().div_(world);
        } else {
            std::vector<at::Tensor> t = {grad};
            impl_->group->allreduce(t)->wait();
            grad.div_(world);
        }
    }
}

void DataParallel::broadcast(const std::vector<at::Tensor>& tensors, int root) {
    at::NoGradGuard noGrad;
    for (const auto& t : tensors) {
        std::vector<at::Tensor> one = {t.detach()};
        c10d::BroadcastOptions o;
        o.rootRank = root;
        impl_->group->broadcast(one, o)->wait();
    }
}

void DataParallel::barrier() {
    impl_->group->barrier()->wait();
}

}  // namespace clir::train
