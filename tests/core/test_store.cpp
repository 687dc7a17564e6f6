// The SQLite store: schema and migrations, run lifecycle, interrupted runs, two processes
// writing at once, and bad database files.
#include <QtTest>

#include <QProcess>
#include <QTemporaryDir>
#include <fstream>

#include "core/store/database.h"
#include "core/store/migrations.h"
#include "core/store/run_store.h"

using namespace clir::store;

class TestStore : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    std::string path(const char* name) { return dir_.filePath(name).toStdString(); }

    static RunRecord sampleRun(const std::string& name) {
        RunRecord r;
        r.name = name;
        r.method = "corpus";
        r.languages = {"en-US", "om"};
        r.config = "{}";
        r.configHash = "abc";
        r.codeVersion = "test";
        return r;
    }

  private slots:
    void freshDatabaseIsMigratedWithPragmas() {
        Database db(path("fresh.db"));
        QCOMPARE(db.schemaVersion(), schemaMigrations().back().version);
        auto mode = db.prepare("PRAGMA journal_mode");
        QVERIFY(mode.step());
        QCOMPARE(mode.text(0), std::string("wal"));
        auto fk = db.prepare("PRAGMA foreign_keys");
        QVERIFY(fk.step());
        QCOMPARE(fk.int64(0), std::int64_t(1));
        for (const char* table : {"corpora", "experiments", "runs", "metrics", "results",
                                  "query_results", "alignments", "artifacts", "tags", "notes"}) {
            auto s = db.prepare("SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?");
            s.bind(1, table);
            QVERIFY(s.step());
            QVERIFY2(s.int64(0) == 1, table);
        }
    }

    void forwardMigrationKeepsData() {
        std::vector<Migration> v1 = {{1, "one", "CREATE TABLE t (x INTEGER);"}};
        {
            Database db(path("mig.db"), v1);
            db.exec("INSERT INTO t VALUES (42)");
        }
        auto v2 = v1;
        v2.push_back({2, "two", "ALTER TABLE t ADD COLUMN y TEXT DEFAULT 'new';"});
        Database db(path("mig.db"), v2);
        QCOMPARE(db.schemaVersion(), 2);
        auto s = db.prepare("SELECT x, y FROM t");
        QVERIFY(s.step());
        QCOMPARE(s.int64(0), std::int64_t(42));
        QCOMPARE(s.text(1), std::string("new"));
    }

    void failedMigrationRollsBack() {
        std::vector<Migration> v1 = {{1, "one", "CREATE TABLE t (x INTEGER);"}};
        { Database db(path("bad-mig.db"), v1); }
        auto v2 = v1;
        v2.push_back({2, "broken", "ALTER TABLE t ADD COLUMN z; CREATE TABLE oops (;"});
        try {
            Database db(path("bad-mig.db"), v2);
            QFAIL("broken migration accepted");
        } catch (const DatabaseError& e) {
            QVERIFY2(std::string(e.what()).find("migration to schema version 2 (broken) failed") !=
                         std::string::npos,
                     e.what());
        }
        Database db(path("bad-mig.db"), v1);
        QCOMPARE(db.schemaVersion(), 1);
        auto cols = db.prepare("SELECT count(*) FROM pragma_table_info('t')");
        QVERIFY(cols.step());
        QCOMPARE(cols.int64(0), std::int64_t(1));  // the half-applied ALTER was rolled back
    }

    void newerSchemaIsRefused() {
        {
            Database db(path("newer.db"));
            db.exec("PRAGMA user_version=999");
        }
        try {
            Database db(path("newer.db"));
            QFAIL("opened a newer schema");
        } catch (const DatabaseError& e) {
            QVERIFY(std::string(e.what()).find("schema version 999 is newer") != std::string::npos);
        }
    }

    void corruptFileIsReportedNotOverwritten() {
        std::string p = path("corrupt.db");
        std::string junk(8192, 'x');
        std::ofstream(p, std::ios::binary) << junk;
        try {
            Database db(p);
            QFAIL("opened a corrupt file");
        } catch (const DatabaseError& e) {
            QVERIFY2(std::string(e.what()).rfind(p + ": ", 0) == 0, e.what());
            QVERIFY2(std::string(e.what()).find("not a database") != std::string::npos, e.what());
        }
        std::ifstream in(p, std::ios::binary);
        std::string back((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        QCOMPARE(back, junk);
    }

    void runLifecycleMetricsTagsNotes() {
        Database db(path("life.db"));
        RunStore runs(db);
        auto id = runs.createRun(sampleRun("a"));
        QCOMPARE(runs.run(id)->status, RunStatus::Queued);
        runs.markRunning(id, ProcessIdentity::current());
        runs.appendMetrics(id,
                           {{"loss", 1, 2.5, 0.1}, {"loss", 2, 2.0, 0.2}, {"lr", 1, 1e-4, 0.1}});
        runs.updateProgress(id, 0.5, "half");
        runs.addTag(id, "zeta");
        runs.addTag(id, "alpha");
        runs.addNote(id, "first note");
        runs.storeResults(id, {{"om", "entries", "map", 0.25}});
        runs.finish(id, RunStatus::Finished);
        auto r = runs.run(id);
        QCOMPARE(r->status, RunStatus::Finished);
        QCOMPARE(r->progress, 1.0);
        QCOMPARE(r->tags, (std::vector<std::string>{"alpha", "zeta"}));
        QCOMPARE(r->languages, (std::vector<std::string>{"en-US", "om"}));
        QCOMPARE(int(runs.metrics(id, "loss").size()), 2);
        QCOMPARE(runs.metrics(id, "loss")[1].value, 2.0);
        QCOMPARE(int(runs.metrics(id).size()), 3);
        QCOMPARE(runs.notes(id), (std::vector<std::string>{"first note"}));
        QCOMPARE(runs.results(id).at(0).value, 0.25);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, runs.addTag(9999, "x"));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, runs.finish(9999, RunStatus::Failed));
        // setTags replaces the set in one transaction; an empty tag changes nothing.
        runs.setTags(id, {"rq2", "beta"});
        QCOMPARE(runs.run(id)->tags, (std::vector<std::string>{"beta", "rq2"}));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, runs.setTags(id, {"kept?", ""}));
        QCOMPARE(runs.run(id)->tags, (std::vector<std::string>{"beta", "rq2"}));
        runs.setTags(id, {});
        QVERIFY(runs.run(id)->tags.empty());
    }

    void alignmentsRoundTrip() {
        Database db(path("align.db"));
        RunStore runs(db);
        auto id = runs.createRun(sampleRun("o"));
        AlignmentRecord a;
        a.step = 10;
        a.pairKey = "om:page#par1";
        a.sourceTokens = {"▁the", "▁menu"};
        a.targetTokens = {"▁baafata", "▁x", "ñ"};
        a.plan = {0.1f, 0.2f, 0.2f, 0.25f, 0.05f, 0.2f};
        a.cost = {0.5f, 1.0f, 1.5f, 0.0f, 2.0f, 0.75f};
        runs.storeAlignment(id, a);
        a.step = 0;
        runs.storeAlignment(id, a);
        auto got = runs.alignments(id);
        QCOMPARE(int(got.size()), 2);
        QCOMPARE(got[0].step, std::int64_t(0));  // by pair, then step
        QCOMPARE(got[1].targetTokens, a.targetTokens);
        QCOMPARE(got[1].plan, a.plan);
        QCOMPARE(got[1].cost, a.cost);
        QVERIFY(runs.alignments(id, false)[0].plan.empty());
        a.plan.pop_back();  // 5 values for 2 x 3 tokens
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, runs.storeAlignment(id, a));
        QCOMPARE(int(runs.alignments(id).size()), 2);
    }

    void deadOwnerBecomesInterruptedLiveOwnerDoesNot() {
        Database db(path("interrupt.db"));
        RunStore runs(db);
        // A child process that has exited: its pid is dead.
        QProcess child;
        child.start("/bin/true");
        QVERIFY(child.waitForFinished());
        auto me = ProcessIdentity::current();
        auto dead = runs.createRun(sampleRun("dead"));
        runs.markRunning(dead, {child.processId(), me.host, 12345});
        auto live = runs.createRun(sampleRun("live"));
        runs.markRunning(live, me);
        // Same pid as us but another start time: a reused pid, so the owner is gone.
        auto reused = runs.createRun(sampleRun("reused"));
        runs.markRunning(reused, {me.pid, me.host, me.startTime + 1});
        // Another host with a fresh heartbeat: presumed alive.
        auto remote = runs.createRun(sampleRun("remote"));
        runs.markRunning(remote, {1, "some-other-host", 0});
        QCOMPARE(runs.recoverInterrupted(), 2);
        QCOMPARE(runs.run(dead)->status, RunStatus::Interrupted);
        QCOMPARE(runs.run(reused)->status, RunStatus::Interrupted);
        QCOMPARE(runs.run(live)->status, RunStatus::Running);
        QCOMPARE(runs.run(remote)->status, RunStatus::Running);
        // A silent remote owner is interrupted once its heartbeat is stale.
        QCOMPARE(runs.recoverInterrupted(-1), 1);
        QCOMPARE(runs.run(remote)->status, RunStatus::Interrupted);
        QVERIFY(!runs.run(dead)->error.empty());
    }

    void twoProcessesWriteConcurrently() {
        std::string db = path("concurrent.db");
        { Database init(db); }
        QString helper = qEnvironmentVariable("CLIRLAB_BIN_DIR") + "/store_writer_helper";
        QVERIFY2(QFile::exists(helper), qPrintable(helper));
        const int runsEach = 30, metricsEach = 40;
        QProcess a, b;
        QStringList args = {QString::fromStdString(db), QString::number(runsEach),
                            QString::number(metricsEach)};
        a.start(helper, args + QStringList{"A"});
        b.start(helper, args + QStringList{"B"});
        QVERIFY(a.waitForFinished(120000));
        QVERIFY(b.waitForFinished(120000));
        QVERIFY2(a.exitCode() == 0, a.readAllStandardError().constData());
        QVERIFY2(b.exitCode() == 0, b.readAllStandardError().constData());
        Database check(db);
        auto s = check.prepare(
            "SELECT count(*), count(DISTINCT name) FROM runs WHERE status='finished'");
        QVERIFY(s.step());
        QCOMPARE(s.int64(0), std::int64_t(2 * runsEach));
        QCOMPARE(s.int64(1), std::int64_t(2 * runsEach));
        auto m = check.prepare("SELECT count(*) FROM metrics");
        QVERIFY(m.step());
        QCOMPARE(m.int64(0), std::int64_t(2 * runsEach * metricsEach));
    }
};

QTEST_GUILESS_MAIN(TestStore)
#include "test_store.moc"
