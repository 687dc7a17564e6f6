// Apertium subprocess translation (see apertium.h).
#include "core/retrieval/apertium.h"

#include <map>

#include "core/util/process.h"
#include "core/util/text.h"

namespace clir::retrieval {
namespace {

struct BatchResult {
    std::vector<std::string> lines;
    std::string error;
};

BatchResult runApertium(const std::vector<std::string>& texts, const std::string& mode,
                        const std::string& program, double timeout) {
    std::string input;
    for (const auto& t : texts) {
        // One text per line: newlines inside a text would shift the alignment.
        std::string flat = t;
        for (char& c : flat)
            if (c == '\n' || c == '\r') c = ' ';
        input += flat + "\n";
    }
    // -u: no '*' marks on unknown words, so they pass through as plain words.
    auto r = runProcess({program, "-u", "-f", "txt", mode}, {"", input, timeout});
    BatchResult out;
    if (r.startFailed) {
        out.error = program + " not found (install the apertium package)";
    } else if (r.timedOut) {
        out.error = "apertium timed out after " + std::to_string(int(timeout)) + " s";
    } else if (r.exitCode != 0) {
        out.error = "apertium " + mode + " exited with " + std::to_string(r.exitCode) + ": " +
                    text::trim(r.err).substr(0, 200);
    } else if (!text::isValidUtf8(r.out)) {
        out.error = "apertium " + mode + " produced invalid UTF-8";
    } else {
        std::string body = r.out;
        while (!body.empty() && body.back() == '\n') body.pop_back();
        out.lines = text::split(body, '\n');
        if (texts.empty()) out.lines.clear();
    }
    return out;
}

}  // namespace

std::string apertiumModeFor(const std::string& language) {
    static const std::map<std::string, std::string> modes = {{"eu", "eu-en"}, {"es", "spa-eng"}};
    auto it = modes.find(language);
    return it == modes.end() ? "" : it->second;
}

std::vector<Translation> translateWithApertium(const std::vector<std::string>& texts,
                                               const std::string& mode, const ApertiumSettings& s,
                                               const std::function<bool(std::size_t)>& progress) {
    std::vector<Translation> out(texts.size());
    for (std::size_t i = 0; i < texts.size(); ++i) out[i].source = texts[i];
    for (std::size_t start = 0; start < texts.size(); start += s.batchSize) {
        std::size_t end = std::min(texts.size(), start + s.batchSize);
        std::vector<std::string> batch(texts.begin() + long(start), texts.begin() + long(end));
        auto r = runApertium(batch, mode, s.program, s.batchTimeoutSeconds);
        if (r.error.empty() && r.lines.size() == batch.size()) {
            for (std::size_t i = 0; i < batch.size(); ++i)
                out[start + i].target = text::clean(r.lines[i]);
        } else {
            for (std::size_t i = 0; i < batch.size(); ++i) {
                auto one = runApertium({batch[i]}, mode, s.program, s.lineTimeoutSeconds);
                if (one.error.empty() && one.lines.size() == 1)
                    out[start + i].target = text::clean(one.lines[0]);
                else
                    out[start + i].error =
                        one.error.empty() ? "apertium returned " +
                                                std::to_string(one.lines.size()) + " lines for one"
                                          : one.error;
            }
        }
        for (std::size_t i = start; i < end; ++i)
            if (out[i].error.empty() && out[i].target.empty() && !text::trim(out[i].source).empty())
                out[i].error = "empty translation";
        if (progress && !progress(end)) break;
    }
    return out;
}

}  // namespace clir::retrieval
