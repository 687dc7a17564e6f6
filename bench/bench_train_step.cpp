// Benchmark for issue 15: one retrieval-training step of the lexical model the methods train,
// OPTICAL on the static encoder as experiments/optical-static.json runs it (128 bitext pairs,
// the frozen teacher on the English side, the student's piece and character n-gram tables
// trained with sparse rows, Sinkhorn eps 0.05 up to 100 iterations, the English anchor, clipping
// and the lexical AdamW step), against the same step in Python PyTorch
// (bench/train_step_reference.py: the same model, masked log-domain Sinkhorn, SparseAdam) on
// the same batches, each in its own process with its peak memory. Prints pairs/s and the ratio.
#include "bench/bench_child.h"

#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>
#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/utils.h>

#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "core/model/retrieval_model.h"
#include "core/model/tokenizer.h"
#include "core/train/retrieval_losses.h"
#include "core/train/training_loop.h"
#include "core/util/blas_threads.h"
#include "core/util/process.h"

using namespace clir;

namespace {

using Ids = std::vector<std::int64_t>;

// A vocabulary with the static preset's size: the specials, then pieces of 1-7 letters (some
// non-ASCII), 60% starting a word.
std::vector<std::string> syntheticPieces(std::int64_t size, std::mt19937_64& rng) {
    std::vector<std::string> pieces = {"<s>", "<pad>", "</s>", "<unk>", "<mask>"};
    const std::vector<std::string> letters = {
        "a", "b", "c", "d", "e", "f", "g", "h",        "i",        "k",           "l",
        "m", "n", "o", "r", "s", "t", "u", "\xC3\xA9", "\xC3\xB1", "\xE1\x9E\x80"};
    std::uniform_int_distribution<int> length(1, 7), letter(0, int(letters.size()) - 1);
    std::uniform_real_distribution<double> unit(0, 1);
    while (std::int64_t(pieces.size()) < size) {
        std::string p = unit(rng) < 0.6 ? std::string(model::Tokenizer::kWordMark) : "";
        for (int n = length(rng); n > 0; --n) p += letters[std::size_t(letter(rng))];
        pieces.push_back(p + std::to_string(pieces.size()));  // distinct
    }
    return pieces;
}

// <s> + `length` random pieces + </s>.
Ids sentence(std::int64_t vocab, std::int64_t length, std::mt19937_64& rng) {
    std::uniform_int_distribution<std::int64_t> piece(5, vocab - 1);
    Ids ids = {model::Tokenizer::kBos};
    for (std::int64_t i = 0; i < length; ++i) ids.push_back(piece(rng));
    ids.push_back(model::Tokenizer::kEos);
    return ids;
}

void writeIds(std::ostream& out, const Ids& ids) {
    for (std::size_t i = 0; i < ids.size(); ++i) out << (i ? " " : "") << ids[i];
}

}  // namespace

