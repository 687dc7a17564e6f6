// Injected faults (issue 16): `clirlab run` killed with SIGKILL (CLIRLAB_FAULT, core/util/fault.h)
// in the middle of a checkpoint write, between a checkpoint and its `latest` pointer, and inside
// a store transaction, for MLM pretraining, OPTICAL retrieval training and the NMT baseline. Each
// time the checkpoint `latest` names stays valid, `clirlab resume` finishes the run, and its loss
// curve equals the uninterrupted run's step for step, every step recorded once. Then a disk that
// fills up (RLIMIT_FSIZE) while a checkpoint or a TREC run is written: the run is `failed` with a
// reason naming the file, and what was stored before is intact.
#include <torch/nn/module.h>  // LibTorch before Qt

#include <QtTest>

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <filesystem>
#include <map>
#include <csignal>
#include <sys/resource.h>

#include "core/data/corpus_builder.h"
#include "core/data/corpus_stats.h"
#include "core/model/checkpoint.h"
#include "core/model/tokenizer.h"
#include "core/model/xlmr_encoder.h"
#include "core/store/database.h"
#include "core/store/run_store.h"
#include "core/util/fs.h"
#include "core/util/sha256.h"
#include "core/util/text.h"
#include "tests/core/help_fixture.h"
#include "tests/train/synthetic_corpus.h"

using namespace clir;
namespace stdfs = std::filesystem;

namespace {

struct CliResult {
    bool killed = false;  // ended by a signal (the injected SIGKILL)
    int exitCode = 0;
    QString output;
};

}  // namespace

