// The retrieval methods end to end on a small synthetic corpus (English and Oromo-like pages with
// parallel queries and bitext): neural search against brute force, the teacher learning, the
// OPTICAL student saving alignments, resolution of init.from through the store, and failures
// (NaN loss with its step, a checkpoint of the wrong kind, bad settings) named and recorded.
#include <torch/nn/module.h>  // LibTorch before Qt

#include <QtTest>

#include <QTemporaryDir>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>

#include "core/jobs/experiment.h"
#include "core/config/experiment_spec.h"
#include "core/data/corpus_import.h"
#include "core/data/corpus_reader.h"
#include "core/data/corpus_stats.h"
#include "core/eval/comparison.h"
#include "core/jobs/job_factory.h"
#include "core/jobs/job_runner.h"
#include "core/data/corpus_settings.h"
#include "core/train/retrieval_batches.h"
#include "core/train/retrieval_ranking.h"
#include "core/jobs/job_environment.h"
#include "core/model/checkpoint.h"
#include "core/model/retrieval_model.h"
#include "core/model/tokenizer.h"
#include "core/retrieval/neural_search.h"
#include "core/store/run_store.h"
#include "core/train/live_alignment.h"
#include "core/util/fs.h"
#include "tests/train/synthetic_corpus.h"

using namespace clir;

using clir::testing::word;
using clir::testing::writeSyntheticCorpus;

