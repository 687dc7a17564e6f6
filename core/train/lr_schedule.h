// Learning rate: linear warm-up to the peak, then linear decay to zero at the last step (the
// schedule of BERT and RoBERTa pretraining).
#pragma once

#include <algorithm>
#include <cstdint>

namespace clir::train {

inline double linearWarmupDecay(std::int64_t step, std::int64_t warmup, std::int64_t total,
                                double peak) {
    if (step < warmup) return peak * double(step + 1) / double(warmup);
    if (total <= warmup) return peak;
    return peak * std::max(0.0, double(total - step) / double(total - warmup));
}

}  // namespace clir::train