class TestFaults : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    QString helpData_, synthData_;  // CLIRLAB_DATA of the two corpora
    std::string tokenizer_, encoder_;

    QString cli() { return qEnvironmentVariable("CLIRLAB_BIN_DIR") + "/clirlab"; }

    // Runs the CLI on `db`; `fault` arms CLIRLAB_FAULT; `fileLimit` caps every file the process
    // writes (RLIMIT_FSIZE, SIGXFSZ ignored so a write fails with EFBIG as on a full disk).
    CliResult runCli(const QString& data, const QString& db, const QStringList& args,
                     const QString& fault = {}, rlim_t fileLimit = 0) {
        QProcess p;
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert("CLIRLAB_DATA", data);
        env.insert("CLIRLAB_DB", db);
        env.remove("CLIRLAB_FAULT");
        if (!fault.isEmpty()) env.insert("CLIRLAB_FAULT", fault);
        p.setProcessEnvironment(env);
        p.setProcessChannelMode(QProcess::MergedChannels);
        if (fileLimit)
            p.setChildProcessModifier([fileLimit] {
                ::signal(SIGXFSZ, SIG_IGN);
                rlimit limit{fileLimit, fileLimit};
                ::setrlimit(RLIMIT_FSIZE, &limit);
            });
        p.start(cli(), args);
        if (!p.waitForFinished(600000)) {
            p.kill();
            p.waitForFinished();
            return {false, -1, "timed out"};
        }
        return {p.exitStatus() == QProcess::CrashExit, p.exitCode(),
                QString::fromUtf8(p.readAll())};
    }

    QString writeSpec(const QString& name, const nlohmann::json& spec) {
        const QString path = tmp_.filePath(name + ".json");
        fs::writeFileAtomic(path.toStdString(), spec.dump(2));
        return path;
    }

    static std::int64_t runId(const QString& db, const std::string& name) {
        store::Database d(db.toStdString());
        for (const auto& r : store::RunStore(d).runs())
            if (r.name == name) return r.id;
        return 0;
    }

    static std::map<std::int64_t, double> losses(const QString& db, std::int64_t id,
                                                 int* points = nullptr) {
        store::Database d(db.toStdString());
        std::map<std::int64_t, double> out;
        auto metrics = store::RunStore(d).metrics(id, "loss");
        for (const auto& m : metrics) out[m.step] = m.value;
        if (points) *points = int(metrics.size());
        return out;
    }

    // Test MAP of every run in `db` on the entries queries: "<run> <language>".
    static std::map<std::string, double> maps(const QString& db) {
        store::Database d(db.toStdString());
        store::RunStore runs(d);
        std::map<std::string, double> out;
        for (const auto& r : runs.runs())
            for (const auto& row : runs.results(r.id))
                if (row.measure == "map" && row.querySet == "entries")
                    out[r.name + " " + row.language] = row.value;
        return out;
    }

    static nlohmann::json bm25Spec() {
        return {{"name", "bm25"},
                {"method", "bm25"},
                {"corpus", {{"languages", {"en-US", "om"}}}},
                {"bm25", {{"depth", 1000}}},
                {"translation", {{"system", "none"}}},
                {"evaluation", {{"query_sets", {"entries"}}}}};
    }

    // When each loss point was recorded, by step.
    static std::map<std::int64_t, double> wallTimes(const QString& db, std::int64_t id) {
        store::Database d(db.toStdString());
        std::map<std::int64_t, double> out;
        for (const auto& m : store::RunStore(d).metrics(id, "loss")) out[m.step] = m.wallTime;
        return out;
    }

    // A copy of a database file (a finished teacher run in it), for one scenario each.
    QString copyDb(const QString& from, const QString& name) {
        const QString to = tmp_.filePath(name);
        QFile::remove(to);
        if (!QFile::copy(from, to)) qFatal("cannot copy %s", qPrintable(from));
        return to;
    }

    // The uninterrupted run, then the same run killed at `fault` and resumed: the killed run's
    // `latest` checkpoint is readable, the resume finishes, the losses are identical.
    void killAndResume(const QString& data, const QString& baseDb, const nlohmann::json& spec,
                       const QString& fault) {
        const std::string name = spec.at("name");
        const QString file = writeSpec(QString::fromStdString(name), spec);
        const QString tag = QString::fromStdString(name) + "-" + QString(fault).replace('@', '-');
        const QString refDb =
            baseDb.isEmpty() ? tmp_.filePath(tag + "-ref.db") : copyDb(baseDb, tag + "-ref.db");
        const QString cutDb =
            baseDb.isEmpty() ? tmp_.filePath(tag + "-cut.db") : copyDb(baseDb, tag + "-cut.db");
        auto ref = runCli(data, refDb, {"run", file});
        QVERIFY2(!ref.killed && ref.exitCode == 0, qPrintable(ref.output));
        int refPoints = 0;
        const auto expected = losses(refDb, runId(refDb, name), &refPoints);
        const auto steps = spec.contains("pretrain") ? spec["pretrain"]["steps"]
                           : spec.contains("nmt")    ? spec["nmt"]["steps"]
                                                     : spec["train"]["steps"];
        QCOMPARE(refPoints, steps.get<int>());

        auto cut = runCli(data, cutDb, {"run", file}, fault);
        QVERIFY2(cut.killed, qPrintable("the fault " + fault + " did not fire:\n" + cut.output));
        const auto id = runId(cutDb, name);
        QVERIFY(id > 0);
        const std::string checkpoints =
            cutDb.toStdString() + ".runs/" + std::to_string(id) + "/checkpoints";
        std::int64_t resumeStep = 0;
        if (auto latest = model::latestCheckpoint(checkpoints)) {
            // Sizes and SHA-256 of every file match the sidecar.
            try {
                resumeStep = model::readCheckpointMeta(*latest).step;
            } catch (const std::exception& e) {
                QFAIL(
                    qPrintable(QString("the checkpoint left by the kill is broken: ") + e.what()));
            }
        }
        // The loss points up to that checkpoint were stored before it was written.
        const auto beforeResume = wallTimes(cutDb, id);
        for (std::int64_t step = 1; step <= resumeStep; ++step)
            QVERIFY2(beforeResume.count(step), qPrintable(QString("step %1 lost").arg(step)));
        // Every fault here strikes after the first checkpoint: the resume starts from one.
        QVERIFY2(resumeStep > 0, qPrintable(fault + " left no checkpoint to resume from"));
        auto resumed = runCli(data, cutDb, {"resume", QString::number(id)});
        QVERIFY2(!resumed.killed && resumed.exitCode == 0, qPrintable(resumed.output));
        {
            store::Database d(cutDb.toStdString());
            // (QCOMPARE would hand store::toString's literal to QTest, which frees it.)
            QVERIFY(store::RunStore(d).run(id)->status == store::RunStatus::Finished);
        }
        // It continued from that checkpoint: the steps up to it were not trained again.
        const auto afterResume = wallTimes(cutDb, id);
        for (std::int64_t step = 1; step <= resumeStep; ++step)
            QVERIFY2(afterResume.at(step) == beforeResume.at(step),
                     qPrintable(QString("%1: step %2 was trained again after the resume from "
                                        "step %3")
                                    .arg(fault)
                                    .arg(step)
                                    .arg(resumeStep)));
        int points = 0;
        const auto got = losses(cutDb, id, &points);
        QCOMPARE(points, refPoints);  // every step once: none lost, none twice
        for (const auto& [step, loss] : expected)
            QVERIFY2(got.count(step) && got.at(step) == loss,
                     qPrintable(QString("%1, step %2: %3 after the kill, %4 uninterrupted")
                                    .arg(fault)
                                    .arg(step)
                                    .arg(got.count(step) ? got.at(step) : -1.0, 0, 'g', 17)
                                    .arg(loss, 0, 'g', 17)));
    }

    nlohmann::json pretrainSpec() {
        return {{"name", "mlm"},
                {"method", "pretrain"},
                {"seed", 5},
                {"corpus",
                 {{"languages", {"en-US", "om"}},
                  {"split", {{"train", 0.5}, {"dev", 0.5}, {"test", 0.0}}}}},
                {"model", {{"preset", "xs"}, {"threads", 1}, {"device", "cpu"}}},
                {"tokenizer", {{"model", tokenizer_}}},
                {"pretrain",
                 {{"steps", 9},
                  {"batch_size", 4},
                  {"max_length", 32},
                  {"warmup_steps", 2},
                  {"checkpoint_every", 3},
                  {"log_every", 1}}}};
    }

    nlohmann::json retrievalSpec(const std::string& name, const std::string& method, int steps) {
        nlohmann::json j = {{"name", name},
                            {"method", method},
                            {"seed", 3},
                            {"corpus", {{"languages", {"en-US", "om"}}}},
                            {"model", {{"preset", "xs"}, {"threads", 1}, {"device", "cpu"}}},
                            {"init", {{"checkpoint", encoder_}}},
                            {"retrieval", {{"query_max_length", 16}, {"document_max_length", 32}}},
                            {"evaluation", {{"query_sets", {"entries"}}}},
                            {"train",
                             {{"steps", steps},
                              {"batch_size", 8},
                              {"learning_rate", 3e-3},
                              {"warmup_steps", 2},
                              {"eval_every", 4},
                              {"log_every", 2},
                              {"dev_queries", 20},
                              {"temperature", 0.1}}}};
        if (method == "optical") {
            j["init"] = {{"from", "teacher"}};
            j["ot"] = {{"epsilon", 0.1}, {"alignment_pairs", 2}, {"align_every", 4}};
        }
        return j;
    }

    QString teacherDb_;
    QStringList namespaceCommand_;  // how this machine makes a private mount; empty: it cannot

    // Runs the CLI with a fresh tmpfs of `bytes` mounted at `mountDir` (a small disk that fills
    // up, in a private mount namespace); before the process ends the tmpfs's files are copied to
    // `keep` for the checks. With `seedDb`, the database file is first copied onto the tmpfs
    // (the database itself on the full disk) and copied back afterwards.
    CliResult runOnSmallDisk(const QString& data, const QString& db, const QString& mountDir,
                             qint64 bytes, const QString& keep, const QStringList& args,
                             const QString& seedDb = {}) {
        QDir().mkpath(mountDir);
        QDir().mkpath(keep);
        const QString script =
            "set -u; mount -t tmpfs -o size=$1 none \"$2\" || exit 90; "
            "if [ -n \"$5\" ]; then cp \"$5\" \"$4\" || exit 91; fi; "
            "shift 5; \"$@\"; rc=$?; cp -a \"$MNT/.\" \"$KEEP/\"; exit $rc";
        QProcess p;
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert("CLIRLAB_DATA", data);
        env.insert("CLIRLAB_DB", db);
        env.insert("MNT", mountDir);
        env.insert("KEEP", keep);
        env.remove("CLIRLAB_FAULT");
        p.setProcessEnvironment(env);
        p.setProcessChannelMode(QProcess::MergedChannels);
        QStringList command = namespaceCommand_;
        command << "sh"
                << "-c" << script << "sh" << QString::number(bytes) << mountDir << keep << db
                << seedDb << cli() << args;
        p.start(command.takeFirst(), command);
        if (!p.waitForFinished(600000)) {
            p.kill();
            p.waitForFinished();
            return {false, -1, "timed out"};
        }
        return {p.exitStatus() == QProcess::CrashExit, p.exitCode(),
                QString::fromUtf8(p.readAll())};
    }

    // The run's status and stored error, read from `db`.
    static std::pair<store::RunStatus, std::string> outcome(const QString& db,
                                                            const std::string& name) {
        store::Database d(db.toStdString());
        for (const auto& r : store::RunStore(d).runs())
            if (r.name == name) return {r.status, r.error};
        return {store::RunStatus::Queued, "no run named " + name};
    }

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
        // The help fixture, built as a corpus, for pretraining.
        helpData_ = tmp_.filePath("help-data");
        qputenv("CLIRLAB_DATA", helpData_.toUtf8());
        const std::string help = tmp_.filePath("help").toStdString();
        testing::writeHelpFixture(help);
        auto settings = data::CorpusSettings::defaults();
        settings.languages = {"en-US", "om"};
        settings.split = {0.5, 0.5, 0.0, 20240601};
        data::buildCorpus(settings, {{"en-US", help, {}}, {"om", help, {}}},
                          data::defaultCorpusDir(), jobs::JobContext{});
        std::vector<std::string> text;
        for (int i = 0; i < 300; ++i)
            text.push_back("alpha beta gamma delta " + std::to_string(i % 17) +
                           " fuula tokko lama sadii");
        model::Tokenizer::train(text, 300, tmp_.filePath("tok/t").toStdString());
        tokenizer_ = tmp_.filePath("tok/t.model").toStdString();

        // The synthetic corpus and a "pretrained" encoder for retrieval and NMT.
        synthData_ = tmp_.filePath("synth-data");
        qputenv("CLIRLAB_DATA", synthData_.toUtf8());
        testing::writeSyntheticCorpus(data::defaultCorpusDir());
        std::vector<std::string> words;
        for (int i = 0; i < 40; ++i)
            for (const char* p : {"", "x"})
                for (int k = 0; k < 3; ++k)
                    words.push_back(std::string(p) + testing::word(i, k) + " " + p + "the " + p +
                                    "program " + p + "shows " + p + "help " + p + "menu");
        const std::string prefix = tmp_.filePath("tok/s").toStdString();
        model::Tokenizer::train(words, 400, prefix);
        model::Tokenizer tok(prefix + ".model");
        torch::manual_seed(1);
        model::XlmrEncoder enc(model::presetConfig("xs", tok.vocabSize()));
        model::CheckpointMeta meta{enc->config(), tok.path(), tok.hash(), 0, "pretrain", {}};
        encoder_ =
            model::saveCheckpoint(tmp_.filePath("pretrained").toStdString(), *enc, nullptr, meta);
        // The teacher OPTICAL distils from, trained once.
        teacherDb_ = tmp_.filePath("teacher.db");
        auto teacher =
            runCli(synthData_, teacherDb_,
                   {"run", writeSpec("teacher", retrievalSpec("teacher", "teacher", 12))});
        QVERIFY2(!teacher.killed && teacher.exitCode == 0, qPrintable(teacher.output));
        // Small disks: a private mount namespace, as an unprivileged user or as root.
        for (const QStringList& prefix :
             {QStringList{"unshare", "--user", "--map-root-user", "--mount"},
              QStringList{"unshare", "--mount"}}) {
            QStringList probe = prefix;
            probe << "sh"
                  << "-c"
                  << "mount -t tmpfs -o size=4096 none \"$1\""
                  << "sh" << tmp_.path();
            if (QProcess::execute(probe.takeFirst(), probe) == 0) {
                namespaceCommand_ = prefix;
                break;
            }
        }
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

    void killedPretrainingResumesExactly_data() {
        QTest::addColumn<QString>("fault");
        QTest::newRow("checkpoint.write") << "checkpoint.write@2";
        QTest::newRow("checkpoint.publish") << "checkpoint.publish@2";
        QTest::newRow("store.commit") << "store.commit@6";
    }
    void killedPretrainingResumesExactly() {
        QFETCH(QString, fault);
        killAndResume(helpData_, {}, pretrainSpec(), fault);
    }

    // OPTICAL writes "best" at step 0 and at each evaluation that improves dev MAP, before that
    // step's checkpoint: the fourth write comes after step 4's checkpoint whatever dev does.
    void killedOpticalResumesExactly_data() {
        QTest::addColumn<QString>("fault");
        QTest::newRow("checkpoint.write") << "checkpoint.write@4";
        QTest::newRow("checkpoint.publish") << "checkpoint.publish@4";
        QTest::newRow("store.commit") << "store.commit@6";
    }
    void killedOpticalResumesExactly() {
        QFETCH(QString, fault);
        killAndResume(synthData_, teacherDb_, retrievalSpec("optical", "optical", 12), fault);
    }

    void killedNmtResumesExactly_data() { killedPretrainingResumesExactly_data(); }
    void killedNmtResumesExactly() {
        QFETCH(QString, fault);
        auto spec = testing::tinyNmtExperiment("nmt", 12);
        spec["nmt"]["checkpoint_every"] = 4;
        spec["nmt"]["log_every"] = 2;
        killAndResume(synthData_, {}, spec, fault);
    }
};

QTEST_GUILESS_MAIN(TestFaults)
#include "test_faults.moc"
