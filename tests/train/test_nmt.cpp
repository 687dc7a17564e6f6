// The NMT baseline on the synthetic corpus: training lifts dev chrF far above the untrained
// model, beam 1 equals greedy, test queries are translated, stored and retrieved, and bad input
// to `clirlab translate` (empty, overlong, unknown language, another checkpoint kind) is named.
#include <torch/nn/module.h>  // LibTorch before Qt

#include <QtTest>

#include <QDir>
#include <QTemporaryDir>
#include <nlohmann/json.hpp>

#include "core/jobs/experiment.h"
#include "core/config/experiment_spec.h"
#include "core/data/corpus_stats.h"
#include "core/jobs/job_factory.h"
#include "core/jobs/job_runner.h"
#include "core/model/checkpoint.h"
#include "core/model/nmt_model.h"
#include "core/model/retrieval_model.h"
#include "core/model/tokenizer.h"
#include "core/store/run_store.h"
#include "core/train/nmt_job.h"
#include "core/util/fs.h"
#include "tests/train/synthetic_corpus.h"

using namespace clir;

class TestNmt : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;

    jobs::RunOutcome runNmt(const std::string& name, int steps) {
        nlohmann::json j = testing::tinyNmtExperiment(name, steps);
        store::Database db(tmp_.filePath("nmt.db").toStdString());
        auto spec = jobs::parseExperiment(j.dump(), name + ".json");
        jobs::JobRunner runner(db);
        runner.resolveInputs(spec);
        auto job = jobs::makeJob(spec);
        return runner.execute(runner.enqueue(spec), spec, *job);
    }

    static double value(const jobs::RunOutcome& o, const std::string& lang, const std::string& set,
                        const std::string& measure) {
        for (const auto& r : o.result.results)
            if (r.language == lang && r.querySet == set && r.measure == measure) return r.value;
        return -1;
    }

    std::string checkpointOf(const jobs::RunOutcome& o) {
        for (const auto& [kind, path] : o.result.artifacts)
            if (kind == "nmt_checkpoint") return path;
        return "";
    }

  private slots:
    void initTestCase() {
        qputenv("CLIRLAB_DATA", tmp_.filePath("data").toUtf8());
        testing::writeSyntheticCorpus(data::defaultCorpusDir());
    }

    void trainingTranslates() {
        auto untrained = runNmt("untrained", 1);
        QVERIFY2(untrained.status == store::RunStatus::Finished, untrained.error.c_str());
        auto trained = runNmt("trained", 300);
        QVERIFY2(trained.status == store::RunStatus::Finished, trained.error.c_str());
        double before = value(untrained, "om", "translation", "chrf");
        double after = value(trained, "om", "translation", "chrf");
        QVERIFY2(after > before + 20 && after > 40,
                 (std::to_string(before) + " -> " + std::to_string(after)).c_str());
        const double bleuBefore = value(untrained, "om", "translation", "bleu");
        const double bleuAfter = value(trained, "om", "translation", "bleu");
        QVERIFY2(bleuAfter > bleuBefore + 10,
                 (std::to_string(bleuBefore) + " -> " + std::to_string(bleuAfter)).c_str());
        // Test queries were translated, stored and retrieved with BM25 for every language: the
        // translations make the Oromo-like queries findable in the English pages (not all of
        // them: a test page's topic words never occur in the training bitext).
        const double mapBefore = value(untrained, "om", "entries", "map");
        const double mapAfter = value(trained, "om", "entries", "map");
        QVERIFY2(mapAfter > mapBefore + 0.05,
                 (std::to_string(mapBefore) + " -> " + std::to_string(mapAfter)).c_str());
        QVERIFY(value(trained, "en-US", "entries", "map") > 0);
        int stored = 0;
        for (const auto& t : trained.result.translations) stored += t.language == "om";
        QCOMPARE(stored, 16);  // 8 test pages x 2 queries

        // Beam 1 is greedy; beam search never returns an empty list and respects the length guard.
        auto ckpt = checkpointOf(trained);
        auto meta = model::readCheckpointMeta(ckpt);
        model::Tokenizer tok(meta.tokenizerPath);
        model::NmtModel net(meta.encoder);
        model::loadCheckpoint(ckpt, *net, meta.encoder, "nmt", nullptr);
        net->eval();
        std::vector<std::vector<std::int64_t>> src = {
            tok.encode("__om__ xthe x" + testing::word(3, 0) + " xof xthe xdocument", 24),
            tok.encode("__om__ xthe", 24)};
        model::DecodeOptions greedy;
        greedy.maxLength = 24;
        auto g = model::translate(*net, src, greedy);
        auto one = greedy;
        one.beamSize = 1;
        QCOMPARE(model::translate(*net, src, one), g);
        auto beam = greedy;
        beam.beamSize = 4;
        beam.maxLength = 6;
        for (const auto& out : model::translate(*net, src, beam)) QVERIFY(out.size() <= 4);
        // The per-sentence guard: at most ratio * source tokens + slack, <s> and </s> included.
        for (int b : {1, 4}) {
            auto guarded = greedy;
            guarded.beamSize = b;
            guarded.lengthRatio = 0.5;
            guarded.lengthSlack = 2;
            auto out = model::translate(*net, src, guarded);
            for (std::size_t i = 0; i < src.size(); ++i)
                QVERIFY2(out[i].size() + 2 <= std::size_t(0.5 * double(src[i].size())) + 2,
                         std::to_string(out[i].size()).c_str());
        }
        // A batch translates each sentence as it would be alone (padding changes nothing).
        for (int b : {1, 4}) {
            auto o = greedy;
            o.beamSize = b;
            auto together = model::translate(*net, src, o);
            for (std::size_t i = 0; i < src.size(); ++i)
                QCOMPARE(model::translate(*net, {src[i]}, o).at(0), together[i]);
        }
        // Incremental decoding is the full-prefix computation: states to 1e-5, same outputs.
        {
            torch::NoGradGuard noGrad;
            auto batch = model::padBatch(src, meta.encoder.padId);
            auto memory = net->encode(batch.ids);
            auto srcPad = batch.ids.eq(meta.encoder.padId);
            auto prefix = at::tensor(std::vector<std::int64_t>{0, 5, 9, 7, 0, 11, 6, 2}, at::kLong)
                              .reshape({2, 4});
            auto full = net->decodeStates(prefix, memory, srcPad);
            model::NmtModelImpl::DecoderCache cache;
            for (std::int64_t t = 0; t < 4; ++t) {
                auto step = net->decodeStep(prefix.select(1, t), t, memory, srcPad, cache);
                QVERIFY2(at::allclose(step, full.select(1, t), 1e-5, 1e-5),
                         ("position " + std::to_string(t)).c_str());
            }
        }
        for (int b : {1, 4}) {
            auto o = greedy;
            o.beamSize = b;
            auto slow = o;
            slow.incremental = false;
            QCOMPARE(model::translate(*net, src, o), model::translate(*net, src, slow));
        }
        // The run's translations were cached per model and decoding setting, keyed by language.
        auto cacheDir = QDir(tmp_.filePath("data/translations"));
        auto cached = cacheDir.entryList({"*.json"}, QDir::Files);
        QVERIFY(!cached.isEmpty());
        bool found = false;
        for (const auto& f : cached) {
            auto j = nlohmann::json::parse(fs::readFile(cacheDir.filePath(f).toStdString()));
            found = found || (j.contains("om") && j.at("om").size() >= 16);
        }
        QVERIFY(found);
        QCOMPARE(
            train::translateText(ckpt, "om", "xthe xdocument", 1),
            tok.decode(model::translate(*net, {tok.encode("__om__ xthe xdocument", 24)}, one)[0]));
    }

    // Early stopping on dev chrF: with the learning rate at 0 the model never changes, so the
    // first check is the best and training stops after `patience` checks without a new best;
    // the model is the best checkpoint, the curve is stored. A trained model's curve rises.
    void earlyStoppingOnDevChrf() {
        auto j = testing::tinyNmtExperiment("frozen", 40);
        j["nmt"]["learning_rate"] = 0.0;
        j["nmt"]["eval_every"] = 4;
        j["nmt"]["patience"] = 2;
        j["nmt"]["eval_sentences"] = 12;
        store::Database db(tmp_.filePath("nmt.db").toStdString());
        auto spec = jobs::parseExperiment(j.dump(), "frozen.json");
        jobs::JobRunner runner(db);
        runner.resolveInputs(spec);
        auto job = jobs::makeJob(spec);
        auto o = runner.execute(runner.enqueue(spec), spec, *job);
        QVERIFY2(o.status == store::RunStatus::Finished, o.error.c_str());
        store::RunStore runs(db);
        auto loss = runs.metrics(o.runId, "loss");
        QCOMPARE(loss.back().step, std::int64_t(12));  // checks at 4 (best), 8, 12: stop
        std::vector<std::int64_t> steps;
        std::vector<double> values;
        for (const auto& m : runs.metrics(o.runId, "dev_chrf")) {
            steps.push_back(m.step);
            values.push_back(m.value);
        }
        QCOMPARE(steps, (std::vector<std::int64_t>{4, 8, 12}));
        QCOMPARE(values[1], values[0]);
        QCOMPARE(int(runs.metrics(o.runId, "dev_chrf/om").size()), 3);
        const std::string checkpoint = checkpointOf(o);
        QVERIFY2(checkpoint.size() > 5 && checkpoint.substr(checkpoint.size() - 5) == "/best",
                 checkpoint.c_str());
        QCOMPARE(model::readCheckpointMeta(checkpoint).step, std::int64_t(4));
        // Without eval_every nothing changes: no curve, the last checkpoint.
        QVERIFY(!spec.config.at("nmt").contains("eval_every") ||
                spec.config.at("nmt").at("eval_every") == 4);
        auto plain = jobs::parseExperiment(testing::tinyNmtExperiment("plain", 3).dump(), "p.json");
        QVERIFY(!plain.config.at("nmt").contains("eval_every"));
    }

    void badInputIsNamed() {
        auto o = runNmt("small", 2);
        QVERIFY2(o.status == store::RunStatus::Finished, o.error.c_str());
        auto ckpt = checkpointOf(o);
        auto expectError = [&](const std::function<void()>& f, const std::string& needle) {
            try {
                f();
                QFAIL(("no error; expected " + needle).c_str());
            } catch (const std::runtime_error& e) {
                QVERIFY2(std::string(e.what()).find(needle) != std::string::npos, e.what());
            }
        };
        expectError([&] { train::translateText(ckpt, "om", "  \t "); }, "empty");
        expectError([&] { train::translateText(ckpt, "km", "hello"); },
                    "unknown language tag 'km'");
        std::string longText;
        for (int i = 0; i < 60; ++i) longText += "xthe ";
        expectError([&] { train::translateText(ckpt, "om", longText); }, "reads at most 24");
        // A retrieval checkpoint is not a translation model.
        model::Tokenizer tok(model::readCheckpointMeta(ckpt).tokenizerPath);
        model::XlmrEncoder enc(model::presetConfig("xs", tok.vocabSize()));
        auto encoderCkpt =
            model::saveCheckpoint(tmp_.filePath("enc").toStdString(), *enc, nullptr,
                                  {enc->config(), tok.path(), tok.hash(), 0, "", {}});
        expectError([&] { train::translateText(encoderCkpt, "om", "xthe"); },
                    "kind 'encoder', not a translation model");
        // The schema names bad settings.
        try {
            jobs::parseExperiment(R"({"name":"n","method":"nmt","nmt":{"hidden":66,"heads":4}})",
                                  "n.json");
            QFAIL("accepted heads that do not divide hidden");
        } catch (const config::ConfigError& e) {
            QVERIFY2(std::string(e.what()).find("nmt.heads") != std::string::npos, e.what());
        }
        try {
            jobs::parseExperiment(R"({"name":"n","method":"nmt","nmt":{"retriever":"teacher"}})",
                                  "n.json");
            QFAIL("accepted the teacher retriever without a teacher");
        } catch (const config::ConfigError& e) {
            QVERIFY2(std::string(e.what()).find("init.from") != std::string::npos, e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestNmt)
#include "test_nmt.moc"
