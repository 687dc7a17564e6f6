// The pieces every training job shares, each against values worked out by hand: the learning-rate
// schedule, MLM masking proportions, the InfoNCE and OT losses on cases with a closed form, the
// training loop (clipping and grad_norm over every parameter group, the finite-loss stop, resume
// giving the uninterrupted losses exactly, the device rule) and the NMT translation cache.
#include <torch/nn/module.h>  // LibTorch before Qt
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adamw.h>
#include <torch/optim/optimizer.h>
#include <torch/serialize/archive.h>

#include <QtTest>

#include <QTemporaryDir>
#include <atomic>
#include <cmath>
#include <map>
#include <sstream>

#include "core/model/checkpoint.h"
#include "core/model/encoder_config.h"
#include "core/model/tokenizer.h"
#include "core/ot/sinkhorn.h"
#include "core/train/lr_schedule.h"
#include "core/train/mlm.h"
#include "core/train/retrieval_losses.h"
#include "core/train/training_common.h"
#include "core/train/training_loop.h"
#include "core/train/translation_cache.h"
#include "core/util/fs.h"

using namespace clir;
using namespace clir::train;

namespace {

// A two-parameter-group model: a weight matrix (decayed) and a bias (not decayed).
struct TinyImpl : torch::nn::Module {
    TinyImpl() { lin = register_module("lin", torch::nn::Linear(4, 3)); }
    torch::nn::Linear lin{nullptr};
};
TORCH_MODULE(Tiny);

// A tower mapping token id t to a fixed unit vector of row t of `table`.
retrieval::TokenEncoder lookup(const at::Tensor& table) {
    return [table](const at::Tensor& ids, const at::Tensor&) {
        return table.index_select(0, ids.flatten()).view({ids.size(0), ids.size(1), -1});
    };
}

}  // namespace

