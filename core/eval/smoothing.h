// Smoothing of metric curves for display: TensorBoard's exponential moving average with bias
// correction, so the first points are not pulled towards zero.
#pragma once

#include <vector>

namespace clir::eval {

// s_t = m_t / (1 - w^t) with m_t = w * m_{t-1} + (1 - w) * x_t and m_0 = 0 (Kingma & Ba 2015,
// eq. 2 applied to a curve). weight 0 returns the values unchanged; weight must be in [0, 1).
// Non-finite values are passed through and do not enter the average.
std::vector<double> emaSmooth(const std::vector<double>& values, double weight);

}  // namespace clir::eval
