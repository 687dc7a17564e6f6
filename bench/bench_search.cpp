// Benchmark for issue 15: neural search as the retrieval loop ranks (MaxSim over whole pages:
// each distinct token vector once in an fp16 index, blocked products against it, each page's
// maximum gathered, top 1000 by topk) against a Python PyTorch brute force of the same scores
// (bench/search_reference.py: every page token's similarity computed, maxima by scatter).
// Synthetic index shaped like the static model's (2,540 pages of whole-page length, 16,000
// distinct vectors of 128 dimensions); 256 queries of up to 8 weighted tokens. Prints queries/s
// of both (and of ours with soft term frequency), the largest score difference (must be < 1e-4),
// the index's memory and peak memory.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_child.h"
#include "core/retrieval/neural_search.h"
#include "core/util/fs.h"
#include "core/util/process.h"

using namespace clir;

namespace {

template <typename T>
void writeRaw(const std::string& path, const at::Tensor& t) {
    auto c = t.contiguous();
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(c.data_ptr<T>()),
              std::streamsize(c.numel() * sizeof(T)));
}

}  // namespace

int main() {
    const std::int64_t pages = 2540, distinct = 16000, dim = 128, queries = 256, maxTokens = 8;
    const std::size_t depth = 1000;
    const int threads = int(std::max(1u, std::thread::hardware_concurrency()));
    const std::string work = fs::dataDir() + "/bench/search";
    std::filesystem::create_directories(work);

    // The index: page lengths around 450 tokens (whole help pages), ids Zipf-like over the
    // vocabulary, as words are; unit vectors.
    std::mt19937_64 rng(5);
    std::lognormal_distribution<double> length(std::log(380.0), 0.6);
    std::vector<std::int32_t> ids, counts;
    std::vector<std::int64_t> offsets = {0};
    for (std::int64_t p = 0; p < pages; ++p) {
        const auto n = std::max<std::int64_t>(1, std::int64_t(length(rng)));
        std::vector<std::int32_t> page;
        for (std::int64_t t = 0; t < n; ++t) {
            const double u = std::uniform_real_distribution<double>(0, 1)(rng);
            page.push_back(std::int32_t(std::pow(double(distinct), u)) - 1);
        }
        retrieval::appendPageEntries(page, ids, counts);  // each once with its count, as the index
        offsets.push_back(std::int64_t(ids.size()));
    }
    at::manual_seed(5);
    retrieval::PageIndex index;
    auto vectors = at::randn({distinct, dim});
    index.vectors = (vectors / vectors.norm(2, 1, true)).to(at::kHalf);
    index.ids = at::tensor(ids, at::kInt);
    index.counts = at::tensor(counts, at::kInt);
    index.offsets = at::tensor(offsets, at::kLong);
    index.dense = at::zeros({pages, 1});
    retrieval::EncodedTexts q;
    auto tokens = at::randn({queries, maxTokens, dim});
    q.tokens = tokens / tokens.norm(2, 2, true);
    q.mask = at::zeros({queries, maxTokens}, at::kBool);
    for (std::int64_t i = 0; i < queries; ++i)
        q.mask[i].narrow(0, 0, 1 + i % maxTokens).fill_(true);
    q.weights = at::rand({queries, maxTokens}) * q.mask;
    q.weights = q.weights / q.weights.sum(1, true);
    q.dense = at::zeros({queries, 1});
    std::vector<std::string> qids, docids;
    for (std::int64_t i = 0; i < queries; ++i) qids.push_back("q" + std::to_string(i));
    for (std::int64_t p = 0; p < pages; ++p) docids.push_back("d" + std::to_string(p));

    writeRaw<at::Half>(work + "/vectors.f16", index.vectors);
    writeRaw<std::int32_t>(work + "/ids.i32", index.ids);
    writeRaw<std::int64_t>(work + "/offsets.i64", index.offsets);
    writeRaw<float>(work + "/tokens.f32", q.tokens);
    writeRaw<float>(work + "/weights.f32", q.weights);
    writeRaw<bool>(work + "/mask.u8", q.mask);

    // Ours: rankAll as the evaluation runs it, timed; then the full score matrix for the check.
    auto ours = bench::inChild([&] {
        at::set_num_threads(threads);
        retrieval::rankAll("maxsim", q, qids, index, docids, depth);  // warm-up
        auto start = std::chrono::steady_clock::now();
        auto run = retrieval::rankAll("maxsim", q, qids, index, docids, depth);
        const double s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        writeRaw<float>(work + "/ours.f32", retrieval::maxSimScores(q, 0, queries, index));
        // The same ranking with soft term frequency (issue 13's settings): its cost over plain.
        const retrieval::SoftTf tf{0.4, 0.9, 0.75};
        start = std::chrono::steady_clock::now();
        retrieval::rankAll("maxsim", q, qids, index, docids, depth, tf);
        const double sTf =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        return std::to_string(s) + " " + std::to_string(sTf);
    });
    auto ref = bench::inChild([&] {
        auto r = runProcess({"/usr/bin/python3",
                             std::string(CLIRLAB_SOURCE_DIR) + "/bench/search_reference.py", work,
                             std::to_string(pages), std::to_string(distinct), std::to_string(dim),
                             std::to_string(queries), std::to_string(maxTokens),
                             std::to_string(depth), std::to_string(threads)});
        if (r.exitCode != 0) return "error " + r.err;
        return r.out;
    });
    if (ours.output.rfind("error", 0) == 0 || ref.output.rfind("error", 0) == 0) {
        std::fprintf(stderr, "%s\n%s\n", ours.output.c_str(), ref.output.c_str());
        return 1;
    }
    double s = 0, sTf = 0, sRef = 0, diff = 1;
    std::istringstream(ours.output) >> s >> sTf;
    std::istringstream(ref.output) >> sRef >> diff;
    const double indexMiB = double(index.bytes()) / (1 << 20);
    std::printf(
        "Neural search, MaxSim over whole pages: %lld queries (1-%lld tokens) x %lld pages "
        "(%zu page tokens, %lld distinct vectors of %lld), top %zu, %d threads\n",
        (long long)queries, (long long)maxTokens, (long long)pages, ids.size(), (long long)distinct,
        (long long)dim, depth, threads);
    std::printf(
        "  clirlab (fp16 index, blocked)  %8.1f queries/s   index %.1f MiB   peak %6.1f MiB\n",
        double(queries) / s, indexMiB, ours.peakMiB);
    std::printf(
        "  clirlab with soft TF           %8.1f queries/s   (%.2fx the time of plain MaxSim)\n",
        double(queries) / sTf, sTf / s);
    std::printf("  Python PyTorch brute force     %8.1f queries/s   peak %6.1f MiB\n",
                double(queries) / sRef, ref.peakMiB);
    std::printf("  speed ratio clirlab/Python: %.1fx; largest score difference %.2e (%s)\n",
                sRef / s, diff, diff < 1e-4 ? "equal to 1e-4" : "DIFFER");
    return diff < 1e-4 ? 0 : 1;
}
