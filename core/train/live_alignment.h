// Transport plans on demand for two typed sentences (the alignment inspector's live mode and
// `clirlab align`): both sentences encoded by one retrieval checkpoint's token head, cost
// C = 1 - cos between English and other-language token vectors, and the entropic OT plan of
// OPTICAL's loss (SPEC 4), over the content tokens. No LibTorch in this header.
#pragma once

#include <string>

#include "core/store/run_store.h"

namespace clir::train {

struct LiveAlignmentOptions {
    double epsilon = 0.05;  // entropic regularisation, as ot.epsilon's default
    int maxLength = 48;     // tokens per sentence, as ot.max_length's default
};

// Throws std::invalid_argument for an empty sentence and std::runtime_error naming the
// checkpoint when it is not a retrieval checkpoint (kind "retrieval").
store::AlignmentRecord alignSentences(const std::string& checkpoint, const std::string& english,
                                      const std::string& other,
                                      const LiveAlignmentOptions& options = {});

}  // namespace clir::train
