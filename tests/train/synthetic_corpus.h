// A small synthetic CLIR corpus in the built-corpus layout (English and an Oromo-like language
// whose words carry an "x" prefix): 40 pages split 24/8/8, two parallel queries per page with
// qrels in every direction, and three bitext pairs per page.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace clir::testing {

// A made-up word for topic i, variant k (letters only).
std::string word(int i, int k);
// Writes the corpus at `dir` (docs/, queries/, qrels/, bitext/, manifest.json).
void writeSyntheticCorpus(const std::string& dir);
// Records the SHA-256 of every file of the corpus at `dir` in its manifest (after a test edits
// one: jobs refuse a corpus whose files differ from the manifest).
void sealCorpus(const std::string& dir);
// A small `nmt` experiment (1+1 layers of width 64, 400 pieces, om -> en, entries queries) that
// trains in seconds on this corpus; tests adjust what they need.
nlohmann::json tinyNmtExperiment(const std::string& name, int steps);

}  // namespace clir::testing
