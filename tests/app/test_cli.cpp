// The `clirlab` command as a user runs it: exit codes, messages naming the bad input, nothing
// stored on bad input, and a whole offline run on a fixture package cache.
#include <QtTest>

#include <QProcess>
#include <QTemporaryDir>
#include <signal.h>
#include <set>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/data/pins.h"
#include "core/store/database.h"
#include "core/store/run_store.h"
#include "core/util/fs.h"
#include "tests/core/help_fixture.h"

class TestCli : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    QString bin_ = qEnvironmentVariable("CLIRLAB_BIN_DIR") + "/clirlab";

    struct Result {
        int code;
        QString out, err;
    };
    // With interrupted, the command starts with SIGINT blocked and one pending (as a Ctrl-C
    // that arrives before it could act on it).
    Result run(const QStringList& args, const QString& dataDir = {}, bool interrupted = false) {
        QProcess p;
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert("CLIRLAB_DB", tmp_.filePath("cli.db"));
        env.insert("CLIRLAB_DATA", dataDir.isEmpty() ? tmp_.filePath("empty-cache") : dataDir);
        p.setProcessEnvironment(env);
        if (interrupted)
            p.setChildProcessModifier([] {
                sigset_t set;
                sigemptyset(&set);
                sigaddset(&set, SIGINT);
                sigprocmask(SIG_BLOCK, &set, nullptr);
            });
        p.start(bin_, args);
        if (interrupted && p.waitForStarted(30000)) ::kill(pid_t(p.processId()), SIGINT);
        if (!p.waitForFinished(120000)) return {-1, "", "timeout"};
        return {p.exitCode(), QString::fromUtf8(p.readAllStandardOutput()),
                QString::fromUtf8(p.readAllStandardError())};
    }
    QString write(const QString& name, const QByteArray& content) {
        QFile f(tmp_.filePath(name));
        f.open(QIODevice::WriteOnly);
        f.write(content);
        return f.fileName();
    }
    int runCount() {
        clir::store::Database db(tmp_.filePath("cli.db").toStdString());
        return int(clir::store::RunStore(db).runs().size());
    }

  private slots:
    void help_data() {
        QTest::addColumn<QStringList>("args");
        QTest::newRow("top") << QStringList{"--help"};
        QTest::newRow("data") << QStringList{"data", "--help"};
        QTest::newRow("fetch") << QStringList{"data", "fetch", "--help"};
        QTest::newRow("build") << QStringList{"data", "build", "--help"};
        QTest::newRow("stats") << QStringList{"data", "stats", "--help"};
        QTest::newRow("run") << QStringList{"run", "--help"};
        QTest::newRow("list") << QStringList{"list", "--help"};
        QTest::newRow("show") << QStringList{"show", "--help"};
        QTest::newRow("align") << QStringList{"align", "--help"};
        QTest::newRow("translate") << QStringList{"translate", "--help"};
    }
    void help() {
        QFETCH(QStringList, args);
        auto r = run(args);
        QCOMPARE(r.code, 0);
        QVERIFY2(r.out.contains("usage: clirlab"), qPrintable(r.out));
    }

    // The recorded code version is the commit the binary was built from: it was fixed at
    // configure time once and went stale with every commit built since.
    void versionIsTheCheckoutsCommit() {
        QProcess git;
        git.start("git", {"-C", CLIRLAB_SOURCE_DIR, "describe", "--always", "--dirty", "--tags"});
        if (!git.waitForFinished(30000) || git.exitCode() != 0)
            QSKIP("no git checkout to compare with");
        const QString describe = QString::fromUtf8(git.readAllStandardOutput()).trimmed();
        auto r = run({"--version"});
        QCOMPARE(r.code, 0);
        QVERIFY2(r.out.trimmed().startsWith("clirlab ") && r.out.trimmed().endsWith("+" + describe),
                 qPrintable(r.out + " built, checkout at " + describe));
    }

    void usageErrors_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        QTest::newRow("none") << QStringList{} << "no command given";
        QTest::newRow("unknown command")
            << QStringList{"frobnicate"} << "unknown command 'frobnicate'";
        QTest::newRow("unknown option")
            << QStringList{"list", "--colour"} << "unknown option '--colour'";
        QTest::newRow("missing arg") << QStringList{"run"} << "missing argument";
        QTest::newRow("extra arg") << QStringList{"show", "1", "2"} << "unexpected argument '2'";
        QTest::newRow("bad run id")
            << QStringList{"show", "abc"} << "run id must be a positive integer";
        QTest::newRow("bad status") << QStringList{"list", "--status", "done"} << "";
        QTest::newRow("bad language") << QStringList{"data", "fetch", "--lang", "xx"}
                                      << "--lang xx: no pinned libreoffice-help package for it";
        QTest::newRow("run --lang unpinned")
            << QStringList{"run", CLIRLAB_SOURCE_DIR "/experiments/bm25.json", "--lang", "xx"}
            << "no pinned package for language 'xx'";
        QTest::newRow("not a language tag")
            << QStringList{"data", "build", "--lang", "x y"} << "'x y' is not a language tag";
        QTest::newRow("align bad eps")
            << QStringList{"align", "1", "a", "b", "--eps", "-1"} << "--eps must be a positive";
    }
    void usageErrors() {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        auto r = run(args);
        if (args.contains("--status") || args.contains("--lang")) {
            QCOMPARE(r.code, 1);  // a value the store or schema rejects
        } else {
            QCOMPARE(r.code, 2);
        }
        QVERIFY2(r.err.contains(message), qPrintable(r.err));
    }

    void badExperimentStoresNothing() {
        int before = runCount();
        QString f =
            write("bad.json", R"({"name":"x","method":"corpus","corpus":{"langs":["om"]}})");
        auto r = run({"run", f});
        QCOMPARE(r.code, 1);
        QVERIFY2(
            r.err.contains(f + ": field 'corpus.langs': unknown key (did you mean 'languages'?)"),
            qPrintable(r.err));
        QCOMPARE(runCount(), before);
        QString syntax = write("syntax.json", "{\n\"name\": \"x\",,\n}");
        r = run({"run", syntax});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains(syntax + ":2:"), qPrintable(r.err));
        r = run({"run", tmp_.filePath("missing.json")});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("missing.json: cannot open"), qPrintable(r.err));
        QCOMPARE(runCount(), before);
    }

    void missingDataNamesTheFetchCommand() {
        auto r = run({"data", "build"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("run: clirlab data fetch"), qPrintable(r.err));
        r = run({"data", "stats", "--corpus", tmp_.filePath("nothing")});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("clirlab data fetch && clirlab data build"), qPrintable(r.err));
        // A run whose corpus is missing is stored as failed with the message.
        QString f = write("q.json", R"({"name":"needs-data","method":"corpus"})");
        r = run({"run", f});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.out.contains("failed: not in the data cache"), qPrintable(r.out));
        clir::store::Database db(tmp_.filePath("cli.db").toStdString());
        auto runs = clir::store::RunStore(db).runs();
        QCOMPARE(runs.front().status, clir::store::RunStatus::Failed);
        QVERIFY(runs.front().error.find("clirlab data fetch") != std::string::npos);
    }

    void evalMatchesTrecEvalAndRejectsBadFiles() {
        QString qrels = write("e.qrels", "q1 0 d1 1\nq1 0 d2 1\nq2 0 d3 1\n");
        QString runFile = write("e.trec", "q1 Q0 d1 1 3 tag\nq1 Q0 d9 2 2 tag\nq1 Q0 d2 3 1 tag\n");
        auto r = run({"eval", "--run", runFile, "--qrels", qrels, "-m", "map", "-m", "P_10"});
        QCOMPARE(r.code, 0);
        QCOMPARE(r.out, QString("runid                 \tall\ttag\n"
                                "num_q                 \tall\t1\n"
                                "map                   \tall\t0.8333\n"
                                "P_10                  \tall\t0.2000\n"));
        r = run({"eval", "--run", runFile, "--qrels", qrels, "-c", "-q", "-m", "map"});
        QVERIFY2(r.out.contains("map                   \tq1\t0.8333\n") &&
                     r.out.contains("map                   \tall\t0.4167\n"),
                 qPrintable(r.out));
        int before = runCount();
        QString bad = write("bad.trec", "q1 Q0 d1 1 3 tag\nq1 Q0 d2 2 two tag\n");
        r = run({"eval", "--run", bad, "--qrels", qrels});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains(bad + ":2: score 'two' is not a finite number"), qPrintable(r.err));
        QString badQrels = write("bad.qrels", "q1 0 d1\n");
        r = run({"eval", "--run", runFile, "--qrels", badQrels});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains(badQrels + ":1: expected 4 columns"), qPrintable(r.err));
        QCOMPARE(runCount(), before);
    }

    void showTranslations() {
        std::int64_t id;
        {
            clir::store::Database db(tmp_.filePath("tr.db").toStdString());
            clir::store::RunStore runs(db);
            clir::store::RunRecord r;
            r.name = "nmt";
            r.method = "nmt";
            r.languages = {"en-US", "eu"};
            r.config = "{}";
            id = runs.createRun(r);
            runs.storeTranslations(
                id, {{"eu", "entries", "q1", "nmt:800-steps", "Zer da", "What is", ""},
                     {"om", "entries", "q1", "nmt:800-steps", "Maal", "What", ""}});
        }
        auto r = run({"--db", tmp_.filePath("tr.db"), "show", QString::number(id), "--translations",
                      "--lang", "eu"});
        QCOMPARE(r.code, 0);
        QCOMPARE(r.out, QString("eu\tentries\tq1\tnmt:800-steps\tZer da\tWhat is\t\n"));
        auto none = run({"--db", tmp_.filePath("tr.db"), "show", "999", "--translations"});
        QCOMPARE(none.code, 1);
        // align and translate name what the run lacks.
        auto align =
            run({"--db", tmp_.filePath("tr.db"), "align", QString::number(id), "the", "xthe"});
        QCOMPARE(align.code, 1);
        QVERIFY2(align.err.contains("has no retrieval checkpoint"), qPrintable(align.err));
        auto translate = run({"--db", tmp_.filePath("tr.db"), "translate", QString::number(id),
                              "Zer da", "--lang", "eu"});
        QCOMPARE(translate.code, 1);
        QVERIFY2(translate.err.contains("has no translation model"), qPrintable(translate.err));
    }

    void corruptDatabaseNamed() {
        QString junk = write("junk.db", QByteArray(4096, 'j'));
        auto r = run({"--db", junk, "list"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains(junk) && r.err.contains("not a database"), qPrintable(r.err));
    }

    // The whole path offline: a package cache laid out as `data fetch` leaves it (stamped with
    // the pinned hashes), then `run`, `list`, `show` and `data stats`.
    void offlineRunOnFixtureCache() {
        QString cache = tmp_.filePath("cache");
        auto pins = clir::data::loadPins();
        std::string helpTree = tmp_.filePath("tree").toStdString();
        clir::testing::writeHelpFixture(helpTree);
        for (const char* lang : {"en-US", "om"}) {
            std::string pkg = cache.toStdString() + "/packages/" + lang;
            std::string help = pkg + "/usr/share/libreoffice/help";
            QDir().mkpath(QString::fromStdString(help));
            QVERIFY(QProcess::execute("cp", {"-r", QString::fromStdString(helpTree + "/" + lang),
                                             QString::fromStdString(help + "/")}) == 0);
            clir::fs::writeFileAtomic(pkg + "/.clirlab-sha256",
                                      pins.forLanguage(lang).sha256 + "\n");
        }
        auto fetch = run({"data", "fetch", "--lang", "om"}, cache);
        QCOMPARE(fetch.code, 0);
        QVERIFY2(fetch.out.contains("fetched 0, cached 2"), qPrintable(fetch.out));

        QString f = write("fixture.json",
                          R"({"name":"fixture-corpus","method":"corpus","tags":["fixture"],
                              "corpus":{"languages":["om"]}})");
        auto r = run({"run", f}, cache);
        QVERIFY2(r.code == 0, qPrintable(r.err + r.out));
        QVERIFY(r.out.contains("finished"));
        auto list = run({"list", "--status", "finished"}, cache);
        QCOMPARE(list.code, 0);
        QVERIFY(list.out.contains("fixture-corpus"));
        QString id = list.out.split('\n').at(1).trimmed().split(' ').first();
        auto show = run({"show", id, "--json"}, cache);
        QCOMPARE(show.code, 0);
        auto j = nlohmann::json::parse(show.out.toStdString());
        QCOMPARE(j["status"].get<std::string>(), std::string("finished"));
        QVERIFY(j["corpus"]["hash"].get<std::string>().size() == 64);
        QCOMPARE(j["tags"][0].get<std::string>(), std::string("fixture"));
        auto stats = run({"data", "stats", "--json"}, cache);
        QCOMPARE(stats.code, 0);
        auto s = nlohmann::json::parse(stats.out.toStdString());
        QCOMPARE(s["languages"]["om"]["untranslated_share"].get<double>(), 0.25);
        auto table = run({"data", "stats"}, cache);
        QVERIFY(table.out.contains("| om | train |"));

        // BM25 on the fixture corpus: every page in train so every query is evaluated.
        QString bm25 = write("fixture-bm25.json",
                             R"({"name":"fixture-bm25","method":"bm25",
                                 "corpus":{"languages":["om"],"split":{"train":1,"dev":0,"test":0}},
                                 "evaluation":{"split":"train"}})");
        QString rebuild = write("fixture-all-train.json",
                                R"({"name":"fixture-all-train","method":"corpus",
                                    "corpus":{"languages":["om"],"split":{"train":1,"dev":0,"test":0}}})");
        QCOMPARE(run({"run", rebuild}, cache).code, 0);
        r = run({"run", bm25}, cache);
        QVERIFY2(r.code == 0, qPrintable(r.err + r.out));
        QString bm25Id = run({"list"}, cache).out.split('\n').at(1).trimmed().split(' ').first();
        auto shown =
            nlohmann::json::parse(run({"show", bm25Id, "--json"}, cache).out.toStdString());
        std::set<std::string> langs;
        for (const auto& x : shown["results"]) langs.insert(x["language"].get<std::string>());
        QCOMPARE(langs, (std::set<std::string>{"en-US", "om"}));
        // The job's summary is kept beside the run and shown with it.
        QVERIFY2(shown.contains("summary") && shown["summary"].contains("per_language") &&
                     shown["summary"]["tag"] == "bm25",
                 shown.dump().substr(0, 400).c_str());
        QVERIFY(run({"show", bm25Id}, cache).out.contains("  tag         bm25\n"));

        QString out = tmp_.filePath("export");
        QCOMPARE(run({"export", bm25Id, "--format", "trec", "--out", out}, cache).code, 0);
        QString trec = out + "/en-US.entries.train.trec";
        QVERIFY(QFile::exists(trec));
        // The exported run, evaluated by `clirlab eval -c`, gives the stored MAP.
        QString qrelsFile =
            cache + "/corpora/libreoffice-help-7.4/qrels/en-US.en-US.entries.train.qrels";
        auto ev = run({"eval", "--run", trec, "--qrels", qrelsFile, "-c", "-m", "map"}, cache);
        QVERIFY2(ev.code == 0, qPrintable(ev.err));
        double stored = -1;
        for (const auto& x : shown["results"])
            if (x["language"] == "en-US" && x["query_set"] == "entries" && x["measure"] == "map")
                stored = x["value"].get<double>();
        QVERIFY2(ev.out.contains(QString("map                   \tall\t%1").arg(stored, 0, 'f', 4)),
                 qPrintable(ev.out + QString::number(stored)));
        // By hand: "epsilon" and "alpha -- delta" find their pages first (AP 1); "alpha -- beta"
        // retrieves only page2 (the word "beta" is on no page) and "gamma" nothing (AP 0).
        QCOMPARE(stored, 0.5);

        auto csv = run({"export", bm25Id, "--format", "csv"}, cache);
        QVERIFY(csv.out.startsWith("run,name,method,language,query_set,measure,value\n"));
        QVERIFY(csv.out.contains(",fixture-bm25,bm25,om,entries,map,"));
        auto cmp = run({"compare", bm25Id, bm25Id}, cache);
        QCOMPARE(cmp.code, 0);
        QVERIFY2(cmp.out.contains("| om (low) |") && cmp.out.contains("| en-US |"),
                 qPrintable(cmp.out));
        // RUN:SET reads another query set of a run; one the run lacks is named.
        auto sets = run({"compare", bm25Id, bm25Id + ":headings"}, cache);
        QVERIFY2(sets.code == 0 && sets.out.contains("(#" + bm25Id + ", headings)"),
                 qPrintable(sets.out + sets.err));
        auto missing = run({"compare", bm25Id, bm25Id + ":entries+bm25"}, cache);
        QVERIFY(missing.code != 0);
        QVERIFY2(missing.err.contains("no 'map' values on query set 'entries+bm25'"),
                 qPrintable(missing.err));

        // A sweep: one run per combination, the seeds of one k1 pooled into one row (BM25 does
        // not depend on the seed: sd 0); run again, every run is reused.
        QString sweep = write("fixture-sweep.json",
                              R"({"name":"fixture-sweep","method":"bm25",
                                  "corpus":{"languages":["om"],"split":{"train":1,"dev":0,"test":0}},
                                  "evaluation":{"split":"train"},
                                  "sweep":{"bm25.k1":[0.9,1.2],"seed":[1,2]}})");
        auto swept = run({"run", sweep}, cache);
        QVERIFY2(swept.code == 0, qPrintable(swept.err + swept.out));
        QVERIFY2(swept.out.contains("fixture-sweep[bm25.k1=0.9] (2 seeds)") &&
                     swept.out.contains("fixture-sweep[bm25.k1=1.2] (2 seeds)") &&
                     swept.out.contains(" ± 0.0000") &&
                     swept.out.contains("fixture-sweep[bm25.k1=1.2,seed=2]=#"),
                 qPrintable(swept.out));
        auto again = run({"run", sweep}, cache);
        QCOMPARE(again.code, 0);
        QCOMPARE(again.err.count(" reused, finished "), 4);
        // Ctrl-C while a sweep only looks up finished runs: a job started in the background
        // ignores SIGINT, and a suite took no Ctrl-C until its first run started. Here the
        // signal is pending (blocked) from the start: the sweep stops before its first run.
        auto stopped = run({"run", sweep}, cache, true);
        QVERIFY2(stopped.code == 1 &&
                     stopped.err.contains("cancelled before [1/4] "
                                          "fixture-sweep[bm25.k1=0.9,seed=1]: no further run "
                                          "started") &&
                     !stopped.err.contains(" reused, finished "),
                 qPrintable(stopped.err));
        // compare --pool-seeds: the same rows from the stored runs.
        QStringList sweptIds;
        for (const auto& item : swept.out.split("runs:").last().split(' ', Qt::SkipEmptyParts))
            sweptIds << item.split("=#").last().trimmed();
        QCOMPARE(sweptIds.size(), 4);
        auto pooledCmp =
            run(QStringList{"compare"} + sweptIds + QStringList{"--pool-seeds"}, cache);
        QVERIFY2(pooledCmp.code == 0 &&
                     pooledCmp.out.contains("fixture-sweep[bm25.k1=0.9] (2 seeds: #" + sweptIds[0] +
                                            " #" + sweptIds[1] + ")") &&
                     pooledCmp.out.contains(" ± 0.0000"),
                 qPrintable(pooledCmp.out + pooledCmp.err));

        // BM25 in the multilingual pool: one index per page language, the om queries ranked
        // against the English and the om pages together (their own words find their own pages).
        QString pooled = write("fixture-pool.json",
                               R"({"name":"fixture-pool","method":"bm25",
                                   "corpus":{"languages":["om"],"split":{"train":1,"dev":0,"test":0}},
                                   "evaluation":{"split":"train","pool":"all"}})");
        auto pr = run({"run", pooled}, cache);
        QVERIFY2(pr.code == 0, qPrintable(pr.err + pr.out));
        const QString poolId =
            run({"list"}, cache).out.split('\n').at(1).trimmed().split(' ').first();
        auto poolShown =
            nlohmann::json::parse(run({"show", poolId, "--json"}, cache).out.toStdString());
        std::set<std::string> pooledMeasures;
        for (const auto& x : poolShown["results"])
            if (x["language"] == "om" && x["query_set"] == "entries@all")
                pooledMeasures.insert(x["measure"].get<std::string>());
        QVERIFY2(pooledMeasures.count("map") && pooledMeasures.count("language_bias"),
                 poolShown.dump().substr(0, 600).c_str());

        // report: the suite's tables from the stored runs, seeds pooled, the exported run's
        // `clirlab eval` value in its cell, every run's hashes, and the charts drawn by the
        // workbench's chart code; an experiment not run yet is named.
        write("fixture-never.json", R"({"name":"fixture-never","method":"bm25",
                                         "corpus":{"languages":["om"]}})");
        QString suite = write("fixture-suite.json",
                              R"({"name":"fixture-suite","method":"suite",
                                  "description":"The BM25 runs of the fixture.",
                                  "suite":{"experiments":["fixture-bm25.json","fixture-sweep.json",
                                                          "fixture-never.json"],
                                           "baselines":["fixture-bm25"]}})");
        const QString reportDir = tmp_.filePath("report");
        auto rep = run({"report", suite, "--out", reportDir, "--permutations", "200"}, cache);
        QVERIFY2(rep.code == 0, qPrintable(rep.err + rep.out));
        QVERIFY2(rep.out.contains("5 runs used, 1 not run yet, 1 charts"), qPrintable(rep.out));
        QFile md(reportDir + "/report.md");
        QVERIFY(md.open(QIODevice::ReadOnly));
        const QString report = QString::fromUtf8(md.readAll());
        QVERIFY2(report.contains("| map (entries) | fixture-bm25 | fixture-sweep[bm25.k1=0.9] (2 "
                                 "seeds) | fixture-sweep[bm25.k1=1.2] (2 seeds) |") &&
                     report.contains(QString("| en-US | %1 |").arg(stored, 0, 'f', 4)) &&
                     report.contains(" ± 0.0000") && report.contains("`fixture-never`") &&
                     report.contains("### nDCG@10, entries queries") &&
                     report.contains("- **fixture-sweep[bm25.k1=0.9]** (`bm25`, 2 of 2 runs, 2 "
                                     "seeds)"),
                 qPrintable(report));
        QVERIFY2(
            report.contains(
                "| " + bm25Id + " | fixture-bm25 | bm25 | – | 13 | " +
                QString::fromStdString(shown["config_hash"].get<std::string>().substr(0, 12)) +
                " | " +
                QString::fromStdString(shown["corpus"]["hash"].get<std::string>().substr(0, 12))),
            qPrintable(report));
        for (const char* suffix : {".png", ".svg"}) {
            QFileInfo chart(reportDir + "/fixture-suite-map-entries" + suffix);
            QVERIFY2(chart.size() > 1000, qPrintable(chart.filePath()));
        }
        QVERIFY(
            report.contains("![MAP per language, entries queries (★: differs from "
                            "fixture-bm25)](fixture-suite-map-entries.png)"));
        auto notSuite = run({"report", bm25, "--out", reportDir}, cache);
        QCOMPARE(notSuite.code, 1);
        QVERIFY2(notSuite.err.contains("a report reads suites, got 'bm25'"),
                 qPrintable(notSuite.err));
        QCOMPARE(run({"report", suite, "--permutations", "x"}, cache).code, 2);

        // archive + restore: the suite's runs, restored into another database, give the same
        // report byte for byte, and running the suite there reuses every one of them.
        const QString archiveDir = tmp_.filePath("archive");
        auto ar = run({"archive", suite, "--out", archiveDir}, cache);
        QVERIFY2(ar.code == 0 && ar.out.contains("archived 5 runs to ") &&
                     ar.out.contains("5 written, 0 already there"),
                 qPrintable(ar.out + ar.err));
        QVERIFY(run({"archive", suite, "--out", archiveDir}, cache)
                    .out.contains("0 written, 5 already there"));
        const QString restoredDb = tmp_.filePath("restored/cli.db");
        auto rs = run({"--db", restoredDb, "restore", archiveDir}, cache);
        QVERIFY2(rs.code == 0 && rs.out.contains("restored 5 runs into ") &&
                     rs.out.contains(", 0 already there"),
                 qPrintable(rs.out + rs.err));
        QVERIFY(run({"--db", restoredDb, "restore", archiveDir}, cache)
                    .out.contains("restored 0 runs into "));
        const QString reportDir2 = tmp_.filePath("report-restored");
        auto rep2 = run({"--db", restoredDb, "report", suite, "--out", reportDir2, "--no-charts",
                         "--permutations", "200"},
                        cache);
        QVERIFY2(rep2.code == 0, qPrintable(rep2.err));
        QFile md2(reportDir2 + "/report.md");
        QVERIFY(md2.open(QIODevice::ReadOnly));
        QCOMPARE(QString::fromUtf8(md2.readAll()), report);
        const QString archiveDir2 = tmp_.filePath("archive-again");
        auto rerun = run({"--db", restoredDb, "run", suite, "--archive", archiveDir2}, cache);
        QVERIFY2(rerun.code == 0 && rerun.err.count(" reused, finished ") == 5,
                 qPrintable(rerun.err));
        // run --archive writes each finished run as it goes: the same files again, and the one
        // experiment never run before (fixture-never), which ran now.
        auto again2 = QDir(archiveDir2).entryList(QDir::Files);
        QCOMPARE(again2.size(), 6);
        for (const auto& f : QDir(archiveDir).entryList(QDir::Files)) QVERIFY(again2.removeOne(f));
        QVERIFY2(again2.front().startsWith("fixture-never-"), qPrintable(again2.front()));
        // A bad file restores nothing, and its message names the file (and the field).
        QFile bad(archiveDir + "/zz-bad.json");
        QVERIFY(bad.open(QIODevice::WriteOnly));
        bad.write("{\"clirlab_run_archive\": 1, \"run\": {\"id\": 1}}");
        bad.close();
        const QString otherDb = tmp_.filePath("other/cli.db");
        auto br = run({"--db", otherDb, "restore", archiveDir}, cache);
        QVERIFY2(br.code == 1 && br.err.contains("zz-bad.json: field 'run.name': missing"),
                 qPrintable(br.err));
        {
            clir::store::Database db(otherDb.toStdString());
            QVERIFY(clir::store::RunStore(db).runs().empty());
        }
        QVERIFY(bad.open(QIODevice::WriteOnly | QIODevice::Truncate));
        bad.write("{");
        bad.close();
        br = run({"--db", otherDb, "restore", archiveDir}, cache);
        QVERIFY2(br.code == 1 && br.err.contains("zz-bad.json: not JSON"), qPrintable(br.err));
        QVERIFY(QFile::remove(archiveDir + "/zz-bad.json"));
        QCOMPARE(run({"archive", "--out", archiveDir}, cache).code, 2);
        QCOMPARE(run({"archive", suite}, cache).code, 2);
        QCOMPARE(run({"restore", tmp_.filePath("nowhere")}, cache).code, 2);

        // reeval: a stored value that drifted from its TREC file is recomputed (here with the
        // en-US sidecar removed, so that file is read by its name), and a missing TREC file is
        // named and changes nothing.
        const std::int64_t runId = bm25Id.toLongLong();
        {
            clir::store::Database db(tmp_.filePath("cli.db").toStdString());
            clir::store::RunStore(db).storeResults(runId, {{"en-US", "entries", "map", 0.123}});
        }
        const QString runDir = tmp_.filePath("cli.db.runs/") + bm25Id;
        QVERIFY(QFile::remove(runDir + "/en-US.entries.train.trec.gz.json"));
        auto re = run({"reeval", bm25Id}, cache);
        QVERIFY2(re.code == 0, qPrintable(re.err));
        QVERIFY2(re.out.contains("| en-US | entries | 4 | 0.1230 | 0.5000 |"), qPrintable(re.out));
        auto storedMap = [&] {
            clir::store::Database db(tmp_.filePath("cli.db").toStdString());
            for (const auto& x : clir::store::RunStore(db).results(runId))
                if (x.language == "en-US" && x.querySet == "entries" && x.measure == "map")
                    return x.value;
            return -1.0;
        };
        QCOMPARE(storedMap(), 0.5);
        QVERIFY(QFile::rename(runDir + "/om.entries.train.trec.gz", runDir + "/moved.trec"));
        {
            clir::store::Database db(tmp_.filePath("cli.db").toStdString());
            clir::store::RunStore(db).storeResults(runId, {{"en-US", "entries", "map", 0.123}});
        }
        re = run({"reeval", bm25Id}, cache);
        QCOMPARE(re.code, 1);
        QVERIFY2(re.err.contains("om.entries.train.trec.gz is missing"), qPrintable(re.err));
        QCOMPARE(storedMap(), 0.123);
        QCOMPARE(run({"reeval"}, cache).code, 2);
    }

    // docs/settings.md is what `clirlab schema` prints: the reference cannot fall behind.
    void settingsReferenceIsCurrent() {
        auto r = run({"schema"});
        QCOMPARE(r.code, 0);
        QFile f(QStringLiteral(CLIRLAB_SOURCE_DIR "/docs/settings.md"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        QVERIFY2(QString::fromUtf8(f.readAll()) == r.out,
                 "docs/settings.md is stale: build/bin/clirlab schema > docs/settings.md");
        QVERIFY(r.out.contains("| `train.dev_queries` | integer | `200` |"));
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "test_cli.moc"
