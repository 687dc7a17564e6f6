// Retrieval model (see retrieval_model.h).
#include "core/model/retrieval_model.h"

#include <torch/nn/functional/normalization.h>

#include <stdexcept>

namespace clir::model {

TokenBatch padBatch(const std::vector<std::vector<std::int64_t>>& sequences, std::int64_t padId) {
    if (sequences.empty()) throw std::invalid_argument("an empty batch");
    std::size_t longest = 0;
    for (const auto& s : sequences) {
        if (s.empty()) throw std::invalid_argument("an empty sequence cannot be encoded");
        longest = std::max(longest, s.size());
    }
    const auto b = std::int64_t(sequences.size()), t = std::int64_t(longest);
    auto ids = at::full({b, t}, padId, at::kLong);
    auto mask = at::zeros({b, t}, at::kLong);
    auto idAcc = ids.accessor<std::int64_t, 2>();
    auto maskAcc = mask.accessor<std::int64_t, 2>();
    for (std::int64_t i = 0; i < b; ++i)
        for (std::size_t j = 0; j < sequences[std::size_t(i)].size(); ++j) {
            idAcc[i][std::int64_t(j)] = sequences[std::size_t(i)][j];
            maskAcc[i][std::int64_t(j)] = 1;
        }
    return {ids, mask};
}

RetrievalModelImpl::RetrievalModelImpl(const EncoderConfig& config, std::int64_t dim) {
    encoder = register_module("encoder", XlmrEncoder(config));
    head = register_module("head", ColbertHead(config.hidden, dim));
}

at::Tensor RetrievalModelImpl::forward(const at::Tensor& ids, const at::Tensor& mask) {
    return head->forward(encoder->forward(ids, mask), mask);
}

at::Tensor denseVectors(const at::Tensor& tokens, const at::Tensor& mask) {
    namespace F = torch::nn::functional;
    return F::normalize(pool(tokens, mask, Pooling::Mean),
                        F::NormalizeFuncOptions().p(2).dim(-1).eps(1e-12));
}

at::Tensor scoreMatrix(const std::string& scoring, const at::Tensor& q, const at::Tensor& qMask,
                       const at::Tensor& d, const at::Tensor& dMask) {
    if (scoring == "dense") return at::matmul(denseVectors(q, qMask), denseVectors(d, dMask).t());
    if (scoring == "maxsim") {
        auto length = qMask.sum(1).clamp_min(1).to(q.scalar_type()).unsqueeze(1);
        return maxSim(q, qMask, d, dMask) / length;
    }
    throw std::invalid_argument("unknown scoring '" + scoring + "' (dense or maxsim)");
}

}  // namespace clir::model
