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

// Pads sequences (each non-empty) into one batch; throws std::invalid_argument on an empty one.
TokenBatch padBatch(const std::vector<std::vector<std::int64_t>>& sequences,
                    std::int64_t padId = 1);

class RetrievalModelImpl : public torch::nn::Module {
  public:
    explicit RetrievalModelImpl(const EncoderConfig& config, std::int64_t dim = 128);
    // Unit token vectors [B, T, dim], zero at padding.
    at::Tensor forward(const at::Tensor& ids, const at::Tensor& mask);
    const EncoderConfig& config() const { return encoder->config(); }

    XlmrEncoder encoder{nullptr};
    ColbertHead head{nullptr};
};
TORCH_MODULE(RetrievalModel);

// Normalised mean of the real token vectors: [B, T, D] -> [B, D].
at::Tensor denseVectors(const at::Tensor& tokens, const at::Tensor& mask);

// Query-by-document score matrix [Bq, Bd] for "dense" or "maxsim".
at::Tensor scoreMatrix(const std::string& scoring, const at::Tensor& q, const at::Tensor& qMask,
                       const at::Tensor& d, const at::Tensor& dMask);

}  // namespace clir::model
