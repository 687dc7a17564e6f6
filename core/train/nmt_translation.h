// Translating with a trained NMT checkpoint (SPEC 4): loading it, the source-language tag put
// before each source, batched decoding of many texts (length-sorted batches), and one text for
// `clirlab translate`. The NMT job and the CLI share these. LibTorch parts of core only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/jobs/job.h"
#include "core/model/checkpoint.h"
#include "core/model/nmt_model.h"
#include "core/model/tokenizer.h"

namespace clir::train {

// "__<language>__ ": the tag that tells the multilingual model the source language.
std::string languageTag(const std::string& language);

struct LoadedNmt {
    model::CheckpointMeta meta;
    std::unique_ptr<model::Tokenizer> tok;
    model::NmtModel net{nullptr};
    std::vector<std::string> languages;  // the source languages it was trained on
};

// Throws naming the checkpoint when it is not of kind "nmt".
LoadedNmt loadNmt(const std::string& checkpoint);

// Every text of `lang` into English, in batches of similar length; checks ctx's cancel flag
// between batches when given.
std::vector<std::string> translateAll(model::NmtModelImpl& net, const model::Tokenizer& tok,
                                      const std::string& lang,
                                      const std::vector<std::string>& texts,
                                      const model::DecodeOptions& options, std::size_t maxLength,
                                      const jobs::JobContext* ctx);

}  // namespace clir::train
