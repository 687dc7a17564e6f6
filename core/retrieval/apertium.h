// Apertium rule-based MT as a subprocess (Debian apertium-eu-en: mode eu-en; apertium-eng-spa:
// mode spa-eng). Texts are translated in batches, one per line; a batch whose line count comes
// back wrong is retried line by line. A failure is reported per text and is never fatal.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace clir::retrieval {

struct Translation {
    std::string source;
    std::string target;  // empty when failed
    std::string error;   // empty when it worked
};

struct ApertiumSettings {
    std::string program = "apertium";
    double batchTimeoutSeconds = 300;  // one batch of up to batchSize lines
    double lineTimeoutSeconds = 30;    // one line, when a batch is retried line by line
    std::size_t batchSize = 200;
};

// The Apertium mode translating `language` into English, or "" when Debian has no pair.
std::string apertiumModeFor(const std::string& language);

std::vector<Translation> translateWithApertium(
    const std::vector<std::string>& texts, const std::string& mode, const ApertiumSettings& s,
    const std::function<bool(std::size_t done)>& progress = {});  // progress returns false: stop

}  // namespace clir::retrieval
