// Data-parallel training over c10d (see data_parallel.h).
#include "core/train/data_parallel.h"

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <cstdint>
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

// Waits for a collective; a peer that stopped (its process killed, its machine gone) surfaces
// here as Gloo's "connection closed", named for what it means to a run.
void await(const c10::intrusive_ptr<c10d::Work>& work, const char* what) {
    try {
        work->wait();
    } catch (const std::exception& e) {
        throw std::runtime_error(std::string("data-parallel ") + what +
                                 " failed: another rank stopped or cannot be reached (" + e.what() +
                                 ")");
    }
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

DataParallel::DataParallel(const LaunchEnvironment& env, std::chrono::milliseconds rendezvous,
                           std::chrono::milliseconds operations)
    : impl_(std::make_unique<Impl>()) {
    const std::string where = env.masterAddress + ":" + std::to_string(env.masterPort);
    try {
        c10d::TCPStoreOptions o;
        o.port = std::uint16_t(env.masterPort);
        o.isServer = env.rank == 0;
        o.numWorkers = std::size_t(env.worldSize);
        o.waitWorkers = true;
        o.timeout = rendezvous;
        impl_->store = c10::make_intrusive<c10d::TCPStore>(env.masterAddress, o);
        auto options = c10d::ProcessGroupGloo::Options::create(operations);
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
            std::vector<at::Tensor> t = {grad.coalesce().cpu()};
            await(impl_->group->allreduce(t), "gradient all-reduce");
            grad = t[0].coalesce().to(grad.device());
            grad._values().div_(world);
        } else {
            allReduceSum(grad);
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
        await(impl_->group->broadcast(one, o), "broadcast");
    }
}

void DataParallel::barrier() {
    await(impl_->group->barrier(), "barrier");
}

void DataParallel::allReduceSum(at::Tensor& t) {
    at::NoGradGuard noGrad;
    std::vector<at::Tensor> one = {t.device().is_cpu() ? t : t.cpu()};
    await(impl_->group->allreduce(one), "all-reduce");
    if (!t.device().is_cpu()) t.copy_(one[0]);
}

std::vector<double> DataParallel::average(const std::vector<double>& values) {
    if (values.empty()) return {};
    auto t = at::tensor(values, at::kDouble);
    allReduceSum(t);
    t.div_(double(worldSize()));
    return {t.data_ptr<double>(), t.data_ptr<double>() + t.numel()};
}

bool DataParallel::broadcastFlag(bool value) {
    auto t = at::full({1}, value ? 1 : 0, at::kInt);
    broadcast({t});
    return t.item<int>() != 0;
}

void DataParallel::broadcastText(std::string& text) {
    auto length = at::full({1}, std::int64_t(text.size()), at::kLong);
    broadcast({length});
    auto bytes = at::zeros({length.item<std::int64_t>()}, at::kByte);
    if (rank() == 0) std::copy(text.begin(), text.end(), bytes.data_ptr<std::uint8_t>());
    broadcast({bytes});
    text.assign(bytes.data_ptr<std::uint8_t>(), bytes.data_ptr<std::uint8_t>() + bytes.numel());
}

namespace {

// gatherRows as an autograd function: forward all-gathers, backward sums the incoming
// gradients over the ranks and keeps this rank's rows.
class GatherRows : public torch::autograd::Function<GatherRows> {
  public:
    static at::Tensor forward(torch::autograd::AutogradContext* ctx, at::Tensor local,
                              c10d::ProcessGroupGloo* group) {
        ctx->saved_data["group"] = std::int64_t(reinterpret_cast<std::intptr_t>(group));
        ctx->saved_data["rows"] = local.size(0);
        auto cpu = local.detach().cpu().contiguous();
        std::vector<at::Tensor> inputs = {cpu};
        std::vector<std::vector<at::Tensor>> outputs(1);
        for (int r = 0; r < group->getSize(); ++r) outputs[0].push_back(at::empty_like(cpu));
        await(group->allgather(outputs, inputs), "all-gather");
        return at::cat(outputs[0], 0).to(local.device());
    }
    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list grads) {
        auto* group = reinterpret_cast<c10d::ProcessGroupGloo*>(
            std::intptr_t(ctx->saved_data["group"].toInt()));
        const auto rows = ctx->saved_data["rows"].toInt();
        auto g = grads[0].cpu().contiguous().clone();
        std::vector<at::Tensor> one = {g};
        await(group->allreduce(one), "all-gather backward");
        return {one[0].narrow(0, group->getRank() * rows, rows).to(grads[0].device()),
                at::Tensor()};
    }
};

}  // namespace

at::Tensor DataParallel::gatherRows(const at::Tensor& local) {
    return GatherRows::apply(local, impl_->group.get());
}

void DataParallel::publish(const std::string& key, const std::string& value) {
    impl_->store->set(key, std::vector<std::uint8_t>(value.begin(), value.end()));
}

std::string DataParallel::lookup(const std::string& key) {
    auto v = impl_->store->get(key);
    return {v.begin(), v.end()};
}

}  // namespace clir::train
