// The header of a Hugging Face .safetensors file, read without LibTorch: an 8-byte little-endian
// header length, a JSON object of tensors (dtype, shape, data_offsets into the data that follows)
// and an optional "__metadata__" entry. Every offset and size is checked against the file before
// anything is read, so a malformed or hostile file fails with its name and the tensor's.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace clir::model {

struct SafetensorsTensor {
    std::string name, dtype;  // dtype: F32, F16, BF16 or F64 (what the import converts)
    std::vector<std::int64_t> shape;
    std::uint64_t begin = 0, end = 0;  // absolute byte offsets in the file
    std::size_t elementBytes = 0;
};

// Reads and checks the header of `path`; tensors in the file's order.
std::vector<SafetensorsTensor> readSafetensorsHeader(const std::string& path);

}  // namespace clir::model
