// The corpus's query TSVs (core/data/corpus_reader), read from a scratch corpus folder.
#include "core/data/corpus_reader.h"
#include "fuzz/fuzz_support.h"
#include "fuzz/fuzz_targets.h"

namespace clir::fuzz {

int queriesTsv(const std::uint8_t* data, std::size_t size) {
    const std::string path = writeScratch("corpus/queries/de.fuzz.test.tsv", asText(data, size));
    expectCleanError(path,
                     [&] { data::readQueries(scratchDir() + "/corpus", "de", "fuzz", "test"); });
    return 0;
}

}  // namespace clir::fuzz

CLIRLAB_FUZZ_ENTRY(queriesTsv)
