// Masked-language-model batches (Devlin et al. 2019): 15% of the real, non-special tokens are
// chosen; of those 80% become <mask>, 10% a random token, 10% stay. Driven by our own RNG so a
// checkpoint can restore it exactly.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <random>
#include <vector>

namespace clir::train {

struct MlmBatch {
    at::Tensor ids;     // [B, T] int64, padded with padId
    at::Tensor mask;    // [B, T] int64, 1 for real tokens
    at::Tensor labels;  // [B, T] int64, the original id where masked, -100 elsewhere
    std::int64_t realTokens = 0, maskedTokens = 0;
};

struct MaskingSettings {
    double maskProbability = 0.15;
    std::int64_t maskId = 0, padId = 1, vocabSize = 0;
    std::int64_t firstRegularId = 4;  // ids below are special (<s> <pad> </s> <unk>)
};

MlmBatch makeMlmBatch(const std::vector<std::vector<std::int64_t>>& sequences,
                      const MaskingSettings& s, std::mt19937_64& rng);

}  // namespace clir::train
