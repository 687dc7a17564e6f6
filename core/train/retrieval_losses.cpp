// Retrieval training losses (see retrieval_losses.h).
#include "core/train/retrieval_losses.h"

#include "core/model/retrieval_model.h"
#include "core/train/data_parallel.h"

namespace clir::train {

using retrieval::TokenEncoder;

using model::contentMask;

at::Tensor infoNce(const TokenEncoder& queryTower, const TokenEncoder& docTower,
                   const ContrastiveBatch& b, const std::string& scoring, double temperature,
                   c10::Device device, const retrieval::TermWeigher& queryWeigher,
                   DataParallel* parallel) {
    const auto rows = std::int64_t(b.queries.size()), cols = std::int64_t(b.docs.size());
    const int world = parallel ? parallel->worldSize() : 1, rank = parallel ? parallel->rank() : 0;
    if (rows % world != 0)
        throw std::logic_error("infoNce: " + std::to_string(rows) + " queries over " +
                               std::to_string(world) + " ranks");
    // This rank's queries, and its documents: an equal share of the columns, the last share
    // filled up with copies of the first document (dropped after the gather).
    const std::int64_t perRank = rows / world, first = rank * perRank;
    const std::int64_t docsPerRank = (cols + world - 1) / world;
    const auto docBegin = std::min(cols, rank * docsPerRank);
    const auto docEnd = std::min(cols, docBegin + docsPerRank);
    const std::vector<Ids> queries(b.queries.begin() + first, b.queries.begin() + first + perRank);
    std::vector<Ids> docs(b.docs.begin() + docBegin, b.docs.begin() + docEnd);
    while (std::int64_t(docs.size()) < docsPerRank) docs.push_back(b.docs.front());
    // Every rank's documents padded to the whole batch's length, so the shares stack.
    auto all = model::padBatch(b.docs);
    auto qb = model::padBatch(queries), db = model::padBatch(docs, 1, all.ids.size(1));
    auto qIds = qb.ids.to(device), qMask = qb.mask.to(device);
    auto q = queryTower(qIds, qMask);
    auto d = docTower(db.ids.to(device), db.mask.to(device));
    if (world > 1) d = parallel->gatherRows(d).narrow(0, 0, cols);
    auto dIds = all.ids.to(device), dMask = all.mask.to(device);
    at::Tensor scores;
    if (scoring == "maxsim") {
        // As ranking scores: content tokens only, query tokens weighted.
        auto weights = queryWeigher ? queryWeigher(qIds, qMask) : at::Tensor();
        scores = model::scoreMatrix(scoring, q, contentMask(qIds, qMask), d,
                                    contentMask(dIds, dMask), weights);
    } else {
        scores = model::scoreMatrix(scoring, q, qMask, d, dMask);
    }
    scores = scores / temperature;
    // Another query's positive that is also relevant here is not a negative.
    auto falseNegative = at::zeros({perRank, cols}, at::kBool);
    auto acc = falseNegative.accessor<bool, 2>();
    for (std::int64_t i = 0; i < perRank; ++i)
        for (std::int64_t j = 0; j < cols; ++j)
            if (j != first + i &&
                b.relevant[std::size_t(first + i)].count(b.docKeys[std::size_t(j)]))
                acc[i][j] = true;
    scores = scores.masked_fill(falseNegative.to(device), -1e9);
    return at::cross_entropy_loss(scores, at::arange(first, first + perRank, at::kLong).to(device));
}

OtOutput otLoss(const TokenEncoder& teacher, const TokenEncoder& student,
                const std::vector<Ids>& english, const std::vector<Ids>& other,
                const ot::SinkhornOptions& options, c10::Device device, bool anchor,
                double anchorTokens) {
    auto eb = model::padBatch(english), ob = model::padBatch(other);
    auto eMask = eb.mask.to(device), oMask = ob.mask.to(device);
    at::Tensor ht;
    {
        torch::NoGradGuard noGrad;
        ht = teacher(eb.ids.to(device), eMask).to(at::kFloat);
    }
    auto hs = student(ob.ids.to(device), oMask).to(at::kFloat);
    auto cost = 1.0 - at::bmm(ht, hs.transpose(1, 2));  // both sides unit vectors: 1 - cos
    auto rowMask = contentMask(eb.ids, eb.mask).to(device);
    auto colMask = contentMask(ob.ids, ob.mask).to(device);
    auto result = ot::sinkhorn(cost, rowMask, colMask, options);
    OtOutput out{result.cost.mean(), result, cost, 0.0, 0.0, at::Tensor()};
    if (anchor) {
        auto own = student(eb.ids.to(device), eMask).to(at::kFloat);
        auto weight = rowMask.to(at::kFloat);
        auto sum = ((1.0 - (own * ht).sum(-1)) * weight).sum();
        out.anchor = anchorTokens > 0 ? sum / anchorTokens : sum / weight.sum().clamp_min(1.0);
    }
    torch::NoGradGuard noGrad;
    // Entropy of each plan over its real cells, relative to the uniform plan's log(n * m).
    auto plan = result.plan.detach().to(at::kDouble);
    auto entropy = -(plan * plan.clamp_min(1e-300).log()).sum({1, 2});
    auto cells = (rowMask.sum(1) * colMask.sum(1)).to(at::kDouble);
    auto relative =
        at::where(cells > 1, entropy / cells.log().clamp_min(1e-12), at::zeros_like(entropy));
    out.planEntropy = relative.mean().item<double>();
    // Mean pairwise cosine of the student's content tokens (vectors are unit length).
    auto tokens = hs.detach().to(at::kDouble).index({colMask.to(at::kBool)});  // [N, d]
    const double n = double(tokens.size(0));
    if (n > 1) {
        const double sum = tokens.sum(0).pow(2).sum().item<double>();
        const double self = tokens.pow(2).sum().item<double>();
        out.studentCosine = (sum - self) / (n * (n - 1));
    }
    return out;
}

TransportedWeights::TransportedWeights(std::int64_t vocab)
    : sum(at::zeros({vocab}, at::kDouble)), count(at::zeros({vocab}, at::kDouble)) {}

void TransportedWeights::add(const at::Tensor& plan, const at::Tensor& englishWeights,
                             const at::Tensor& otherIds, const at::Tensor& otherContent) {
    torch::NoGradGuard noGrad;
    auto p = plan.detach().to(at::kCPU, at::kDouble);
    auto w = englishWeights.detach().to(at::kCPU, at::kDouble);
    auto shipped = p.sum(1);                      // [B, m]
    auto weighted = (p * w.unsqueeze(2)).sum(1);  // [B, m]
    auto keep = otherContent.to(at::kCPU).to(at::kBool) & shipped.gt(0);
    auto ids = otherIds.to(at::kCPU).index({keep});
    sum.index_add_(0, ids, (weighted / shipped.clamp_min(1e-300)).index({keep}));
    count.index_add_(0, ids, at::ones({ids.size(0)}, at::kDouble));
}

std::vector<double> TransportedWeights::applyTo(std::vector<double> current) const {
    auto s = sum.accessor<double, 1>();
    auto c = count.accessor<double, 1>();
    for (std::size_t i = 0; i < current.size() && std::int64_t(i) < sum.size(0); ++i)
        if (c[std::int64_t(i)] > 0 && s[std::int64_t(i)] > 0)
            current[i] = s[std::int64_t(i)] / c[std::int64_t(i)];
    return current;
}

std::vector<std::string> piecesOf(const model::Tokenizer& tok, const Ids& ids) {
    Ids content;
    for (auto id : ids)
        if (id != model::Tokenizer::kBos && id != model::Tokenizer::kEos) content.push_back(id);
    return model::Tokenizer::readable(tok.pieces(content));
}

store::AlignmentRecord alignmentOf(const retrieval::TokenEncoder& teacher,
                                   const retrieval::TokenEncoder& student,
                                   const model::Tokenizer& tok, const Ids& english,
                                   const Ids& other, const ot::SinkhornOptions& options,
                                   c10::Device device) {
    auto out = otLoss(teacher, student, {english}, {other}, options, device);
    auto contentOf = [](const Ids& ids) {
        auto b = model::padBatch({ids});
        return contentMask(b.ids, b.mask)[0].nonzero().squeeze(1);
    };
    auto rows = contentOf(english), cols = contentOf(other);
    auto plan = out.result.plan[0].cpu().index_select(0, rows).index_select(1, cols).contiguous();
    auto cost = out.cost[0].cpu().index_select(0, rows).index_select(1, cols).contiguous();
    store::AlignmentRecord a;
    a.sourceTokens = piecesOf(tok, english);
    a.targetTokens = piecesOf(tok, other);
    a.plan.assign(plan.data_ptr<float>(), plan.data_ptr<float>() + plan.numel());
    a.cost.assign(cost.data_ptr<float>(), cost.data_ptr<float>() + cost.numel());
    return a;
}

}  // namespace clir::train
