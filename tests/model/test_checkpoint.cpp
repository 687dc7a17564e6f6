// Tokenizer and checkpoints in a LibTorch process (the SentencePiece/protobuf clash would crash
// this test at start-up): training and encoding, save/load round trips, bad checkpoints, and
// the safetensors import with Hugging Face names.
#include <torch/nn/module.h>  // LibTorch before Qt

#include <QtTest>

#include <QTemporaryDir>
#include <fstream>
#include <torch/optim/adamw.h>

#include "core/model/checkpoint.h"
#include "core/model/tokenizer.h"
#include "core/model/xlmr_encoder.h"
#include "core/util/fs.h"

using namespace clir::model;

namespace {

std::vector<std::string> sentences() {
    std::vector<std::string> out;
    const char* words[] = {"insert",  "table",    "rows",   "columns", "format",  "cells",  "chart",
                           "Tabelle", "einfügen", "Zeilen", "Spalten", "tableau", "insérer"};
    for (int i = 0; i < 400; ++i)
        out.push_back(std::string(words[i % 13]) + " " + words[(i * 7) % 13] + " " +
                      words[(i * 5 + 3) % 13]);
    return out;
}

// A little-endian safetensors file from named float tensors (F16 for the first to test dtypes).
void writeSafetensors(const std::string& path,
                      const std::vector<std::pair<std::string, at::Tensor>>& tensors) {
    nlohmann::json header = {{"__metadata__", {{"format", "pt"}}}};
    std::string data;
    bool first = true;
    for (const auto& [name, t] : tensors) {
        auto c = (first ? t.to(at::kHalf) : t.to(at::kFloat)).contiguous();
        std::size_t bytes = std::size_t(c.numel()) * c.element_size();
        header[name] = {{"dtype", first ? "F16" : "F32"},
                        {"shape", c.sizes().vec()},
                        {"data_offsets", {data.size(), data.size() + bytes}}};
        data.append(static_cast<const char*>(c.data_ptr()), bytes);
        first = false;
    }
    std::string h = header.dump();
    std::ofstream out(path, std::ios::binary);
    std::uint64_t n = h.size();
    for (int i = 0; i < 8; ++i) out.put(char((n >> (8 * i)) & 0xff));
    out << h << data;
}

}  // namespace

