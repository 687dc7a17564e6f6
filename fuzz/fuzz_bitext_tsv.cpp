// The corpus's aligned paragraphs (core/data/corpus_reader): <lang>.<split>.tsv and its .ids
// file, given as one input split at the first NUL byte (tsv, then ids).
#include "core/data/corpus_reader.h"
#include "fuzz/fuzz_support.h"
#include "fuzz/fuzz_targets.h"

namespace clir::fuzz {

int bitextTsv(const std::uint8_t* data, std::size_t size) {
    const std::string_view input = asText(data, size);
    const auto nul = input.find('\0');
    const std::string_view tsv = input.substr(0, nul);
    const std::string_view ids = nul == input.npos ? std::string_view() : input.substr(nul + 1);
    writeScratch("corpus/bitext/eu.train.tsv", tsv);
    writeScratch("corpus/bitext/eu.train.ids", ids);
    // Errors name the .tsv or the .ids file: both start with this.
    const std::string base = scratchDir() + "/corpus/bitext/eu.train.";
    expectCleanError(base, [&] {
        for (const auto& pair : data::readBitext(scratchDir() + "/corpus", "eu", "train"))
            if (pair.english.empty() || pair.other.empty() || pair.key.rfind("eu:", 0) != 0)
                violation("readBitext returned a pair with an empty side or a foreign key");
    });
    return 0;
}

}  // namespace clir::fuzz

CLIRLAB_FUZZ_ENTRY(bitextTsv)
