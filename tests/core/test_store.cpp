// The SQLite store: schema and migrations, run lifecycle, interrupted runs, two processes
// writing at once, and bad database files.
#include <QtTest>

#include <QProcess>
#include <QTemporaryDir>
#include <fstream>

#include "core/store/database.h"
#include "core/store/migrations.h"
#include "core/store/run_archive.h"
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

    // A finished run archived and restored into a fresh database holds the same record, results,
    // per-query values, translations, metric series, tags, notes and corpus, under its own id; a
    // second restore finds it there; a taken id gives a new one.
    void archiveRoundTrip() {
        Database db(path("archive-source.db"));
        RunStore runs(db);
        runs.createRun(sampleRun("filler"));
        RunRecord r = sampleRun("fine-tune-static[language=om,seed=13]");
        r.method = "fine-tune";
        r.preset = "static";
        r.config = R"({"name":"fine-tune-static","seed":13,"train":{"steps":300}})";
        r.configHash = std::string(64, 'c');
        r.seed = 13;
        const auto id = runs.createRun(r);
        {
            Database::Transaction tx(db);
            runs.linkExperiment(id, "fine-tune-static", "experiments/fine-tune-static.json");
            tx.commit();
        }
        runs.setCorpus(
            id, runs.upsertCorpus({0, "libreoffice-help-7.4", "/data/corpus", std::string(64, 'd'),
                                   R"({"languages":["om"]})", ""}));
        runs.markRunning(id, ProcessIdentity::current());
        runs.appendMetrics(id, {{"loss", 0, 2.5, 0.1},
                                {"loss", 50, 1.25, 7.5},
                                {"dev_map", 50, 0.1234567890123456789, 8}});
        runs.storeResults(id, {{"om", "entries", "map", 0.1405540721275690},
                               {"om", "entries", "recip_rank", 0.25}});
        runs.storeQueryResults(id, {{"om", "entries", "q1", "map", 1.0 / 3},
                                    {"om", "entries", "q2", "map", 0.0},
                                    {"om", "entries", "q1", "recip_rank", 0.5}});
        runs.storeTranslations(id, {{"om", "entries", "q1", "nmt:#3", "saaxilee", "picture", ""},
                                    {"om", "entries", "q2", "nmt:#3", "x", "", "timed out"}});
        runs.addTag(id, "rq2");
        runs.addNote(id, "seed 13");
        runs.addArtifact(id, "best_checkpoint", "/elsewhere/ckpt");
        runs.finish(id, RunStatus::Finished);
        runs.createRun(sampleRun("unfinished"));

        const auto archive = archiveRun(db, id);
        QCOMPARE(
            archiveFileName(archive),
            std::string("fine-tune-static_language_om_seed_13_-cccccccccccccccc-") +
                runs.run(id)->finishedAt.substr(0, 10) + "T" +
                [&] {
                    auto t = runs.run(id)->finishedAt.substr(11);
                    for (char& c : t)
                        if (c == ':') c = '_';
                    return t;
                }() +
                ".json");
        try {
            archiveRun(db, 3);
            QFAIL("an unfinished run was archived");
        } catch (const ArchiveError& e) {
            QCOMPARE(std::string(e.what()), std::string("run #3 is queued: only finished runs are "
                                                        "archived"));
        }

        // Through text, as the files travel.
        const auto text = archive.dump(1);
        Database fresh(path("archive-target.db"));
        auto outcome = restoreRun(fresh, nlohmann::json::parse(text), "a.json");
        QVERIFY(outcome.restored);
        QCOMPARE(outcome.id, id);
        RunStore back(fresh);
        const auto a = *runs.run(id), b = *back.run(id);
        QCOMPARE(b.name, a.name);
        QCOMPARE(b.method, a.method);
        QCOMPARE(b.preset, a.preset);
        QCOMPARE(b.languages, a.languages);
        QCOMPARE(nlohmann::json::parse(b.config), nlohmann::json::parse(a.config));
        QCOMPARE(b.configHash, a.configHash);
        QCOMPARE(b.seed, a.seed);
        QCOMPARE(b.codeVersion, a.codeVersion);
        QCOMPARE(b.status, RunStatus::Finished);
        QCOMPARE(b.createdAt, a.createdAt);
        QCOMPARE(b.startedAt, a.startedAt);
        QCOMPARE(b.finishedAt, a.finishedAt);
        // The restored run says where it came from; the run it was archived from does not.
        QCOMPARE(b.message, restoredMessage("a.json"));
        QVERIFY(isRestoredMessage(b.message) && !isRestoredMessage(a.message));
        QCOMPARE(b.tags, a.tags);
        QCOMPARE(back.notes(id), runs.notes(id));
        QCOMPARE(back.corpusById(*b.corpusId)->hash, std::string(64, 'd'));
        auto sameResults = [](const std::vector<ResultRow>& x, const std::vector<ResultRow>& y) {
            if (x.size() != y.size()) return false;
            for (std::size_t i = 0; i < x.size(); ++i)
                if (x[i].language != y[i].language || x[i].querySet != y[i].querySet ||
                    x[i].measure != y[i].measure || x[i].value != y[i].value)
                    return false;
            return true;
        };
        QVERIFY(sameResults(back.results(id), runs.results(id)));
        const auto qa = runs.queryResults(id), qb = back.queryResults(id);
        QCOMPARE(qb.size(), qa.size());
        for (std::size_t i = 0; i < qa.size(); ++i) {
            QCOMPARE(qb[i].qid, qa[i].qid);
            QCOMPARE(qb[i].measure, qa[i].measure);
            QCOMPARE(qb[i].value, qa[i].value);  // bit for bit
        }
        const auto ta = runs.translations(id), tb = back.translations(id);
        QCOMPARE(tb.size(), std::size_t(2));
        for (std::size_t i = 0; i < ta.size(); ++i) {
            QCOMPARE(tb[i].target, ta[i].target);
            QCOMPARE(tb[i].error, ta[i].error);
            QCOMPARE(tb[i].system, ta[i].system);
        }
        const auto ma = runs.metrics(id), mb = back.metrics(id);
        QCOMPARE(mb.size(), std::size_t(3));
        for (std::size_t i = 0; i < ma.size(); ++i) {
            QCOMPARE(mb[i].name, ma[i].name);
            QCOMPARE(mb[i].step, ma[i].step);
            QCOMPARE(mb[i].value, ma[i].value);
            QCOMPARE(mb[i].wallTime, ma[i].wallTime);
        }
        QVERIFY(back.artifacts(id).empty());  // files stay where they were made

        auto again = restoreRun(fresh, archive, "a.json");
        QVERIFY(!again.restored);
        QCOMPARE(again.id, id);
        QCOMPARE(back.runs().size(), std::size_t(1));
        // Into a database where the id is taken: a new id.
        auto other = restoreRun(db, archive, "a.json");
        QVERIFY(!other.restored);  // the very run is there already
        Database third(path("archive-third.db"));
        RunStore thirdRuns(third);
        for (int i = 0; i < 3; ++i) thirdRuns.createRun(sampleRun("earlier"));
        auto moved = restoreRun(third, archive, "a.json");
        QVERIFY(moved.restored);
        QCOMPARE(moved.id, std::int64_t(4));
    }

    // A bad archive names the file and the field, and writes nothing.
    void badArchiveNamesTheField_data() {
        QTest::addColumn<QString>("edit");
        QTest::addColumn<QString>("message");
        QTest::newRow("version") << "/clirlab_run_archive=2"
                                 << "b.json: field 'clirlab_run_archive': version 2 is not one "
                                    "this program reads (1)";
        QTest::newRow("name") << "/run/name=7"
                              << "b.json: field 'run.name': expected a string, got number";
        QTest::newRow("hash") << "/run/config_hash=\"abc\""
                              << "b.json: field 'run.config_hash': 'abc' is not a SHA-256 in hex";
        QTest::newRow("seed") << "/run/seed=\"x\""
                              << "b.json: field 'run.seed': expected an integer, got string";
        QTest::newRow("result") << "/results/om/entries/map=\"high\""
                                << "b.json: field 'results.om.entries.map': expected a number, "
                                   "got string";
        QTest::newRow("column") << "/query_results/om/entries/measures/map=[0.5,0.25]"
                                << "b.json: field 'query_results.om.entries.measures.map': "
                                   "expected an array of 1 values (one per qid)";
        QTest::newRow("qid") << "/query_results/om/entries/qids=[1]"
                             << "b.json: field 'query_results.om.entries.qids': holds 1, not a "
                                "qid";
        QTest::newRow("metric") << "/metrics/loss=[[1,2]]"
                                << "b.json: field 'metrics.loss': holds [1,2], not [step, value, "
                                   "wall time]";
        QTest::newRow("translation") << "/translations=[[\"om\"]]"
                                     << "b.json: field 'translations[0]': expected [language, "
                                        "query set, qid, system, source, target, error]";
        QTest::newRow("missing") << "-/run/finished_at"
                                 << "b.json: field 'run.finished_at': missing";
    }
    void badArchiveNamesTheField() {
        QFETCH(QString, edit);
        QFETCH(QString, message);
        Database db(path("archive-bad-source.db"));
        RunStore runs(db);
        auto r = sampleRun("good");
        r.configHash = std::string(64, 'e');
        const auto id = runs.createRun(r);
        runs.storeResults(id, {{"om", "entries", "map", 0.5}});
        runs.storeQueryResults(id, {{"om", "entries", "q1", "map", 0.5}});
        runs.appendMetrics(id, {{"loss", 1, 2.0, 0.5}});
        runs.finish(id, RunStatus::Finished);
        auto archive = archiveRun(db, id);
        const std::string e = edit.toStdString();
        if (e[0] == '-') {
            const nlohmann::json::json_pointer at(e.substr(1));
            archive[at.parent_pointer()].erase(at.back());
        } else {
            const auto eq = e.find('=');
            archive[nlohmann::json::json_pointer(e.substr(0, eq))] =
                nlohmann::json::parse(e.substr(eq + 1));
        }
        Database target(path("archive-bad-target.db"));
        try {
            restoreRun(target, archive, "b.json");
            QFAIL("a bad archive was restored");
        } catch (const ArchiveError& err) {
            QCOMPARE(QString(err.what()), message);
        }
        QVERIFY(RunStore(target).runs().empty());
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
