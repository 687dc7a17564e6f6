// Transport plans on demand for two typed sentences (the alignment inspector's live mode and
// `clirlab align`): both sentences encoded by one retrieval checkpoint's token head, cost
// C = 1 - cos between English and other-language token vectors, and the entropic OT plan of
// OPTICAL's loss (SPEC 4), over the content tokens. No LibTorch in this header.
#pragma once

#include <string>

#include "core/store/records.h"
#include "core/train/retrieval_settings.h"

namespace clir::train {

struct LiveAlignmentOptions {
    double epsilon;  // entropic regularisation
    int maxLength;   // tokens per sentence
    // ot.epsilon's and ot.max_length's defaults (OtSettings), so a live plan matches training's.
    static LiveAlignmentOptions defaults() {
        const auto ot = OtSettings::fields().defaults();
        return {ot.epsilon, int(ot.maxLength)};
    }
};

// Throws std::invalid_argument for an empty sentence and std::runtime_error naming the
// checkpoint when it is not a retrieval checkpoint (kind "retrieval").
store::AlignmentRecord alignSentences(
    const std::string& checkpoint, const std::string& english, const std::string& other,
    const LiveAlignmentOptions& options = LiveAlignmentOptions::defaults());

}  // namespace clir::train
