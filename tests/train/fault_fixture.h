// What the fault tests share (issue 16): the help-fixture corpus (pretraining), the synthetic
// corpus with a pretrained encoder and a finished teacher (retrieval, NMT), `clirlab` run as a
// child process (with CLIRLAB_FAULT armed, or on a small private tmpfs that fills up), and
// readers of what a run stored.
#pragma once

#include <torch/nn/module.h>  // LibTorch before Qt

#include <QDir>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "core/data/corpus_builder.h"
#include "core/data/corpus_stats.h"
#include "core/model/checkpoint.h"
#include "core/model/tokenizer.h"
#include "core/model/xlmr_encoder.h"
#include "core/store/database.h"
#include "core/store/run_store.h"
#include "core/util/fs.h"
#include "tests/core/help_fixture.h"
#include "tests/train/synthetic_corpus.h"

namespace clir::testing {

struct CliResult {
    bool killed = false;  // ended by a signal (the injected SIGKILL)
    int exitCode = 0;
    QString output;
};

class FaultFixture {
  protected:
    QTemporaryDir tmp_;
    QString helpData_, synthData_;  // CLIRLAB_DATA of the two corpora
    std::string tokenizer_, encoder_;
    QString teacherDb_;
    QStringList namespaceCommand_;  // how this machine makes a private mount; empty: it cannot

    QString cli() { return qEnvironmentVariable("CLIRLAB_BIN_DIR") + "/clirlab"; }

    // Starts `program`, waits up to 10 minutes, and says how it ended.
    static CliResult finish(QProcess& p, const QString& program, const QStringList& args) {
        p.start(program, args);
        if (!p.waitForFinished(600000)) {
            p.kill();
            p.waitForFinished();
            return {false, -1, "timed out"};
        }
        return {p.exitStatus() == QProcess::CrashExit, p.exitCode(),
                QString::fromUtf8(p.readAll())};
    }

    // Runs the CLI on `db`; `fault` arms CLIRLAB_FAULT.
    CliResult runCli(const QString& data, const QString& db, const QStringList& args,
                     const QString& fault = {}) {
        QProcess p;
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert("CLIRLAB_DATA", data);
        env.insert("CLIRLAB_DB", db);
        env.remove("CLIRLAB_FAULT");
        if (!fault.isEmpty()) env.insert("CLIRLAB_FAULT", fault);
        p.setProcessEnvironment(env);
        p.setProcessChannelMode(QProcess::MergedChannels);
        return finish(p, cli(), args);
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
        const QString program = command.takeFirst();
        return finish(p, program, command);
    }

    // The run's status and stored error, read from `db`.
    static std::pair<store::RunStatus, std::string> outcome(const QString& db,
                                                            const std::string& name) {
        store::Database d(db.toStdString());
        for (const auto& r : store::RunStore(d).runs())
            if (r.name == name) return {r.status, r.error};
        return {store::RunStatus::Queued, "no run named " + name};
    }

    // The help fixture built as a corpus (passages, for pretraining) and its tokenizer.
    void buildHelpCorpus() {
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
    }

    // The synthetic corpus and a "pretrained" xs encoder for retrieval and NMT (its dropout:
    // the preset's, or `dropout` when >= 0).
    void buildSyntheticCorpus(double dropout = -1) {
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
        auto config = model::presetConfig("xs", tok.vocabSize());
        if (dropout >= 0) config.dropout = dropout;
        model::XlmrEncoder enc(config);
        model::CheckpointMeta meta{enc->config(), tok.path(), tok.hash(), 0, "pretrain", {}};
        encoder_ =
            model::saveCheckpoint(tmp_.filePath("pretrained").toStdString(), *enc, nullptr, meta);
    }

    // Builds both corpora, the encoder and the teacher; returns an error, empty when ready.
    QString setUp() {
        buildHelpCorpus();
        buildSyntheticCorpus();
        // The teacher OPTICAL distils from, trained once.
        teacherDb_ = tmp_.filePath("teacher.db");
        auto teacher =
            runCli(synthData_, teacherDb_,
                   {"run", writeSpec("teacher", retrievalSpec("teacher", "teacher", 12))});
        if (teacher.killed || teacher.exitCode != 0) return teacher.output;
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
        return {};
    }
};

}  // namespace clir::testing
