// The retrieval methods end to end on the synthetic corpus of retrieval_fixture.h: zero-shot,
// fine-tune, hybrid, OPTICAL and OPTICAL + hybrid trained, evaluated, stored and resolved through
// init.from, and the comparison table with two baselines.
#include "tests/train/retrieval_fixture.h"

using namespace clir;

using clir::testing::word;
using clir::testing::writeSyntheticCorpus;

class TestRetrieval : public testing::RetrievalFixture {
    Q_OBJECT

  private slots:
    void initTestCase() { setUpCorpusAndEncoder(); }

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
