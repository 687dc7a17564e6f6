// Storage faults (issue 16): disks that fill up (a small private tmpfs) while a checkpoint, a
// TREC run, the page-vector cache or the database is written; corpus files and caches altered on
// disk; a database locked by another process or on a read-only filesystem. Each time the run
// fails with an error naming the file and the cause, or the cache is rebuilt, and nothing stored
// before is lost or corrupted.
#include "tests/train/fault_fixture.h"

#include <QElapsedTimer>
#include <QFileInfo>

#include "core/util/sha256.h"
#include "core/util/text.h"

using namespace clir;
using clir::testing::CliResult;
namespace stdfs = std::filesystem;

class TestStorageFaults : public QObject, protected testing::FaultFixture {
    Q_OBJECT

    static void verifyIntact(const QString& db) {
        store::Database d(db.toStdString());
        auto check = d.prepare("PRAGMA integrity_check");
        QVERIFY(check.step());
        QCOMPARE(check.text(0), std::string("ok"));
        // The earlier run and its results are all there.
        store::RunStore runs(d);
        bool teacher = false;
        for (const auto& r : runs.runs())
            if (r.name == "teacher") {
                teacher = r.status == store::RunStatus::Finished && !runs.results(r.id).empty();
            }
        QVERIFY2(teacher, "the earlier finished run or its results were lost");
    }

    void requireSmallDisks() {
        if (namespaceCommand_.isEmpty())
            QSKIP("this machine cannot mount a private tmpfs (unshare --user --mount refused)");
    }

  private slots:
    void initTestCase() {
        const QString error = setUp();
        QVERIFY2(error.isEmpty(), qPrintable(error));
    }

    // A disk that fills up while a checkpoint is written: the first checkpoint fits, the second
    // does not. The run fails naming the file and the disk's complaint; its first checkpoint
    // stays whole and `latest` still names it.
    void fullDiskWritingACheckpoint() {
        requireSmallDisks();
        const QString file = writeSpec("mlm-full", pretrainSpec());
        auto spec = pretrainSpec();
        // One checkpoint's size, from a run with room.
        const QString roomy = tmp_.filePath("mlm-size.db");
        auto sized = runCli(helpData_, roomy, {"run", writeSpec("mlm", spec)});
        QVERIFY2(!sized.killed && sized.exitCode == 0, qPrintable(sized.output));
        qint64 checkpointBytes = 0;
        for (const auto& f : stdfs::recursive_directory_iterator(roomy.toStdString() +
                                                                 ".runs/1/checkpoints/step-9"))
            if (f.is_regular_file()) checkpointBytes += qint64(f.file_size());
        QVERIFY(checkpointBytes > 100000);

        const QString db = copyDb(teacherDb_, "mlm-full.db");
        const QString runs = db + ".runs", keep = tmp_.filePath("mlm-full-kept");
        auto full =
            runOnSmallDisk(helpData_, db, runs, checkpointBytes * 3 / 2, keep, {"run", file});
        QVERIFY2(!full.killed && full.exitCode != 0, qPrintable(full.output));
        const auto [status, error] = outcome(db, "mlm");
        QVERIFY2(status == store::RunStatus::Failed, qPrintable(full.output));
        QVERIFY2(QString::fromStdString(error).contains("No space left on device") &&
                     QString::fromStdString(error).contains("/checkpoints/step-6"),
                 error.c_str());
        QVERIFY2(full.output.contains("No space left on device"), qPrintable(full.output));
        verifyIntact(db);
        auto latest = model::latestCheckpoint(keep.toStdString() + "/2/checkpoints");
        QVERIFY2(latest.has_value(), "latest no longer names a checkpoint");
        QCOMPARE(model::readCheckpointMeta(*latest).step, std::int64_t(3));
    }

    // A TREC run that does not fit: BM25 on a run folder of 8 KiB.
    void fullDiskWritingATrecRun() {
        requireSmallDisks();
        const auto spec = bm25Spec();
        const QString db = copyDb(teacherDb_, "bm25-full.db");
        auto full =
            runOnSmallDisk(synthData_, db, db + ".runs", 8192, tmp_.filePath("bm25-full-kept"),
                           {"run", writeSpec("bm25", spec)});
        QVERIFY2(!full.killed && full.exitCode != 0, qPrintable(full.output));
        const auto [status, error] = outcome(db, "bm25");
        QVERIFY2(status == store::RunStatus::Failed, qPrintable(full.output));
        QVERIFY2(QString::fromStdString(error).contains(".trec") &&
                     QString::fromStdString(error).contains("No space left on device"),
                 error.c_str());
        verifyIntact(db);
    }

