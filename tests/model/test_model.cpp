// The encoder: preset sizes against the published XLM-R counts, the analytic count against the
// built module, padding invariance, and the retrieval heads against brute-force definitions.
#include <torch/nn/module.h>  // LibTorch before Qt: Qt's `slots` macro breaks its headers

#include <QtTest>

#include "core/model/char_ngrams.h"
#include "core/model/encoder_config.h"
#include "core/model/heads.h"
#include "core/model/retrieval_model.h"
#include "core/model/threads.h"
#include "core/model/tokenizer.h"
#include "core/model/xlmr_encoder.h"

using namespace clir::model;

class TestModel : public QObject {
    Q_OBJECT
  private slots:
    // The alignment inspector's labels for a script the vocabulary lacks (Japanese, issue 17).
    void byteFallbackPiecesReadAsTheirCharacters() {
        using clir::model::Tokenizer;
        const std::vector<std::string> pieces = {"▁Hi",    "<0xE6>", "<0x97>", "<0xA5>",
                                                 "<0xE6>", "<0x9C>", "<0xAC>", "<0x41>",
                                                 "<0xE6>", "x",      "<0xFF>", "<0xC3>"};
        const std::vector<std::string> want = {"▁Hi", "日₁", "日₂",    "日₃", "本₁",    "本₂",
                                               "本₃", "A",   "<0xE6>", "x",   "<0xFF>", "<0xC3>"};
        QCOMPARE(Tokenizer::readable(pieces), want);
        QCOMPARE(Tokenizer::readable({}), std::vector<std::string>());
    }

    // at::parallel_for in the engine's code runs on every intra-op thread (it silently ran on one
    // while clir_model was built without OpenMP).
    void parallelForIsParallel() {
        at::set_num_threads(2);
        QCOMPARE(clir::model::parallelForThreads(), 2);
    }

