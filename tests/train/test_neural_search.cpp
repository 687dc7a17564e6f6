// Neural search and training batches on the synthetic corpus of retrieval_fixture.h: ranking
// against brute force (dense and MaxSim), whole-page MaxSim over passages, idf term weights, the
// page store and best passage, hard negatives from training pages and entry-text relevant sets.
#include "tests/train/retrieval_fixture.h"

using namespace clir;

using clir::testing::word;
using clir::testing::writeSyntheticCorpus;

class TestNeuralSearch : public testing::RetrievalFixture {
    Q_OBJECT

  private slots:
    void initTestCase() { setUpCorpusAndEncoder(); }

    void neuralSearchMatchesBruteForce() {
        torch::manual_seed(2);
        model::Tokenizer tok(tmp_.filePath("tok/t.model").toStdString());
        model::RetrievalModel net(model::presetConfig("xs", tok.vocabSize()));
        net->eval();
        std::vector<double> idf(std::size_t(tok.vocabSize()));
        for (std::size_t i = 0; i < idf.size(); ++i) idf[i] = 0.2 + double(i % 7);
        net->setTermWeights(idf);
        retrieval::TokenEncoder tower = [&](const at::Tensor& ids, const at::Tensor& mask) {
            return net->forward(ids, mask);
        };
        retrieval::TermWeigher weigher = [&](const at::Tensor& ids, const at::Tensor& mask) {
            return net->termWeights(ids, mask);
        };
        std::vector<std::string> docs = {"t1a t1b common words", "t2a", "t3a t3b t3c t3d shared",
                                         "xt4a words", "t5e common"};
        std::vector<std::string> queries = {"t1a common", "t3c t3d t3e shared text words", "t2a"};
        std::vector<std::string> docids = {"d1", "d2", "d3", "d4", "d5"}, qids = {"q1", "q2", "q3"};
        for (const std::string scoring : {"dense", "maxsim"}) {
            const bool maxsim = scoring == "maxsim";
            // The index keeps fp16 vectors: MaxSim scores agree to about 1e-3.
            const double tolerance = maxsim ? 2e-3 : 1e-5;
            auto d = retrieval::encodePages(tower, tok, docs, 32, 2, maxsim, torch::kCPU);
            auto q = retrieval::encodeTexts(tower, tok, queries, 16, 2, true, torch::kCPU, weigher);
            auto run = retrieval::rankAll(scoring, q, qids, d, docids, 3);
            for (std::size_t i = 0; i < queries.size(); ++i) {
                // Brute force: each pair encoded alone, no padding, no batching; MaxSim over
                // content tokens with the query's term weights.
                std::vector<std::pair<double, std::string>> expected;
                torch::NoGradGuard g;
                auto qb = model::padBatch({tok.encode(queries[i], 16)});
                auto qt = net->forward(qb.ids, qb.mask);
                for (std::size_t k = 0; k < docs.size(); ++k) {
                    auto db = model::padBatch({tok.encode(docs[k], 32)});
                    auto dt = net->forward(db.ids, db.mask);
                    auto s = maxsim ? model::scoreMatrix(scoring, qt,
                                                         model::contentMask(qb.ids, qb.mask), dt,
                                                         model::contentMask(db.ids, db.mask),
                                                         net->termWeights(qb.ids, qb.mask))
                                    : model::scoreMatrix(scoring, qt, qb.mask, dt, db.mask);
                    expected.push_back({s.item<double>(), docids[k]});
                }
                std::sort(expected.rbegin(), expected.rend());
                const auto& got = run.byQuery.at(qids[i]);
                QCOMPARE(int(got.size()), 3);
                for (int r = 0; r < 3; ++r) {
                    QCOMPARE(got[r].docid, expected[r].second);
                    QVERIFY(std::fabs(got[r].score - expected[r].first) < tolerance);
                }
            }
            // Re-ranking scores only the candidates, with the same scores.
            std::vector<std::vector<eval::ScoredDoc>> cands = {
                {{"d5", 0}, {"d1", 0}}, {{"nope", 0}}, {{"d2", 0}}};
            auto re = retrieval::rerank(scoring, q, qids, d, docids, cands);
            QCOMPARE(int(re.byQuery.at("q1").size()), 2);
            QCOMPARE(int(re.byQuery.count("q2")), 0);
            for (const auto& hit : re.byQuery.at("q1"))
                for (const auto& full : run.byQuery.at("q1"))
                    if (full.docid == hit.docid) QVERIFY(std::fabs(full.score - hit.score) < 1e-5);
        }
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, model::padBatch({{1, 2}, {}}));
    }

    // Whole-page MaxSim (SPEC 4): passages cut at word starts cover every piece of a page once,
    // and ranking over the index equals MaxSim over all of a page's content tokens: the whole
    // page at once for a static model, its passages side by side for a contextual one.
    void passageMaxSimEqualsWholePage() {
        model::Tokenizer tok(tmp_.filePath("tok/t.model").toStdString());
        std::vector<std::string> pages, queries = {"t3a shows menu", "xt7b here t9c", "dialog"};
        for (int p = 0; p < 6; ++p) {
            std::string text;
            for (int w = 0; w < 12 + 9 * p; ++w)
                text += testing::word((p * 5 + w * 3) % 11, w % 3) + (w % 4 ? " " : " the menu ");
            pages.push_back(text);
        }
        pages.push_back("");  // a page with no tokens scores 0
        const std::int64_t length = 10;
        for (const auto& text : pages) {
            auto whole = tok.encode(text, 100000);
            std::vector<std::int64_t> joined;
            auto passages = retrieval::passagesOf(tok, text, length);
            for (std::size_t i = 0; i < passages.size(); ++i) {
                const auto& p = passages[i];
                QVERIFY(std::int64_t(p.size()) <= length);
                QCOMPARE(p.front(), model::Tokenizer::kBos);
                QCOMPARE(p.back(), model::Tokenizer::kEos);
                if (i > 0)
                    QVERIFY(model::Tokenizer::startsWord(
                        tok.pieces({p[1]}).front()));  // the words here are short
                joined.insert(joined.end(), p.begin() + 1, p.end() - 1);
            }
            QCOMPARE(joined, std::vector<std::int64_t>(whole.begin() + 1, whole.end() - 1));
        }
        QVERIFY(retrieval::passagesOf(tok, pages[5], length).size() > 5);

        for (const std::string preset : {"static", "lex-xs"}) {
            torch::manual_seed(4);
            model::RetrievalModel net(model::presetConfig(preset, tok.vocabSize()));
            net->encoder->setPieces(tok.vocabulary());
            net->eval();
            torch::NoGradGuard g;
            for (auto& p : net->named_parameters())  // open the gates: context matters
                if (p.key().find("gate") != std::string::npos) p.value().fill_(0.7);
            std::vector<double> idf(std::size_t(tok.vocabSize()));
            for (std::size_t i = 0; i < idf.size(); ++i) idf[i] = 0.5 + double(i % 5);
            net->setTermWeights(idf);
            retrieval::TokenEncoder tower = [&](const at::Tensor& ids, const at::Tensor& mask) {
                return net->forward(ids, mask);
            };
            auto index = retrieval::encodePages(tower, tok, pages, length, 3, true, torch::kCPU);
            QCOMPARE(index.size(), std::int64_t(pages.size()));
            if (preset == "static")  // a word's vector is the same wherever it occurs
                QVERIFY(index.vectors.size(0) < index.pageTokens / 3);
            auto q = retrieval::encodeTexts(tower, tok, queries, 16, 2, true, torch::kCPU,
                                            [&](const at::Tensor& ids, const at::Tensor& mask) {
                                                return net->termWeights(ids, mask);
                                            });
            auto scores = retrieval::maxSimScores(q, 0, q.size(), index);
            // Soft term frequency: the page's tokens at cosine >= 0.9 counted with their repeats
            // (a static page repeats "the menu"), length-normalised by the mean over all pages.
            const retrieval::SoftTf tf{0.4, 0.9, 0.75};
            auto tfScores = retrieval::maxSimScores(q, 0, q.size(), index, {}, tf);
            std::vector<at::Tensor> pageTokens;
            double meanLength = 0;
            for (std::size_t k = 0; k < pages.size(); ++k) {
                at::Tensor tokens;
                if (preset == "static") {
                    auto b = model::padBatch({tok.encode(pages[k], 100000)});
                    tokens = net->forward(b.ids, b.mask)[0].index(
                        {model::contentMask(b.ids, b.mask)[0].to(at::kBool)});
                } else {
                    std::vector<at::Tensor> parts;
                    for (const auto& p : retrieval::passagesOf(tok, pages[k], length)) {
                        auto b = model::padBatch({p});
                        parts.push_back(net->forward(b.ids, b.mask)[0].narrow(
                            0, 1, std::int64_t(p.size()) - 2));
                    }
                    tokens = at::cat(parts, 0);
                }
                pageTokens.push_back(tokens);
                meanLength += double(tokens.size(0)) / double(pages.size());
            }
            std::int64_t repeats = 0;
            for (std::size_t k = 0; k < pages.size(); ++k) {
                const auto& tokens = pageTokens[k];
                for (std::size_t i = 0; i < queries.size(); ++i) {
                    auto qb = model::padBatch({tok.encode(queries[i], 16)});
                    auto qt = net->forward(qb.ids, qb.mask);
                    auto w = net->termWeights(qb.ids, qb.mask);
                    double expected = 0, expectedTf = 0;
                    if (tokens.size(0) > 0) {
                        auto sim = at::matmul(qt[0], tokens.t());
                        auto best = std::get<0>(sim.max(1));
                        expected = ((best * w[0]).sum() / w[0].sum()).item<double>();
                        auto found = sim.ge(0.9).sum(1).to(at::kFloat);
                        repeats += found.gt(1).sum().item<std::int64_t>();
                        const double norm = std::pow(double(tokens.size(0)) / meanLength, 0.75);
                        auto term = best + 0.4 * at::log1p(found / norm);
                        expectedTf = ((term * w[0]).sum() / w[0].sum()).item<double>();
                    }
                    for (const auto& [got, want] :
                         {std::pair{scores[std::int64_t(i)][std::int64_t(k)].item<double>(),
                                    expected},
                          std::pair{tfScores[std::int64_t(i)][std::int64_t(k)].item<double>(),
                                    expectedTf}})
                        QVERIFY2(
                            std::fabs(got - want) < 2e-3,
                            (preset + " page " + std::to_string(k) + " query " + std::to_string(i) +
                             ": " + std::to_string(got) + " vs " + std::to_string(want))
                                .c_str());
                }
            }
            if (preset == "static") QVERIFY(repeats > 0);  // the counts were exercised
            // Re-ranking a few pages gives their scores (the mean length is still every page's).
            std::vector<std::string> ids;
            for (std::size_t k = 0; k < pages.size(); ++k) ids.push_back("p" + std::to_string(k));
            auto re = retrieval::rerank("maxsim", q, {"a", "b", "c"}, index, ids,
                                        {{{"p5", 0}, {"p1", 0}}, {{"p2", 0}}, {{"p6", 0}}}, tf);
            for (const auto& [qid, row] : {std::pair{"a", 0}, std::pair{"b", 1}})
                for (const auto& hit : re.byQuery.at(qid)) {
                    const auto page = std::stoll(hit.docid.substr(1));
                    QVERIFY(std::fabs(hit.score - tfScores[row][page].item<double>()) < 1e-5);
                }
            // Off (weight 0) is plain MaxSim exactly.
            QVERIFY(at::equal(retrieval::maxSimScores(q, 0, q.size(), index, {}, {0.0, 0.9, 0.75}),
                              scores));
        }
    }

    // idf starting weights: a piece on every page of a language weighs ln 2, one on no page
    // ln(1 + pages), everything else in between.
    void termWeightsStartFromIdf() {
        model::Tokenizer tok(tmp_.filePath("tok/t.model").toStdString());
        train::PageStore pages(data::defaultCorpusDir(), tok, 32);
        auto idf = train::pieceIdf(pages, {"en-US", "om"}, tok);
        QCOMPARE(std::int64_t(idf.size()), tok.vocabSize());
        const double n = double(pages.of("en-US").texts.size());
        auto the = tok.encode("the");
        for (std::size_t i = 1; i + 1 < the.size(); ++i)  // on every English page
            QVERIFY(std::fabs(idf[std::size_t(the[i])] - std::log(2.0)) < 1e-12);
        QVERIFY(std::fabs(idf[std::size_t(tok.maskId())] - std::log1p(n)) < 1e-12);
        auto topic = tok.encode(testing::word(7, 1));  // one page's word: a rare piece
        double rarest = 0;
        for (std::size_t i = 1; i + 1 < topic.size(); ++i)
            rarest = std::max(rarest, idf[std::size_t(topic[i])]);
        QVERIFY(rarest > std::log1p(n / 4));
        for (double w : idf) QVERIFY(w >= std::log(2.0) - 1e-12 && w <= std::log1p(n) + 1e-12);
        // A model given them returns them (softplus of the stored value) at content tokens.
        model::RetrievalModel net(model::presetConfig("static", tok.vocabSize()));
        net->setTermWeights(idf);
        auto b = model::padBatch({{0, the[1], 2}, {0, the[1], the[1], 2}});
        auto w = net->termWeights(b.ids, b.mask);
        QVERIFY(std::fabs(w[1][1].item<double>() - std::log(2.0)) < 1e-5);
        QCOMPARE(w[0][0].item<double>(), 0.0);  // <s>
        QCOMPARE(w[0][2].item<double>(), 0.0);  // </s>
        QCOMPARE(w[0][3].item<double>(), 0.0);  // padding
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, net->setTermWeights({1.0}));
        idf[5] = 0;
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, net->setTermWeights(idf));
    }

    // train.passage best: MaxSim training sees a page as its passage that fits the query best
    // (as whole-page ranking would match it); with nothing shared, the first passage.
    // A page is tokenized once: its first window and its passages are cut from that and equal
    // what the tokenizer gives the text directly.
    void pageStoreCutsFromOneTokenization() {
        model::Tokenizer tok(tmp_.filePath("tok/t.model").toStdString());
        train::PageStore pages(data::defaultCorpusDir(), tok, 8);
        const auto& en = pages.of("en-US");
        QCOMPARE(pages.full("en-US").size(), en.texts.size());
        QVERIFY(!en.texts.empty());
        for (std::size_t row = 0; row < en.texts.size(); ++row) {
            QVERIFY(pages.full("en-US")[row].size() > 8);  // long enough to be cut
            QVERIFY(pages.tokens("en-US", en.ids[row]) == tok.encode(en.texts[row], 8));
            QVERIFY(pages.passages("en-US", row) == retrieval::passagesOf(tok, en.texts[row], 8));
        }
    }

    void bestPassageFitsTheQuery() {
        model::Tokenizer tok(tmp_.filePath("tok/t.model").toStdString());
        train::PageStore pages(data::defaultCorpusDir(), tok, 8);
        auto& en = pages.of("en-US");
        int checked = 0;
        for (std::size_t row = 0; row < en.ids.size(); ++row) {
            auto passages = retrieval::passagesOf(tok, en.texts[row], 8);
            QVERIFY(passages.size() > 2);
            for (std::size_t target = 1; target < passages.size(); ++target) {
                // A query of the target passage's pieces that no other passage holds.
                const auto& mine = passages[target];
                train::Ids query = {model::Tokenizer::kBos};
                for (std::size_t k = 1; k + 1 < mine.size(); ++k) {
                    bool elsewhere = false;
                    for (std::size_t i = 0; i < passages.size(); ++i)
                        if (i != target)
                            elsewhere |=
                                std::count(passages[i].begin(), passages[i].end(), mine[k]) > 0;
                    if (!elsewhere) query.push_back(mine[k]);
                }
                query.push_back(model::Tokenizer::kEos);
                if (query.size() == 2) continue;
                QCOMPARE(pages.bestPassage("en-US", en.ids[row], query), mine);
                ++checked;
            }
        }
        QVERIFY(checked > 10);
        const train::Ids nothing = {model::Tokenizer::kBos, tok.maskId(), model::Tokenizer::kEos};
        QCOMPARE(pages.bestPassage("en-US", en.ids[0], nothing),
                 retrieval::passagesOf(tok, en.texts[0], 8).front());
    }

    void hardNegativesFromTrainingPages() {
        const std::string name = "hard-negatives";
        const std::string dir = data::defaultCorpusDir(name);
        writeSyntheticCorpus(dir);
        std::string queries;
        for (int i = 0; i < 24; ++i)
            for (int k = 0; k < 2; ++k)
                queries += "a/page" + std::to_string(i) + "#bm" + std::to_string(k) + ".0\t" +
                           word(i, k + 1) + " " + word(24 + i % 8, 1) + " " + word(32 + i % 8, 2) +
                           " " + word((i + 1) % 24, 1) + "\n";
        fs::writeFileAtomic(dir + "/queries/en-US.entries.train.tsv", queries);
        testing::sealCorpus(dir);
        auto j = experiment("hn", "teacher", "", 1);
        j["init"] = {{"checkpoint", encoderCheckpoint_}};
        j["corpus"]["name"] = name;
        auto spec = jobs::parseExperiment(j.dump(), "hn.json");
        auto corpus = data::CorpusSettings::fromJson(spec.config.at("corpus"));
        auto trainSettings = train::TrainSettings::fromJson(spec.config.at("train"));
        auto ot = train::OtSettings::fields().defaults();
        jobs::JobContext ctx;
        ctx.outputDir = tmp_.filePath("hn").toStdString();
        auto env = jobs::JobEnvironment::prepare(corpus, ctx);
        auto wiring = train::MethodWiring::of("teacher", corpus, trainSettings, ot);
        model::Tokenizer tok(tmp_.filePath("tok/t.model").toStdString());
        train::PageStore pages(env.corpusDir, tok, 32);
        train::RetrievalBatches batches(wiring, env, pages, tok, trainSettings, ot, 16);
        nlohmann::json summary;
        batches.load(summary);
        std::mt19937_64 rng(4);
        const auto& split = pages.of("en-US").split;
        int negatives = 0;
        for (int i = 0; i < 50; ++i) {
            auto b = batches.draw(8, rng);
            for (std::size_t col = b.queries.size(); col < b.docKeys.size(); ++col) {
                const std::string docid = b.docKeys[col].substr(b.docKeys[col].find(':') + 1);
                QCOMPARE(split.at(docid), std::string("train"));
                ++negatives;
            }
        }
        QVERIFY2(negatives > 300, std::to_string(negatives).c_str());  // of 400 columns
    }

    // One entry text often indexes several pages: each of them is relevant to every query with
    // that text, so none is its in-batch negative (infoNce masks relevant columns); a batch
    // holds each page once.
    void entryTextRelevantSetsAndDistinctPages() {
        const std::string name = "same-entry";
        const std::string dir = data::defaultCorpusDir(name);
        writeSyntheticCorpus(dir);
        // Training pages 2m and 2m+1 share their entry texts (case and spacing differ).
        std::string queries;
        for (int i = 0; i < 24; ++i)
            for (int k = 0; k < 2; ++k)
                queries += "a/page" + std::to_string(i) + "#bm" + std::to_string(k) + ".0\t" +
                           (i % 2 ? "How  do I use " : "how do i use ") + word(i - i % 2, k + 1) +
                           "\n";
        fs::writeFileAtomic(dir + "/queries/en-US.entries.train.tsv", queries);
        testing::sealCorpus(dir);
        auto j = experiment("se", "teacher", "", 1);
        j["init"] = {{"checkpoint", encoderCheckpoint_}};
        j["corpus"]["name"] = name;
        auto spec = jobs::parseExperiment(j.dump(), "se.json");
        auto corpus = data::CorpusSettings::fromJson(spec.config.at("corpus"));
        auto trainSettings = train::TrainSettings::fromJson(spec.config.at("train"));
        auto ot = train::OtSettings::fields().defaults();
        jobs::JobContext ctx;
        ctx.outputDir = tmp_.filePath("se").toStdString();
        auto env = jobs::JobEnvironment::prepare(corpus, ctx);
        auto wiring = train::MethodWiring::of("teacher", corpus, trainSettings, ot);
        model::Tokenizer tok(tmp_.filePath("tok/t.model").toStdString());
        train::PageStore pages(env.corpusDir, tok, 32);
        train::RetrievalBatches batches(wiring, env, pages, tok, trainSettings, ot, 16);
        nlohmann::json summary;
        batches.load(summary);
        std::mt19937_64 rng(9);
        auto page = [](const std::string& key) {
            return std::stoi(key.substr(key.find("page") + 4));
        };
        for (int n = 0; n < 50; ++n) {
            auto b = batches.draw(8, rng);
            std::set<std::string> positives(b.docKeys.begin(), b.docKeys.begin() + 8);
            QCOMPARE(int(positives.size()), 8);  // 24 training pages: room for 8 distinct
            for (std::size_t i = 0; i < 8; ++i) {
                const int p = page(b.docKeys[i]);
                const std::set<std::string> twins = {
                    "en-US:a/page" + std::to_string(p - p % 2),
                    "en-US:a/page" + std::to_string(p - p % 2 + 1)};
                QCOMPARE(b.relevant[i], twins);
            }
        }
    }
};

QTEST_GUILESS_MAIN(TestNeuralSearch)
#include "test_neural_search.moc"
