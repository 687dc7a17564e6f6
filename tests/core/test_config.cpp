// Experiment validation: each kind of bad input gives its own message naming the field.
#include <QtTest>

#include "core/config/experiment_spec.h"
#include "core/data/corpus_settings.h"

using namespace clir;

class TestConfig : public QObject {
    Q_OBJECT
  private slots:
    void defaultsFilled() {
        auto spec = config::parseExperiment(R"({"name":"q","method":"corpus"})", "q.json");
        QCOMPARE(spec.seed, std::int64_t(13));
        QCOMPARE(spec.config["corpus"]["split"]["train"].get<double>(), 0.7);
        auto settings = data::CorpusSettings::fromJson(spec.config["corpus"]);
        QCOMPARE(int(settings.languages.size()), 8);
        QCOMPARE(settings.languages.front(), std::string("en-US"));
        QCOMPARE(spec.configHash.size(), std::size_t(64));
    }

    void unusedBlocksAreNotStored() {
        auto corpus = config::parseExperiment(R"({"name":"q","method":"corpus"})", "q.json");
        QVERIFY(!corpus.config.contains("bm25"));
        auto bm25 = config::parseExperiment(R"({"name":"q","method":"bm25"})", "q.json");
        QCOMPARE(bm25.config["bm25"]["k1"].get<double>(), 1.2);
        QCOMPARE(bm25.config["evaluation"]["split"].get<std::string>(), std::string("test"));
    }

    void pivotAlwaysIncluded() {
        auto spec = config::parseExperiment(
            R"({"name":"q","method":"corpus","corpus":{"languages":["om"]}})", "q.json");
        auto settings = data::CorpusSettings::fromJson(spec.config["corpus"]);
        QCOMPARE(settings.languages, (std::vector<std::string>{"en-US", "om"}));
    }

    void sameConfigSameHash() {
        auto a = config::parseExperiment(R"({"name":"q","method":"corpus"})", "a.json");
        auto b = config::parseExperiment(R"({"method":"corpus","name":"q","seed":13})", "b.json");
        QCOMPARE(a.configHash, b.configHash);
    }

    void badInput_data() {
        QTest::addColumn<QString>("json");
        QTest::addColumn<QString>("message");
        QTest::newRow("syntax") << "{\"name\": \"q\",\n \"method\": }"
                                << "x.json:2:12: invalid JSON: parse error";
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
            << "x.json: field 'method': unknown value 'magic'; allowed: bm25, corpus, fine-tune, "
               "hybrid, nmt, optical, optical+hybrid, pretrain, suite, teacher, zero-shot";
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
            << "x.json: field 'corpus.languages[1]': unknown value 'xx'";
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
            config::parseExperiment(json.toStdString(), "x.json");
            QFAIL("accepted bad input");
        } catch (const config::ConfigError& e) {
            QVERIFY2(std::string(e.what()).rfind(message.toStdString(), 0) == 0, e.what());
        }
    }

    void missingFile() {
        QVERIFY_THROWS_EXCEPTION(config::ConfigError,
                                 config::loadExperiment("/nonexistent/x.json"));
    }

    void shippedExperimentsValidate() {
        QDir dir(QStringLiteral(CLIRLAB_SOURCE_DIR "/experiments"));
        const auto files = dir.entryList({"*.json"}, QDir::Files);
        QVERIFY(!files.isEmpty());
        for (const auto& f : files) config::loadExperiment(dir.filePath(f).toStdString());
    }
};

QTEST_APPLESS_MAIN(TestConfig)
#include "test_config.moc"
