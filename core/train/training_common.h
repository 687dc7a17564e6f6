// Pieces every training job shares (LibTorch parts only): the sampler RNG as checkpoint text,
// the one device rule and thread setting, and the finite-loss check that fails a run with its
// step.
#pragma once

#include <ATen/Parallel.h>
#include <torch/cuda.h>

#include <c10/core/Device.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstdint>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

namespace clir::train {

inline std::string rngState(const std::mt19937_64& rng) {
    std::ostringstream s;
    s << rng;
    return s.str();
}

inline void setRngState(std::mt19937_64& rng, const std::string& state) {
    std::istringstream s(state);
    s >> rng;
}

// model.device: cuda (an error without a usable device), cpu, or auto (CUDA when present).
inline c10::Device pickDevice(const std::string& wanted) {
    if (wanted == "cuda" && !torch::cuda::is_available())
        throw std::runtime_error(
            "model.device is cuda but this LibTorch has no usable CUDA device");
    if (wanted == "cuda" || (wanted == "auto" && torch::cuda::is_available())) {
        // Data-parallel workers on one machine take a GPU each (LOCAL_RANK, as torchrun sets it).
        const char* local = std::getenv("LOCAL_RANK");
        const int count = int(torch::cuda::device_count());
        const int index = local && count > 0 ? std::max(0, std::atoi(local)) % count : 0;
        return c10::Device(c10::kCUDA, c10::DeviceIndex(index));
    }
    return c10::kCPU;
}

// model.threads (0: the cores, shared by the LOCAL_WORLD_SIZE data-parallel processes of this
// machine) for LibTorch's intra-op pool, then the device of model.device.
inline c10::Device setUpCompute(int threads, const std::string& device) {
    int local = 1;
    if (const char* v = std::getenv("LOCAL_WORLD_SIZE"); v && std::atoi(v) > 0)
        local = std::atoi(v);
    const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
    at::set_num_threads(threads > 0 ? threads : std::max(1, cores / local));
    return pickDevice(device);
}

// A NaN or infinite loss ends the run as failed, naming the step (1-based).
inline void requireFiniteLoss(double loss, std::int64_t step) {
    if (!std::isfinite(loss))
        throw std::runtime_error("loss is " + std::string(std::isnan(loss) ? "NaN" : "infinite") +
                                 " at step " + std::to_string(step));
}

}  // namespace clir::train
