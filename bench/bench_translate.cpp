// Benchmark for issue 6: batched decoding of the NMT baseline with the incremental decoder
// (decodeStep, one position per step) against re-running the decoder over the whole prefix at
// every step (LibTorch's TransformerDecoderLayer as is), on the same model and sources: the nmt-xs
// shape (2+2 layers, width 128, 4,000 pieces), 256 query-length sources (12 tokens), greedy and
// beam 4, each in its own process with its peak memory. Weights are random, so every sentence
// runs to its length guard (2 x 12 + 10 tokens): the worst case an undertrained model shows.
#include <ATen/Parallel.h>
#include <torch/nn/module.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "bench/bench_child.h"
#include "core/model/encoder_config.h"
#include "core/model/nmt_model.h"

using namespace clir;

int main() {
    const int threads = int(std::max(1u, std::thread::hardware_concurrency()));
    const std::int64_t sentences = 256, length = 12;
    std::printf("NMT decoding, %lld sources of %lld tokens, batches of 64, %d threads\n",
                (long long)sentences, (long long)length, threads);
    auto time = [&](int beam, bool incremental) {
        return bench::inChild([&] {
            at::set_num_threads(threads);
            torch::manual_seed(0);
            model::EncoderConfig c;
            c.vocabSize = 4000;
            c.hidden = 128;
            c.layers = 2;
            c.heads = 4;
            c.ffn = 512;
            c.maxPositions = 48;
            model::NmtModel net(c);
            net->eval();
            auto ids = torch::randint(4, c.vocabSize, {sentences, length}, torch::kLong);
            std::vector<std::vector<std::int64_t>> src;
            for (std::int64_t i = 0; i < sentences; ++i)
                src.emplace_back(ids[i].data_ptr<std::int64_t>(),
                                 ids[i].data_ptr<std::int64_t>() + length);
            model::DecodeOptions o;
            o.beamSize = beam;
            o.maxLength = c.maxPositions;
            o.incremental = incremental;
            auto start = std::chrono::steady_clock::now();
            for (std::int64_t i = 0; i < sentences; i += 64)
                model::translate(*net, {src.begin() + i, src.begin() + i + 64}, o);
            double s =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            return std::to_string(s);
        });
    };
    for (int beam : {1, 4}) {
        auto ours = time(beam, true), full = time(beam, false);
        double s = std::stod(ours.output), sFull = std::stod(full.output);
        std::printf("beam %d\n", beam);
        std::printf("  incremental decoder        %7.2f s  %7.1f sentences/s  peak %6.1f MiB\n", s,
                    double(sentences) / s, ours.peakMiB);
        std::printf(
            "  full prefix every step     %7.2f s  %7.1f sentences/s  peak %6.1f MiB  "
            "speed-up %.1fx\n",
            sFull, double(sentences) / sFull, full.peakMiB, sFull / s);
    }
    return 0;
}