    void publishedSizes() {
        // Hugging Face parameter counts of XLMRobertaModel: xlm-roberta-base 278,043,648 and
        // xlm-roberta-large 559,890,432; XLM-R XL is reported as 3.5B (Goyal et al. 2021).
        QCOMPARE(countParameters(presetConfig("xlmr-base")).encoder(), std::int64_t(278043648));
        QCOMPARE(countParameters(presetConfig("xlmr-large")).encoder(), std::int64_t(559890432));
        double xl = double(countParameters(presetConfig("xlmr-xl")).encoder());
        QVERIFY(std::fabs(xl - 3.5e9) / 3.5e9 < 0.01);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, presetConfig("huge"));
    }

    void analyticCountEqualsModule_data() {
        QTest::addColumn<QString>("preset");
        QTest::newRow("xs") << "xs";
        QTest::newRow("s") << "s";
        QTest::newRow("static") << "static";
        QTest::newRow("lex-s") << "lex-s";
    }
    void analyticCountEqualsModule() {
        QFETCH(QString, preset);
        auto c = presetConfig(preset.toStdString(), 1000);
        XlmrEncoder net(c);
        QCOMPARE(net->parameterCount(), countParameters(c).withMlmHead());
    }

    void charNgramWordsAndBuckets() {
        // Vocabulary: specials, then "▁Haus", "es", "▁über", "▁x".
        const std::string mark = "\xE2\x96\x81";
        std::vector<std::string> pieces = {"<s>",
                                           "<pad>",
                                           "</s>",
                                           "<unk>",
                                           mark + "Haus",
                                           "es",
                                           mark +
                                               "\xC3\xBC"
                                               "ber",
                                           mark + "x",
                                           "<mask>"};
        CharNgrams g(pieces, 1000);
        std::vector<std::int64_t> ids = {0, 4, 5, 6, 7, 5, 2, 1};
        auto words = g.words(ids.data(), std::int64_t(ids.size()));
        const std::vector<std::string> expected = {"",
                                                   "hauses",
                                                   "hauses",
                                                   "\xC3\xBC"
                                                   "ber",
                                                   "xes",
                                                   "xes",
                                                   "",
                                                   ""};
        QCOMPARE(words, expected);
        // "<über>" has 6 code points: 4 trigrams, 3 four-grams, 2 five-grams, over characters.
        auto b = g.wordBuckets(
            "\xC3\xBC"
            "ber");
        QCOMPARE(int(b.size()), 9);
        QCOMPARE(b[0], std::int64_t(CharNgrams::hash("<\xC3\xBC"
                                                     "b") %
                                    1000));
        QCOMPARE(b[1], std::int64_t(CharNgrams::hash("<\xC3\xBC"
                                                     "be") %
                                    1000));
        QCOMPARE(int(g.wordBuckets("x").size()), 1);  // "<x>"
        QVERIFY(g.wordBuckets("").empty());
    }

    void charNgramBagEqualsBruteForce() {
        const std::string mark = "\xE2\x96\x81";
        std::vector<std::string> pieces = {"<s>", "<pad>", "</s>", "<unk>"};
        for (const char* p : {"hund", "e", "katz", "n", "haus", "er"})
            pieces.push_back(std::string(p).size() > 2 ? mark + p : std::string(p));
        while (pieces.size() < 300) pieces.push_back(mark + "w" + std::to_string(pieces.size()));
        auto c = presetConfig("static", std::int64_t(pieces.size()));
        c.charNgramBuckets = 4096;
        torch::manual_seed(5);
        XlmrEncoder net(c);
        net->setPieces(pieces);
        net->eval();
        torch::NoGradGuard noGrad;
        auto ids = torch::tensor({{0, 4, 5, 6, 7, 2}, {0, 8, 9, 4, 2, 1}}, torch::kLong);
        auto bags = net->embeddings->ngramBags(ids);
        auto table = net->embeddings->char_ngrams->weight;
        CharNgrams g(pieces, c.charNgramBuckets);
        const char* word[2][6] = {{"", "hunde", "hunde", "katzn", "katzn", ""},
                                  {"", "hauser", "hauser", "hund", "", ""}};
        for (int r = 0; r < 2; ++r)
            for (int t = 0; t < 6; ++t) {
                // Brute force: every n-gram of "<word>" (ASCII here), n = 3..5, hashed and summed.
                const std::string w = word[r][t], m = "<" + w + ">";
                auto sum = torch::zeros({c.hidden});
                int n = 0;
                if (!w.empty())
                    for (std::size_t i = 0; i < m.size(); ++i)
                        for (std::size_t len = 3; len <= 5 && i + len <= m.size(); ++len, ++n)
                            sum += table[std::int64_t(CharNgrams::hash(m.substr(i, len)) %
                                                      std::uint64_t(c.charNgramBuckets))];
                auto want = n ? sum / double(n) : sum;
                QVERIFY2(torch::allclose(bags[r][t], want, 1e-6, 1e-6),
                         qPrintable(QString("row %1 token %2 (%3)").arg(r).arg(t).arg(w.c_str())));
            }
        // The static model's token vector is the piece embedding plus that bag.
        auto h = net->forward(ids, ids.ne(1).to(torch::kLong));
        auto expected = net->embeddings->word_embeddings(ids) + bags;
        QVERIFY(torch::equal(h, expected));
        // Without the tokenizer's pieces the encoder refuses, saying what it needs.
        XlmrEncoder bare(c);
        QVERIFY_THROWS_EXCEPTION(std::logic_error, bare->forward(ids, ids.ne(1)));
    }

    void closedGatesEqualStaticModel() {
        std::vector<std::string> pieces = {"<s>", "<pad>", "</s>", "<unk>"};
        while (pieces.size() < 300)
            pieces.push_back(
                "\xE2\x96\x81"
                "p" +
                std::to_string(pieces.size()));
        auto deep = presetConfig("lex-m", 300);
        auto flat = presetConfig("static", 300);
        QCOMPARE(deep.layers, std::int64_t(4));
        QCOMPARE(flat.layers, std::int64_t(0));
        torch::manual_seed(2);
        XlmrEncoder a(deep), b(flat);
        a->setPieces(pieces);
        b->setPieces(pieces);
        {
            torch::NoGradGuard noGrad;
            b->embeddings->word_embeddings->weight.copy_(a->embeddings->word_embeddings->weight);
            b->embeddings->char_ngrams->weight.copy_(a->embeddings->char_ngrams->weight);
        }
        a->eval();
        b->eval();
        auto ids = torch::tensor({{0, 17, 42, 99, 2}, {0, 5, 6, 2, 1}}, torch::kLong);
        auto mask = ids.ne(1).to(torch::kLong);
        torch::NoGradGuard noGrad;
        QVERIFY(torch::equal(a->forward(ids, mask), b->forward(ids, mask)));  // exactly
        // An opened gate adds context (and positions) to the same static input.
        auto layer = a->encoder->layer->ptr<LayerImpl>(0);
        layer->gate_attention.fill_(1.0);
        QVERIFY(!torch::allclose(a->forward(ids, mask), b->forward(ids, mask)));
        // Post-LN presets have no gates; a config from before lexical encoders reads as post-LN.
        QCOMPARE(presetConfig("xs").norm, std::string("post"));
        auto old = presetConfig("xs").toJson();
        old.erase("norm");
        old.erase("char_ngram_buckets");
        QCOMPARE(EncoderConfig::fromJson(old).norm, std::string("post"));
        QCOMPARE(EncoderConfig::fromJson(old).charNgramBuckets, std::int64_t(0));
        auto bad = old;
        bad["norm"] = "middle";
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, EncoderConfig::fromJson(bad));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, setInputLayer(deep, "sideways", -1));
    }

    // The ladder grows: a static model's tables (and a shallower model's layers) copied into a
    // deeper lexical model whose new layers' gates are closed give the same token vectors.
    void growingALexicalModelKeepsItsVectors() {
        std::vector<std::string> pieces = {"<s>", "<pad>", "</s>", "<unk>"};
        while (pieces.size() < 300)
            pieces.push_back("\xE2\x96\x81q" + std::to_string(pieces.size()));
        auto ids = torch::tensor({{0, 17, 42, 99, 2}, {0, 5, 6, 2, 1}}, torch::kLong);
        auto mask = ids.ne(1).to(torch::kLong);
        torch::manual_seed(3);
        auto fourLayers = presetConfig("lex-m", 300);
        fourLayers.heads = 2;  // as lex-xs: a layer's attention splits into the same heads
        RetrievalModel flat(presetConfig("static", 300)), one(presetConfig("lex-xs", 300)),
            four(fourLayers);
        for (auto* m : {&flat, &one, &four}) {
            (*m)->encoder->setPieces(pieces);
            (*m)->eval();
        }
        torch::NoGradGuard noGrad;
        growInto(*flat, *one);
        QVERIFY(torch::equal(one->forward(ids, mask), flat->forward(ids, mask)));
        // Open lex-xs's gates (its layer now adds context), then grow it into lex-m: its layer
        // is copied, lex-m's three new layers stay closed.
        for (auto& p : one->named_parameters())
            if (p.key().find("gate") != std::string::npos) p.value().fill_(0.6);
        QVERIFY(!torch::allclose(one->forward(ids, mask), flat->forward(ids, mask)));
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, growInto(*one, *flat));  // no layer 0
        growInto(*one, *four);
        QVERIFY(torch::allclose(four->forward(ids, mask), one->forward(ids, mask), 1e-6, 1e-6));
        QCOMPARE(growthProblem(presetConfig("static", 300), presetConfig("lex-m", 300)),
                 std::string());
        QCOMPARE(growthProblem(presetConfig("lex-xs", 300), fourLayers), std::string());
        QVERIFY(growthProblem(presetConfig("lex-xs", 300), presetConfig("lex-m", 300))
                    .find("attention heads 2 vs 4") != std::string::npos);
        QVERIFY(growthProblem(presetConfig("lex-m", 300), presetConfig("lex-s", 300))
                    .find("shrinking") != std::string::npos);
        QVERIFY(growthProblem(presetConfig("xs", 300), presetConfig("s", 300)).find("pre-LN") !=
                std::string::npos);
        QVERIFY(growthProblem(presetConfig("static", 300), presetConfig("static", 400))
                    .find("vocabulary 300 vs 400") != std::string::npos);
    }

    void paddingDoesNotChangeRealTokens() {
        torch::manual_seed(3);
        auto c = presetConfig("xs", 300);
        XlmrEncoder net(c);
        net->eval();
        torch::NoGradGuard noGrad;
        auto alone = torch::tensor({{0, 17, 42, 99, 2}}, torch::kLong);
        auto padded =
            torch::tensor({{0, 17, 42, 99, 2, 1, 1, 1}, {0, 5, 6, 7, 8, 9, 10, 2}}, torch::kLong);
        auto h1 = net->forward(alone, alone.ne(1).to(torch::kLong));
        auto h2 = net->forward(padded, padded.ne(1).to(torch::kLong));
        QVERIFY(torch::allclose(h1[0], h2[0].slice(0, 0, 5), 1e-5, 1e-5));
        QVERIFY(!torch::isnan(h2).any().item<bool>());
    }

    void colbertVectorsUnitForRealZeroForPadding() {
        torch::manual_seed(1);
        ColbertHead head(16, 8);
        auto hidden = torch::randn({2, 4, 16});
        auto mask = torch::tensor({{1, 1, 1, 0}, {1, 1, 0, 0}}, torch::kLong);
        auto v = head->forward(hidden, mask);
        auto norms = v.norm(2, -1);
        QVERIFY(torch::allclose(norms, mask.to(torch::kFloat), 1e-5, 1e-5));
    }

    void meanPoolIgnoresPadding() {
        auto hidden = torch::tensor({{{1.0, 2.0}, {3.0, 4.0}, {100.0, 100.0}}});
        auto mask = torch::tensor({{1, 1, 0}}, torch::kLong);
        auto p = pool(hidden, mask, Pooling::Mean);
        QVERIFY(torch::allclose(p, torch::tensor({{2.0, 3.0}})));
        QVERIFY(torch::allclose(pool(hidden, mask, Pooling::Cls), torch::tensor({{1.0, 2.0}})));
    }

    void maxSimEqualsBruteForce() {
        torch::manual_seed(2);
        auto q = torch::randn({2, 3, 4}), d = torch::randn({3, 5, 4});
        auto qm = torch::tensor({{1, 1, 0}, {1, 1, 1}}, torch::kLong);
        auto dm = torch::tensor({{1, 1, 1, 0, 0}, {1, 1, 1, 1, 1}, {1, 0, 0, 0, 0}}, torch::kLong);
        auto s = maxSim(q, qm, d, dm);
        for (int a = 0; a < 2; ++a)
            for (int b = 0; b < 3; ++b) {
                double expected = 0;
                for (int i = 0; i < 3; ++i) {
                    if (!qm[a][i].item<long>()) continue;
                    double best = -1e30;
                    for (int j = 0; j < 5; ++j)
                        if (dm[b][j].item<long>())
                            best = std::max(best, q[a][i].dot(d[b][j]).item<double>());
                    expected += best;
                }
                QVERIFY(std::fabs(s[a][b].item<double>() - expected) < 1e-4);
            }
    }
};

QTEST_APPLESS_MAIN(TestModel)
#include "test_model.moc"
