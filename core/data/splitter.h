// Deterministic train/dev/test split of pages by a seeded hash of the page path (SPEC 2), so the
// same page lands in the same split on every machine and in every language.
#pragma once

#include <string>

#include "core/data/corpus_settings.h"

namespace clir::data {

enum class Split { Train, Dev, Test };
const char* toString(Split s);

// Position of the page in [0, 1): the first 8 bytes of SHA-256("<seed>:<page>").
double pageHashUnit(const std::string& page, std::uint64_t seed);
Split assignSplit(const std::string& page, const SplitSettings& settings);

}  // namespace clir::data
