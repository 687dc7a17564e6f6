// What retrieval runs start from and how they fail, on the synthetic corpus of
// retrieval_fixture.h: the lexical ladder grown from a static checkpoint, an imported collection
// trained and evaluated, bad settings named, and failures (wrong checkpoint kind, NaN loss)
// recorded with their step.
#include "tests/train/retrieval_fixture.h"

using namespace clir;

using clir::testing::word;
using clir::testing::writeSyntheticCorpus;

class TestRetrievalInputs : public testing::RetrievalFixture {
    Q_OBJECT

  private slots:
    void initTestCase() { setUpCorpusAndEncoder(); }

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
};

QTEST_GUILESS_MAIN(TestRetrievalInputs)
#include "test_retrieval_inputs.moc"