    // The cache of encoded pages does not fit (a zero-shot evaluation of the teacher).
    void fullDiskWritingPageVectors() {
        requireSmallDisks();
        auto spec = retrievalSpec("zero", "zero-shot", 0);
        spec.erase("train");
        spec["init"] = {{"from", "teacher"}};
        const QString db = copyDb(teacherDb_, "zero-full.db");
        std::string neural;
        for (const auto& d : stdfs::directory_iterator(synthData_.toStdString() + "/indexes"))
            if (stdfs::exists(d.path() / "neural")) neural = (d.path() / "neural").string();
        QVERIFY2(!neural.empty(), "the teacher run cached no page vectors");
        auto full =
            runOnSmallDisk(synthData_, db, QString::fromStdString(neural), 4096,
                           tmp_.filePath("zero-full-kept"), {"run", writeSpec("zero", spec)});
        QVERIFY2(!full.killed && full.exitCode != 0, qPrintable(full.output));
        const auto [status, error] = outcome(db, "zero");
        QVERIFY2(status == store::RunStatus::Failed, qPrintable(full.output));
        QVERIFY2(QString::fromStdString(error).contains("/neural/") &&
                     QString::fromStdString(error).contains("No space left on device"),
                 error.c_str());
        verifyIntact(db);
    }

    // The database's own disk fills up during a training run: the error says so and names the
    // database; nothing stored before is lost or corrupted.
    void fullDiskUnderTheDatabase() {
        requireSmallDisks();
        const QString dir = tmp_.filePath("dbdisk"), keep = tmp_.filePath("dbdisk-kept");
        const QString db = dir + "/runs.db";
        const qint64 bytes = QFileInfo(teacherDb_).size() + 64 * 1024;
        auto full = runOnSmallDisk(
            synthData_, db, dir, bytes, keep,
            {"run", writeSpec("optical", retrievalSpec("optical", "optical", 12))}, teacherDb_);
        QVERIFY2(!full.killed && full.exitCode != 0, qPrintable(full.output));
        QVERIFY2(full.output.contains("database or disk is full") && full.output.contains(db),
                 qPrintable(full.output));
        verifyIntact(keep + "/runs.db");
    }

    // A corpus file altered after the build: every job refuses the corpus, naming the file.
    void corruptCorpusFileIsNamed() {
        const QString data = tmp_.filePath("altered-data");
        const std::string corpus = data.toStdString() + "/corpora/libreoffice-help-7.4";
        stdfs::create_directories(corpus);
        stdfs::copy(synthData_.toStdString() + "/corpora/libreoffice-help-7.4", corpus,
                    stdfs::copy_options::recursive);
        std::string docs = fs::readFile(corpus + "/docs/om.jsonl");
        docs[docs.size() / 2] = docs[docs.size() / 2] == 'a' ? 'b' : 'a';
        fs::writeFileAtomic(corpus + "/docs/om.jsonl", docs);
        auto spec = bm25Spec();
        auto r = runCli(data, tmp_.filePath("altered.db"), {"run", writeSpec("bm25", spec)});
        QVERIFY(!r.killed && r.exitCode != 0);
        QVERIFY2(r.output.contains("docs/om.jsonl: corrupt or altered") &&
                     r.output.contains("clirlab data build"),
                 qPrintable(r.output));
    }