int main(int argc, char** argv) {
    const std::int64_t pairs = 128, steps = argc > 1 ? std::stoll(argv[1]) : 20, warmup = 2;
    const int threads = int(std::max(1u, std::thread::hardware_concurrency()));
    const auto cfg = model::presetConfig("static");
    // The batches (English up to ot.max_length 48 tokens, X up to 64) and the vocabulary, written
    // for the reference.
    std::mt19937_64 rng(15);
    const auto pieces = syntheticPieces(cfg.vocabSize, rng);
    std::vector<std::vector<Ids>> english(std::size_t(warmup + steps)),
        other(std::size_t(warmup + steps));
    std::uniform_int_distribution<std::int64_t> eLength(8, 46), xLength(8, 62);
    for (std::size_t s = 0; s < english.size(); ++s)
        for (std::int64_t i = 0; i < pairs; ++i) {
            english[s].push_back(sentence(cfg.vocabSize, eLength(rng), rng));
            other[s].push_back(sentence(cfg.vocabSize, xLength(rng), rng));
        }
    const auto dir = std::filesystem::temp_directory_path() /
                     ("clirlab-bench-train-step-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    {
        std::ofstream vocab(dir / "pieces.txt"), batches(dir / "batches.txt");
        for (const auto& p : pieces) vocab << p << '\n';
        for (std::size_t s = 0; s < english.size(); ++s)
            for (std::int64_t i = 0; i < pairs; ++i) {
                writeIds(batches, english[s][std::size_t(i)]);
                batches << '\t';
                writeIds(batches, other[s][std::size_t(i)]);
                batches << '\n';
            }
    }

    auto ours = bench::inChild([&] {
        ScopedBlasThreads oneBlasThread(1);  // as the retrieval jobs run
        at::set_num_threads(threads);
        torch::manual_seed(0);
        model::RetrievalModel teacher(cfg), student(cfg);
        teacher->encoder->setPieces(pieces);
        student->encoder->setPieces(pieces);
        model::growInto(*teacher, *student);  // the student starts as the teacher
        teacher->eval();
        for (auto& p : teacher->parameters()) p.set_requires_grad(false);
        // ot.train lexical, as RetrievalJob sets it up.
        for (auto& p : student->named_parameters())
            if (!train::isLexicalTable(p.key())) p.value().set_requires_grad(false);
        student->train();
        auto optimizer = train::makeAdamW(*student, {0.001, 0.01, 0.9, 0.999, 1e-8, false, 0.02});
        std::vector<at::Tensor> trained;
        for (auto& p : student->parameters())
            if (p.requires_grad()) trained.push_back(p);
        retrieval::TokenEncoder teacherTower = [&](const at::Tensor& ids, const at::Tensor& mask) {
            return teacher->forward(ids, mask);
        };
        retrieval::TokenEncoder studentTower = [&](const at::Tensor& ids, const at::Tensor& mask) {
            return student->forward(ids, mask);
        };
        ot::SinkhornOptions sinkhorn;  // the ot settings' defaults
        sinkhorn.epsilon = 0.05;
        sinkhorn.maxIterations = 100;
        sinkhorn.tolerance = 1e-9;
        sinkhorn.checkEvery = 10;
        double lastLoss = 0;
        auto step = [&](std::size_t s) {
            auto o = train::otLoss(teacherTower, studentTower, english[s], other[s], sinkhorn,
                                   torch::kCPU, /*anchor=*/true);
            auto loss = o.loss + o.anchor;
            optimizer->zero_grad();
            loss.backward();
            train::clipGradNorm(trained, 1.0);  // as TrainingLoop clips
            optimizer->step();
            lastLoss = loss.item<double>();
        };
        for (std::int64_t s = 0; s < warmup; ++s) step(std::size_t(s));
        // CLIRLAB_PROFILE=FILE: the warm-up batches once more under LibTorch's profiler, as a
        // Chrome trace (bench/profile_summary.py FILE prints the time per operator).
        if (const char* trace = std::getenv("CLIRLAB_PROFILE"); trace && *trace) {
            torch::autograd::profiler::RecordProfile profile{std::string(trace)};
            for (std::int64_t s = 0; s < warmup; ++s) step(std::size_t(s));
        }
        auto start = std::chrono::steady_clock::now();
        for (std::int64_t s = warmup; s < warmup + steps; ++s) step(std::size_t(s));
        double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        return std::to_string(pairs * steps) + " " + std::to_string(seconds) + " " +
               std::to_string(lastLoss);
    });
    auto ref = bench::inChild([&] {
        auto r = runProcess({"/usr/bin/python3",
                             std::string(CLIRLAB_SOURCE_DIR) + "/bench/train_step_reference.py",
                             (dir / "pieces.txt").string(), (dir / "batches.txt").string(),
                             std::to_string(cfg.hidden), std::to_string(cfg.charNgramBuckets),
                             std::to_string(pairs), std::to_string(warmup), std::to_string(steps),
                             std::to_string(threads)});
        return r.exitCode == 0 ? r.out : "0 1 0 " + r.err;
    });
    std::filesystem::remove_all(dir);
    double nOurs = 0, sOurs = 1, lossOurs = 0, nRef = 0, sRef = 1, lossRef = 0;
    std::istringstream(ours.output) >> nOurs >> sOurs >> lossOurs;
    std::istringstream(ref.output) >> nRef >> sRef >> lossRef;
    struct rusage children {};  // the reference is a grandchild: its peak comes back here
    ::getrusage(RUSAGE_CHILDREN, &children);
    std::printf(
        "Retrieval training step: OPTICAL on the static lexical encoder (%lld pieces, 2^18 "
        "n-gram buckets, d %lld), %lld bitext pairs, %lld steps after %lld, %d threads\n",
        (long long)cfg.vocabSize, (long long)cfg.hidden, (long long)pairs, (long long)steps,
        (long long)warmup, threads);
    std::printf(
        "  clirlab (LibTorch C++)  %8.1f pairs/s  %7.1f ms/step  peak %6.1f MiB  loss %.4f\n",
        nOurs / sOurs, 1e3 * sOurs / double(steps), ours.peakMiB, lossOurs);
    std::printf(
        "  Python PyTorch          %8.1f pairs/s  %7.1f ms/step  peak %6.1f MiB  loss %.4f\n",
        nRef / sRef, 1e3 * sRef / double(steps), double(children.ru_maxrss) / 1024.0, lossRef);
    if (nRef <= 0) std::printf("  reference failed: %s\n", ref.output.c_str());
    std::printf("  ratio C++/Python: %.2fx\n", (nOurs / sOurs) / (nRef / sRef));
    return nRef > 0 && nOurs > 0 ? 0 : 1;
}
