// Retrieval model (see retrieval_model.h).
#include "core/model/retrieval_model.h"

#include <torch/nn/functional/normalization.h>
#include <torch/utils.h>

#include <cmath>
#include <stdexcept>

#include "core/model/tokenizer.h"

namespace clir::model {

TokenBatch padBatch(const std::vector<std::vector<std::int64_t>>& sequences, std::int64_t padId,
                    std::int64_t minLength) {
    if (sequences.empty()) throw std::invalid_argument("an empty batch");
    std::size_t longest = std::size_t(std::max<std::int64_t>(0, minLength));
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

namespace {

// softplus^-1(w) = log(exp(w) - 1), exact for the small weights and w itself for large ones.
double inverseSoftplus(double w) {
    return w > 30 ? w : std::log(std::expm1(w));
}

}  // namespace

RetrievalModelImpl::RetrievalModelImpl(const EncoderConfig& config, std::int64_t dim) {
    encoder = register_module("encoder", XlmrEncoder(config));
    head = register_module("head", ColbertHead(config.hidden, dim));
    term_weights = register_parameter(
        "term_weights", at::full({config.vocabSize}, inverseSoftplus(1.0), at::kFloat));
}

at::Tensor RetrievalModelImpl::forward(const at::Tensor& ids, const at::Tensor& mask) {
    return head->forward(encoder->forward(ids, mask), mask);
}

at::Tensor RetrievalModelImpl::termWeights(const at::Tensor& ids, const at::Tensor& mask) {
    return at::softplus(term_weights.index_select(0, ids.reshape(-1)).view(ids.sizes())) *
           contentMask(ids, mask).to(term_weights.scalar_type());
}

void RetrievalModelImpl::setTermWeights(const std::vector<double>& perPiece) {
    if (std::int64_t(perPiece.size()) != term_weights.size(0))
        throw std::invalid_argument("term weights: " + std::to_string(perPiece.size()) +
                                    " values for a vocabulary of " +
                                    std::to_string(term_weights.size(0)));
    std::vector<float> raw;
    raw.reserve(perPiece.size());
    for (std::size_t i = 0; i < perPiece.size(); ++i) {
        if (!(perPiece[i] > 0) || !std::isfinite(perPiece[i]))
            throw std::invalid_argument("term weights: piece " + std::to_string(i) +
                                        " has weight " + std::to_string(perPiece[i]) +
                                        " (must be > 0)");
        raw.push_back(float(inverseSoftplus(perPiece[i])));
    }
    torch::NoGradGuard noGrad;
    term_weights.copy_(at::tensor(raw, at::kFloat).to(term_weights.device()));
}

at::Tensor contentMask(const at::Tensor& ids, const at::Tensor& mask) {
    return mask * ids.ne(Tokenizer::kBos).to(mask.scalar_type()) *
           ids.ne(Tokenizer::kEos).to(mask.scalar_type());
}

at::Tensor normaliseWeights(const at::Tensor& weights) {
    return weights / weights.sum(-1, true).clamp_min(1e-12);
}

at::Tensor denseVectors(const at::Tensor& tokens, const at::Tensor& mask) {
    namespace F = torch::nn::functional;
    return F::normalize(pool(tokens, mask, Pooling::Mean),
                        F::NormalizeFuncOptions().p(2).dim(-1).eps(1e-12));
}

at::Tensor scoreMatrix(const std::string& scoring, const at::Tensor& q, const at::Tensor& qMask,
                       const at::Tensor& d, const at::Tensor& dMask, const at::Tensor& qWeights) {
    if (scoring == "dense") return at::matmul(denseVectors(q, qMask), denseVectors(d, dMask).t());
    if (scoring == "maxsim")
        return maxSim(q,
                      normaliseWeights((qWeights.defined() ? qWeights : qMask).to(q.scalar_type())),
                      d, dMask);
    throw std::invalid_argument("unknown scoring '" + scoring + "' (dense or maxsim)");
}

void growInto(torch::nn::Module& from, torch::nn::Module& to) {
    torch::NoGradGuard noGrad;
    auto params = to.named_parameters(true);
    auto buffers = to.named_buffers(true);
    auto copy = [&](const std::string& name, const at::Tensor& value) {
        at::Tensor* target = params.find(name);
        if (!target) target = buffers.find(name);
        if (!target)
            throw std::runtime_error("growing a model: the larger model has no '" + name + "'");
        if (target->sizes() != value.sizes())
            throw std::runtime_error("growing a model: '" + name + "' has another shape");
        target->copy_(value);
    };
    for (const auto& p : from.named_parameters(true)) copy(p.key(), p.value());
    for (const auto& b : from.named_buffers(true)) copy(b.key(), b.value());
}

}  // namespace clir::model
