// TREC runs (core/eval/trec_io): the in-memory parser and the streaming compact reader
// `clirlab eval` uses must agree on every input, accepted or not.
#include "core/eval/trec_io.h"
#include "fuzz/fuzz_support.h"
#include "fuzz/fuzz_targets.h"

namespace clir::fuzz {

int trecRun(const std::uint8_t* data, std::size_t size) {
    const std::string text(asText(data, size));
    const std::string path = writeScratch("input.run", text);
    std::string parseError, compactError;
    eval::Run run;
    eval::CompactRun compact;
    expectCleanError(path, [&] {
        try {
            run = eval::parseRun(text, path);
        } catch (const std::exception& e) {
            parseError = e.what();
            throw;
        }
    });
    expectCleanError(path, [&] {
        try {
            compact = eval::readRunCompact(path);
        } catch (const std::exception& e) {
            compactError = e.what();
            throw;
        }
    });
    if (parseError != compactError)
        violation("parseRun and readRunCompact disagree: '" + parseError + "' vs '" + compactError +
                  "'");
    if (!parseError.empty()) return 0;
    if (run.lines != compact.lines || run.tag != compact.tag ||
        run.byQuery.size() != compact.qids.size())
        violation("parseRun and readRunCompact read different runs");
    for (std::size_t q = 0; q < compact.qids.size(); ++q) {
        auto it = run.byQuery.find(compact.qids[q]);
        if (it == run.byQuery.end() || it->second.size() != compact.docs[q].size())
            violation("query '" + compact.qids[q] + "' differs between the readers");
        for (std::size_t i = 0; i < it->second.size(); ++i) {
            const auto& d = compact.docs[q][i];
            // Both readers keep the score as parsed: compare bit for bit (NaN is refused).
            if (it->second[i].docid != compact.docid(d) || it->second[i].score != d.score)
                violation("line of query '" + compact.qids[q] + "' differs between the readers");
        }
    }
    return 0;
}

}  // namespace clir::fuzz

CLIRLAB_FUZZ_ENTRY(trecRun)
