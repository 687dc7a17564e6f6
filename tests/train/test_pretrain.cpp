// MLM pretraining on the fixture corpus: a run stopped after its step-3 checkpoint and resumed
// in a new job object gives exactly the losses of an uninterrupted run; the resource profile's
// sampling; a checkpoint from another configuration is refused.
#include <torch/nn/module.h>  // LibTorch before Qt

#include <QtTest>

#include <QTemporaryDir>
#include <map>

#include "core/jobs/experiment.h"
#include "core/config/experiment_spec.h"
#include "core/data/corpus_builder.h"
#include "core/data/corpus_stats.h"
#include "core/model/tokenizer.h"
#include "core/train/pretrain_job.h"
#include "core/train/resource_profile.h"
#include "tests/core/help_fixture.h"

using namespace clir;

class TestPretrain : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    std::string tokenizer_;

    config::ExperimentSpec spec(int steps) {
        nlohmann::json j = {{"name", "tiny"},
                            {"method", "pretrain"},
                            {"seed", 5},
                            {"corpus",
                             {{"languages", {"en-US", "om"}},
                              {"split", {{"train", 0.5}, {"dev", 0.5}, {"test", 0.0}}}}},
                            {"model", {{"preset", "xs"}, {"threads", 1}, {"device", "cpu"}}},
                            {"tokenizer", {{"model", tokenizer_}}},
                            {"pretrain",
                             {{"steps", steps},
                              {"batch_size", 4},
                              {"max_length", 32},
                              {"warmup_steps", 2},
                              {"checkpoint_every", 3},
                              {"log_every", 1},
                              {"resource_profile", {{"en-US", 3.0}, {"om", 1.0}}}}}};
        return jobs::parseExperiment(j.dump(), "tiny.json");
    }

    std::map<std::int64_t, double> run(const config::ExperimentSpec& s, const std::string& out,
                                       int stopAfter = 0, jobs::JobResult* result = nullptr) {
        std::map<std::int64_t, double> losses;
        std::atomic<bool> cancel{false};
        jobs::JobContext ctx;
        ctx.outputDir = out;
        ctx.cancel = &cancel;
        ctx.metric = [&](const std::string& name, std::int64_t step, double value) {
            if (name != "loss") return;
            losses[step] = value;
            if (stopAfter && step == stopAfter) cancel = true;
        };
        train::PretrainJob job(s);
        if (stopAfter) {
            bool cancelled = false;
            try {
                job.run(ctx);
            } catch (const jobs::Cancelled&) {
                cancelled = true;
            }
            if (!cancelled) losses.clear();  // the caller's size check then fails
        } else {
            auto r = job.run(ctx);
            if (result) *result = r;
        }
        return losses;
    }

  private slots:
    void initTestCase() {
        qputenv("CLIRLAB_DATA", tmp_.filePath("data").toUtf8());
        std::string help = tmp_.filePath("help").toStdString();
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

    void samplingFollowsTheProfile() {
        auto p = train::samplingProbabilities({"en-US", "om", "dz"}, train::cc100Sizes(), 0.3);
        QCOMPARE(p.at("dz"), 0.0);
        // q_en = 300.8/300.9, q_om = 0.1/300.9; p ~ q^0.3, normalised.
        double en = std::pow(300.8 / 300.9, 0.3), om = std::pow(0.1 / 300.9, 0.3);
        QVERIFY(std::fabs(p.at("en-US") - en / (en + om)) < 1e-12);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                                 train::samplingProbabilities({"dz"}, train::cc100Sizes(), 0.3));
    }

    // The tokenizer sees every corpus language: dz (weight 0) gets the floor, the rest shrink
    // in proportion. By hand: en 0.8, om 0.2, dz 0 with floor 0.05 -> 0.8, 0.2, 0.05 over 1.05.
    void tokenizerSharesHaveAFloor() {
        auto s = train::tokenizerShares({{"en-US", 0.8}, {"om", 0.2}, {"dz", 0.0}}, 0.05);
        QVERIFY(std::fabs(s.at("dz") - 0.05 / 1.05) < 1e-12);
        QVERIFY(std::fabs(s.at("en-US") - 0.8 / 1.05) < 1e-12);
        QVERIFY(std::fabs(s.at("om") - 0.2 / 1.05) < 1e-12);
        auto none = train::tokenizerShares({{"en-US", 0.8}, {"dz", 0.0}}, 0.0);
        QCOMPARE(none.at("dz"), 0.0);
    }

    // A case-folding tokenizer gives a word the same pieces in any case; one without does not.
    void caseFolding() {
        std::vector<std::string> text;
        for (int i = 0; i < 200; ++i)
            text.push_back("Insert the Table into the document " + std::to_string(i % 7) +
                           " and format Cells with Styles");
        for (bool fold : {true, false}) {
            const std::string prefix =
                tmp_.filePath(fold ? "fold/t" : "keep/t").toStdString();
            model::Tokenizer::train(text, 400, prefix, 1, fold);
            model::Tokenizer tok(prefix + ".model");
            const bool same = tok.encode("INSERT TABLE", 64) == tok.encode("insert table", 64);
            QCOMPARE(same, fold);
        }
    }

    void resumeIsBitForBit() {
        jobs::JobResult result;
        auto full = run(spec(6), tmp_.filePath("A").toStdString(), 0, &result);
        QCOMPARE(int(full.size()), 6);
        for (const auto& [step, loss] : full) QVERIFY(std::isfinite(loss) && loss > 0);
        std::string out = tmp_.filePath("B").toStdString();
        auto first = run(spec(6), out, 3);
        QCOMPARE(int(first.size()), 3);
        auto rest = run(spec(6), out);
        QCOMPARE(int(rest.size()), 3);
        QCOMPARE(rest.begin()->first, std::int64_t(4));
        for (std::int64_t s = 1; s <= 3; ++s) QCOMPARE(first.at(s), full.at(s));
        for (std::int64_t s = 4; s <= 6; ++s) QCOMPARE(rest.at(s), full.at(s));
        // Held-out MLM accuracy is reported per language.
        int accuracies = 0;
        for (const auto& r : result.results) accuracies += r.measure == "accuracy";
        QVERIFY(accuracies >= 1);
    }

    void checkpointOfAnotherConfigurationIsRefused() {
        std::string out = tmp_.filePath("C").toStdString();
        run(spec(6), out, 3);
        try {
            run(spec(7), out);
            QFAIL("resumed another configuration");
        } catch (const std::runtime_error& e) {
            QVERIFY2(
                std::string(e.what()).find("written by another configuration") != std::string::npos,
                e.what());
        }
    }
};

QTEST_APPLESS_MAIN(TestPretrain)
#include "test_pretrain.moc"