    // Caches altered on disk in a way that still loads: the BM25 index and the encoded pages are
    // rebuilt (their SHA-256 no longer matches), and the numbers equal the intact run's.
    void corruptCachesAreRebuilt() {
        const QString intactDb = copyDb(teacherDb_, "caches-intact.db");
        auto bm25 = runCli(synthData_, intactDb, {"run", writeSpec("bm25", bm25Spec())});
        QVERIFY2(!bm25.killed && bm25.exitCode == 0, qPrintable(bm25.output));
        const auto intact = maps(intactDb);
        std::string cache;
        for (const auto& d : stdfs::directory_iterator(synthData_.toStdString() + "/indexes"))
            cache = d.path().string();
        // Every file of the BM25 indexes and every page-vector file: bytes in the middle flipped.
        std::vector<std::string> altered;
        for (const auto& e : stdfs::recursive_directory_iterator(cache)) {
            const auto path = e.path().string();
            if (!e.is_regular_file() || e.file_size() < 64 || path.find(".sha256") != path.npos ||
                path.find("stamp") != path.npos)
                continue;
            std::string bytes = fs::readFile(path);
            for (std::size_t i = bytes.size() / 2; i < bytes.size() / 2 + 8; ++i) bytes[i] ^= 0x40;
            fs::writeFileAtomic(path, bytes);
            altered.push_back(path);
        }
        QVERIFY(altered.size() >= 2);
        const QString againDb = copyDb(teacherDb_, "caches-again.db");
        auto again = runCli(synthData_, againDb, {"run", writeSpec("bm25", bm25Spec())});
        QVERIFY2(!again.killed && again.exitCode == 0, qPrintable(again.output));
        auto zero = retrievalSpec("zero", "zero-shot", 0);
        zero.erase("train");
        zero["init"] = {{"from", "teacher"}};
        auto z = runCli(synthData_, againDb, {"run", writeSpec("zero", zero)});
        QVERIFY2(!z.killed && z.exitCode == 0, qPrintable(z.output));
        const auto rebuilt = maps(againDb);
        QCOMPARE(rebuilt.at("bm25 om"), intact.at("bm25 om"));
        QCOMPARE(rebuilt.at("bm25 en-US"), intact.at("bm25 en-US"));
        QCOMPARE(rebuilt.at("zero om"), rebuilt.at("teacher om"));  // as the teacher ranked
        QCOMPARE(rebuilt.at("zero en-US"), rebuilt.at("teacher en-US"));
        // The altered files were replaced.
        for (const auto& path : altered) {
            if (!stdfs::exists(path)) continue;  // an index file the rebuild no longer has
            const std::string hashFile = path + ".sha256";
            if (stdfs::exists(hashFile))
                QCOMPARE(text::trim(fs::readFile(hashFile)), Sha256::hexOfFile(path));
        }
    }

    // Another process holds the database's write lock: a run waits the busy timeout, then fails
    // with an error naming the database; nothing is half-written.
    void lockedDatabaseIsNamedAfterTheBusyTimeout() {
        const QString db = copyDb(teacherDb_, "locked.db");
        store::Database holder(db.toStdString());
        holder.exec("BEGIN EXCLUSIVE");
        QElapsedTimer clock;
        clock.start();
        auto r = runCli(synthData_, db, {"run", writeSpec("bm25", bm25Spec())});
        const qint64 waited = clock.elapsed();
        holder.exec("ROLLBACK");
        QVERIFY(!r.killed && r.exitCode != 0);
        QVERIFY2(r.output.contains("database is locked") && r.output.contains(db),
                 qPrintable(r.output));
        QVERIFY2(waited >= 14000, qPrintable(QString("gave up after %1 ms").arg(waited)));
        verifyIntact(db);
        QCOMPARE(maps(db).count("bm25 om"), std::size_t(0));
    }

    // A database on a read-only filesystem: any command fails at once naming it and the cause.
    void readOnlyDatabaseIsNamed() {
        requireSmallDisks();
        const QString dir = tmp_.filePath("rodisk"), keep = tmp_.filePath("rodisk-kept");
        const QString db = dir + "/runs.db";
        QDir().mkpath(dir);
        QDir().mkpath(keep);
        // The tmpfs is filled with the database, then remounted read-only.
        const QString script =
            "mount -t tmpfs -o size=64m none \"$1\" && cp \"$2\" \"$3\" && "
            "mount -o remount,ro \"$1\" || exit 90; shift 3; exec \"$CLI\" \"$@\"";
        QProcess p;
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert("CLIRLAB_DATA", synthData_);
        env.insert("CLIRLAB_DB", db);
        env.insert("CLI", cli());
        p.setProcessEnvironment(env);
        p.setProcessChannelMode(QProcess::MergedChannels);
        QStringList command = namespaceCommand_;
        command << "sh"
                << "-c" << script << "sh" << dir << teacherDb_ << db << "run"
                << writeSpec("bm25", bm25Spec());
        p.start(command.takeFirst(), command);
        QVERIFY(p.waitForFinished(120000));
        const QString out = QString::fromUtf8(p.readAll());
        QVERIFY2(p.exitCode() != 90, qPrintable(out));
        QVERIFY2(p.exitCode() != 0 && out.contains(db) && out.contains("read-only"),
                 qPrintable(out));
    }
};

QTEST_GUILESS_MAIN(TestStorageFaults)
#include "test_storage_faults.moc"