class TestTraining : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;

    // Runs the loop over a linear regression whose data the sampler RNG draws; records losses.
    struct Regression {
        Tiny net;
        std::unique_ptr<torch::optim::Optimizer> optimizer;
        std::mt19937_64 rng{5};
        std::map<std::int64_t, double> losses;
    };
    std::unique_ptr<Regression> regression() {
        auto r = std::make_unique<Regression>();
        torch::manual_seed(3);
        r->net = Tiny();
        r->optimizer = makeAdamW(*r->net, {0.05, 0.01});
        return r;
    }
    LoopHooks hooksFor(Regression& r, const std::string& dir, const jobs::JobContext& ctx) {
        LoopHooks h;
        h.step = [&r](std::int64_t) {
            std::vector<float> x(8 * 4);
            for (auto& v : x) v = float(std::uniform_real_distribution<double>(-1, 1)(r.rng));
            auto in = at::tensor(x).view({8, 4});
            // Dropout-like noise from LibTorch's RNG too: resume must restore both.
            auto noise = at::rand({8, 3}) * 0.01;
            auto target = in.narrow(1, 0, 3) * 2.0 + noise;
            return StepOutput{(r.net->lin(in) - target).pow(2).mean(), {}, {}, 8.0};
        };
        h.load = [&r](const std::string& path) {
            return model::loadCheckpoint(path, *r.net, model::presetConfig("xs", 100), "test",
                                         r.optimizer.get(), {}, true);
        };
        h.save = [&r, dir](std::int64_t step, const nlohmann::json& state) {
            model::CheckpointMeta meta{
                model::presetConfig("xs", 100), "", "", step, "cfg", state, "test"};
            return model::saveCheckpoint(dir, *r.net, r.optimizer.get(), meta);
        };
        (void)ctx;
        return h;
    }

  private slots:
    void learningRateSchedule_data() {
        QTest::addColumn<int>("step");
        QTest::addColumn<double>("lr");
        // Warm-up 10, total 100, peak 1: (step + 1) / 10, then (100 - step) / 90.
        QTest::newRow("first") << 0 << 0.1;
        QTest::newRow("warm-up middle") << 4 << 0.5;
        QTest::newRow("peak") << 9 << 1.0;
        QTest::newRow("decay start") << 10 << 1.0;
        QTest::newRow("decay middle") << 55 << 0.5;
        QTest::newRow("last") << 99 << 1.0 / 90.0;
        QTest::newRow("after") << 100 << 0.0;
    }
    void learningRateSchedule() {
        QFETCH(int, step);
        QFETCH(double, lr);
        QVERIFY(std::fabs(linearWarmupDecay(step, 10, 100, 1.0) - lr) < 1e-12);
    }

    void mlmMaskingProportions() {
        // 4,000 sequences of 50 regular tokens between <s> and </s>, one <mask> id in the middle.
        MaskingSettings s{0.15, 5, model::Tokenizer::kPad, 1000};
        std::vector<std::vector<std::int64_t>> seqs;
        for (int i = 0; i < 4000; ++i) {
            std::vector<std::int64_t> seq = {model::Tokenizer::kBos};
            for (int t = 0; t < 50; ++t) seq.push_back(t == 25 ? 5 : 100 + (i * 7 + t) % 800);
            seq.push_back(model::Tokenizer::kEos);
            seqs.push_back(seq);
        }
        std::mt19937_64 rng(11);
        auto b = makeMlmBatch(seqs, s, rng);
        auto ids = b.ids.accessor<std::int64_t, 2>();
        auto labels = b.labels.accessor<std::int64_t, 2>();
        long chosen = 0, masked = 0, kept = 0, random = 0, candidates = 0;
        for (int i = 0; i < 4000; ++i)
            for (int t = 0; t < 52; ++t) {
                const auto original = seqs[std::size_t(i)][std::size_t(t)];
                const bool special = original < s.firstRegularId || original == s.maskId;
                if (special) {
                    QCOMPARE(labels[i][t], std::int64_t(-100));  // specials are never predicted
                    QCOMPARE(ids[i][t], original);
                    continue;
                }
                ++candidates;
                if (labels[i][t] == -100) {
                    QCOMPARE(ids[i][t], original);
                    continue;
                }
                QCOMPARE(labels[i][t], original);
                ++chosen;
                if (ids[i][t] == s.maskId)
                    ++masked;
                else if (ids[i][t] == original)
                    ++kept;
                else
                    ++random;
            }
        QCOMPARE(b.maskedTokens, std::int64_t(chosen));
        // 196,000 candidates: 15% chosen; of those 80 / 10 / 10 (a random token can equal the
        // original 1 time in 996, counted as kept). Bounds are about 5 standard deviations.
        const double share = double(chosen) / double(candidates);
        QVERIFY2(std::fabs(share - 0.15) < 0.004, std::to_string(share).c_str());
        QVERIFY2(std::fabs(double(masked) / chosen - 0.8) < 0.01, std::to_string(masked).c_str());
        QVERIFY2(std::fabs(double(kept) / chosen - 0.1) < 0.008, std::to_string(kept).c_str());
        QVERIFY2(std::fabs(double(random) / chosen - 0.1) < 0.008, std::to_string(random).c_str());
    }

    void infoNceClosedForm() {
        // Token t has unit vector e_t: query i and page i share a token, others are orthogonal.
        // Scores / tau: [[1/tau, 0], [0, 1/tau]], so each row's loss is log(1 + e^(-1/tau)).
        auto table = at::eye(8, at::kFloat);
        ContrastiveBatch b;
        b.queries = {{4}, {5}};
        b.docs = {{4}, {5}};
        b.docKeys = {"en:a", "en:b"};
        b.relevant = {{"en:a"}, {"en:b"}};
        const double tau = 0.5;
        auto loss = infoNce(lookup(table), lookup(table), b, "dense", tau, c10::kCPU);
        QVERIFY(std::fabs(loss.item<double>() - std::log1p(std::exp(-1.0 / tau))) < 1e-6);
        // Page b also relevant to query a: not a negative for it, so row a's loss is 0.
        b.relevant = {{"en:a", "en:b"}, {"en:b"}};
        loss = infoNce(lookup(table), lookup(table), b, "dense", tau, c10::kCPU);
        QVERIFY(std::fabs(loss.item<double>() - std::log1p(std::exp(-1.0 / tau)) / 2) < 1e-6);
        // A hard negative (a third column) identical to query b's page: row b sees two 1/tau.
        b.relevant = {{"en:a"}, {"en:b"}};
        b.docs.push_back({5});
        b.docKeys.push_back("en:c");
        loss = infoNce(lookup(table), lookup(table), b, "dense", tau, c10::kCPU);
        const double rowA = std::log(std::exp(1 / tau) + 2) - 1 / tau;
        const double rowB = std::log(1 + 2 * std::exp(1 / tau)) - 1 / tau;
        QVERIFY(std::fabs(loss.item<double>() - (rowA + rowB) / 2) < 1e-6);
    }

    void otLossClosedForm() {
        // One content token a side (<s> and </s> masked): the plan is 1 on that cell, so the
        // loss <P, C> is 1 - cos of the two token vectors, here cos = 0.6.
        auto table = at::zeros({8, 2}, at::kFloat);
        table[4][0] = 1.0;
        table[6][0] = 0.6;
        table[6][1] = 0.8;
        for (int t : {0, 2}) table[t][1] = 1.0;  // <s>, </s>: masked whatever they are
        ot::SinkhornOptions o;
        o.epsilon = 0.1;
        std::vector<Ids> english = {{model::Tokenizer::kBos, 4, model::Tokenizer::kEos}};
        std::vector<Ids> other = {{model::Tokenizer::kBos, 6, model::Tokenizer::kEos}};
        auto out = otLoss(lookup(table), lookup(table), english, other, o, c10::kCPU);
        QVERIFY2(std::fabs(out.loss.item<double>() - 0.4) < 1e-5,
                 std::to_string(out.loss.item<double>()).c_str());
    }

    // The English anchor: the English side through the student, 1 - cos to the teacher per
    // content token. Student = teacher on token 5, cos 0.6 on token 4: (0.4 + 0) / 2.
    void otAnchorClosedForm() {
        auto teacher = at::zeros({8, 2}, at::kFloat), student = at::zeros({8, 2}, at::kFloat);
        teacher[4][0] = 1.0;
        teacher[5][1] = 1.0;
        teacher[6][0] = 1.0;
        student[4][0] = 0.6;
        student[4][1] = 0.8;
        student[5][1] = 1.0;
        student[6][0] = 1.0;
        for (int t : {0, 2}) teacher[t][0] = student[t][1] = 1.0;  // specials: masked
        ot::SinkhornOptions o;
        o.epsilon = 0.1;
        const auto B = model::Tokenizer::kBos, E = model::Tokenizer::kEos;
        auto off =
            otLoss(lookup(teacher), lookup(student), {{B, 4, 5, E}}, {{B, 6, E}}, o, c10::kCPU);
        QVERIFY(!off.anchor.defined());
        auto on = otLoss(lookup(teacher), lookup(student), {{B, 4, 5, E}}, {{B, 6, E}}, o,
                         c10::kCPU, true);
        QVERIFY2(std::fabs(on.anchor.item<double>() - 0.2) < 1e-6,
                 std::to_string(on.anchor.item<double>()).c_str());
        QVERIFY(std::fabs(on.loss.item<double>() - off.loss.item<double>()) < 1e-9);
        // A student equal to the teacher pays nothing.
        auto same = otLoss(lookup(teacher), lookup(teacher), {{B, 4, 5, E}}, {{B, 6, E}}, o,
                           c10::kCPU, true);
        QVERIFY(std::fabs(same.anchor.item<double>()) < 1e-9);
    }

    // Transported term weights: X token 6 is shipped 3/4 to English token 4 (weight 2) and 1/4
    // to token 5 (weight 4): 2.5; token 7 wholly to token 5: 4. Seen twice, token 7 keeps the
    // mean of both visits; an unseen piece keeps its current weight.
    void transportedWeightsClosedForm() {
        TransportedWeights t(10);
        auto plan = at::tensor({0.375, 0.0, 0.125, 0.5}, at::kDouble).view({1, 2, 2});
        auto englishWeights = at::tensor({2.0, 4.0}, at::kDouble).view({1, 2});
        auto ids = at::tensor({6, 7}, at::kLong).view({1, 2});
        auto content = at::ones({1, 2}, at::kFloat);
        t.add(plan, englishWeights, ids, content);
        auto second = at::tensor({0.0, 0.0, 0.0, 1.0}, at::kDouble).view({1, 2, 2});
        t.add(second, at::tensor({2.0, 1.0}, at::kDouble).view({1, 2}), ids,
              at::tensor({0.0, 1.0}, at::kFloat).view({1, 2}));  // token 6 masked here
        auto w = t.applyTo(std::vector<double>(10, 1.0));
        QVERIFY2(std::fabs(w[6] - 2.5) < 1e-12, std::to_string(w[6]).c_str());
        QVERIFY2(std::fabs(w[7] - (4.0 + 1.0) / 2) < 1e-12, std::to_string(w[7]).c_str());
        QCOMPARE(w[3], 1.0);
    }

    // The collapse signs on cases with a closed form. One cell: entropy 0. Two English and two X
    // tokens with equal costs: the plan is uniform, relative entropy 1. The student's tokens 6
    // and 7 at cos 0.6 -> mean pairwise cosine 0.6; with a second identical pair, the four
    // vectors (two 6, two 7) have pairs 1, 0.6 x4, 1 -> (2 + 2.4) / 6.
    void otCollapseSigns() {
        auto table = at::zeros({8, 2}, at::kFloat);
        table[4][0] = 1.0;
        table[5][0] = 1.0;
        table[6][0] = 1.0;
        table[7][0] = 0.6;
        table[7][1] = 0.8;
        ot::SinkhornOptions o;
        o.epsilon = 0.1;
        const auto B = model::Tokenizer::kBos, E = model::Tokenizer::kEos;
        auto one = otLoss(lookup(table), lookup(table), {{B, 4, E}}, {{B, 6, E}}, o, c10::kCPU);
        QVERIFY(std::fabs(one.planEntropy) < 1e-9);
        // Costs 1 - cos: English 4, 5 against X 6, 6 are all 0: the uniform plan.
        auto flat =
            otLoss(lookup(table), lookup(table), {{B, 4, 5, E}}, {{B, 6, 6, E}}, o, c10::kCPU);
        QVERIFY2(std::fabs(flat.planEntropy - 1.0) < 1e-6,
                 std::to_string(flat.planEntropy).c_str());
        QVERIFY(std::fabs(flat.studentCosine - 1.0) < 1e-6);
        auto spread =
            otLoss(lookup(table), lookup(table), {{B, 4, 5, E}}, {{B, 6, 7, E}}, o, c10::kCPU);
        QVERIFY(std::fabs(spread.studentCosine - 0.6) < 1e-6);
        // English 4, 7 against X 6, 7: the matching cells cost 0, the others 0.4 (e^-4 of the
        // weight at eps 0.1), so the plan sits near the diagonal: relative entropy about 0.57.
        auto batch = otLoss(lookup(table), lookup(table), {{B, 4, 7, E}, {B, 4, 7, E}},
                            {{B, 6, 7, E}, {B, 6, 7, E}}, o, c10::kCPU);
        QVERIFY(std::fabs(batch.studentCosine - 4.4 / 6.0) < 1e-6);
        QVERIFY2(batch.planEntropy > 0.4 && batch.planEntropy < 0.75,
                 std::to_string(batch.planEntropy).c_str());
    }

    void loopClipsEveryParameterGroup() {
        // Only the bias (the undecayed group) gets a gradient, of norm 1000 * sqrt(3).
        torch::manual_seed(1);
        Tiny net;
        auto optimizer = makeAdamW(*net, {1e-3, 0.01});
        QCOMPARE(int(optimizer->param_groups().size()), 2);
        std::mt19937_64 rng(1);
        std::vector<std::pair<std::string, double>> recorded;
        jobs::JobContext ctx;
        ctx.metric = [&](const std::string& n, std::int64_t, double v) {
            recorded.push_back({n, v});
        };
        LoopSettings s;
        s.steps = 1;
        s.learningRate = 1e-3;
        s.clipNorm = 1.0;
        LoopHooks h;
        h.step = [&](std::int64_t) { return StepOutput{net->lin->bias.sum() * 1000.0, {}, {}, 1}; };
        h.load = [](const std::string&) -> model::CheckpointMeta { throw std::logic_error("no"); };
        h.save = [](std::int64_t, const nlohmann::json&) { return std::string("saved"); };
        TrainingLoop(ctx, *optimizer, rng, s, h).run();
        double gradNorm = -1;
        for (const auto& [n, v] : recorded)
            if (n == "grad_norm") gradNorm = v;
        QVERIFY2(std::fabs(gradNorm - 1000.0 * std::sqrt(3.0)) < 1e-3,
                 std::to_string(gradNorm).c_str());
        // The bias gradient left after the step is the clipped one.
        const double clipped = net->lin->bias.grad().norm().item<double>();
        QVERIFY2(clipped <= 1.0 + 1e-4, std::to_string(clipped).c_str());
    }

    void loopPersistsMetricsBeforeCheckpoints() {
        // The runner buffers metrics; a checkpoint written while steps are still in the buffer
        // would, after a kill, resume past steps the store never got (CI: 294 of 300 losses).
        auto r = regression();
        jobs::JobContext ctx;
        std::vector<std::int64_t> buffered, stored;
        ctx.metric = [&](const std::string& n, std::int64_t step, double) {
            if (n == "loss") buffered.push_back(step);
        };
        ctx.persist = [&] {
            stored.insert(stored.end(), buffered.begin(), buffered.end());
            buffered.clear();
        };
        LoopSettings s;
        s.steps = 7;
        s.learningRate = 0.01;
        s.checkpointEvery = 3;
        auto h = hooksFor(*r, tmp_.filePath("persist").toStdString(), ctx);
        auto real = h.save;
        std::vector<std::int64_t> checkpoints, storedAtCheckpoint;
        h.save = [&](std::int64_t step, const nlohmann::json& state) {
            checkpoints.push_back(step);
            storedAtCheckpoint.push_back(std::int64_t(stored.size()));
            return real(step, state);
        };
        TrainingLoop(ctx, *r->optimizer, r->rng, s, h).run();
        QCOMPARE(checkpoints, (std::vector<std::int64_t>{3, 6, 7}));
        QCOMPARE(storedAtCheckpoint, checkpoints);  // steps 1..k all stored before checkpoint k
    }

    void lexicalTablesTrainAtTheirOwnRate() {
        // A model with a word-embedding table: with sparse_learning_rate the table is its own
        // group (rate 0.02, no decay) and the schedule keeps the 0.02 : 0.001 ratio.
        struct Lex : torch::nn::Module {
            Lex() {
                word_embeddings = register_module("word_embeddings", torch::nn::Embedding(10, 4));
                lin = register_module("lin", torch::nn::Linear(4, 1));
            }
            torch::nn::Embedding word_embeddings{nullptr};
            torch::nn::Linear lin{nullptr};
        } net;
        QVERIFY(isLexicalTable("encoder.embeddings.word_embeddings.weight"));
        QVERIFY(isLexicalTable("encoder.embeddings.char_ngrams.weight"));
        QVERIFY(!isLexicalTable("encoder.encoder.layer.0.attention.self.query.weight"));
        AdamWSettings a{0.001, 0.01};
        QCOMPARE(int(makeAdamW(net, a)->param_groups().size()), 2);  // off: no third group
        a.sparseLearningRate = 0.02;
        auto optimizer = makeAdamW(net, a);
        QCOMPARE(int(optimizer->param_groups().size()), 3);
        auto& table = optimizer->param_groups()[2];
        QCOMPARE(int(table.params().size()), 1);
        QVERIFY(table.params()[0].is_same(net.word_embeddings->weight));
        auto& options = static_cast<torch::optim::AdamWOptions&>(table.options());
        QCOMPARE(options.weight_decay(), 0.0);
        std::mt19937_64 rng(1);
        jobs::JobContext ctx;
        LoopSettings s;
        s.steps = 4;
        s.warmupSteps = 2;
        s.learningRate = 0.001;
        LoopHooks h;
        std::vector<std::pair<double, double>> rates;  // (dense, table) at each step
        h.step = [&](std::int64_t) {
            rates.push_back({optimizer->param_groups()[0].options().get_lr(),
                             optimizer->param_groups()[2].options().get_lr()});
            auto ids = torch::tensor({1, 2, 3}, torch::kLong);
            return StepOutput{net.lin(net.word_embeddings(ids)).pow(2).mean(), {}, {}, 3};
        };
        h.load = [](const std::string&) -> model::CheckpointMeta { throw std::logic_error("no"); };
        h.save = [](std::int64_t, const nlohmann::json&) { return std::string("saved"); };
        TrainingLoop(ctx, *optimizer, rng, s, h).run();
        QCOMPARE(int(rates.size()), 4);
        QVERIFY(rates[1].first > 0);
        for (const auto& [dense, lexical] : rates)
            QVERIFY2(std::fabs(lexical - 20.0 * dense) < 1e-12,
                     qPrintable(QString("%1 vs %2").arg(lexical).arg(dense)));
    }

    void clippingEqualsTorchOnDenseAndSparseGradients_data() {
        QTest::addColumn<double>("maxNorm");
        QTest::newRow("clipped") << 0.5;
        QTest::newRow("within the norm") << 1e6;
    }
    void clippingEqualsTorchOnDenseAndSparseGradients() {
        // Reference: torch::nn::utils::clip_grad_norm_ on the same gradients. clipGradNorm
        // coalesces the sparse ones in place (once, for LexicalAdamW to reuse) and must give
        // the same norm and the same gradients: the dense ones scaled, the sparse ones not.
        QFETCH(double, maxNorm);
        torch::manual_seed(5);
        auto table = torch::nn::Embedding(torch::nn::EmbeddingOptions(50, 4).sparse(true));
        auto bags = torch::nn::EmbeddingBag(
            torch::nn::EmbeddingBagOptions(40, 4).mode(torch::kMean).sparse(true));
        auto lin = torch::nn::Linear(4, 3);
        auto ids = torch::tensor({3, 7, 3, 3, 9, 7}, torch::kLong);  // repeated rows
        auto lossOf = [&] {
            auto x = table(ids) + bags(torch::tensor({1, 5, 5, 8, 2, 1, 1, 30}, torch::kLong),
                                       torch::tensor({0, 3, 3, 5, 6, 7}, torch::kLong));
            return lin(x).pow(2).sum();
        };
        std::vector<at::Tensor> params = {table->weight, bags->weight, lin->weight, lin->bias};
        lossOf().backward();
        QVERIFY(!table->weight.grad().is_coalesced());
        std::vector<at::Tensor> expected;
        for (auto& p : params) expected.push_back(p.grad().clone());
        for (auto& p : params) p.mutable_grad() = at::Tensor();
        lossOf().backward();
        // torch's own clipping on copies of the gradients.
        std::vector<at::Tensor> copies;
        for (std::size_t i = 0; i < params.size(); ++i) {
            auto c = params[i].detach().clone().set_requires_grad(true);
            c.mutable_grad() = expected[i];
            copies.push_back(c);
        }
        const double torchNorm = torch::nn::utils::clip_grad_norm_(copies, maxNorm);
        const double denseBefore = at::norm(lin->weight.grad()).item<double>();
        const double ours = clipGradNorm(params, maxNorm);
        const double shrink = at::norm(lin->weight.grad()).item<double>() / denseBefore;
        QVERIFY(std::fabs(shrink - std::min(1.0, maxNorm / torchNorm)) < 1e-5);
        QVERIFY2(std::fabs(ours - torchNorm) <= 1e-6 * torchNorm,
                 qPrintable(QString("%1 vs %2").arg(ours).arg(torchNorm)));
        QVERIFY(table->weight.grad().is_coalesced() && bags->weight.grad().is_coalesced());
        for (std::size_t i = 0; i < params.size(); ++i) {
            auto got = params[i].grad(), want = copies[i].grad();
            if (got.is_sparse()) got = got.to_dense();
            if (want.is_sparse()) want = want.to_dense();
            QVERIFY2(torch::allclose(got, want, 1e-6, 1e-7),
                     qPrintable(QString("param %1").arg(i)));
        }
        if (maxNorm < torchNorm) QVERIFY(ours > maxNorm);  // the norm before clipping
    }

    void lazyRowsEqualAdamWOnTouchedRowsAndLeaveTheOthers() {
        // Reference: libtorch's own AdamW on a dense copy of the table. Where a step touches
        // every row the lazy update must equal it; rows a step does not touch keep their
        // values (dense AdamW would still move them by momentum).
        torch::manual_seed(3);
        struct Lex : torch::nn::Module {
            Lex() {
                word_embeddings = register_module("word_embeddings", torch::nn::Embedding(6, 3));
                char_ngrams = register_module(
                    "char_ngrams", torch::nn::EmbeddingBag(
                                       torch::nn::EmbeddingBagOptions(5, 3).mode(torch::kMean)));
            }
            torch::nn::Embedding word_embeddings{nullptr};
            torch::nn::EmbeddingBag char_ngrams{nullptr};
        } lazy;
        auto dense = torch::nn::Embedding(6, 3);
        {
            torch::NoGradGuard g;
            dense->weight.copy_(lazy.word_embeddings->weight);
        }
        AdamWSettings a{0.001, 0.0};
        a.sparseLearningRate = 0.05;
        auto lazyOpt = makeAdamW(lazy, a);
        QVERIFY(lazy.word_embeddings->options.sparse());
        QVERIFY(lazy.char_ngrams->options.sparse());
        torch::optim::AdamW denseOpt(std::vector<at::Tensor>{dense->weight},
                                     torch::optim::AdamWOptions(0.05).weight_decay(0.0));
        auto target = torch::randn({6, 3});
        auto all = torch::tensor({0, 1, 2, 3, 4, 5, 2}, torch::kLong);  // row 2 twice
        auto lossOf = [&](const at::Tensor& v, const at::Tensor& ids) {
            return (v - target.index_select(0, ids)).pow(3).sum();
        };
        for (int step = 0; step < 3; ++step) {
            lazyOpt->zero_grad();
            auto bags = lazy.char_ngrams(torch::tensor({0, 1, 4}, torch::kLong),
                                         torch::tensor({0, 2}, torch::kLong));
            (lossOf(lazy.word_embeddings(all), all) + bags.sum()).backward();
            QVERIFY(lazy.word_embeddings->weight.grad().is_sparse());
            lazyOpt->step();
            denseOpt.zero_grad();
            lossOf(dense(all), all).backward();
            denseOpt.step();
            QVERIFY2(torch::allclose(lazy.word_embeddings->weight, dense->weight, 1e-6, 1e-7),
                     qPrintable(QString("step %1").arg(step)));
        }
        // A step touching rows 1 and 4 only: the other rows keep their values exactly.
        auto before = lazy.word_embeddings->weight.clone();
        auto ngramsBefore = lazy.char_ngrams->weight.clone();
        auto some = torch::tensor({1, 4}, torch::kLong);
        lazyOpt->zero_grad();
        lossOf(lazy.word_embeddings(some), some).backward();
        lazyOpt->step();
        auto moved = (lazy.word_embeddings->weight - before).abs().sum(1).gt(0);
        QCOMPARE(moved.to(torch::kLong).sum().item<std::int64_t>(), std::int64_t(2));
        QVERIFY(moved[1].item<bool>() && moved[4].item<bool>());
        QVERIFY(torch::equal(lazy.char_ngrams->weight, ngramsBefore));  // no gradient: unchanged
        // The moments are AdamW's state: a save and load carries them.
        std::stringstream stream;
        {
            torch::serialize::OutputArchive out;
            lazyOpt->save(out);
            out.save_to(stream);
        }
        auto reloaded = makeAdamW(lazy, a);
        torch::serialize::InputArchive in;
        in.load_from(stream);
        reloaded->load(in);
        auto key = c10::guts::to_string(lazy.word_embeddings->weight.unsafeGetTensorImpl());
        const auto& st = static_cast<torch::optim::AdamWParamState&>(*reloaded->state().at(key));
        QCOMPARE(st.step(), std::int64_t(4));
    }

    void loopStopsOnNonFiniteLoss() {
        auto r = regression();
        jobs::JobContext ctx;
        std::vector<std::int64_t> saved;
        LoopSettings s;
        s.steps = 5;
        s.learningRate = 0.01;
        auto h = hooksFor(*r, tmp_.filePath("nan").toStdString(), ctx);
        auto real = h.step;
        h.step = [&](std::int64_t step) {
            auto out = real(step);
            if (step == 2) out.loss = out.loss * NAN;
            return out;
        };
        try {
            TrainingLoop(ctx, *r->optimizer, r->rng, s, h).run();
            QFAIL("a NaN loss was trained on");
        } catch (const std::runtime_error& e) {
            QCOMPARE(std::string(e.what()), std::string("loss is NaN at step 3"));
        }
    }

    void loopResumesExactly() {
        LoopSettings s;
        s.steps = 8;
        s.warmupSteps = 2;
        s.learningRate = 0.05;
        s.clipNorm = 0.5;
        s.checkpointEvery = 3;
        auto record = [](Regression& r) {
            jobs::JobContext ctx;
            ctx.metric = [&r](const std::string& n, std::int64_t step, double v) {
                if (n == "loss") r.losses[step] = v;
            };
            return ctx;
        };
        // Uninterrupted.
        auto full = regression();
        auto fullCtx = record(*full);
        const std::string fullDir = tmp_.filePath("full").toStdString();
        TrainingLoop(fullCtx, *full->optimizer, full->rng, s, hooksFor(*full, fullDir, fullCtx))
            .run();
        QCOMPARE(int(full->losses.size()), 8);

        // Cancelled after step 5 (its last checkpoint: step 3), then resumed by a fresh process.
        const std::string dir = tmp_.filePath("cut").toStdString();
        {
            auto cut = regression();
            std::atomic<bool> cancel{false};
            auto ctx = record(*cut);
            ctx.cancel = &cancel;
            auto h = hooksFor(*cut, dir, ctx);
            auto real = h.step;
            h.step = [&](std::int64_t step) {
                if (step == 4) cancel = true;  // 0-based: the loop stops before step 6
                return real(step);
            };
            QVERIFY_THROWS_EXCEPTION(jobs::Cancelled,
                                     TrainingLoop(ctx, *cut->optimizer, cut->rng, s, h).run());
        }
        auto resumed = regression();
        auto ctx = record(*resumed);
        TrainingLoop loop(ctx, *resumed->optimizer, resumed->rng, s, hooksFor(*resumed, dir, ctx));
        QCOMPARE(loop.resume(dir, "cfg"), std::int64_t(3));
        QVERIFY(loop.resumedState().contains("sampler_rng"));
        loop.run();
        for (std::int64_t step = 4; step <= 8; ++step)
            QVERIFY2(resumed->losses.at(step) == full->losses.at(step),
                     qPrintable(QString("step %1: %2 vs %3")
                                    .arg(step)
                                    .arg(resumed->losses.at(step), 0, 'g', 17)
                                    .arg(full->losses.at(step), 0, 'g', 17)));
        // Another configuration's checkpoint is refused, naming it.
        auto other = regression();
        auto otherCtx = record(*other);
        TrainingLoop refused(otherCtx, *other->optimizer, other->rng, s,
                             hooksFor(*other, dir, otherCtx));
        try {
            refused.resume(dir, "another");
            QFAIL("a checkpoint of another configuration was resumed");
        } catch (const std::runtime_error& e) {
            QVERIFY2(
                std::string(e.what()).find("written by another configuration") != std::string::npos,
                e.what());
        }
    }

    void deviceRule() {
        QCOMPARE(pickDevice("cpu"), c10::Device(c10::kCPU));
        if (torch::cuda::is_available()) QSKIP("this machine has CUDA");
        QCOMPARE(pickDevice("auto"), c10::Device(c10::kCPU));
        try {
            setUpCompute(1, "cuda");
            QFAIL("cuda was accepted without a device");
        } catch (const std::runtime_error& e) {
            QVERIFY2(std::string(e.what()).find("model.device is cuda") != std::string::npos,
                     e.what());
        }
    }

    void translationCache() {
        qputenv("CLIRLAB_DATA", tmp_.filePath("data").toUtf8());
        const std::string ckpt = tmp_.filePath("nmt-ckpt").toStdString();
        // A sidecar as saveCheckpoint writes it (the weights' SHA-256 keys the cache).
        nlohmann::json sidecar = {
            {"format", 1},
            {"kind", "nmt"},
            {"encoder", model::presetConfig("xs", 400).toJson()},
            {"tokenizer", {{"path", "t.model"}, {"sha256", std::string(64, 'a')}}},
            {"step", 4},
            {"files",
             {{"model.pt",
               {{"bytes", 1}, {"sha256", "0123456789abcdef" + std::string(48, '0')}}}}}};
        fs::writeFileAtomic(ckpt + "/checkpoint.json", sidecar.dump());
        model::DecodeOptions greedy;
        std::vector<std::vector<std::string>> decoded;
        auto decode = [&](const std::vector<std::string>& texts) {
            decoded.push_back(texts);
            std::vector<std::string> out;
            for (const auto& t : texts) out.push_back("en:" + t);
            return out;
        };
        {
            TranslationCache cache(ckpt, greedy);
            QCOMPARE(cache.translate("om", {"a", "b"}, decode),
                     (std::vector<std::string>{"en:a", "en:b"}));
            // Only what is new is decoded, in order; the rest comes from the cache.
            QCOMPARE(cache.translate("om", {"b", "c", "a"}, decode),
                     (std::vector<std::string>{"en:b", "en:c", "en:a"}));
            QCOMPARE(decoded.back(), std::vector<std::string>{"c"});
            // Languages are apart: the same text in km is decoded again.
            cache.translate("km", {"a"}, decode);
            QCOMPARE(decoded.back(), std::vector<std::string>{"a"});
        }
        decoded.clear();
        {
            TranslationCache again(ckpt, greedy);  // from disk
            again.translate("om", {"a", "b", "c"}, decode);
            QVERIFY(decoded.empty());
        }
        auto beam = greedy;
        beam.beamSize = 4;
        TranslationCache other(ckpt, beam);  // another setting: another cache
        other.translate("om", {"a"}, decode);
        QCOMPARE(decoded.size(), std::size_t(1));
        // A damaged cache file is rebuilt, never trusted: broken JSON, and valid JSON whose
        // content was altered (its SHA-256 no longer matches).
        for (const char* damage : {"{not json", R"({"om":{"a":"tampered"}})"}) {
            for (const auto& e : std::filesystem::directory_iterator(
                     tmp_.filePath("data/translations").toStdString()))
                if (e.path().extension() == ".json") fs::writeFileAtomic(e.path().string(), damage);
            decoded.clear();
            TranslationCache damaged(ckpt, greedy);
            QCOMPARE(damaged.translate("om", {"a"}, decode), std::vector<std::string>{"en:a"});
            QCOMPARE(decoded.size(), std::size_t(1));
        }
    }
};

QTEST_GUILESS_MAIN(TestTraining)
#include "test_training.moc"
