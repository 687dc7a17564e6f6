// The fixture the retrieval tests share: a synthetic corpus (English and Oromo-like pages with
// parallel queries and bitext) in a temporary data folder, a tokenizer for its words, a
// "pretrained" xs encoder, a run database, and experiments queued and run as `clirlab run` does.
#pragma once

#include <torch/nn/module.h>  // LibTorch before Qt

#include <QtTest>

#include <QTemporaryDir>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>

#include "core/jobs/experiment.h"
#include "core/config/experiment_spec.h"
#include "core/data/corpus_import.h"
#include "core/data/corpus_reader.h"
#include "core/data/corpus_stats.h"
#include "core/eval/comparison.h"
#include "core/jobs/job_factory.h"
#include "core/jobs/job_runner.h"
#include "core/data/corpus_settings.h"
#include "core/train/retrieval_batches.h"
#include "core/train/retrieval_ranking.h"
#include "core/jobs/job_environment.h"
#include "core/model/checkpoint.h"
#include "core/model/retrieval_model.h"
#include "core/model/tokenizer.h"
#include "core/retrieval/neural_search.h"
#include "core/store/run_store.h"
#include "core/train/live_alignment.h"
#include "core/util/fs.h"
#include "tests/train/synthetic_corpus.h"

namespace clir::testing {

class RetrievalFixture : public QObject {
  protected:
    QTemporaryDir tmp_;
    std::string encoderCheckpoint_, dbPath_;

    nlohmann::json experiment(const std::string& name, const std::string& method,
                              const std::string& from, int steps) {
        nlohmann::json j = {{"name", name},
                            {"method", method},
                            {"seed", 3},
                            {"corpus", {{"languages", {"en-US", "om"}}}},
                            {"model", {{"preset", "xs"}, {"threads", 1}, {"device", "cpu"}}},
                            {"init", {{"from", from}}},
                            {"retrieval", {{"query_max_length", 16}, {"document_max_length", 32}}},
                            {"evaluation", {{"query_sets", {"entries"}}}}};
        if (method != "zero-shot")
            j["train"] = {{"steps", steps},    {"batch_size", 8},   {"learning_rate", 3e-3},
                          {"warmup_steps", 2}, {"eval_every", 10},  {"log_every", 5},
                          {"dev_queries", 50}, {"temperature", 0.1}};
        if (method == "optical" || method == "optical+hybrid")
            j["ot"] = {{"epsilon", 0.1}, {"alignment_pairs", 2}, {"align_every", 5}};
        return j;
    }

    // Queues and runs an experiment through the runner, as `clirlab run` does.
    jobs::RunOutcome runExperiment(const nlohmann::json& j) {
        store::Database db(dbPath_);
        auto spec = jobs::parseExperiment(j.dump(), j.at("name").get<std::string>() + ".json");
        jobs::JobRunner runner(db);
        runner.resolveInputs(spec);
        auto job = jobs::makeJob(spec);
        auto id = runner.enqueue(spec);
        return runner.execute(id, spec, *job);
    }

    double map(const jobs::RunOutcome& o, const std::string& lang) {
        for (const auto& r : o.result.results)
            if (r.language == lang && r.measure == "map" && r.querySet == "entries") return r.value;
        return -1;
    }

    // The synthetic corpus under a fresh CLIRLAB_DATA, a tokenizer for its words (tok/t.model)
    // and a "pretrained" xs encoder checkpoint (encoderCheckpoint_).
    void setUpCorpusAndEncoder() {
        qputenv("CLIRLAB_DATA", tmp_.filePath("data").toUtf8());
        writeSyntheticCorpus(data::defaultCorpusDir());
        dbPath_ = tmp_.filePath("runs.db").toStdString();
        // A "pretrained" encoder: the xs shape with a tokenizer for the synthetic words.
        std::vector<std::string> text;
        for (int i = 0; i < 40; ++i)
            for (const char* p : {"", "x"})
                for (int k = 0; k < 3; ++k)
                    text.push_back(std::string(p) + word(i, k) + " " + p + "the " + p + "program " +
                                   p + "shows " + p + "how " + p + "do " + p + "i " + p + "use " +
                                   p + "here " + p + "help " + p + "dialog " + p + "menu");
        std::string prefix = tmp_.filePath("tok/t").toStdString();
        model::Tokenizer::train(text, 400, prefix);
        model::Tokenizer tok(prefix + ".model");
        torch::manual_seed(1);
        model::XlmrEncoder enc(model::presetConfig("xs", tok.vocabSize()));
        model::CheckpointMeta meta{enc->config(), tok.path(), tok.hash(), 0, "pretrain", {}};
        encoderCheckpoint_ =
            model::saveCheckpoint(tmp_.filePath("pretrained").toStdString(), *enc, nullptr, meta);
    }
};

}  // namespace clir::testing
