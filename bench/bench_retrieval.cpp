// Benchmarks for issue 3: BM25 retrieval queries/s over the real corpus (all languages' test
// entry queries against the English pages) and evaluation of a 1M-line TREC run, each with peak
// memory, as ratios against references measured in the same run: a plain Python BM25
// (bench/reference_bm25.py) and the independent Python evaluator (tests/reference/).
// Each part runs in a forked child so its peak RSS is its own.
#include "bench/bench_child.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <set>
#include <sstream>
#include <string>

#include "core/data/corpus_reader.h"
#include "core/jobs/job_environment.h"
#include "core/data/corpus_stats.h"
#include "core/eval/measures.h"
#include "core/eval/trec_io.h"
#include "core/retrieval/bm25_index.h"
#include "core/util/fs.h"
#include "core/util/process.h"
#include "core/util/text.h"

using namespace clir;
using Clock = std::chrono::steady_clock;

namespace {

using bench::inChild;
using Measured = bench::ChildResult;

Measured pythonChild(const std::vector<std::string>& argv) {
    return inChild([&] {
        auto r = runProcess(argv);
        if (r.exitCode != 0) throw std::runtime_error(argv[1] + ": " + r.err);
        return r.out;
    });
}

double seconds(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t evalLines = 1000000;
    if (argc > 1) evalLines = std::stoul(argv[1]);
    const std::string corpus = data::defaultCorpusDir();
    const std::string python = "/usr/bin/python3";
    const std::string source = CLIRLAB_SOURCE_DIR;
    const std::string work = fs::dataDir() + "/bench";
    std::filesystem::create_directories(work);

    // --- BM25 ---
    jobs::JobContext benchContext;
    benchContext.outputDir = work;
    const auto env = jobs::JobEnvironment::prepare(data::CorpusSettings::defaults(), benchContext);
    const auto& manifest = env.manifest;
    std::string allQueries = work + "/queries.tsv";
    {
        std::string q;
        for (const auto& lang : manifest.at("settings").at("languages"))
            for (const auto& query : data::readQueries(corpus, lang, "entries", "test"))
                q += query.qid + "\t" + query.text + "\n";
        fs::writeFileAtomic(allQueries, q);
    }
    auto ours = inChild([&] {
        auto docs = data::readDocuments(corpus, "en-US");
        retrieval::Bm25Index index(env.bm25IndexDir("en-US"), env.corpusHash, "en-US", docs);
        std::vector<std::string> texts;
        for (const auto& line : text::split(fs::readFile(allQueries), '\n'))
            if (auto tab = line.find('\t'); tab != std::string::npos)
                texts.push_back(line.substr(tab + 1));
        auto start = Clock::now();
        std::size_t hits = 0;
        for (const auto& t : texts) hits += index.search(t, {}).size();
        double s = seconds(start);
        return std::to_string(texts.size()) + " " + std::to_string(s) + " " + std::to_string(hits);
    });
    auto ref = pythonChild({python, source + "/bench/reference_bm25.py",
                            corpus + "/docs/en-US.jsonl", allQueries, "1000"});
    std::size_t nq = 0, nqRef = 0;
    double sOurs = 0, sRef = 0;
    std::istringstream(ours.output) >> nq >> sOurs;
    std::istringstream(ref.output) >> nqRef >> sRef;
    std::printf("BM25 retrieval, %zu test queries (8 languages) x %zu English pages, top 1000\n",
                nq, data::readDocuments(corpus, "en-US").size());
    std::printf("  clirlab (Xapian)     %9.0f queries/s   peak %6.1f MiB\n", nq / sOurs,
                ours.peakMiB);
    std::printf("  Python reference     %9.0f queries/s   peak %6.1f MiB\n", nqRef / sRef,
                ref.peakMiB);
    std::printf("  speed ratio clirlab/Python: %.1fx\n\n", (nq / sOurs) / (nqRef / sRef));

    // --- Evaluation of a 1M-line run ---
    std::string runPath = work + "/run-1m.trec", qrelsPath = work + "/qrels-1m.qrels";
    {
        std::mt19937 rng(1);
        std::size_t queries = evalLines / 1000;
        std::string run, qrels;
        run.reserve(evalLines * 40);
        char buf[128];
        for (std::size_t q = 0; q < queries; ++q) {
            std::vector<unsigned> ids;
            for (int d = 0; d < 1000; ++d) {
                ids.push_back(unsigned(rng() % 100000) * 1000 + unsigned(d));
                std::snprintf(buf, sizeof(buf), "q%zu Q0 doc%u %d %.2f bench\n", q, ids.back(),
                              d + 1,
                              double(rng() % 10000) / 100.0);  // 2 decimals: many ties
                run += buf;
            }
            // Five judged relevant among the retrieved, one never retrieved, one non-relevant.
            std::set<unsigned> judged;
            while (judged.size() < 6) judged.insert(ids[rng() % 1000]);
            int k = 0;
            for (unsigned id : judged) {
                std::snprintf(buf, sizeof(buf), "q%zu 0 doc%u %d\n", q, id, k++ < 5 ? 1 : 0);
                qrels += buf;
            }
            std::snprintf(buf, sizeof(buf), "q%zu 0 unretrieved 1\n", q);
            qrels += buf;
        }
        fs::writeFileAtomic(runPath, run);
        fs::writeFileAtomic(qrelsPath, qrels);
    }
    auto ev = inChild([&] {
        auto start = Clock::now();
        auto e = eval::evaluateRunFile(runPath, eval::readQrels(qrelsPath));
        double s = seconds(start);
        char out[128];
        std::snprintf(out, sizeof(out), "%f %.6f", s, e.mean.at("map"));
        return std::string(out);
    });
    // `clirlab eval` as a user runs it: the light CLI (no LibTorch) as its own process, like
    // trec_eval.
    std::error_code ec;
    const std::string cli =
        (std::filesystem::read_symlink("/proc/self/exe", ec).parent_path() / "clirlab").string();
    auto start = Clock::now();
    auto evCli = pythonChild({cli, "eval", "--run", runPath, "--qrels", qrelsPath});
    const double sCli = seconds(start);
    double mapCli = -1;
    for (const auto& line : text::split(evCli.output, '\n'))
        if (line.rfind("map", 0) == 0 && line.find("\tall\t") != std::string::npos)
            mapCli = std::stod(line.substr(line.rfind('\t') + 1));
    start = Clock::now();
    auto evRef =
        pythonChild({python, source + "/bench/reference_evaluator.py", qrelsPath, runPath});
    double sEvRef = seconds(start);
    if (ev.output.rfind("error", 0) == 0 || ours.output.rfind("error", 0) == 0) {
        std::fprintf(stderr, "%s%s\n", ev.output.c_str(), ours.output.c_str());
        return 1;
    }
    double sEv = 0, mapOurs = 0;
    std::istringstream(ev.output) >> sEv >> mapOurs;
    double mapRef = -1;
    for (const auto& line : text::split(evRef.output, '\n'))
        if (line.rfind("map\tall\t", 0) == 0) mapRef = std::stod(line.substr(8));
    std::printf("Evaluation of a %zu-line run (%zu queries, all measures, read + evaluate)\n",
                evalLines, evalLines / 1000);
    std::printf("  clirlab (in process) %9.2f s  %9.0f lines/s   peak %6.1f MiB   map %.6f\n", sEv,
                evalLines / sEv, ev.peakMiB, mapOurs);
    std::printf("  clirlab eval         %9.2f s  %9.0f lines/s   peak %6.1f MiB   map %.4f\n", sCli,
                evalLines / sCli, evCli.peakMiB, mapCli);
    std::printf("  Python reference     %9.2f s  %9.0f lines/s   peak %6.1f MiB   map %.6f\n",
                sEvRef, evalLines / sEvRef, evRef.peakMiB, mapRef);
    std::printf("  speed ratio clirlab/Python: %.1fx; results %s\n", sEvRef / sEv,
                std::fabs(mapOurs - mapRef) < 1e-6 ? "identical" : "DIFFER");
    bool same =
        std::fabs(mapOurs - mapRef) < 1e-6 && std::fabs(mapOurs - mapCli) <= 0.00005 + 1e-12;
    // trec_eval 10.0 itself, when CLIRLAB_TREC_EVAL names a binary (it is not a Debian package).
    if (const char* trecEval = std::getenv("CLIRLAB_TREC_EVAL"); trecEval && *trecEval) {
        start = Clock::now();
        auto te = pythonChild({trecEval, "-m", "num_ret", "-m", "num_rel", "-m", "num_rel_ret",
                               "-m", "map", "-m", "recip_rank", "-m", "P.10", "-m",
                               "recall.100,1000", "-m", "ndcg_cut.10", qrelsPath, runPath});
        double sTe = seconds(start), mapTe = -1;
        for (const auto& line : text::split(te.output, '\n'))
            if (line.rfind("map", 0) == 0 && line.find("\tall\t") != std::string::npos)
                mapTe = std::stod(line.substr(line.rfind('\t') + 1));
        std::printf("  trec_eval 10.0       %9.2f s  %9.0f lines/s   peak %6.1f MiB   map %.4f\n",
                    sTe, evalLines / sTe, te.peakMiB, mapTe);
        const bool agree = std::fabs(mapOurs - mapTe) <= 0.00005 + 1e-12;
        std::printf(
            "  clirlab eval / trec_eval: %.2fx the speed, %.2fx the peak memory; results %s (4 "
            "decimals)\n",
            sTe / sCli, evCli.peakMiB / te.peakMiB, agree ? "identical" : "DIFFER");
        same = same && agree;
    }
    return same ? 0 : 1;
}
