// MLM masking (see mlm.h).
#include "core/train/mlm.h"

#include <stdexcept>

namespace clir::train {

MlmBatch makeMlmBatch(const std::vector<std::vector<std::int64_t>>& sequences,
                      const MaskingSettings& s, std::mt19937_64& rng) {
    if (sequences.empty()) throw std::invalid_argument("MLM batch with no sequences");
    std::size_t T = 0;
    for (const auto& seq : sequences) {
        if (seq.empty()) throw std::invalid_argument("MLM batch with an empty sequence");
        T = std::max(T, seq.size());
    }
    const auto B = std::int64_t(sequences.size());
    MlmBatch b;
    b.ids = at::full({B, std::int64_t(T)}, s.padId, at::kLong);
    b.mask = at::zeros({B, std::int64_t(T)}, at::kLong);
    b.labels = at::full({B, std::int64_t(T)}, -100, at::kLong);
    auto ids = b.ids.accessor<std::int64_t, 2>();
    auto mask = b.mask.accessor<std::int64_t, 2>();
    auto labels = b.labels.accessor<std::int64_t, 2>();
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    std::uniform_int_distribution<std::int64_t> randomToken(s.firstRegularId, s.vocabSize - 1);
    for (std::int64_t i = 0; i < B; ++i) {
        const auto& seq = sequences[std::size_t(i)];
        std::vector<std::size_t> candidates;
        for (std::size_t t = 0; t < seq.size(); ++t) {
            ids[i][std::int64_t(t)] = seq[t];
            mask[i][std::int64_t(t)] = 1;
            if (seq[t] >= s.firstRegularId && seq[t] != s.maskId) candidates.push_back(t);
        }
        b.realTokens += std::int64_t(seq.size());
        bool any = false;
        for (auto t : candidates) {
            if (unit(rng) >= s.maskProbability) continue;
            any = true;
            labels[i][std::int64_t(t)] = seq[t];
            double r = unit(rng);
            if (r < 0.8)
                ids[i][std::int64_t(t)] = s.maskId;
            else if (r < 0.9)
                ids[i][std::int64_t(t)] = randomToken(rng);
            ++b.maskedTokens;
        }
        // Every sequence with a maskable token predicts at least one, so short ones still teach.
        if (!any && !candidates.empty()) {
            auto t = candidates[std::uniform_int_distribution<std::size_t>(
                0, candidates.size() - 1)(rng)];
            labels[i][std::int64_t(t)] = seq[t];
            ids[i][std::int64_t(t)] = s.maskId;
            ++b.maskedTokens;
        }
    }
    return b;
}

}  // namespace clir::train
