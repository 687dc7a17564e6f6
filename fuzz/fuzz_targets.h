// The fuzz targets, one per parser (issue 16); X(name, corpus folder under fuzz/corpus/).
#pragma once

#include <cstddef>
#include <cstdint>

#define CLIRLAB_FUZZ_TARGETS(X)                \
    X(trecRun, "trec_run")                     \
    X(qrels, "qrels")                          \
    X(experiment, "experiment")                \
    X(helpPage, "help_page")                   \
    X(bookmarks, "bookmarks")                  \
    X(queriesTsv, "queries_tsv")               \
    X(bitextTsv, "bitext_tsv")                 \
    X(safetensors, "safetensors")              \
    X(checkpointSidecar, "checkpoint_sidecar") \
    X(pins, "pins")

namespace clir::fuzz {
#define CLIRLAB_DECLARE_FUZZ_TARGET(name, folder) int name(const std::uint8_t*, std::size_t);
CLIRLAB_FUZZ_TARGETS(CLIRLAB_DECLARE_FUZZ_TARGET)
#undef CLIRLAB_DECLARE_FUZZ_TARGET
}  // namespace clir::fuzz
