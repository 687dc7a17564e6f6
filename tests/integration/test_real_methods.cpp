// Integration: the retrieval methods on the real corpus through `clirlab run` of a suite (a tiny
// pretraining, teacher, zero-shot, OPTICAL and fine-tune), checking that every language is
// evaluated, the stored MAP equals a fresh evaluation of the exported TREC run, OPTICAL saved
// plans over real tokens, and running the suite again reuses every finished run.
#include <QtTest>

#include <QProcess>
#include <QTemporaryDir>
#include <set>

#include "core/data/corpus_reader.h"
#include "core/data/corpus_stats.h"
#include "core/eval/measures.h"
#include "core/eval/trec_io.h"
#include "core/store/database.h"
#include "core/store/run_store.h"
#include "core/util/fs.h"

using namespace clir;

class TestRealMethods : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    const std::vector<std::string> langs_ = {"en-US", "om", "km", "dz", "eu", "de", "fr", "es"};

    QString cli() { return qEnvironmentVariable("CLIRLAB_BIN_DIR") + "/clirlab"; }

    void write(const std::string& name, const nlohmann::json& j) {
        fs::writeFileAtomic(tmp_.filePath(QString::fromStdString(name)).toStdString(), j.dump(2));
    }

    nlohmann::json method(const std::string& name, const std::string& m, const std::string& from) {
        nlohmann::json j = {{"name", name},
                            {"method", m},
                            {"corpus", {{"languages", langs_}}},
                            {"model", {{"preset", "xs"}, {"device", "cpu"}}},
                            {"init", {{"from", from}}},
                            // depth 100: the smallest run whose files still test every path
                            {"retrieval", {{"document_max_length", 64}, {"depth", 100}}},
                            {"evaluation", {{"query_sets", {"entries"}}}}};
        if (m != "zero-shot")
            j["train"] = {{"steps", 6},
                          {"batch_size", 8},
                          {"learning_rate", 1e-3},
                          {"warmup_steps", 2},
                          {"eval_every", 3},
                          {"dev_queries", 30},
                          {"log_every", 2},
                          {"languages", {"om", "eu", "de"}}};
        if (m == "optical")
            j["ot"] = {{"epsilon", 0.05}, {"alignment_pairs", 3}, {"align_every", 3}};
        return j;
    }

    QString runSuite() {
        QProcess p;
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert("CLIRLAB_DB", tmp_.filePath("m.db"));
        p.setProcessEnvironment(env);
        p.start(cli(), {"run", tmp_.filePath("suite.json")});
        if (!p.waitForFinished(1200000)) return "timeout";
        QString out = QString::fromUtf8(p.readAllStandardOutput());
        QString err = QString::fromUtf8(p.readAllStandardError());
        if (p.exitCode() != 0)
            return "exit " + QString::number(p.exitCode()) + ": " + err.right(2000);
        return out + "\n--stderr--\n" + err;
    }

  private slots:
    void initTestCase() {
        if (!QFile::exists(QString::fromStdString(data::defaultCorpusDir() + "/manifest.json"))) {
            if (qEnvironmentVariable("CI") == "true") QFAIL("no real corpus in CI");
            QSKIP("real corpus not built");
        }
    }

    void suiteRunsEveryMethod() {
        write("pre.json", {{"name", "pre"},
                           {"method", "pretrain"},
                           {"corpus", {{"languages", langs_}}},
                           {"model", {{"preset", "xs"}, {"vocab_size", 2000}, {"device", "cpu"}}},
                           {"tokenizer", {{"training_sentences", 5000}}},
                           {"pretrain",
                            {{"steps", 4},
                             {"batch_size", 8},
                             {"max_length", 32},
                             {"warmup_steps", 1},
                             {"eval_sentences", 10}}}});
        write("teacher.json", method("teacher", "teacher", "pre"));
        write("zero.json", method("zero", "zero-shot", "teacher"));
        write("optical.json", method("optical", "optical", "teacher"));
        write("fine.json", method("fine", "fine-tune", "teacher"));
        write("suite.json",
              {{"name", "s"},
               {"method", "suite"},
               {"suite",
                {{"experiments",
                  {"pre.json", "teacher.json", "zero.json", "optical.json", "fine.json"}},
                 {"baselines", {"fine", "zero"}}}}});
        QString out = runSuite();
        QVERIFY2(out.contains("| map (entries) | teacher | zero | optical | fine |"),
                 qPrintable(out));
        QVERIFY2(out.contains("differs from fine"), qPrintable(out));

        store::Database db(tmp_.filePath("m.db").toStdString());
        store::RunStore runs(db);
        auto all = runs.runs();
        QCOMPARE(int(all.size()), 5);
        const std::string corpus = data::defaultCorpusDir();
        for (const auto& r : all) {
            QCOMPARE(r.status, store::RunStatus::Finished);
            if (r.method == "pretrain") continue;
            std::set<std::string> evaluated, fused;
            for (const auto& x : runs.results(r.id))
                if (x.measure == "map") {
                    QVERIFY2(x.querySet == "entries" || x.querySet == "entries+bm25",
                             x.querySet.c_str());
                    (x.querySet == "entries" ? evaluated : fused).insert(x.language);
                    QVERIFY(x.value >= 0 && x.value <= 1);
                    // The stored figure, plain or fused with BM25, is trec_eval -c of the
                    // exported run.
                    auto trec = db.path() + ".runs/" + std::to_string(r.id) + "/" + x.language +
                                "." + x.querySet + ".test.trec.gz";
                    auto qrels = eval::readQrels(
                        data::qrelsPath(corpus, x.language, "en-US", "entries", "test"));
                    auto e = eval::evaluate(eval::readRun(trec), qrels, {true});
                    QCOMPARE(e.mean.at("map"), x.value);
                }
            QCOMPARE(evaluated, std::set<std::string>(langs_.begin(), langs_.end()));
            QCOMPARE(fused, evaluated);  // retrieval.fusion: bm25 is the default
        }
        // OPTICAL saved plans over real text at steps 0, 3 and 6 for 3 dev pairs.
        std::int64_t opticalId = 0;
        for (const auto& r : all)
            if (r.method == "optical") opticalId = r.id;
        auto plans = runs.alignments(opticalId);
        QCOMPARE(int(plans.size()), 9);
        for (const auto& a : plans) {
            QVERIFY(!a.sourceTokens.empty() && !a.targetTokens.empty());
            QCOMPARE(a.plan.size(), a.sourceTokens.size() * a.targetTokens.size());
        }

        // Again: every run is reused, nothing new is stored.
        out = runSuite();
        QVERIFY2(out.count("reused") == 5, qPrintable(out));
        QCOMPARE(int(runs.runs().size()), 5);
    }
};

QTEST_GUILESS_MAIN(TestRealMethods)
#include "test_real_methods.moc"
