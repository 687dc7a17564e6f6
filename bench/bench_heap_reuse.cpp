// Benchmark: a training step of the deepest lexical encoder (lex-m: 4 layers, 4 heads) with the
// C library's default allocation against the same step inside ScopedHeapReuse (as every job
// runs since the change), each in its own process with its peak memory. The step is the
// teacher recipe's shape: 32 queries of 24 pieces and 32 pages cut at 256, both through the
// encoder, MaxSim scores, in-batch cross-entropy, backward. Attention scores of one layer are
// 32 x 4 x 256 x 256 floats (33.5 MB): above glibc's largest mmap threshold, so by default each
// is a fresh mapping, zero-filled one page fault at a time. Prints ms/step, minor page faults
// per step, and whether both gave the same losses to the last digit (allocation must not touch
// the arithmetic).
#include "bench/bench_child.h"

#include <ATen/ATen.h>
#include <torch/nn/functional/loss.h>
#include <torch/utils.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/model/retrieval_model.h"
#include "core/model/tokenizer.h"
#include "core/util/blas_threads.h"
#include "core/util/heap_reuse.h"

using namespace clir;

namespace {

struct Figures {
    double msPerStep = 0, faultsPerStep = 0;
    std::string losses;  // every timed step's loss, %.17g
};

std::string timedSteps(bool reuse, std::int64_t warmup, std::int64_t steps) {
    std::unique_ptr<ScopedHeapReuse> scope;
    if (reuse) scope = std::make_unique<ScopedHeapReuse>();
    ScopedBlasThreads oneBlasThread(1);  // as the retrieval jobs run
    at::set_num_threads(int(std::max(1u, std::thread::hardware_concurrency())));
    torch::manual_seed(0);
    const auto cfg = model::presetConfig("lex-m");
    model::RetrievalModel m(cfg);
    std::vector<std::string> pieces = {"<s>", "<pad>", "</s>", "<unk>", "<mask>"};
    while (std::int64_t(pieces.size()) < cfg.vocabSize)
        pieces.push_back(std::string(model::Tokenizer::kWordMark) + "w" +
                         std::to_string(pieces.size()));
    m->encoder->setPieces(pieces);
    m->train();
    const std::int64_t batch = 32;
    auto tokens = [&](std::int64_t length) {
        auto ids = at::randint(5, cfg.vocabSize, {batch, length}, at::kLong);
        ids.select(1, 0).fill_(model::Tokenizer::kBos);
        ids.select(1, length - 1).fill_(model::Tokenizer::kEos);
        return ids;
    };
    std::ostringstream losses;
    losses.precision(17);
    rusage before{}, after{};
    auto start = std::chrono::steady_clock::now();
    for (std::int64_t s = 0; s < warmup + steps; ++s) {
        if (s == warmup) {
            ::getrusage(RUSAGE_SELF, &before);
            start = std::chrono::steady_clock::now();
        }
        const auto qIds = tokens(24), dIds = tokens(256);
        const auto qMask = at::ones_like(qIds), dMask = at::ones_like(dIds);
        const auto q = m->forward(qIds, qMask), d = m->forward(dIds, dMask);
        const auto scores = model::scoreMatrix("maxsim", q, model::contentMask(qIds, qMask), d,
                                               model::contentMask(dIds, dMask));
        const auto loss =
            torch::nn::functional::cross_entropy(scores / 0.05, at::arange(batch, at::kLong));
        m->zero_grad();
        loss.backward();
        if (s >= warmup) losses << loss.item<double>() << ' ';
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ::getrusage(RUSAGE_SELF, &after);
    std::ostringstream out;
    out << 1e3 * seconds / double(steps) << ' '
        << double(after.ru_minflt - before.ru_minflt) / double(steps) << ' ' << losses.str();
    return out.str();
}

Figures parse(const std::string& text) {
    Figures f;
    std::istringstream in(text);
    in >> f.msPerStep >> f.faultsPerStep;
    std::getline(in, f.losses);
    return f;
}

}  // namespace

int main(int argc, char** argv) {
    const std::int64_t steps = argc > 1 ? std::atoll(argv[1]) : 6, warmup = 2;
    if (steps < 1) {
        std::fprintf(stderr, "usage: bench_heap_reuse [STEPS >= 1]\n");
        return 2;
    }
    const auto plain = bench::inChild([&] { return timedSteps(false, warmup, steps); });
    const auto reused = bench::inChild([&] { return timedSteps(true, warmup, steps); });
    const auto a = parse(plain.output), b = parse(reused.output);
    std::printf(
        "Training step of lex-m (4 layers, 4 heads, d 128): 32 queries x 24 + 32 pages x 256 "
        "pieces, MaxSim, backward; %lld steps after %lld\n",
        (long long)steps, (long long)warmup);
    std::printf("  default allocation      %8.1f ms/step  %9.0f page faults/step  peak %7.1f MiB\n",
                a.msPerStep, a.faultsPerStep, plain.peakMiB);
    std::printf("  ScopedHeapReuse         %8.1f ms/step  %9.0f page faults/step  peak %7.1f MiB\n",
                b.msPerStep, b.faultsPerStep, reused.peakMiB);
    const bool same = !a.losses.empty() && a.losses == b.losses;
    std::printf("  ratio default/reuse: %.2fx; losses equal to the last digit: %s\n",
                a.msPerStep / b.msPerStep, same ? "yes" : "no");
    if (a.msPerStep <= 0 || b.msPerStep <= 0)
        std::printf("  failed: %s | %s\n", plain.output.c_str(), reused.output.c_str());
    return same ? 0 : 1;
}