class TestRetrieval : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    std::string encoderCheckpoint_, dbPath_;

    nlohmann::json experiment(const std::string& name, const std::string& method,
                              const std::string& from, int steps) {
        nlohmann::json j = {{"name", name},
                            {"method", method},
                            {"seed", 3},
                            {"corpus", {{"languages", {"en-US", "om"}}}},
                            {"model", {{"preset", "xs"}, {"threads", 1}, {"device", "cpu"}}},
                            {"init", {{"from", from}}},
                            {"retrieval", {{"query_max_length", 16}, {"document_max_length", 32}}},
                            {"evaluation", {{"query_sets", {"entries"}}}}};
        if (method != "zero-shot")
            j["train"] = {{"steps", steps},    {"batch_size", 8},   {"learning_rate", 3e-3},
                          {"warmup_steps", 2}, {"eval_every", 10},  {"log_every", 5},
                          {"dev_queries", 50}, {"temperature", 0.1}};
        if (method == "optical" || method == "optical+hybrid")
            j["ot"] = {{"epsilon", 0.1}, {"alignment_pairs", 2}, {"align_every", 5}};
        return j;
    }

    // Queues and runs an experiment through the runner, as `clirlab run` does.
    jobs::RunOutcome runExperiment(const nlohmann::json& j) {
        store::Database db(dbPath_);
        auto spec = jobs::parseExperiment(j.dump(), j.at("name").get<std::string>() + ".json");
        jobs::JobRunner runner(db);
        runner.resolveInputs(spec);
        auto job = jobs::makeJob(spec);
        auto id = runner.enqueue(spec);
        return runner.execute(id, spec, *job);
    }

    double map(const jobs::RunOutcome& o, const std::string& lang) {
        for (const auto& r : o.result.results)
            if (r.language == lang && r.measure == "map" && r.querySet == "entries") return r.value;
        return -1;
    }

  private slots:
    void initTestCase() {
        qputenv("CLIRLAB_DATA", tmp_.filePath("data").toUtf8());
        writeSyntheticCorpus(data::defaultCorpusDir());
        dbPath_ = tmp_.filePath("runs.db").toStdString();
        // A "pretrained" encoder: the xs shape with a tokenizer for the synthetic words.
        std::vector<std::string> text;
        for (int i = 0; i < 40; ++i)
            for (const char* p : {"", "x"})
                for (int k = 0; k < 3; ++k)
                    text.push_back(std::string(p) + word(i, k) + " " + p + "the " + p + "program " +
                                   p + "shows " + p + "how " + p + "do " + p + "i " + p + "use " +
                                   p + "here " + p + "help " + p + "dialog " + p + "menu");
        std::string prefix = tmp_.filePath("tok/t").toStdString();
        model::Tokenizer::train(text, 400, prefix);
        model::Tokenizer tok(prefix + ".model");
        torch::manual_seed(1);
        model::XlmrEncoder enc(model::presetConfig("xs", tok.vocabSize()));
        model::CheckpointMeta meta{enc->config(), tok.path(), tok.hash(), 0, "pretrain", {}};
        encoderCheckpoint_ =
            model::saveCheckpoint(tmp_.filePath("pretrained").toStdString(), *enc, nullptr, meta);
    }

    // The lexical ladder starts at one input layer: a teacher of preset lex-xs grows from a
    // static encoder checkpoint (its checkpoints hold lex-xs), and a post-LN checkpoint cannot
    // grow, which the run's error says.
    void ladderGrowsFromAStaticCheckpoint() {
        model::Tokenizer tok(tmp_.filePath("tok/t.model").toStdString());
        torch::manual_seed(5);
        model::XlmrEncoder flat(model::presetConfig("static", tok.vocabSize()));
        flat->setPieces(tok.vocabulary());
        model::CheckpointMeta meta{flat->config(), tok.path(), tok.hash(), 0, "pretrain", {}};
        const std::string checkpoint =
            model::saveCheckpoint(tmp_.filePath("static").toStdString(), *flat, nullptr, meta);
        auto j = experiment("grown-teacher", "teacher", "", 2);
        j["model"]["preset"] = "lex-xs";
        j["init"] = {{"checkpoint", checkpoint}};
        j["retrieval"]["scoring"] = "maxsim";
        j["train"]["dev_queries"] = 10;
        auto o = runExperiment(j);
        QVERIFY2(o.status == store::RunStatus::Finished, o.error.c_str());
        std::int64_t expected = 0;  // the encoder of a lex-xs model, not of the static one
        for (const auto& p : model::RetrievalModel(model::presetConfig("lex-xs", tok.vocabSize()))
                                 ->encoder->parameters())
            expected += p.numel();
        QCOMPARE(o.result.summary.at("parameters").get<std::int64_t>(), expected);
        std::string best;
        for (const auto& a : o.result.artifacts)
            if (a.first == "best_checkpoint") best = a.second;
        QCOMPARE(model::readCheckpointMeta(best).encoder.preset, std::string("lex-xs"));
        auto post = experiment("no-growth", "teacher", "", 2);
        post["model"]["preset"] = "s";
        post["init"] = {{"checkpoint", encoderCheckpoint_}};  // an xs (post-LN) encoder
        auto failed = runExperiment(post);
        QCOMPARE(failed.status, store::RunStatus::Failed);
        QVERIFY2(failed.error.find("cannot grow into it: only lexical (pre-LN) encoders grow") !=
                     std::string::npos,
                 failed.error.c_str());
    }

    void neuralSearchMatchesBruteForce() {
        torch::manual_seed(2);
        model::Tokenizer tok(tmp_.filePath("tok/t.model").toStdString());
        model::RetrievalModel net(model::presetConfig("xs", tok.vocabSize()));
        net->eval();
        std::vector<double> idf(std::size_t(tok.vocabSize()));
        for (std::size_t i = 0; i < idf.size(); ++i) idf[i] = 0.2 + double(i % 7);
        net->setTermWeights(idf);
        retrieval::TokenEncoder tower = [&](const at::Tensor& ids, const at::Tensor& mask) {
            return net->forward(ids, mask);
        };
        retrieval::TermWeigher weigher = [&](const at::Tensor& ids, const at::Tensor& mask) {
            return net->termWeights(ids, mask);
        };
        std::vector<std::string> docs = {"t1a t1b common words", "t2a", "t3a t3b t3c t3d shared",
                                         "xt4a words", "t5e common"};
        std::vector<std::string> queries = {"t1a common", "t3c t3d t3e shared text words", "t2a"};
        std::vector<std::string> docids = {"d1", "d2", "d3", "d4", "d5"}, qids = {"q1", "q2", "q3"};
        for (const std::string scoring : {"dense", "maxsim"}) {
            const bool maxsim = scoring == "maxsim";
            // The index keeps fp16 vectors: MaxSim scores agree to about 1e-3.
            const double tolerance = maxsim ? 2e-3 : 1e-5;
            auto d = retrieval::encodePages(tower, tok, docs, 32, 2, maxsim, torch::kCPU);
            auto q = retrieval::encodeTexts(tower, tok, queries, 16, 2, true, torch::kCPU, weigher);
            auto run = retrieval::rankAll(scoring, q, qids, d, docids, 3);
            for (std::size_t i = 0; i < queries.size(); ++i) {
                // Brute force: each pair encoded alone, no padding, no batching; MaxSim over
                // content tokens with the query's term weights.
                std::vector<std::pair<double, std::string>> expected;
                torch::NoGradGuard g;
                auto qb = model::padBatch({tok.encode(queries[i], 16)});
                auto qt = net->forward(qb.ids, qb.mask);
                for (std::size_t k = 0; k < docs.size(); ++k) {
                    auto db = model::padBatch({tok.encode(docs[k], 32)});
                    auto dt = net->forward(db.ids, db.mask);
                    auto s = maxsim ? model::scoreMatrix(scoring, qt,
                                                         model::contentMask(qb.ids, qb.mask), dt,
                                                         model::contentMask(db.ids, db.mask),
                                                         net->termWeights(qb.ids, qb.mask))
                                    : model::scoreMatrix(scoring, qt, qb.mask, dt, db.mask);
                    expected.push_back({s.item<double>(), docids[k]});
                }
                std::sort(expected.rbegin(), expected.rend());
                const auto& got = run.byQuery.at(qids[i]);
                QCOMPARE(int(got.size()), 3);
                for (int r = 0; r < 3; ++r) {
                    QCOMPARE(got[r].docid, expected[r].second);
                    QVERIFY(std::fabs(got[r].score - expected[r].first) < tolerance);
                }
            }
            // Re-ranking scores only the candidates, with the same scores.
            std::vector<std::vector<eval::ScoredDoc>> cands = {
                {{"d5", 0}, {"d1", 0}}, {{"nope", 0}}, {{"d2", 0}}};
            auto re = retrieval::rerank(scoring, q, qids, d, docids, cands);
            QCOMPARE(int(re.byQuery.at("q1").size()), 2);
            QCOMPARE(int(re.byQuery.count("q2")), 0);
            for (const auto& hit : re.byQuery.at("q1"))
                for (const auto& full : run.byQuery.at("q1"))
                    if (full.docid == hit.docid) QVERIFY(std::fabs(full.score - hit.score) < 1e-5);
        }
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, model::padBatch({{1, 2}, {}}));
    }

    // Whole-page MaxSim (SPEC 4): passages cut at word starts cover every piece of a page once,
    // and ranking over the index equals MaxSim over all of a page's content tokens: the whole
    // page at once for a static model, its passages side by side for a contextual one.
    void passageMaxSimEqualsWholePage() {
        model::Tokenizer tok(tmp_.filePath("tok/t.model").toStdString());
        std::vector<std::string> pages, queries = {"t3a shows menu", "xt7b here t9c", "dialog"};
        for (int p = 0; p < 6; ++p) {
            std::string text;
            for (int w = 0; w < 12 + 9 * p; ++w)
                text += testing::word((p * 5 + w * 3) % 11, w % 3) + (w % 4 ? " " : " the menu ");
            pages.push_back(text);
        }
        pages.push_back("");  // a page with no tokens scores 0
        const std::int64_t length = 10;
        for (const auto& text : pages) {
            auto whole = tok.encode(text, 100000);
            std::vector<std::int64_t> joined;
            auto passages = retrieval::passagesOf(tok, text, length);
            for (std::size_t i = 0; i < passages.size(); ++i) {
                const auto& p = passages[i];
                QVERIFY(std::int64_t(p.size()) <= length);
                QCOMPARE(p.front(), model::Tokenizer::kBos);
                QCOMPARE(p.back(), model::Tokenizer::kEos);
                if (i > 0)
                    QVERIFY(model::Tokenizer::startsWord(
                        tok.pieces({p[1]}).front()));  // the words here are short
                joined.insert(joined.end(), p.begin() + 1, p.end() - 1);
            }
            QCOMPARE(joined, std::vector<std::int64_t>(whole.begin() + 1, whole.end() - 1));
        }
        QVERIFY(retrieval::passagesOf(tok, pages[5], length).size() > 5);

        for (const std::string preset : {"static", "lex-xs"}) {
            torch::manual_seed(4);
            model::RetrievalModel net(model::presetConfig(preset, tok.vocabSize()));
            net->encoder->setPieces(tok.vocabulary());
            net->eval();
            torch::NoGradGuard g;
            for (auto& p : net->named_parameters())  // open the gates: context matters
                if (p.key().find("gate") != std::string::npos) p.value().fill_(0.7);
            std::vector<double> idf(std::size_t(tok.vocabSize()));
            for (std::size_t i = 0; i < idf.size(); ++i) idf[i] = 0.5 + double(i % 5);
            net->setTermWeights(idf);
            retrieval::TokenEncoder tower = [&](const at::Tensor& ids, const at::Tensor& mask) {
                return net->forward(ids, mask);
            };
            auto index = retrieval::encodePages(tower, tok, pages, length, 3, true, torch::kCPU);
            QCOMPARE(index.size(), std::int64_t(pages.size()));
            if (preset == "static")  // a word's vector is the same wherever it occurs
                QVERIFY(index.vectors.size(0) < index.pageTokens / 3);
            auto q = retrieval::encodeTexts(tower, tok, queries, 16, 2, true, torch::kCPU,
                                            [&](const at::Tensor& ids, const at::Tensor& mask) {
                                                return net->termWeights(ids, mask);
                                            });
            auto scores = retrieval::maxSimScores(q, 0, q.size(), index);
            for (std::size_t k = 0; k < pages.size(); ++k) {
                at::Tensor tokens;
                if (preset == "static") {
                    auto b = model::padBatch({tok.encode(pages[k], 100000)});
                    tokens = net->forward(b.ids, b.mask)[0].index(
                        {model::contentMask(b.ids, b.mask)[0].to(at::kBool)});
                } else {
                    std::vector<at::Tensor> parts;
                    for (const auto& p : retrieval::passagesOf(tok, pages[k], length)) {
                        auto b = model::padBatch({p});
                        parts.push_back(net->forward(b.ids, b.mask)[0].narrow(
                            0, 1, std::int64_t(p.size()) - 2));
                    }
                    tokens = at::cat(parts, 0);
                }
                for (std::size_t i = 0; i < queries.size(); ++i) {
                    auto qb = model::padBatch({tok.encode(queries[i], 16)});
                    auto qt = net->forward(qb.ids, qb.mask);
                    auto w = net->termWeights(qb.ids, qb.mask);
                    double expected = 0;
                    if (tokens.size(0) > 0) {
                        auto best = std::get<0>(at::matmul(qt[0], tokens.t()).max(1));
                        expected = ((best * w[0]).sum() / w[0].sum()).item<double>();
                    }
                    const double got = scores[std::int64_t(i)][std::int64_t(k)].item<double>();
                    QVERIFY2(
                        std::fabs(got - expected) < 2e-3,
                        (preset + " page " + std::to_string(k) + " query " + std::to_string(i) +
                         ": " + std::to_string(got) + " vs " + std::to_string(expected))
                            .c_str());
                }
            }
        }
    }

    // idf starting weights: a piece on every page of a language weighs ln 2, one on no page
    // ln(1 + pages), everything else in between.
    void termWeightsStartFromIdf() {
        model::Tokenizer tok(tmp_.filePath("tok/t.model").toStdString());
        train::PageStore pages(data::defaultCorpusDir(), tok, 32);
        auto idf = train::pieceIdf(pages, {"en-US", "om"}, tok);
        QCOMPARE(std::int64_t(idf.size()), tok.vocabSize());
        const double n = double(pages.of("en-US").texts.size());
        auto the = tok.encode("the");
        for (std::size_t i = 1; i + 1 < the.size(); ++i)  // on every English page
            QVERIFY(std::fabs(idf[std::size_t(the[i])] - std::log(2.0)) < 1e-12);
        QVERIFY(std::fabs(idf[std::size_t(tok.maskId())] - std::log1p(n)) < 1e-12);
        auto topic = tok.encode(testing::word(7, 1));  // one page's word: a rare piece
        double rarest = 0;
        for (std::size_t i = 1; i + 1 < topic.size(); ++i)
            rarest = std::max(rarest, idf[std::size_t(topic[i])]);
        QVERIFY(rarest > std::log1p(n / 4));
        for (double w : idf) QVERIFY(w >= std::log(2.0) - 1e-12 && w <= std::log1p(n) + 1e-12);
        // A model given them returns them (softplus of the stored value) at content tokens.
        model::RetrievalModel net(model::presetConfig("static", tok.vocabSize()));
        net->setTermWeights(idf);
        auto b = model::padBatch({{0, the[1], 2}, {0, the[1], the[1], 2}});
        auto w = net->termWeights(b.ids, b.mask);
        QVERIFY(std::fabs(w[1][1].item<double>() - std::log(2.0)) < 1e-5);
        QCOMPARE(w[0][0].item<double>(), 0.0);  // <s>
        QCOMPARE(w[0][2].item<double>(), 0.0);  // </s>
        QCOMPARE(w[0][3].item<double>(), 0.0);  // padding
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, net->setTermWeights({1.0}));
        idf[5] = 0;
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, net->setTermWeights(idf));
    }

    void badSettingsAreNamed() {
        auto expectError = [](nlohmann::json j, const std::string& needle) {
            try {
                jobs::parseExperiment(j.dump(), "x.json");
                QFAIL(("accepted: " + j.dump()).c_str());
            } catch (const config::ConfigError& e) {
                QVERIFY2(std::string(e.what()).find(needle) != std::string::npos, e.what());
            }
        };
        auto j = experiment("o", "optical", "teacher", 2);
        j["ot"]["epsilon"] = 0.0;
        expectError(j, "ot.epsilon");
        j = experiment("o", "optical", "teacher", 2);
        j["init"]["from"] = "";
        expectError(j, "init.from");
        j = experiment("f", "fine-tune", "teacher", 2);
        j["train"]["languages"] = {"km"};
        expectError(j, "train.languages");
        j = experiment("f", "fine-tune", "teacher", 2);
        j["ot"] = {{"epsilon", 0.1}};
        expectError(j, "field 'ot': not read by method 'fine-tune'");
        j = experiment("z", "zero-shot", "teacher", 0);
        j["train"] = {{"steps", 3}};
        expectError(j, "field 'train': not read");
        // init.from names no finished run.
        store::Database db(dbPath_);
        auto spec =
            jobs::parseExperiment(experiment("t", "teacher", "nothing-here", 2).dump(), "t.json");
        try {
            jobs::JobRunner(db).resolveInputs(spec);
            QFAIL("resolved a run that does not exist");
        } catch (const config::ConfigError& e) {
            QVERIFY2(std::string(e.what()).find("no finished run named 'nothing-here'") !=
                         std::string::npos,
                     e.what());
        }
    }

    void methodsEndToEnd() {
        // The teacher's starting point: the pretrained encoder with an untrained head.
        auto start = experiment("start", "teacher", "", 0);
        start["init"] = {{"checkpoint", encoderCheckpoint_}};
        start["train"]["steps"] = 1;
        start["train"]["learning_rate"] = 0.0;
        start["evaluation"]["split"] = "train";
        auto untrained = runExperiment(start);
        QVERIFY2(untrained.status == store::RunStatus::Finished, untrained.error.c_str());

        // Training on the English pairs fits them: far better than the start on train queries.
        auto fit = experiment("fit", "teacher", "", 60);
        fit["init"] = {{"checkpoint", encoderCheckpoint_}};
        fit["evaluation"]["split"] = "train";
        auto fitted = runExperiment(fit);
        QVERIFY2(fitted.status == store::RunStatus::Finished, fitted.error.c_str());
        QVERIFY2(map(fitted, "en-US") > map(untrained, "en-US") + 0.2,
                 (std::to_string(map(fitted, "en-US")) + " vs " +
                  std::to_string(map(untrained, "en-US")))
                     .c_str());

        auto t = experiment("teacher", "teacher", "", 30);
        t["init"] = {{"checkpoint", encoderCheckpoint_}};
        auto teacher = runExperiment(t);
        QVERIFY2(teacher.status == store::RunStatus::Finished, teacher.error.c_str());
        // A random ranking of the 40 pages gives an entry query (one relevant page) an expected
        // AP of H(40) / 40 = 0.107. The teacher ranks far better in English, and Oromo-like
        // queries ("x" + word) share pieces with the English words, so it crosses too.
        QVERIFY2(map(teacher, "en-US") > 0.2 && map(teacher, "om") > 0.15,
                 (std::to_string(map(teacher, "en-US")) + ", " + std::to_string(map(teacher, "om")))
                     .c_str());

        // BM25 fusion: every test set is also evaluated fused, under <set>+bm25, with the weight
        // chosen on the dev sample (its dev MAP is the grid's best) and stored in the summary.
        const auto& fusion = teacher.result.summary.at("fusion");
        const double alpha = fusion.at("alpha").get<double>();
        const auto grid = fusion.at("grid").get<std::vector<double>>();
        const auto gridMap = fusion.at("grid_dev_map").get<std::vector<double>>();
        QCOMPARE(grid.size(), std::size_t(21));
        const auto at = std::find(grid.begin(), grid.end(), alpha) - grid.begin();
        QVERIFY(at < std::ptrdiff_t(grid.size()));
        QCOMPARE(gridMap[std::size_t(at)], *std::max_element(gridMap.begin(), gridMap.end()));
        QCOMPARE(fusion.at("dev_map").get<double>(), gridMap[std::size_t(at)]);
        for (const char* lang : {"en-US", "om"}) {
            bool fused = false;
            for (const auto& r : teacher.result.results)
                fused |= r.language == lang && r.querySet == "entries+bm25" && r.measure == "map";
            QVERIFY2(fused, lang);
        }

        // Zero-shot resolves "teacher" by name and reproduces the teacher's numbers exactly.
        auto zero = runExperiment(experiment("zero", "zero-shot", "teacher", 0));
        QVERIFY2(zero.status == store::RunStatus::Finished, zero.error.c_str());
        QCOMPARE(map(zero, "en-US"), map(teacher, "en-US"));
        QCOMPARE(map(zero, "om"), map(teacher, "om"));

        // The multilingual pool: every query set also ranked against the pages of both languages
        // at once; within the pool the English pages keep the plain run's order (one scorer), the
        // generated qrels hold each query's page in both languages, and the language bias is
        // stored per query and as a mean.
        auto pj = experiment("zero-pool", "zero-shot", "teacher", 0);
        pj["evaluation"]["pool"] = "all";
        auto pool = runExperiment(pj);
        QVERIFY2(pool.status == store::RunStatus::Finished, pool.error.c_str());
        for (const char* lang : {"en-US", "om"}) {
            double poolMap = -1, bias = -1;
            for (const auto& r : pool.result.results)
                if (r.language == lang && r.querySet == "entries@all") {
                    if (r.measure == "map") poolMap = r.value;
                    if (r.measure == "language_bias") bias = r.value;
                }
            QVERIFY2(poolMap > 0 && poolMap <= 1 && bias >= 0, lang);
        }
        {
            const std::string dir = dbPath_ + ".runs/" + std::to_string(pool.runId);
            auto pooled = eval::readRun(dir + "/om.entries@all.test.trec.gz");
            auto plain = eval::readRun(dir + "/om.entries.test.trec.gz");
            QCOMPARE(pooled.byQuery.size(), plain.byQuery.size());
            for (auto& [qid, docs] : plain.byQuery) {
                eval::sortTrecOrder(docs);
                auto all = pooled.byQuery.at(qid);
                eval::sortTrecOrder(all);
                std::vector<std::string> english, expected;
                std::set<std::string> languages;
                for (const auto& d : all) {
                    languages.insert(d.docid.substr(0, d.docid.find(':')));
                    if (d.docid.rfind("en-US:", 0) == 0) english.push_back(d.docid.substr(6));
                }
                for (const auto& d : docs) expected.push_back(d.docid);
                QCOMPARE(english, expected);
                QCOMPARE(languages, (std::set<std::string>{"en-US", "om"}));
            }
            auto qrels = eval::readQrels(dir + "/qrels/om.all.entries.test.qrels");
            QCOMPARE(qrels.byQuery.size(), std::size_t(16));
            for (const auto& [qid, judged] : qrels.byQuery) {
                QCOMPARE(judged.size(), std::size_t(2));
                const std::string page = qid.substr(0, qid.find('#'));
                QVERIFY(judged.count("en-US:" + page) && judged.count("om:" + page));
            }
            store::Database db(dbPath_);
            auto perQuery =
                store::RunStore(db).queryResults(pool.runId, "om", "entries@all", "language_bias");
            QCOMPARE(perQuery.size(), std::size_t(16));
        }

        // OPTICAL: losses streamed, alignments at the start, every 5 steps and the end.
        auto optical = runExperiment(experiment("optical", "optical", "teacher", 10));
        QVERIFY2(optical.status == store::RunStatus::Finished, optical.error.c_str());
        store::Database db(dbPath_);
        store::RunStore runs(db);
        auto alignments = runs.alignments(optical.runId);
        std::set<std::int64_t> steps;
        for (const auto& a : alignments) {
            steps.insert(a.step);
            QCOMPARE(a.plan.size(), a.sourceTokens.size() * a.targetTokens.size());
            double mass = std::accumulate(a.plan.begin(), a.plan.end(), 0.0);
            QVERIFY(std::fabs(mass - 1.0) < 1e-3);  // a transport plan carries unit mass
            for (float c : a.cost) QVERIFY(c >= -1e-4 && c <= 2.0001);
        }
        QCOMPARE(steps, (std::set<std::int64_t>{0, 5, 10}));
        QCOMPARE(int(alignments.size()), 2 * 3);
        QVERIFY(!runs.metrics(optical.runId, "loss/ot").empty());
        // The collapse signs are logged with the loss window, within [0, 1].
        for (const char* sign : {"ot/plan_entropy", "ot/student_cosine"}) {
            auto points = runs.metrics(optical.runId, sign);
            QVERIFY2(!points.empty(), sign);
            for (const auto& p : points) QVERIFY(p.value >= -1e-9 && p.value <= 1 + 1e-9);
        }
        QVERIFY(!runs.metrics(optical.runId, "dev_map").empty());
        // The English queries are still the teacher's: its English MAP is unchanged.
        QCOMPARE(map(optical, "en-US"), map(teacher, "en-US"));
        // ot.train lexical (the default): the student's last checkpoint differs from the
        // teacher in its piece embeddings only.
        {
            std::string teacherBest, studentLast;
            for (const auto& a : runs.artifacts(teacher.runId))
                if (a.kind == "best_checkpoint") teacherBest = a.path;
            for (const auto& a : runs.artifacts(optical.runId))
                if (a.kind == "checkpoint") studentLast = a.path;
            auto meta = model::readCheckpointMeta(teacherBest);
            model::RetrievalModel a(meta.encoder), b(meta.encoder);
            model::loadCheckpoint(teacherBest, *a, meta.encoder, "retrieval", nullptr, {});
            model::loadCheckpoint(studentLast, *b, meta.encoder, "retrieval", nullptr, {});
            auto theirs = b->named_parameters();
            int moved = 0, kept = 0;
            for (const auto& p : a->named_parameters()) {
                const bool same = torch::equal(p.value(), theirs[p.key()]);
                if (p.key().find("word_embeddings") != std::string::npos) {
                    QVERIFY2(!same, p.key().c_str());
                    ++moved;
                } else {
                    QVERIFY2(same, p.key().c_str());
                    ++kept;
                }
            }
            QCOMPARE(moved, 1);
            QVERIFY(kept > 10);
            QCOMPARE(optical.result.summary.at("student_trains").get<std::string>(),
                     std::string("lexical"));
            // The X side sized for its script: ot.max_length scaled by the language's pieces
            // per English piece, never below ot.max_length.
            model::Tokenizer tok(tmp_.filePath("tok/t.model").toStdString());
            double english = 0, other = 0;
            for (const auto& b : data::readBitext(data::defaultCorpusDir(), "om", "train")) {
                english += double(tok.encode(b.english, 100000).size() - 2);
                other += double(tok.encode(b.other, 100000).size() - 2);
            }
            const long expected = std::max(48L, std::lround(2 + 46 * other / english));
            QCOMPARE(optical.result.summary.at("ot_other_max_length").at("om").get<long>(),
                     expected);
        }

        // Live alignment of typed sentences under the teacher's best checkpoint: the plan's
        // marginals are the uniform token weights, costs are 1 - cos, bad input is named.
        std::string teacherCheckpoint;
        for (const auto& a : runs.artifacts(teacher.runId))
            if (a.kind == "best_checkpoint") teacherCheckpoint = a.path;
        QVERIFY(!teacherCheckpoint.empty());
        auto live = train::alignSentences(teacherCheckpoint, "the document of the topic",
                                          "xthe xdocument xof xthe xtopic");
        const std::size_t n = live.sourceTokens.size(), m = live.targetTokens.size();
        QVERIFY(n >= 3 && m >= 3);
        QCOMPARE(live.plan.size(), n * m);
        for (std::size_t i = 0; i < n; ++i) {
            double row = 0;
            for (std::size_t j = 0; j < m; ++j) row += live.plan[i * m + j];
            QVERIFY2(std::fabs(row - 1.0 / double(n)) < 1e-4, std::to_string(row).c_str());
        }
        for (std::size_t j = 0; j < m; ++j) {
            double col = 0;
            for (std::size_t i = 0; i < n; ++i) col += live.plan[i * m + j];
            QVERIFY2(std::fabs(col - 1.0 / double(m)) < 1e-4, std::to_string(col).c_str());
        }
        for (float c : live.cost) QVERIFY(c >= -1e-4 && c <= 2.0001);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                                 train::alignSentences(teacherCheckpoint, "  ", "xthe"));
        try {
            train::alignSentences(encoderCheckpoint_, "the", "xthe");
            QFAIL("an encoder checkpoint was accepted");
        } catch (const std::runtime_error& e) {
            QVERIFY2(std::string(e.what()).find("kind 'encoder'") != std::string::npos, e.what());
        }

        // Fine-tuning, hybrid and OPTICAL + hybrid finish and record their loss parts.
        for (const std::string method : {"fine-tune", "hybrid", "optical+hybrid"}) {
            auto j = experiment(method + "-run", method, "teacher", 4);
            j["train"]["dev_queries"] = 10;
            const bool byEpochs = method == "optical+hybrid";
            if (byEpochs) {  // half a pass over the bitext sets the length, not train.steps
                j["ot"]["epochs"] = 0.5;
                j["ot"]["other_max_length"] = 20;
                j["train"]["contrastive_batch"] = 3;  // fewer queries than bitext pairs
            }
            auto o = runExperiment(j);
            QVERIFY2(o.status == store::RunStatus::Finished, (method + ": " + o.error).c_str());
            const auto& summary = o.result.summary;
            const int steps =
                byEpochs ? int(std::ceil(0.5 * summary.at("bitext_pairs").get<double>() / 8)) : 4;
            QCOMPARE(summary.at("train_steps").get<int>(), steps);
            QCOMPARE(int(runs.metrics(o.runId, "loss").size()), steps);
            if (byEpochs) {
                QCOMPARE(summary.at("bitext_pairs").get<int>(), 72);  // 24 pages x 3
                QCOMPARE(summary.at("ot_other_max_length").at("om").get<int>(), 20);
                QCOMPARE(summary.at("contrastive_batch").get<int>(), 3);
            } else {
                QCOMPARE(summary.at("contrastive_batch").get<int>(), 8);  // batch_size
            }
            // Every om test query's AP is stored, and the stored MAP is their mean (-c).
            auto perQuery = runs.queryResults(o.runId, "om", "entries", "map");
            QCOMPARE(int(perQuery.size()), 16);  // 8 test pages x 2 queries
            double sum = 0;
            for (const auto& [qid, ap] : perQuery) sum += ap;
            QVERIFY(std::fabs(sum / 16 - map(o, "om")) < 1e-12);
            // The dev sample: 10 of the 16 om dev queries, a seeded draw over all dev pages (not
            // the alphabetically first ones), recorded beside the run.
            std::string dir = dbPath_ + ".runs/" + std::to_string(o.runId);
            auto dev = nlohmann::json::parse(fs::readFile(dir + "/dev_queries.json"))
                           .at("om")
                           .get<std::vector<std::string>>();
            QCOMPARE(dev.size(), std::size_t(10));
            std::vector<std::string> all;
            for (const auto& q :
                 data::readQueries(data::defaultCorpusDir(), "om", "entries", "dev"))
                all.push_back(q.qid);
            std::sort(all.begin(), all.end());
            QVERIFY(std::vector<std::string>(all.begin(), all.begin() + 10) != dev);
            for (const auto& q : dev) QVERIFY(std::binary_search(all.begin(), all.end(), q));
        }
        QVERIFY(!runs.metrics(runs.runs().front().id, "loss/contrastive").empty());
    }

    // BM25 hard negatives come from training pages only: dev and test pages never shape the
    // model. A copy of the corpus whose English training queries also name the topic words of
    // dev and test pages (pages 24-39) and of another training page: BM25 ranks all of them, and
    // every negative column of many teacher batches must still be a training page.
    // `clirlab data import` end to end: the synthetic collection written in the accepted
    // formats (ir_datasets JSONL documents, TSV documents with titles, JSONL topics, TSV queries,
    // one TREC qrels file, bitext TSV per split, a splits file), imported, then the teacher and
    // OPTICAL trained and evaluated on it exactly as on a built corpus.
    void importedCollectionTrainsAndEvaluates() {
        const std::string dir = tmp_.filePath("import").toStdString();
        std::filesystem::create_directories(dir);
        const std::string filler =
            " the program shows the dialog and the menu of the document with"
            " the options for the selected text in the window";
        auto prefixed = [](const std::string& text) {
            std::istringstream in(text);
            std::string out, w;
            while (in >> w) out += (out.empty() ? "x" : " x") + w;
            return out;
        };
        std::string en, om, topics, queries, qrels, splits, bitext[3];
        const char* names[3] = {"train", "dev", "test"};
        for (int i = 0; i < 40; ++i) {
            const int s = i < 24 ? 0 : i < 32 ? 1 : 2;
            const std::string doc = "page" + std::to_string(i);
            const std::string text = word(i, 1) + filler + "\n" + word(i, 2) + filler;
            en += nlohmann::json{{"doc_id", doc}, {"title", word(i, 0) + " help"}, {"text", text}}
                      .dump() +
                  "\n";
            om += doc + "\t" + prefixed(word(i, 0) + " help") + "\t" + prefixed(text) + "\n";
            for (int k = 0; k < 2; ++k) {
                const std::string qid = "q" + std::to_string(i) + "-" + std::to_string(k);
                const std::string q = "how do i use " + word(i, k + 1) + " here";
                topics += nlohmann::json{{"query_id", qid}, {"title", q}}.dump() + "\n";
                queries += qid + "\t" + prefixed(q) + "\n";
                qrels += qid + " 0 " + doc + " 1\n";
                splits += qid + "\t" + names[s] + "\n";
            }
            for (int k = 0; k < 3; ++k) {
                const std::string e = "the " + word(i, k) + " of the document " + word(i, 2 - k);
                bitext[s] += e + "\t" + prefixed(e) + "\n";
            }
        }
        auto put = [&](const std::string& name, const std::string& content) {
            std::ofstream(dir + "/" + name) << content;
        };
        put("docs.en.jsonl", en);
        put("docs.om.tsv", om);
        put("topics.en.jsonl", topics);
        put("queries.om.tsv", queries);
        put("qrels.txt", qrels);
        put("splits.tsv", splits);
        nlohmann::json description = {{"name", "imported"},
                                      {"documents",
                                       {{{"language", "en-US"}, {"file", "docs.en.jsonl"}},
                                        {{"language", "om"}, {"file", "docs.om.tsv"}}}},
                                      {"queries",
                                       {{{"language", "en-US"}, {"file", "topics.en.jsonl"}},
                                        {{"language", "om"}, {"file", "queries.om.tsv"}}}},
                                      {"qrels", {{{"file", "qrels.txt"}}}},
                                      {"splits", "splits.tsv"},
                                      {"bitext", nlohmann::json::array()}};
        for (int s = 0; s < 3; ++s) {
            put(std::string("bitext.om.") + names[s] + ".tsv", bitext[s]);
            description["bitext"].push_back(
                {{"language", "om"},
                 {"file", std::string("bitext.om.") + names[s] + ".tsv"},
                 {"split", names[s]}});
        }
        put("import.json", description.dump(2));
        auto spec = data::parseImportSpec(fs::readFile(dir + "/import.json"), dir + "/import.json");
        data::importCorpus(spec, data::defaultCorpusDir("imported"), jobs::JobContext());

        auto t = experiment("imported-teacher", "teacher", "", 30);
        t["corpus"]["name"] = "imported";
        t["init"] = {{"checkpoint", encoderCheckpoint_}};
        auto teacher = runExperiment(t);
        QVERIFY2(teacher.status == store::RunStatus::Finished, teacher.error.c_str());
        // As on the built synthetic corpus: far above a random ranking's AP of 0.107.
        QVERIFY2(map(teacher, "en-US") > 0.2 && map(teacher, "om") > 0.15,
                 (std::to_string(map(teacher, "en-US")) + ", " + std::to_string(map(teacher, "om")))
                     .c_str());
        auto o = experiment("imported-optical", "optical", "imported-teacher", 10);
        o["corpus"]["name"] = "imported";
        auto optical = runExperiment(o);
        QVERIFY2(optical.status == store::RunStatus::Finished, optical.error.c_str());
        QVERIFY2(map(optical, "om") > 0.107, std::to_string(map(optical, "om")).c_str());
        qInfo("imported collection: teacher MAP en-US %.3f, om %.3f; OPTICAL om %.3f",
              map(teacher, "en-US"), map(teacher, "om"), map(optical, "om"));
        store::Database db(dbPath_);
        store::RunStore runs(db);
        const auto corpusId = runs.run(optical.runId)->corpusId;
        QVERIFY(corpusId.has_value());
        QCOMPARE(runs.corpusById(*corpusId)->name, std::string("imported"));

        // A language the imported corpus lacks is named with the corpus and how to add it.
        auto missing = experiment("imported-missing", "teacher", "", 1);
        missing["corpus"] = {{"name", "imported"}, {"languages", {"en-US", "eu"}}};
        missing["init"] = {{"checkpoint", encoderCheckpoint_}};
        auto failed = runExperiment(missing);
        QVERIFY(failed.status == store::RunStatus::Failed);
        QVERIFY2(failed.error.find("has no 'eu'") != std::string::npos &&
                     failed.error.find("clirlab data import") != std::string::npos,
                 failed.error.c_str());
    }

    void hardNegativesFromTrainingPages() {
        const std::string name = "hard-negatives";
        const std::string dir = data::defaultCorpusDir(name);
        writeSyntheticCorpus(dir);
        std::string queries;
        for (int i = 0; i < 24; ++i)
            for (int k = 0; k < 2; ++k)
                queries += "a/page" + std::to_string(i) + "#bm" + std::to_string(k) + ".0\t" +
                           word(i, k + 1) + " " + word(24 + i % 8, 1) + " " + word(32 + i % 8, 2) +
                           " " + word((i + 1) % 24, 1) + "\n";
        fs::writeFileAtomic(dir + "/queries/en-US.entries.train.tsv", queries);
        testing::sealCorpus(dir);
        auto j = experiment("hn", "teacher", "", 1);
        j["init"] = {{"checkpoint", encoderCheckpoint_}};
        j["corpus"]["name"] = name;
        auto spec = jobs::parseExperiment(j.dump(), "hn.json");
        auto corpus = data::CorpusSettings::fromJson(spec.config.at("corpus"));
        auto trainSettings = train::TrainSettings::fromJson(spec.config.at("train"));
        auto ot = train::OtSettings::fields().defaults();
        jobs::JobContext ctx;
        ctx.outputDir = tmp_.filePath("hn").toStdString();
        auto env = jobs::JobEnvironment::prepare(corpus, ctx);
        auto wiring = train::MethodWiring::of("teacher", corpus, trainSettings, ot);
        model::Tokenizer tok(tmp_.filePath("tok/t.model").toStdString());
        train::PageStore pages(env.corpusDir, tok, 32);
        train::RetrievalBatches batches(wiring, env, pages, tok, trainSettings, ot, 16);
        nlohmann::json summary;
        batches.load(summary);
        std::mt19937_64 rng(4);
        const auto& split = pages.of("en-US").split;
        int negatives = 0;
        for (int i = 0; i < 50; ++i) {
            auto b = batches.draw(8, rng);
            for (std::size_t col = b.queries.size(); col < b.docKeys.size(); ++col) {
                const std::string docid = b.docKeys[col].substr(b.docKeys[col].find(':') + 1);
                QCOMPARE(split.at(docid), std::string("train"));
                ++negatives;
            }
        }
        QVERIFY2(negatives > 300, std::to_string(negatives).c_str());  // of 400 columns
    }

    // One entry text often indexes several pages: each of them is relevant to every query with
    // that text, so none is its in-batch negative (infoNce masks relevant columns); a batch
    // holds each page once.
    void entryTextRelevantSetsAndDistinctPages() {
        const std::string name = "same-entry";
        const std::string dir = data::defaultCorpusDir(name);
        writeSyntheticCorpus(dir);
        // Training pages 2m and 2m+1 share their entry texts (case and spacing differ).
        std::string queries;
        for (int i = 0; i < 24; ++i)
            for (int k = 0; k < 2; ++k)
                queries += "a/page" + std::to_string(i) + "#bm" + std::to_string(k) + ".0\t" +
                           (i % 2 ? "How  do I use " : "how do i use ") + word(i - i % 2, k + 1) +
                           "\n";
        fs::writeFileAtomic(dir + "/queries/en-US.entries.train.tsv", queries);
        testing::sealCorpus(dir);
        auto j = experiment("se", "teacher", "", 1);
        j["init"] = {{"checkpoint", encoderCheckpoint_}};
        j["corpus"]["name"] = name;
        auto spec = jobs::parseExperiment(j.dump(), "se.json");
        auto corpus = data::CorpusSettings::fromJson(spec.config.at("corpus"));
        auto trainSettings = train::TrainSettings::fromJson(spec.config.at("train"));
        auto ot = train::OtSettings::fields().defaults();
        jobs::JobContext ctx;
        ctx.outputDir = tmp_.filePath("se").toStdString();
        auto env = jobs::JobEnvironment::prepare(corpus, ctx);
        auto wiring = train::MethodWiring::of("teacher", corpus, trainSettings, ot);
        model::Tokenizer tok(tmp_.filePath("tok/t.model").toStdString());
        train::PageStore pages(env.corpusDir, tok, 32);
        train::RetrievalBatches batches(wiring, env, pages, tok, trainSettings, ot, 16);
        nlohmann::json summary;
        batches.load(summary);
        std::mt19937_64 rng(9);
        auto page = [](const std::string& key) {
            return std::stoi(key.substr(key.find("page") + 4));
        };
        for (int n = 0; n < 50; ++n) {
            auto b = batches.draw(8, rng);
            std::set<std::string> positives(b.docKeys.begin(), b.docKeys.begin() + 8);
            QCOMPARE(int(positives.size()), 8);  // 24 training pages: room for 8 distinct
            for (std::size_t i = 0; i < 8; ++i) {
                const int p = page(b.docKeys[i]);
                const std::set<std::string> twins = {
                    "en-US:a/page" + std::to_string(p - p % 2),
                    "en-US:a/page" + std::to_string(p - p % 2 + 1)};
                QCOMPARE(b.relevant[i], twins);
            }
        }
    }

    // train.passage best: MaxSim training sees a page as its passage that fits the query best
    // (as whole-page ranking would match it); with nothing shared, the first passage.
    // A page is tokenized once: its first window and its passages are cut from that and equal
    // what the tokenizer gives the text directly.
    void pageStoreCutsFromOneTokenization() {
        model::Tokenizer tok(tmp_.filePath("tok/t.model").toStdString());
        train::PageStore pages(data::defaultCorpusDir(), tok, 8);
        const auto& en = pages.of("en-US");
        QCOMPARE(pages.full("en-US").size(), en.texts.size());
        QVERIFY(!en.texts.empty());
        for (std::size_t row = 0; row < en.texts.size(); ++row) {
            QVERIFY(pages.full("en-US")[row].size() > 8);  // long enough to be cut
            QVERIFY(pages.tokens("en-US", en.ids[row]) == tok.encode(en.texts[row], 8));
            QVERIFY(pages.passages("en-US", row) == retrieval::passagesOf(tok, en.texts[row], 8));
        }
    }

    void bestPassageFitsTheQuery() {
        model::Tokenizer tok(tmp_.filePath("tok/t.model").toStdString());
        train::PageStore pages(data::defaultCorpusDir(), tok, 8);
        auto& en = pages.of("en-US");
        int checked = 0;
        for (std::size_t row = 0; row < en.ids.size(); ++row) {
            auto passages = retrieval::passagesOf(tok, en.texts[row], 8);
            QVERIFY(passages.size() > 2);
            for (std::size_t target = 1; target < passages.size(); ++target) {
                // A query of the target passage's pieces that no other passage holds.
                const auto& mine = passages[target];
                train::Ids query = {model::Tokenizer::kBos};
                for (std::size_t k = 1; k + 1 < mine.size(); ++k) {
                    bool elsewhere = false;
                    for (std::size_t i = 0; i < passages.size(); ++i)
                        if (i != target)
                            elsewhere |=
                                std::count(passages[i].begin(), passages[i].end(), mine[k]) > 0;
                    if (!elsewhere) query.push_back(mine[k]);
                }
                query.push_back(model::Tokenizer::kEos);
                if (query.size() == 2) continue;
                QCOMPARE(pages.bestPassage("en-US", en.ids[row], query), mine);
                ++checked;
            }
        }
        QVERIFY(checked > 10);
        const train::Ids nothing = {model::Tokenizer::kBos, tok.maskId(), model::Tokenizer::kEos};
        QCOMPARE(pages.bestPassage("en-US", en.ids[0], nothing),
                 retrieval::passagesOf(tok, en.texts[0], 8).front());
    }

    void failuresAreRecorded() {
        // A fine-tune cannot start from a pretrained encoder (it needs a teacher).
        auto wrong = experiment("wrong", "fine-tune", "", 2);
        wrong["init"] = {{"checkpoint", encoderCheckpoint_}};
        auto o = runExperiment(wrong);
        QCOMPARE(o.status, store::RunStatus::Failed);
        QVERIFY2(o.error.find("of kind 'encoder'") != std::string::npos, o.error.c_str());

        // NaN weights: the run fails at step 1 and says so; its earlier metrics are kept.
        model::Tokenizer tok(tmp_.filePath("tok/t.model").toStdString());
        model::RetrievalModel net(model::presetConfig("xs", tok.vocabSize()));
        {
            torch::NoGradGuard g;
            for (auto& p : net->parameters()) p.fill_(NAN);
        }
        model::CheckpointMeta meta{net->config(), tok.path(), tok.hash(), 0, "x", {}, "retrieval"};
        auto nanCkpt =
            model::saveCheckpoint(tmp_.filePath("nan").toStdString(), *net, nullptr, meta);
        auto j = experiment("nan", "fine-tune", "", 3);
        j["init"] = {{"checkpoint", nanCkpt}};
        o = runExperiment(j);
        QCOMPARE(o.status, store::RunStatus::Failed);
        QVERIFY2(o.error.find("loss is NaN at step 1") != std::string::npos, o.error.c_str());
        store::Database db(dbPath_);
        QCOMPARE(store::RunStore(db).run(o.runId)->status, store::RunStatus::Failed);
    }

    void tableMarksBothBaselines() {
        eval::ComparedRun base{"fine-tune", false, {}, {}}, zero{"zero-shot", false, {}, {}},
            better{"optical", false, {}, {}};
        for (int i = 0; i < 60; ++i) {
            std::string q = "q" + std::to_string(i);
            base.perLanguage["om"][q] = 0.2 + 0.001 * (i % 7);
            zero.perLanguage["om"][q] = 0.2 + 0.001 * (i % 5);
            better.perLanguage["om"][q] = 0.6 + 0.001 * (i % 3);
        }
        auto table = eval::formatAgainstBaselines({base, zero, better}, {0, 1}, "map", "entries");
        QVERIFY2(table.find("0.6010ᶠᶻ") != std::string::npos, table.c_str());
        QVERIFY2(table.find("ᶠ differs from fine-tune") != std::string::npos, table.c_str());
        QVERIFY2(table.find("ᶻ differs from zero-shot") != std::string::npos, table.c_str());
    }
};

QTEST_GUILESS_MAIN(TestRetrieval)
#include "test_retrieval.moc"
