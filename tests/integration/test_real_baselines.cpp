// Integration: the BM25 and Apertium baselines on the real corpus, run through the CLI into a
// fresh database exactly as the README says (experiments/bm25.json,
// experiments/apertium-bm25.json).
#include <QtTest>

#include <QProcess>
#include <QTemporaryDir>
#include <cmath>
#include <map>

#include "core/data/corpus_reader.h"
#include "core/data/corpus_stats.h"
#include "core/store/database.h"
#include "core/store/run_store.h"
#include "core/util/fs.h"
#include "core/util/gzip.h"
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

    // The newest finished run of an experiment name (0: none), so no test depends on the ids
    // another test happened to create.
    std::int64_t runNamed(const std::string& name) {
        store::Database db(tmp_.filePath("baselines.db").toStdString());
        for (const auto& r : store::RunStore(db).runs())
            if (r.name == name && r.status == store::RunStatus::Finished) return r.id;
        return 0;
    }
    // Runs an experiment file unless a finished run of its name exists; returns that run.
    std::int64_t ensureRun(const std::string& name, const QString& file) {
        if (auto id = runNamed(name)) return id;
        if (runCli({"run", QStringLiteral(CLIRLAB_SOURCE_DIR "/experiments/") + file}) != 0)
            return 0;
        return runNamed(name);
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
        const auto bm25 = ensureRun("bm25-untranslated", "bm25.json");
        QVERIFY(bm25 > 0);
        for (const char* set : {"entries", "headings"}) {
            auto maps = mapByLanguage(bm25, set);
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
            QCOMPARE(runs.queryResults(bm25, lang, "entries", "map").size(), queries.size());
        }
    }

    void apertiumBeatsUntranslated() {
        if (findExecutable("apertium").empty()) QSKIP("apertium not installed");
        const auto bm25 = ensureRun("bm25-untranslated", "bm25.json");
        const auto ap = ensureRun("apertium-bm25", "apertium-bm25.json");
        QVERIFY(bm25 > 0 && ap > 0);
        auto untranslated = mapByLanguage(bm25, "entries");
        auto apertium = mapByLanguage(ap, "entries");
        QCOMPARE(int(apertium.size()), 2);
        QVERIFY(apertium["eu"] > untranslated["eu"]);
        QVERIFY(apertium["es"] > untranslated["es"]);
        store::Database db(tmp_.filePath("baselines.db").toStdString());
        auto translations = store::RunStore(db).translations(ap);
        QVERIFY(translations.size() > 2000);
        int failed = 0;
        for (const auto& t : translations) failed += !t.error.empty();
        QVERIFY2(failed < int(translations.size()) / 100, qPrintable(QString::number(failed)));
        QString table;
        QCOMPARE(runCli({"compare", QString::number(bm25), QString::number(ap)}, &table), 0);
        QVERIFY2(table.contains("| eu (low) |") && table.contains("*†"), qPrintable(table));
    }

    // The stored figures are trec_eval 10.0's on the exported run (-c), to 4 decimals, and
    // `clirlab reeval` recomputes them unchanged. Needs CLIRLAB_TREC_EVAL (a trec_eval binary).
    void storedEqualsTrecEval() {
        const QString trecEval = qEnvironmentVariable("CLIRLAB_TREC_EVAL");
        if (trecEval.isEmpty()) QSKIP("CLIRLAB_TREC_EVAL is not set (a trec_eval 10.0 binary)");
        const auto bm25 = ensureRun("bm25-untranslated", "bm25.json");
        QVERIFY(bm25 > 0);
        store::Database db(tmp_.filePath("baselines.db").toStdString());
        store::RunStore runs(db);
        std::map<std::string, double> stored;
        for (const auto& r : runs.results(bm25))
            if (r.querySet == "entries") stored[r.language + "/" + r.measure] = r.value;
        for (const char* lang : {"de", "om"}) {
            // The stored run is gzip-compressed; trec_eval reads the plain text clirlab exports.
            const std::string storedRun = tmp_.filePath("baselines.db.runs").toStdString() + "/" +
                                          std::to_string(bm25) + "/" + lang +
                                          ".entries.test.trec.gz";
            const std::string trec = tmp_.filePath(QString(lang) + ".trec").toStdString();
            fs::writeFileAtomic(trec, gzip::readText(storedRun));
            QProcess p;
            p.start(
                trecEval,
                {"-c", "-m", "map", "-m", "ndcg_cut.10", "-m", "num_rel",
                 QString::fromStdString(data::qrelsPath(corpus_, lang, "en-US", "entries", "test")),
                 QString::fromStdString(trec)});
            QVERIFY(p.waitForFinished(60000) && p.exitCode() == 0);
            for (const auto& line : QString::fromUtf8(p.readAllStandardOutput()).split('\n')) {
                auto f = line.split('\t');
                if (f.size() != 3 || f[1] != "all") continue;
                const std::string key = std::string(lang) + "/" + f[0].trimmed().toStdString();
                QVERIFY2(std::fabs(stored.at(key) - f[2].toDouble()) <= 0.00005 + 1e-12,
                         qPrintable(QString::fromStdString(key) + " " + f[2]));
            }
        }
        QString table;
        QCOMPARE(runCli({"reeval", QString::number(bm25)}, &table), 0);
        for (const auto& r : runs.results(bm25))
            if (r.querySet == "entries") QCOMPARE(r.value, stored.at(r.language + "/" + r.measure));
    }
};

QTEST_GUILESS_MAIN(TestRealBaselines)
#include "test_real_baselines.moc"
