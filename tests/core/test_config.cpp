// Experiment validation: each kind of bad input gives its own message naming the field.
#include <QtTest>

#include <set>
#include <QDirIterator>
#include <QTemporaryDir>
#include <iostream>

#include "core/jobs/experiment.h"
#include "core/jobs/job_runner.h"
#include "core/store/run_store.h"
#include "core/config/experiment_spec.h"
#include "core/data/corpus_settings.h"
#include "core/jobs/methods.h"
#include "core/train/pretrain_settings.h"
#include "core/train/retrieval_settings.h"

using namespace clir;

// Golden values (see goldenConfigHash).
#define GOLDEN_BM25_DUMP                                                                       \
    "{\"bm25\":{\"b\":0.75,\"depth\":1000,\"k1\":1.2},\"corpus\":{\"bitext\":{\"max_chars\":1" \
    "000,\"max_length_ratio\":4.0,\"min_chars\":3},\"languages\":[\"en-US\",\"om\",\"km\",\"d" \
    "z\",\"eu\",\"de\",\"fr\",\"es\"],\"name\":\"libreoffice-help-7.4\",\"split\":{\"dev\":0." \
    "1,\"seed\":20240601,\"test\":0.2,\"train\":0.7}},\"description\":\"\",\"evaluation\":{\"" \
    "query_sets\":[\"entries\",\"headings\"],\"split\":\"test\"},\"method\":\"bm25\",\"name\"" \
    ":\"golden\",\"seed\":5,\"tags\":[],\"translation\":{\"system\":\"none\",\"timeout_second" \
    "s\":300.0}}"
#define GOLDEN_BM25_HASH "6ac96f51fe5f0fb5b3989513a3d7388602b21c03bd0c57ebfaa1c3a0c8bf3b55"
#define GOLDEN_HYBRID_HASH "6b5099aae9ba975493a760b2ca87a10395bceb5141d991ae5fa948a423237fca"

