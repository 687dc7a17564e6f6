// Training the NMT baseline's model (SPEC 4): a shared SentencePiece tokenizer and a
// multilingual X -> English transformer on the train-split bitext, with early stopping on dev
// chrF (greedy translations, the curve stored) and data-parallel shares. The NMT job
// (nmt_job.h) calls it before translating. LibTorch parts of core only.
#pragma once

#include <c10/core/Device.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/data/corpus_reader.h"
#include "core/jobs/job.h"
#include "core/jobs/job_environment.h"
#include "core/train/nmt_settings.h"

namespace clir::train {

// The bitext of one language and split (at most `limit` pairs); throws naming the file when it
// holds none (no empty pair reaches a loss: data::readBitext drops them).
std::vector<data::BitextPair> readBitextPairs(const std::string& corpusDir, const std::string& lang,
                                              const std::string& split, std::size_t limit);

// Trains (or resumes) the tokenizer and the model of `xLanguages` -> English; returns the
// checkpoint to translate with: the best by dev chrF when nmt.eval_every checks it, else the
// last.
std::string trainNmt(const jobs::JobContext& ctx, const jobs::JobEnvironment& env,
                     const NmtSettings& nmt, std::uint64_t seed, const std::string& configHash,
                     const std::vector<std::string>& xLanguages, c10::Device device);

}  // namespace clir::train
