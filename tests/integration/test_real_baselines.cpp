// Integration: the BM25 and Apertium baselines on the real corpus, run through the CLI into a
// fresh database exactly as the README says (experiments/bm25.json, experiments/apertium-bm25.json).
#include <QtTest>

#include <QProcess>
#include <QTemporaryDir>
#include <map>

#include "core/data/corpus_reader.h"
#include "core/data/corpus_stats.h"
#include "core/store/database.h"
#include "core/store/run_store.h"
#include "core/util/process.h"

using namespace clir;

class TestRealBaselines : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    std::string corpus_;

    int runCli(const QStringList& args, QString* out = nullptr) {
        QProcess p;
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert("CLIRLAB_DB", tmp_.filePath("baselines.db"));
        p.setProcessEnvironment(env);
        p.start(qEnvironmentVariable("CLIRLAB_BIN_DIR") + "/clirlab", args);
        p.waitForFinished(900000);
        if (out) *out = QString::fromUtf8(p.readAllStandardOutput());
        if (p.exitCode() != 0) qWarning() << p.readAllStandardError();
        return p.exitCode();
    }

    std::map<std::string, double> mapByLanguage(std::int64_t runId, const std::string& set) {
        store::Database db(tmp_.filePath("baselines.db").toStdString());
        std::map<std::string, double> out;
        for (const auto& r : store::RunStore(db).results(runId))
            if (r.querySet == set && r.measure == "map") out[r.language] = r.value;
        return out;
    }

private slots:
    void initTestCase() {
        corpus_ = data::defaultCorpusDir();
        if (!QFile::exists(QString::fromStdString(corpus_ + "/manifest.json"))) {
            if (qEnvironmentVariable("CI") == "true") QFAIL("no real corpus in CI");
            QSKIP("real corpus not built; run: clirlab data fetch && clirlab data build");
        }
    }

    void bm25ForEveryLanguage() {
        QCOMPARE(runCli({"run", QStringLiteral(CLIRLAB_SOURCE_DIR "/experiments/bm25.json")}), 0);
        for (const char* set : {"entries", "headings"}) {
            auto maps = mapByLanguage(1, set);
            QCOMPARE(int(maps.size()), 8);
            // The monolingual ceiling is far above every untranslated language's floor.
            for (const auto& [lang, value] : maps)
                if (lang != "en-US") QVERIFY2(maps["en-US"] > value + 0.2, lang.c_str());
            QVERIFY(maps["en-US"] > 0.35);
        }
        // Every test query of every language has its per-query AP stored.
        store::Database db(tmp_.filePath("baselines.db").toStdString());
        store::RunStore runs(db);
        for (const char* lang : {"en-US", "om", "km", "dz", "eu", "de", "fr", "es"}) {
            auto queries = data::readQueries(corpus_, lang, "entries", "test");
            QCOMPARE(runs.queryResults(1, lang, "entries", "map").size(), queries.size());
        }
    }

    void apertiumBeatsUntranslated() {
        if (findExecutable("apertium").empty()) QSKIP("apertium not installed");
        QCOMPARE(runCli({"run", QStringLiteral(CLIRLAB_SOURCE_DIR "/experiments/apertium-bm25.json")}), 0);
        auto untranslated = mapByLanguage(1, "entries");
        auto apertium = mapByLanguage(2, "entries");
        QCOMPARE(int(apertium.size()), 2);
        QVERIFY(apertium["eu"] > untranslated["eu"]);
        QVERIFY(apertium["es"] > untranslated["es"]);
        store::Database db(tmp_.filePath("baselines.db").toStdString());
        auto translations = store::RunStore(db).translations(2);
        QVERIFY(translations.size() > 2000);
        int failed = 0;
        for (const auto& t : translations) failed += !t.error.empty();
        QVERIFY2(failed < int(translations.size()) / 100, qPrintable(QString::number(failed)));
        QString table;
        QCOMPARE(runCli({"compare", "1", "2"}, &table), 0);
        QVERIFY2(table.contains("| eu (low) |") && table.contains("*†"), qPrintable(table));
    }
};

QTEST_GUILESS_MAIN(TestRealBaselines)
#include "test_real_baselines.moc"
