// Retrieval heads over encoder token states (SPEC 3): ColBERT late interaction (Khattab &
// Zaharia 2020: linear to 128, L2-normalised token vectors, MaxSim) and dense pooled vectors
// (mean over real tokens, or the <s> token), with padding masked everywhere.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>

namespace clir::model {

enum class Pooling { Mean, Cls };

struct ColbertHeadImpl : torch::nn::Module {
    ColbertHeadImpl(std::int64_t hidden, std::int64_t dim = 128);
    // [B, T, H] -> [B, T, dim], unit length for real tokens, zero for padding.
    torch::Tensor forward(const torch::Tensor& hidden, const torch::Tensor& mask);
    torch::nn::Linear linear{nullptr};
};
TORCH_MODULE(ColbertHead);

// [B, T, H] -> [B, H]. Mean divides by the number of real tokens.
torch::Tensor pool(const torch::Tensor& hidden, const torch::Tensor& mask, Pooling mode);

// MaxSim: for every query token the best-matching document token, summed over query tokens
// weighted by qMask (0/1, or per-token weights). q [Bq, Tq, D] with qMask, d [Bd, Td, D] with
// dMask -> scores [Bq, Bd]; a document without tokens scores 0.
torch::Tensor maxSim(const torch::Tensor& q, const torch::Tensor& qMask, const torch::Tensor& d,
                     const torch::Tensor& dMask);

}  // namespace clir::model
