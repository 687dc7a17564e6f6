// Benchmark for issue 4: MLM training throughput of the `s` preset (~5M parameters) for a fixed
// number of steps on identical synthetic batches, clirlab's LibTorch encoder against the same
// model in Python PyTorch (bench/pretrain_reference.py), each in its own process with its peak
// memory. Prints tokens/s and the C++/Python ratio.
#include "bench/bench_child.h"

#include <torch/nn/module.h>
#include <torch/nn/utils/clip_grad.h>
#include <thread>
#include <torch/optim/adamw.h>
#include <torch/csrc/autograd/profiler_legacy.h>

#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <sstream>
#include <string>

#include "core/model/xlmr_encoder.h"
#include "core/util/blas_threads.h"
#include "core/util/process.h"

using namespace clir;

using bench::inChild;

int main(int argc, char** argv) {
    const std::int64_t B = 32, T = 64, steps = argc > 1 ? std::stoll(argv[1]) : 20;
    const int threads = int(std::max(1u, std::thread::hardware_concurrency()));
    auto cfg = model::presetConfig("s");
    auto ours = inChild([&] {
        ScopedBlasThreads oneBlasThread(1);  // as the training jobs run (see blas_threads.h)
        at::set_num_threads(threads);
        torch::manual_seed(0);
        model::XlmrEncoder net(cfg);
        torch::optim::AdamW opt(
            net->parameters(),
            torch::optim::AdamWOptions(5e-4).betas({0.9, 0.98}).eps(1e-6).weight_decay(0.01));
        auto ids = torch::randint(4, cfg.vocabSize, {B, T}, torch::kLong);
        auto mask = torch::ones({B, T}, torch::kLong);
        auto labels = torch::where(torch::rand({B, T}) < 0.15, ids, torch::full_like(ids, -100));
        auto step = [&] {
            auto picked = labels.ne(-100);
            auto loss = at::cross_entropy_loss(
                net->mlmLogits(net->forward(ids, mask).index({picked})), labels.index({picked}));
            opt.zero_grad();
            loss.backward();
            torch::nn::utils::clip_grad_norm_(net->parameters(), 1.0);
            opt.step();
        };
        step();
        step();  // untimed warm-up
        // CLIRLAB_PROFILE=FILE: three more steps under LibTorch's profiler, as a Chrome trace
        // (bench/profile_summary.py FILE prints the time per operator).
        if (const char* trace = std::getenv("CLIRLAB_PROFILE"); trace && *trace) {
            torch::autograd::profiler::RecordProfile profile{std::string(trace)};
            for (int i = 0; i < 3; ++i) step();
        }
        auto start = std::chrono::steady_clock::now();
        for (std::int64_t i = 0; i < steps; ++i) step();
        double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        return std::to_string(B * T * steps) + " " + std::to_string(s);
    });
    auto ref = inChild([&] {
        auto r = runProcess(
            {"/usr/bin/python3", std::string(CLIRLAB_SOURCE_DIR) + "/bench/pretrain_reference.py",
             std::to_string(cfg.vocabSize), std::to_string(cfg.hidden), std::to_string(cfg.layers),
             std::to_string(cfg.heads), std::to_string(cfg.ffn), std::to_string(B),
             std::to_string(T), std::to_string(steps), std::to_string(threads)});
        return r.exitCode == 0 ? r.out : "0 1 " + r.err;
    });
    double tOurs = 0, sOurs = 1, tRef = 0, sRef = 1;
    std::istringstream(ours.output) >> tOurs >> sOurs;
    std::istringstream(ref.output) >> tRef >> sRef;
    // The reference runs as a grandchild; its own peak is reported through RUSAGE_CHILDREN here.
    struct rusage children {};
    ::getrusage(RUSAGE_CHILDREN, &children);
    std::printf(
        "MLM training, preset s (%lld parameters incl. MLM head), batch %lld x %lld tokens, %lld "
        "steps, %d threads\n",
        (long long)model::countParameters(cfg).withMlmHead(), (long long)B, (long long)T,
        (long long)steps, threads);
    std::printf("  clirlab (LibTorch C++)  %8.0f tokens/s   peak %6.1f MiB\n", tOurs / sOurs,
                ours.peakMiB);
    std::printf("  Python PyTorch          %8.0f tokens/s   peak %6.1f MiB\n", tRef / sRef,
                double(children.ru_maxrss) / 1024.0);
    std::printf("  ratio C++/Python: %.2fx\n", (tOurs / sOurs) / (tRef / sRef));
    return tRef > 0 ? 0 : 1;
}