class TestConfig : public QObject {
    Q_OBJECT
    // The message a bad sweep file s.json gets ("no error" when it expands).
    static std::string sweepError(const char* json) {
        try {
            jobs::expandExperiment(json, "s.json");
        } catch (const config::ConfigError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    }

  private slots:
    void defaultsFilled() {
        auto spec = jobs::parseExperiment(R"({"name":"q","method":"corpus"})", "q.json");
        QCOMPARE(spec.seed, std::int64_t(13));
        QCOMPARE(spec.config["corpus"]["split"]["train"].get<double>(), 0.7);
        auto settings = data::CorpusSettings::fromJson(spec.config["corpus"]);
        QCOMPARE(int(settings.languages.size()), 8);
        QCOMPARE(settings.languages.front(), std::string("en-US"));
        QCOMPARE(spec.configHash.size(), std::size_t(64));
    }

    void unusedBlocksAreNotStored() {
        auto corpus = jobs::parseExperiment(R"({"name":"q","method":"corpus"})", "q.json");
        QVERIFY(!corpus.config.contains("bm25"));
        auto bm25 = jobs::parseExperiment(R"({"name":"q","method":"bm25"})", "q.json");
        QCOMPARE(bm25.config["bm25"]["k1"].get<double>(), 1.2);
        QCOMPARE(bm25.config["evaluation"]["split"].get<std::string>(), std::string("test"));
    }

    void pivotAlwaysIncluded() {
        auto spec = jobs::parseExperiment(
            R"({"name":"q","method":"corpus","corpus":{"languages":["om"]}})", "q.json");
        auto settings = data::CorpusSettings::fromJson(spec.config["corpus"]);
        QCOMPARE(settings.languages, (std::vector<std::string>{"en-US", "om"}));
    }

    void sameConfigSameHash() {
        auto a = jobs::parseExperiment(R"({"name":"q","method":"corpus"})", "a.json");
        auto b = jobs::parseExperiment(R"({"method":"corpus","name":"q","seed":13})", "b.json");
        QCOMPARE(a.configHash, b.configHash);
    }

    void badInput_data() {
        QTest::addColumn<QString>("json");
        QTest::addColumn<QString>("message");
        QTest::newRow("syntax") << "{\"name\": \"q\",\n \"method\": }"
                                << "x.json:2:12: invalid JSON: parse error";
        QTest::newRow("number overflow")  // found by fuzz_experiment
            << R"({"name":"q","method":"corpus","seed":1e999})"
            << "x.json: invalid JSON: [json.exception.out_of_range.406] number overflow";
        QTest::newRow("unknown key") << R"({"name":"q","method":"corpus","sed":1})"
                                     << "x.json: field 'sed': unknown key (did you mean 'seed'?)";
        QTest::newRow("nested unknown key")
            << R"({"name":"q","method":"corpus","corpus":{"split":{"tran":0.7}}})"
            << "x.json: field 'corpus.split.tran': unknown key (did you mean 'train'?)";
        QTest::newRow("missing name") << R"({"method":"corpus"})"
                                      << "x.json: field 'name': missing (required";
        QTest::newRow("missing method") << R"({"name":"q"})"
                                        << "x.json: field 'method': missing (required";
        QTest::newRow("unknown method")
            << R"({"name":"q","method":"magic"})"
            << "x.json: field 'method': unknown value 'magic'; allowed: bm25, nmt, teacher, "
               "zero-shot, fine-tune, hybrid, optical, optical+hybrid, pretrain, corpus, suite";
        QTest::newRow("wrong type")
            << R"({"name":"q","method":"corpus","seed":"7"})"
            << "x.json: field 'seed': expected an integer, got string \"7\"";
        QTest::newRow("float for integer")
            << R"({"name":"q","method":"corpus","seed":1.5})"
            << "x.json: field 'seed': expected an integer, got number";
        QTest::newRow("negative") << R"({"name":"q","method":"corpus","seed":-1})"
                                  << "x.json: field 'seed': must be >= 0, got -1";
        QTest::newRow("unknown language")
            << R"({"name":"q","method":"corpus","corpus":{"languages":["om","xx"]}})"
            << "x.json: field 'corpus.languages': 'xx' is not a LibreOffice help language";
        QTest::newRow("not a language tag")
            << R"({"name":"q","method":"bm25","corpus":{"languages":["om","o_m"]}})"
            << "x.json: field 'corpus.languages': 'o_m' is not a language tag";
        QTest::newRow("duplicate language")
            << R"({"name":"q","method":"corpus","corpus":{"languages":["om","om"]}})"
            << "x.json: field 'corpus.languages[1]': duplicate value \"om\"";
        QTest::newRow("empty languages")
            << R"({"name":"q","method":"corpus","corpus":{"languages":[]}})"
            << "x.json: field 'corpus.languages': needs at least 1 item";
        QTest::newRow("split sum")
            << R"({"name":"q","method":"corpus","corpus":{"split":{"train":0.9}}})"
            << "x.json: field 'corpus.split': train + dev + test must be 1";
        QTest::newRow("fraction range")
            << R"({"name":"q","method":"corpus","corpus":{"split":{"dev":1.5}}})"
            << "x.json: field 'corpus.split.dev': must be <= 1, got 1.5";
        QTest::newRow("block of another method")
            << R"({"name":"q","method":"corpus","bm25":{"k1":1.0}})"
            << "x.json: field 'bm25': not read by method 'corpus'";
        QTest::newRow("bm25 b range") << R"({"name":"q","method":"bm25","bm25":{"b":2}})"
                                      << "x.json: field 'bm25.b': must be <= 1, got 2";
        QTest::newRow("translation system")
            << R"({"name":"q","method":"bm25","translation":{"system":"google"}})"
            << "x.json: field 'translation.system': unknown value 'google'; allowed: none, "
               "apertium";
        QTest::newRow("evaluation set")
            << R"({"name":"q","method":"bm25","evaluation":{"query_sets":["titles"]}})"
            << "x.json: field 'evaluation.query_sets[0]': unknown value 'titles'";
        QTest::newRow("not an object") << R"([1,2])"
                                       << "x.json: field '<root>': expected an object";
        QTest::newRow("empty name") << R"({"name":"","method":"corpus"})"
                                    << "x.json: field 'name': must not be empty";
        QTest::newRow("min over max")
            << R"({"name":"q","method":"corpus","corpus":{"bitext":{"min_chars":50,"max_chars":10}}})"
            << "x.json: field 'corpus.bitext.min_chars': larger than max_chars";
    }
    void badInput() {
        QFETCH(QString, json);
        QFETCH(QString, message);
        try {
            jobs::parseExperiment(json.toStdString(), "x.json");
            QFAIL("accepted bad input");
        } catch (const config::ConfigError& e) {
            QVERIFY2(std::string(e.what()).rfind(message.toStdString(), 0) == 0, e.what());
        }
    }

    // The config hash decides whether a checkpoint may be resumed and whether a suite reuses a
    // run: how a configuration is filled and serialised must only change on purpose. The golden
    // dump and its SHA-256 (checked with sha256sum) are written here, not computed.
    void goldenConfigHash() {
        auto bm25 =
            jobs::parseExperiment(R"({"name":"golden","method":"bm25","seed":5})", "g.json");
        QCOMPARE(bm25.config.dump(), std::string(GOLDEN_BM25_DUMP));
        QCOMPARE(bm25.configHash, std::string(GOLDEN_BM25_HASH));
        auto hybrid = jobs::parseExperiment(
            R"({"name":"golden","method":"hybrid","init":{"from":"teacher-xs"}})", "g.json");
        if (hybrid.configHash != GOLDEN_HYBRID_HASH)  // the whole dump: QVERIFY2 cuts it
            std::cerr << "hashed: " << hybrid.config.dump() << "\n";
        QVERIFY2(hybrid.configHash == GOLDEN_HYBRID_HASH, hybrid.configHash.c_str());
    }

    // model.dropout came after runs were stored: at its default (-1, the encoder's own) it is in
    // the stored configuration but not in the hash (goldenConfigHash holds), away from it it is.
    void dropoutCountsInTheHashOnlyAwayFromItsDefault() {
        auto parse = [](const std::string& model) {
            return jobs::parseExperiment(
                R"({"name":"g","method":"hybrid","init":{"from":"t"})" + model + "}", "g.json");
        };
        auto plain = parse(""), atDefault = parse(R"(,"model":{"dropout":-1})");
        auto off = parse(R"(,"model":{"dropout":0})");
        QCOMPARE(plain.config["model"]["dropout"].get<double>(), -1.0);
        QCOMPARE(atDefault.configHash, plain.configHash);
        QVERIFY(off.configHash != plain.configHash);
        QVERIFY(parse(R"(,"model":{"dropout":0.1})").configHash != off.configHash);
    }

    // retrieval.tf_weight came after runs were stored: off (0) its three settings stay out of the
    // hash (goldenConfigHash holds), on they count; on needs MaxSim, whose matches it counts.
    void softTfCountsInTheHashOnlyWhenOn() {
        auto parse = [](const std::string& retrieval) {
            return jobs::parseExperiment(R"({"name":"g","method":"hybrid","init":{"from":"t"},)"
                                         R"("retrieval":{"scoring":"maxsim")" +
                                             retrieval + "}}",
                                         "g.json");
        };
        auto plain = parse(""), off = parse(R"(,"tf_weight":0,"tf_threshold":0.5)");
        auto on = parse(R"(,"tf_weight":0.4)");
        QCOMPARE(plain.config["retrieval"]["tf_weight"].get<double>(), 0.0);
        QCOMPARE(plain.config["retrieval"]["tf_threshold"].get<double>(), 0.9);
        QCOMPARE(off.configHash, plain.configHash);
        QVERIFY(on.configHash != plain.configHash);
        QVERIFY(parse(R"(,"tf_weight":0.4,"tf_threshold":0.8)").configHash != on.configHash);
        try {
            jobs::parseExperiment(R"({"name":"g","method":"hybrid","init":{"from":"t"},)"
                                  R"("retrieval":{"scoring":"dense","tf_weight":0.4}})",
                                  "g.json");
            QFAIL("soft term frequency with dense scoring was accepted");
        } catch (const std::exception& e) {
            QVERIFY2(std::string(e.what()).find("field 'retrieval.tf_weight'") != std::string::npos,
                     e.what());
        }
    }

    // An input is named in the configuration hash by the configuration of the run that made it:
    // the same teacher in another database (another id, another folder, or restored from an
    // archive with no files) gives the same hash; another teacher configuration does not.
    void inputsAreNamedByTheirConfiguration() {
        QTemporaryDir dir;
        const std::string here = dir.filePath("ckpt-a").toStdString();
        const std::string there = dir.filePath("ckpt-b").toStdString();
        QDir().mkpath(QString::fromStdString(here));
        QDir().mkpath(QString::fromStdString(there));
        auto finishedRun = [](store::Database& db, const std::string& name, const std::string& hash,
                              const std::string& checkpoint) {
            store::RunStore runs(db);
            store::RunRecord r;
            r.name = name;
            r.method = "teacher";
            r.languages = {"en-US"};
            r.config = "{}";
            r.configHash = hash;
            r.codeVersion = "test";
            const auto id = runs.createRun(r);
            runs.finish(id, store::RunStatus::Finished);
            if (!checkpoint.empty()) runs.addArtifact(id, "best_checkpoint", checkpoint);
            return id;
        };
        const char* text = R"({"name":"ft","method":"fine-tune","init":{"from":"teacher-xs"}})";
        const std::string teacher(64, 'a'), otherTeacher(64, 'b');
        auto resolved = [&](store::Database& db, bool requireFiles) {
            auto spec = jobs::parseExperiment(text, "ft.json");
            jobs::JobRunner(db).resolveInputs(spec, requireFiles);
            return spec;
        };
        store::Database a(dir.filePath("a.db").toStdString());
        finishedRun(a, "teacher-xs", teacher, here);
        const auto inA = resolved(a, true);
        QCOMPARE(inA.config["init"]["checkpoint"].get<std::string>(), here);
        QCOMPARE(inA.config["init"]["from_run"].get<std::int64_t>(), std::int64_t(1));

        store::Database b(dir.filePath("b.db").toStdString());
        finishedRun(b, "something-else", otherTeacher, "");
        finishedRun(b, "teacher-xs", teacher, there);
        const auto inB = resolved(b, true);
        QCOMPARE(inB.config["init"]["from_run"].get<std::int64_t>(), std::int64_t(2));
        QCOMPARE(inB.config["init"]["checkpoint"].get<std::string>(), there);
        QCOMPARE(inB.configHash, inA.configHash);

        store::Database c(dir.filePath("c.db").toStdString());
        finishedRun(c, "teacher-xs", otherTeacher, here);
        QVERIFY(resolved(c, true).configHash != inA.configHash);

        // Restored (no checkpoint here): the hash for reuse, a clear error for running.
        store::Database d(dir.filePath("d.db").toStdString());
        finishedRun(d, "teacher-xs", teacher, "");
        const auto inD = resolved(d, false);
        QCOMPARE(inD.configHash, inA.configHash);
        QCOMPARE(inD.config["init"]["checkpoint"].get<std::string>(), std::string());
        try {
            resolved(d, true);
            QFAIL("a run with no checkpoint here was taken as an input");
        } catch (const config::ConfigError& e) {
            QVERIFY2(std::string(e.what()).find("ft.json: field 'init.from': run #1 "
                                                "('teacher-xs', teacher) has no best_checkpoint "
                                                "on this machine") == 0,
                     e.what());
        }
        // Of two finished runs of the name, the one with its checkpoint here wins.
        finishedRun(d, "teacher-xs", teacher, dir.filePath("gone").toStdString());
        try {
            resolved(d, true);
            QFAIL("a missing checkpoint folder was taken as an input");
        } catch (const config::ConfigError& e) {
            QVERIFY2(std::string(e.what()).find("gone is missing") != std::string::npos, e.what());
        }
        finishedRun(d, "something-else", otherTeacher, "");
        const auto withFiles = finishedRun(d, "teacher-xs", teacher, here);
        finishedRun(d, "teacher-xs", teacher, "");  // restored later: newer, but no files
        const auto inD2 = resolved(d, true);
        QCOMPARE(inD2.config["init"]["from_run"].get<std::int64_t>(), withFiles);
        QCOMPARE(inD2.configHash, inA.configHash);
    }

    // A suite trains a restored run again only when a run that still has to run starts from it,
    // directly or through another run that must run again.
    void restoredInputsRetrainOnlyWhenNeeded() {
        QTemporaryDir dir;
        const std::string folder = dir.filePath("ckpt").toStdString();
        QDir().mkpath(QString::fromStdString(folder));
        std::vector<config::ExperimentSpec> suite = {
            jobs::parseExperiment(R"({"name":"p","method":"pretrain"})", "p.json"),
            jobs::parseExperiment(R"({"name":"t","method":"teacher","init":{"from":"p"}})",
                                  "t.json"),
            jobs::parseExperiment(R"({"name":"f","method":"fine-tune","init":{"from":"t"}})",
                                  "f.json")};
        store::Database db(dir.filePath("s.db").toStdString());
        store::RunStore runs(db);
        // Finished runs as a restore leaves them: the resolved hash, no files.
        auto finish = [&](std::size_t i, const std::string& checkpoint) {
            auto spec = suite[i];
            jobs::JobRunner(db).resolveInputs(spec, false);
            store::RunRecord r;
            r.name = spec.name;
            r.method = spec.method;
            r.languages = {"en-US"};
            r.config = spec.config.dump();
            r.configHash = spec.configHash;
            r.codeVersion = "test";
            const auto id = runs.createRun(r);
            runs.finish(id, store::RunStatus::Finished);
            if (!checkpoint.empty()) runs.addArtifact(id, "best_checkpoint", checkpoint);
            return id;
        };
        using Names = std::set<std::string>;
        QCOMPARE(jobs::runsNeedingCheckpoints(db, suite), Names({"p", "t"}));  // nothing run
        finish(0, "");
        finish(1, "");
        QCOMPARE(jobs::runsNeedingCheckpoints(db, suite), Names({"p", "t"}));
        const auto f = finish(2, "");
        QCOMPARE(jobs::runsNeedingCheckpoints(db, suite), Names{});
        auto spec = suite[2];
        jobs::JobRunner(db).resolveInputs(spec, false);
        QCOMPARE(jobs::finishedRunOf(runs, spec, false)->id, f);
        QVERIFY(!jobs::finishedRunOf(runs, spec, true));
        // f still to run (a new seed, say) and t's checkpoint here: p is not needed.
        suite[2] = jobs::parseExperiment(
            R"({"name":"f","method":"fine-tune","seed":99,"init":{"from":"t"}})", "f.json");
        QCOMPARE(jobs::runsNeedingCheckpoints(db, suite), Names({"p", "t"}));
        finish(1, folder);
        QCOMPARE(jobs::runsNeedingCheckpoints(db, suite), Names({"t"}));
    }

    // A suite continued from its archives trains a restored input just before the first run
    // that starts from it, and the runs from one input run together: every seed of one size,
    // then the next size's teacher (not every teacher first, then the sizes seed by seed).
    void suiteOrderTrainsAnInputJustBeforeItsRuns() {
        std::vector<config::ExperimentSpec> suite;
        auto add = [&](const std::string& json) {
            suite.push_back(jobs::parseExperiment(json, "s" + std::to_string(suite.size())));
        };
        add(R"({"name":"p","method":"pretrain"})");
        add(R"({"name":"b","method":"bm25"})");
        add(R"({"name":"t","method":"teacher","init":{"from":"p"}})");
        add(R"({"name":"tx","method":"teacher","init":{"from":"p"}})");
        add(R"({"name":"ty","method":"teacher","init":{"from":"p"}})");
        add(R"({"name":"h13","method":"hybrid","seed":13,"init":{"from":"t"}})");
        add(R"({"name":"h13x","method":"hybrid","seed":13,"init":{"from":"tx"}})");
        add(R"({"name":"h14","method":"hybrid","seed":14,"init":{"from":"t"}})");
        add(R"({"name":"h14x","method":"hybrid","seed":14,"init":{"from":"tx"}})");
        auto names = [&](const std::set<std::string>& needed) {
            std::vector<std::string> out;
            for (auto i : jobs::suiteRunOrder(suite, needed)) out.push_back(suite[i].name);
            return out;
        };
        using Names = std::vector<std::string>;
        // Everything finished and reusable: the listed order.
        QCOMPARE(names({}), Names({"p", "b", "t", "tx", "ty", "h13", "h13x", "h14", "h14x"}));
        // Restored teachers (ty finished and not needed): each trained right before its runs.
        QCOMPARE(names({"p", "t", "tx"}),
                 Names({"b", "p", "ty", "t", "h13", "h14", "tx", "h13x", "h14x"}));
        // Every run still to run (a fresh database): the same grouping.
        QCOMPARE(names({"p", "t", "tx", "ty"}),
                 Names({"b", "p", "t", "h13", "h14", "tx", "h13x", "h14x", "ty"}));
    }

    // Each field is described once: the defaults the jobs read are the ones the papers and the
    // README give, and the generated reference lists every key of every block.
    void fieldTables() {
        auto train = train::TrainSettings::fields().defaults();
        QCOMPARE(train.batchSize, std::int64_t(100));  // hybrid-batch paper
        QCOMPARE(train.learningRate, 3e-5);
        QCOMPARE(train.weightDecay, 0.01);
        QCOMPARE(train.alpha, 0.5);
        auto ot = train::OtSettings::fields().defaults();
        QCOMPARE(ot.epsilon, 0.05);
        QCOMPARE(ot.studentSide, std::string("query"));
        auto pre = train::PretrainSettings::fields().defaults();
        QCOMPARE(pre.adamBeta2, 0.98);  // RoBERTa
        QCOMPARE(pre.resourceProfile.at("en-US"), 300.8);
        auto corpus = data::CorpusSettings::defaults();
        QCOMPARE(corpus.split.seed, std::uint64_t(20240601));
        QCOMPARE(corpus.bitext.maxChars, 1000);
        const std::string reference = jobs::settingsReference();
        for (const auto& [block, node] : jobs::experimentSchema().properties) {
            if (node.type != config::SchemaNode::Type::Object) {
                QVERIFY2(reference.find("| `" + block + "` |") != std::string::npos, block.c_str());
                continue;
            }
            for (const auto& [key, field] : node.properties) {
                const std::string path = block + "." + key;
                if (field.type == config::SchemaNode::Type::Object && !field.openKeys) {
                    for (const auto& [sub, _] : field.properties)
                        QVERIFY2(
                            reference.find("| `" + path + "." + sub + "` |") != std::string::npos,
                            (path + "." + sub).c_str());
                } else {
                    QVERIFY2(reference.find("| `" + path + "` |") != std::string::npos,
                             path.c_str());
                }
            }
        }
        for (const auto& m : jobs::methods())
            QVERIFY2(reference.find("| `" + m.name + "` |") != std::string::npos, m.name.c_str());
    }

    void sweepExpandsIntoOneRunPerCombination() {
        auto runs = jobs::expandExperiment(
            R"({"name":"h","method":"bm25","bm25":{"k1":0.9},
                "sweep":{"seed":[13,14],"bm25.k1":[0.8,1.2,1.5]}})",
            "h.json");
        QCOMPARE(runs.size(), std::size_t(6));
        // Keys in sorted order, the last varying fastest; the group leaves the seed out.
        QCOMPARE(runs[0].name, std::string("h[bm25.k1=0.8,seed=13]"));
        QCOMPARE(runs[1].name, std::string("h[bm25.k1=0.8,seed=14]"));
        QCOMPARE(runs[5].name, std::string("h[bm25.k1=1.5,seed=14]"));
        QCOMPARE(runs[0].group, std::string("h[bm25.k1=0.8]"));
        QCOMPARE(runs[1].group, runs[0].group);
        QVERIFY(runs[2].group != runs[0].group);
        QCOMPARE(runs[1].seed, std::int64_t(14));
        QCOMPARE(runs[5].config.at("bm25").at("k1").get<double>(), 1.5);
        QVERIFY(!runs[0].config.contains("sweep"));
        std::set<std::string> hashes;
        for (const auto& r : runs) hashes.insert(r.configHash);
        QCOMPARE(hashes.size(), runs.size());
        // A file without a sweep is itself, its group its name, its hash unchanged by the field.
        auto one = jobs::expandExperiment(R"({"name":"b","method":"bm25"})", "b.json");
        QCOMPARE(one.size(), std::size_t(1));
        QCOMPARE(one[0].group, std::string("b"));
        QVERIFY(!one[0].config.contains("group"));
        QVERIFY(!one[0].config.contains("sweep"));
    }

    // "language": one run per language, trained on it and evaluated on it and English; the
    // group spans languages and seeds, so a method's runs are one row of the comparison.
    void languageSweepIsOneRunPerLanguage() {
        auto runs = jobs::expandExperiment(
            R"({"name":"ft","method":"fine-tune","init":{"from":"t"},"corpus":{"languages":["en-US","om","km"]},
                "train":{"languages":["om","km"],"steps":5},
                "sweep":{"language":["om","de"],"seed":[1,2]}})",
            "ft.json");
        QCOMPARE(runs.size(), std::size_t(4));
        QCOMPARE(runs[0].name, std::string("ft[language=om,seed=1]"));
        QCOMPARE(runs[3].name, std::string("ft[language=de,seed=2]"));
        for (const auto& r : runs) QCOMPARE(r.group, std::string("ft"));
        QCOMPARE(runs[2].config.at("train").at("languages"), nlohmann::json::array({"de"}));
        QCOMPARE(runs[2].config.at("corpus").at("languages"),
                 nlohmann::json::array({"en-US", "de"}));
        QCOMPARE(runs[2].config.at("train").at("steps").get<int>(), 5);  // the rest is kept
        QVERIFY(runs[0].configHash != runs[2].configHash);
        // With another axis the group keeps that axis and still spans the languages.
        auto alphas = jobs::expandExperiment(
            R"({"name":"h","method":"hybrid","init":{"from":"t"},"sweep":{"language":["om","km"],"train.alpha":[0,1]}})",
            "h.json");
        QCOMPARE(alphas.size(), std::size_t(4));
        QCOMPARE(alphas[0].group, std::string("h[train.alpha=0]"));
        QCOMPARE(alphas[2].group, std::string("h[train.alpha=0]"));  // km, alpha 0
        QCOMPARE(alphas[2].name, std::string("h[language=km,train.alpha=0]"));
        QVERIFY_THROWS_EXCEPTION(
            config::ConfigError,
            jobs::expandExperiment(R"({"name":"x","method":"fine-tune","sweep":{"language":[3]}})",
                                   "x.json"));
    }

    // `clirlab run FILE --lang L`: the same experiment on another help language, in a corpus of
    // its own; the teacher is still named by init.from.
    void anotherLanguageWithOneFlag() {
        QCOMPARE(data::helpCorpusName({"ja"}), std::string("libreoffice-help-7.4-ja"));
        QCOMPARE(data::helpCorpusName({"om", "km", "en-US"}),
                 std::string("libreoffice-help-7.4-km-om"));
        QCOMPARE(data::helpCorpusName({"om", "km", "dz", "eu", "de", "fr", "es"}),
                 std::string("libreoffice-help-7.4"));  // the study's own corpus
        const std::string sweep =
            R"({"name":"opt","method":"optical","init":{"from":"teacher-static"},
                "corpus":{"languages":["en-US","om"]},"train":{"languages":["om"],"steps":5},
                "sweep":{"language":["om","km"],"seed":[13,14]}})";
        auto runs = jobs::expandExperiment(jobs::withLanguage(sweep, "opt.json", "ja"), "opt.json");
        QCOMPARE(runs.size(), std::size_t(2));  // the language axis is [ja]; the seeds stay
        QCOMPARE(runs[1].name, std::string("opt[language=ja,seed=14]"));
        for (const auto& r : runs) {
            QCOMPARE(r.config.at("corpus").at("name").get<std::string>(),
                     std::string("libreoffice-help-7.4-ja"));
            QCOMPARE(r.config.at("corpus").at("languages"), nlohmann::json({"en-US", "ja"}));
            QCOMPARE(r.config.at("train").at("languages"), nlohmann::json({"ja"}));
            QCOMPARE(r.config.at("init").at("from").get<std::string>(),
                     std::string("teacher-static"));
        }
        // Without a sweep: train.languages replaced and the name marked; a method without
        // training blocks only changes its corpus.
        auto one = jobs::parseExperiment(
            jobs::withLanguage(
                R"({"name":"opt-om","method":"optical","init":{"from":"t"},"train":{"languages":["om"]}})",
                "o.json", "fi"),
            "o.json");
        QCOMPARE(one.name, std::string("opt-om[language=fi]"));
        QCOMPARE(one.config.at("train").at("languages"), nlohmann::json({"fi"}));
        auto bm25 = jobs::parseExperiment(
            jobs::withLanguage(R"({"name":"b","method":"bm25"})", "b.json", "fi"), "b.json");
        QCOMPARE(bm25.config.at("corpus").at("languages"), nlohmann::json({"en-US", "fi"}));
        QVERIFY(!bm25.config.contains("train"));
        // A suite, the pivot and a non-tag are refused, naming the file or flag.
        auto refused = [](const std::string& text, const std::string& lang) {
            try {
                jobs::withLanguage(text, "s.json", lang);
            } catch (const config::ConfigError& e) {
                return std::string(e.what());
            }
            return std::string();
        };
        QVERIFY(refused(R"({"name":"s","method":"suite"})", "ja").find("s.json: --lang applies") ==
                0);
        QVERIFY(refused(R"({"name":"b","method":"bm25"})", "en-US").find("--lang en-US") == 0);
        QVERIFY(refused(R"({"name":"b","method":"bm25"})", "j a").find("--lang j a") == 0);
    }

    // A list of objects: each value sets several fields together (a model size with the
    // teacher of that size), named by its label; the group keeps the axis, not the seed.
    void jointSweepAxisSetsFieldsTogether() {
        auto runs = jobs::expandExperiment(
            R"({"name":"h","method":"hybrid",
                "sweep":{"size":[{"label":"small","model.preset":"static","init.from":"t-static"},
                                 {"label":"deep","model.preset":"lex-m","init.from":"t-m"}],
                         "seed":[1,2]}})",
            "h.json");
        QCOMPARE(runs.size(), std::size_t(4));
        QCOMPARE(runs[0].name, std::string("h[seed=1,size=small]"));
        QCOMPARE(runs[3].name, std::string("h[seed=2,size=deep]"));
        QCOMPARE(runs[3].group, std::string("h[size=deep]"));
        QCOMPARE(runs[1].group, runs[3].group);
        QCOMPARE(runs[3].config.at("model").at("preset").get<std::string>(), std::string("lex-m"));
        QCOMPARE(runs[3].config.at("init").at("from").get<std::string>(), std::string("t-m"));
        QVERIFY(!runs[3].config.contains("label"));
        QVERIFY(sweepError(R"({"name":"s","method":"bm25","sweep":{"x":[{"bm25.k1":1},2]}})")
                    .find("field 'sweep.x': expected all values objects") != std::string::npos);
        QVERIFY(sweepError(R"({"name":"s","method":"bm25","sweep":{"x":[{"name":"n"}]}})")
                    .find("field 'sweep.x.name': 'name' cannot be swept here") !=
                std::string::npos);
        QVERIFY(sweepError(R"({"name":"s","method":"bm25","sweep":{"x":[{"bm25.k1":-1}]}})")
                    .find("s.json [x=-1]: field 'bm25.k1': must be >= 0") != std::string::npos);
    }

    void badSweepsNameTheFieldAndTheCombination() {
        auto has = [&](const char* json, const std::string& part) {
            const auto m = sweepError(json);
            if (m.find(part) == std::string::npos) qWarning("%s", m.c_str());
            return m.find(part) != std::string::npos;
        };
        QVERIFY(has(R"({"name":"s","method":"bm25","sweep":{"seed":[]}})",
                    "s.json: field 'sweep.seed': expected a non-empty list"));
        QVERIFY(has(R"({"name":"s","method":"bm25","sweep":{"name":["a","b"]}})",
                    "field 'sweep.name': 'name' cannot be swept"));
        QVERIFY(has(R"({"name":"s","method":"bm25","sweep":{"seed":[1,1]}})", "duplicate value 1"));
        QVERIFY(has(R"({"name":"s","method":"bm25","sweep":{"bm25.k1":[0.9,-1]}})",
                    "s.json [bm25.k1=-1]: field 'bm25.k1': must be >= 0"));
        QVERIFY(has(R"({"name":"s","method":"bm25","sweep":{"bm25.kk":[1]}})",
                    "s.json [bm25.kk=1]: field 'bm25.kk': unknown key"));
        QVERIFY(has(R"({"name":"s","method":"bm25","sweep":[1]})",
                    "field 'sweep': expected an object"));
        QVERIFY(has(R"({"name":"s","method":"bm25","group":7,"sweep":{"seed":[1]}})",
                    "s.json [seed=1]: field 'group': expected a string"));
        // parseExperiment (one run) refuses a sweep rather than running its first combination.
        QVERIFY_THROWS_EXCEPTION(
            config::ConfigError,
            jobs::parseExperiment(R"({"name":"s","method":"bm25","sweep":{"seed":[1,2]}})", "x"));
    }

    void missingFile() {
        QVERIFY_THROWS_EXCEPTION(config::ConfigError, jobs::loadExperiment("/nonexistent/x.json"));
    }

    void shippedExperimentsValidate() {
        // Every experiment file, the quick-start study's (experiments/quick/) included.
        QDirIterator it(QStringLiteral(CLIRLAB_SOURCE_DIR "/experiments"), {"*.json"}, QDir::Files,
                        QDirIterator::Subdirectories);
        int checked = 0, quick = 0;
        while (it.hasNext()) {
            const auto path = it.next();
            jobs::loadExperiments(path.toStdString());
            ++checked;
            quick += path.contains("/quick/") ? 1 : 0;
        }
        QVERIFY(checked > 20);
        QCOMPARE(quick, 8);
    }
};

QTEST_APPLESS_MAIN(TestConfig)
#include "test_config.moc"
