// A checkpoint's JSON sidecar (SPEC 3) without LibTorch: what the checkpoint holds (preset and
// shape, tokenizer, step, config hash, job state) and the size and SHA-256 of each of its files.
// The fuzzed parser of issue 16; checkpoint.h writes, checks and loads the files themselves.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/model/encoder_config.h"

namespace clir::model {

inline constexpr int kCheckpointFormat = 1;

struct CheckpointMeta {
    EncoderConfig encoder;
    std::string tokenizerPath, tokenizerHash;
    std::int64_t step = 0;
    std::string configHash;
    nlohmann::json training = nlohmann::json::object();  // job-specific state (sampler RNG, ...)
    std::string kind = "encoder";  // encoder (pretraining) | retrieval (encoder + head) | ...
};

struct CheckpointFileRecord {
    std::string name;  // a plain file name inside the checkpoint folder
    std::uintmax_t bytes = 0;
    std::string sha256;  // 64 lower-case hex digits
};

struct CheckpointSidecar {
    CheckpointMeta meta;
    std::vector<CheckpointFileRecord> files;
};

// Parses checkpoint.json; throws std::runtime_error starting with `source` on anything that is
// not a sidecar this version wrote (malformed JSON, another format, a missing or mistyped
// field, a file name with a path in it, a digest that is not SHA-256).
CheckpointSidecar parseCheckpointSidecar(const std::string& text, const std::string& source);

}  // namespace clir::model
