// Curve smoothing (see smoothing.h).
#include "core/eval/smoothing.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace clir::eval {

std::vector<double> emaSmooth(const std::vector<double>& values, double weight) {
    if (!(weight >= 0 && weight < 1))
        throw std::invalid_argument("smoothing weight " + std::to_string(weight) +
                                    " is outside [0, 1)");
    std::vector<double> out;
    out.reserve(values.size());
    double m = 0, decay = 1;  // decay = w^t over the finite values seen so far
    for (double x : values) {
        if (!std::isfinite(x)) {
            out.push_back(x);
            continue;
        }
        m = weight * m + (1 - weight) * x;
        decay *= weight;
        out.push_back(m / (1 - decay));
    }
    return out;
}

}  // namespace clir::eval
