// A retrieval encoder: the XLM-R encoder with a ColBERT head (SPEC 3). Texts become unit token
// vectors; "dense" scores are cosines of their normalised means, "maxsim" scores ColBERT late
// interaction divided by the query's real tokens (so both lie in [-1, 1] and share a
// temperature). Saved as checkpoints of kind "retrieval".
#pragma once

#include <torch/nn/module.h>

#include <string>
#include <vector>

#include "core/model/heads.h"
#include "core/model/xlmr_encoder.h"

namespace clir::model {

struct TokenBatch {
    at::Tensor ids;   // [B, T] int64, padded with <pad>
    at::Tensor mask;  // [B, T] int64, 1 for real tokens
};

// Pads sequences (each non-empty) into one batch, at least minLength long; throws
// std::invalid_argument on an empty one.
TokenBatch padBatch(const std::vector<std::vector<std::int64_t>>& sequences, std::int64_t padId = 1,
                    std::int64_t minLength = 0);

class RetrievalModelImpl : public torch::nn::Module {
  public:
    explicit RetrievalModelImpl(const EncoderConfig& config, std::int64_t dim = 128);
    // Unit token vectors [B, T, dim], zero at padding.
    at::Tensor forward(const at::Tensor& ids, const at::Tensor& mask);
    // The query-term weight of each token [B, T] (SPEC 4): softplus of its piece's learned
    // weight, zero at <s>, </s> and padding. Every piece starts at 1 (uniform MaxSim) until
    // setTermWeights gives them, for example, their idf.
    at::Tensor termWeights(const at::Tensor& ids, const at::Tensor& mask);
    // One positive weight per piece id; throws std::invalid_argument on a wrong size or a
    // weight <= 0.
    void setTermWeights(const std::vector<double>& perPiece);
    const EncoderConfig& config() const { return encoder->config(); }

    XlmrEncoder encoder{nullptr};
    ColbertHead head{nullptr};
    at::Tensor term_weights;  // [vocab], before softplus
};
TORCH_MODULE(RetrievalModel);

// 1 at real tokens other than <s> and </s>: what MaxSim and OPTICAL compare.
at::Tensor contentMask(const at::Tensor& ids, const at::Tensor& mask);

// Normalised mean of the real token vectors: [B, T, D] -> [B, D].
at::Tensor denseVectors(const at::Tensor& tokens, const at::Tensor& mask);

// Query-by-document score matrix [Bq, Bd] for "dense" (cosine of the masks' mean vectors) or
// "maxsim": sum over query tokens of weight x best document token, the weights (qWeights, or
// qMask when undefined) normalised to sum 1 per query, so scores lie in [-1, 1]. For maxsim the
// masks are content masks (contentMask): specials carry no evidence.
at::Tensor scoreMatrix(const std::string& scoring, const at::Tensor& q, const at::Tensor& qMask,
                       const at::Tensor& d, const at::Tensor& dMask,
                       const at::Tensor& qWeights = {});

// Weights [B, T] scaled to sum 1 over each row (rows of zeros stay zero).
at::Tensor normaliseWeights(const at::Tensor& weights);

// Copies every parameter and buffer of `from` into the same-named one of `to` (a model grown
// from it: `to` may have more, which keep their values). Throws std::runtime_error naming a
// tensor `to` lacks or holds in another shape.
void growInto(torch::nn::Module& from, torch::nn::Module& to);

}  // namespace clir::model