class TestCheckpoint : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    std::string tokPath_;

  private slots:
    void initTestCase() {
        Tokenizer::train(sentences(), 400, tmp_.filePath("tok/tok").toStdString());
        tokPath_ = tmp_.filePath("tok/tok.model").toStdString();
    }

    void tokenizerSpecialsAndRoundTrip() {
        Tokenizer tok(tokPath_);
        QCOMPARE(tok.maskId(), std::int64_t(4));
        QVERIFY(tok.vocabSize() > 256 && tok.vocabSize() <= 400);  // 256 byte-fallback pieces
        auto ids = tok.encode("insert table rows");
        QCOMPARE(ids.front(), Tokenizer::kBos);
        QCOMPARE(ids.back(), Tokenizer::kEos);
        QCOMPARE(tok.decode(ids), std::string("insert table rows"));
        QCOMPARE(int(tok.encode("insert table rows columns format", 4).size()), 4);
        // Byte fallback: an unseen script still encodes without <unk>.
        auto km = tok.encode("ភាសាខ្មែរ");
        QVERIFY(std::count(km.begin(), km.end(), Tokenizer::kUnk) == 0);
        QCOMPARE(tok.hash().size(), std::size_t(64));
    }

    void tokenizerBadFiles() {
        QVERIFY_THROWS_EXCEPTION(std::runtime_error,
                                 Tokenizer(tmp_.filePath("none.model").toStdString()));
        std::string junk = tmp_.filePath("junk.model").toStdString();
        clir::fs::writeFileAtomic(junk, "not a model");
        try {
            Tokenizer t(junk);
            QFAIL("loaded junk");
        } catch (const std::runtime_error& e) {
            QVERIFY2(std::string(e.what()).find("not a SentencePiece model") != std::string::npos,
                     e.what());
        }
    }

    void saveLoadRoundTripWithOptimizer() {
        Tokenizer tok(tokPath_);
        auto c = presetConfig("xs", tok.vocabSize());
        XlmrEncoder a(c), b(c);
        torch::optim::AdamW opt(a->parameters());
        std::string dir = tmp_.filePath("ckpt").toStdString();
        auto path = saveCheckpoint(dir, *a, &opt, {c, tokPath_, tok.hash(), 7, "cfg", {{"x", 1}}});
        QCOMPARE(*latestCheckpoint(dir), path);
        auto meta = loadCheckpoint(path, *b, nullptr, {"xs", tok.hash()});
        QCOMPARE(meta.step, std::int64_t(7));
        QCOMPARE(meta.training["x"].get<int>(), 1);
        auto pa = a->named_parameters(), pb = b->named_parameters();
        for (const auto& p : pa) QVERIFY(torch::equal(p.value(), pb[p.key()]));
    }

    void onlyTheLatestStepIsKept() {
        // Each new latest step checkpoint replaces the previous one; named ones stay.
        auto c = presetConfig("xs", 300);
        XlmrEncoder net(c);
        Tokenizer tok(tokPath_);
        const std::string dir = tmp_.filePath("keep").toStdString();
        CheckpointMeta meta{c, tokPath_, tok.hash(), 1, "cfg", {}};
        auto first = saveCheckpoint(dir, *net, nullptr, meta);
        meta.step = 2;
        auto best = saveCheckpoint(dir, *net, nullptr, meta, "best", false);
        QVERIFY(QFileInfo::exists(QString::fromStdString(first)));  // not replaced as latest yet
        meta.step = 3;
        auto third = saveCheckpoint(dir, *net, nullptr, meta);
        QVERIFY(!QFileInfo::exists(QString::fromStdString(first)));
        QVERIFY(QFileInfo::exists(QString::fromStdString(best + "/checkpoint.json")));
        QCOMPARE(latestCheckpoint(dir).value_or(""), third);
        auto again = saveCheckpoint(dir, *net, nullptr, meta);  // the same step rewritten
        QCOMPARE(again, third);
        QVERIFY(QFileInfo::exists(QString::fromStdString(third + "/checkpoint.json")));
    }

    void badCheckpointsAreNamed() {
        Tokenizer tok(tokPath_);
        auto c = presetConfig("xs", tok.vocabSize());
        XlmrEncoder net(c);
        std::string dir = tmp_.filePath("bad").toStdString();
        auto path = saveCheckpoint(dir, *net, nullptr, {c, tokPath_, tok.hash(), 1, "cfg", {}});
        auto expectError = [&](const std::function<void()>& f, const std::string& part) {
            try {
                f();
                QFAIL("accepted a bad checkpoint");
            } catch (const std::runtime_error& e) {
                QVERIFY2(std::string(e.what()).find(part) != std::string::npos, e.what());
            }
        };
        expectError(
            [&] {
                loadCheckpoint(path, *net, nullptr, {"s", ""});
            },
            "preset 'xs' does not match the requested 's'");
        expectError(
            [&] {
                loadCheckpoint(path, *net, nullptr, {"", std::string(64, 'f')});
            },
            "trained with another tokenizer");
        XlmrEncoder other(presetConfig("s", tok.vocabSize()));
        expectError([&] { loadCheckpoint(path, *other, nullptr); }, "does not match");
        std::filesystem::resize_file(path + "/model.pt",
                                     std::filesystem::file_size(path + "/model.pt") / 2);
        expectError([&] { loadCheckpoint(path, *net, nullptr); }, "model.pt: truncated or altered");
        expectError([&] { readCheckpointMeta(tmp_.filePath("nowhere").toStdString()); },
                    "not a clirlab checkpoint");
    }

    void safetensorsImportWithHuggingFaceNames() {
        torch::manual_seed(5);
        auto c = presetConfig("xs", 90);
        XlmrEncoder source(c), target(c);
        std::vector<std::pair<std::string, at::Tensor>> tensors;
        for (const auto& p : source->named_parameters())
            tensors.push_back({"roberta." + p.key(), p.value().detach()});
        tensors.push_back(
            {"lm_head.decoder.weight", source->embeddings->word_embeddings->weight.detach()});
        std::string path = tmp_.filePath("model.safetensors").toStdString();
        writeSafetensors(path, tensors);
        auto report = importSafetensors(path, *target);
        QVERIFY(report.missing.empty());
        QCOMPARE(report.skipped, (std::vector<std::string>{"lm_head.decoder.weight"}));
        for (const auto& p : source->named_parameters()) {
            // The first tensor went through float16.
            double tol = p.key() == tensors.front().first.substr(8) ? 1e-3 : 0.0;
            QVERIFY2(torch::allclose(p.value(), target->named_parameters()[p.key()], 0, tol),
                     p.key().c_str());
        }
        // A wrong shape and an unknown tensor are named.
        writeSafetensors(path, {{"embeddings.word_embeddings.weight", torch::zeros({10, 96})}});
        try {
            importSafetensors(path, *target);
            QFAIL("accepted a wrong shape");
        } catch (const std::runtime_error& e) {
            QVERIFY2(std::string(e.what()).find("has shape [10,96], the model expects [90,96]") !=
                         std::string::npos,
                     e.what());
        }
        writeSafetensors(path, {{"classifier.weight", torch::zeros({2, 2})}});
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, importSafetensors(path, *target));
        clir::fs::writeFileAtomic(path, "abc");
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, importSafetensors(path, *target));
    }
};

QTEST_APPLESS_MAIN(TestCheckpoint)
#include "test_checkpoint.moc"
