// Checkpoints (SPEC 3): LibTorch serialisation of the model, optimizer and RNG state plus a JSON
// sidecar (preset and shape, tokenizer hash, step, config hash, file sizes and hashes), written
// atomically so a crash or a full disk never replaces a good checkpoint with a bad one. Also
// the import of Hugging Face XLM-R weights from .safetensors files.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/model/checkpoint_meta.h"
#include "core/model/encoder_config.h"
#include "core/model/xlmr_encoder.h"

namespace torch::optim {
class Optimizer;
}
namespace torch::serialize {
class OutputArchive;
}

namespace clir::model {

// Writes <dir>/<name>/ (name: step-<N> by default) and points <dir>/latest at it unless
// `updateLatest` is false; the step-<M> checkpoint that was latest before is then removed (a
// run keeps its latest step and its named checkpoints such as "best"). Returns the checkpoint
// folder. The module's parameters and buffers are saved by name.
std::string saveCheckpoint(const std::string& dir, torch::nn::Module& module,
                           torch::optim::Optimizer* optimizer, const CheckpointMeta& meta,
                           const std::string& name = "", bool updateLatest = true);

// Writes a LibTorch archive to `path` and syncs it; a failed write (a full disk) throws naming the
// file and the system's reason. (LibTorch's own file writer ends the process in std::terminate
// then, throwing from its destructor.)
void writeArchiveFile(torch::serialize::OutputArchive& archive, const std::string& path);

// The folder <dir>/latest points at, if any.
std::optional<std::string> latestCheckpoint(const std::string& dir);

// Reads and checks the sidecar and file sizes and hashes; throws naming the checkpoint when it
// is truncated, corrupt or not a checkpoint.
CheckpointMeta readCheckpointMeta(const std::string& checkpoint);

// The first 16 hex digits of the checkpoint's model.pt SHA-256 (from its sidecar): the key of
// caches made with these weights (encoded pages, translations).
std::string checkpointWeightsKey(const std::string& checkpoint);

struct CheckpointExpectation {
    std::string preset;         // empty: any
    std::string tokenizerHash;  // empty: any
};

// Loads weights (and optimizer and RNG state when given) after checking the expectation.
CheckpointMeta loadCheckpoint(const std::string& checkpoint, XlmrEncoderImpl& model,
                              torch::optim::Optimizer* optimizer,
                              const CheckpointExpectation& expect = {}, bool restoreRng = false);
// The same for any module holding an encoder of `shape`; the checkpoint's kind must be `kind`.
CheckpointMeta loadCheckpoint(const std::string& checkpoint, torch::nn::Module& module,
                              const EncoderConfig& shape, const std::string& kind,
                              torch::optim::Optimizer* optimizer,
                              const CheckpointExpectation& expect = {}, bool restoreRng = false);

struct ImportReport {
    std::vector<std::string> loaded, skipped, missing;  // our names / file names / our names
};

// Name map from Hugging Face XLMRobertaModel / XLMRobertaForMaskedLM: a leading "roberta." is
// dropped; everything else (embeddings.*, encoder.layer.N.*, pooler.dense.*, lm_head.dense.*,
// lm_head.layer_norm.*, lm_head.bias) is the same name here. lm_head.decoder.* is tied to the
// word embeddings and skipped; embeddings.position_ids is a buffer HF stores and is skipped.
// F32, F16, BF16 and F64 tensors are converted to the model's dtype. Throws naming the file and
// tensor on a malformed file, an unknown tensor or a shape mismatch.
std::string huggingFaceToClirlab(const std::string& name);
ImportReport importSafetensors(const std::string& path, XlmrEncoderImpl& model);

}  // namespace clir::model
