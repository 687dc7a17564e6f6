// Retrieval heads (see heads.h).
#include "core/model/heads.h"

#include <torch/nn/functional/normalization.h>

namespace clir::model {

ColbertHeadImpl::ColbertHeadImpl(std::int64_t hidden, std::int64_t dim) {
    linear = register_module("linear",
                             torch::nn::Linear(torch::nn::LinearOptions(hidden, dim).bias(false)));
}

torch::Tensor ColbertHeadImpl::forward(const torch::Tensor& hidden, const torch::Tensor& mask) {
    namespace F = torch::nn::functional;
    auto v = F::normalize(linear(hidden), F::NormalizeFuncOptions().p(2).dim(-1).eps(1e-12));
    return v * mask.unsqueeze(-1).to(v.scalar_type());
}

torch::Tensor pool(const torch::Tensor& hidden, const torch::Tensor& mask, Pooling mode) {
    if (mode == Pooling::Cls) return hidden.select(1, 0);
    auto m = mask.unsqueeze(-1).to(hidden.scalar_type());
    return (hidden * m).sum(1) / m.sum(1).clamp_min(1.0);
}

torch::Tensor maxSim(const torch::Tensor& q, const torch::Tensor& qMask, const torch::Tensor& d,
                     const torch::Tensor& dMask) {
    // sim[a, b, i, j] = <q[a, i], d[b, j]>
    auto sim = torch::einsum("aid,bjd->abij", {q, d});
    auto docPad = dMask.to(torch::kBool).logical_not().unsqueeze(0).unsqueeze(2);  // [1, Bd, 1, Td]
    sim = sim.masked_fill(docPad, -1e9);
    auto best = std::get<0>(sim.max(-1));                               // [Bq, Bd, Tq]
    best = best.masked_fill(best.le(-1e8), 0.0);                        // documents with no tokens
    return (best * qMask.to(best.scalar_type()).unsqueeze(1)).sum(-1);  // [Bq, Bd]
}

}  // namespace clir::model
