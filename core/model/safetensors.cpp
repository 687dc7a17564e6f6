// Safetensors headers (see safetensors.h).
#include "core/model/safetensors.h"

#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "core/config/schema.h"

namespace clir::model {

namespace {

std::size_t elementBytes(const std::string& dtype) {
    if (dtype == "F32") return 4;
    if (dtype == "F16" || dtype == "BF16") return 2;
    if (dtype == "F64") return 8;
    return 0;
}

}  // namespace

std::vector<SafetensorsTensor> readSafetensorsHeader(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(path + ": cannot open");
    unsigned char sizeBytes[8];
    if (!in.read(reinterpret_cast<char*>(sizeBytes), 8))
        throw std::runtime_error(path + ": not a safetensors file (shorter than 8 bytes)");
    std::uint64_t headerSize = 0;
    for (int i = 7; i >= 0; --i) headerSize = (headerSize << 8) | sizeBytes[i];
    const std::uint64_t fileSize = std::filesystem::file_size(path);
    if (headerSize == 0 || headerSize > fileSize - 8 || headerSize > (100u << 20))
        throw std::runtime_error(path + ": not a safetensors file (header size " +
                                 std::to_string(headerSize) + ")");
    std::string headerText(headerSize, '\0');
    if (!in.read(headerText.data(), std::streamsize(headerSize)))
        throw std::runtime_error(path + ": cannot read the safetensors header");
    nlohmann::json header;
    try {
        header = nlohmann::json::parse(headerText);
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(path + ": malformed safetensors header: " + e.what());
    }
    if (!header.is_object())
        throw std::runtime_error(path + ": malformed safetensors header: not a JSON object");
    const std::uint64_t dataStart = 8 + headerSize, dataBytes = fileSize - dataStart;
    std::vector<SafetensorsTensor> out;
    for (auto entry = header.begin(); entry != header.end(); ++entry) {
        const std::string name = entry.key();
        const nlohmann::json& info = entry.value();
        if (name == "__metadata__") continue;
        auto bad = [&](const std::string& what) {
            return std::runtime_error(path + ": tensor '" + name + "' " + what);
        };
        SafetensorsTensor t;
        t.name = name;
        std::vector<std::uint64_t> offsets;
        try {
            if (!info.is_object()) throw bad("is not described by an object");
            t.dtype = info.at("dtype").get<std::string>();
            // Integers only: nlohmann's get<int64_t> on 1e61 is undefined behaviour.
            for (const auto& d : info.at("shape").get<std::vector<nlohmann::json>>())
                t.shape.push_back(config::integerValue(d, "a dimension"));
            for (const auto& o : info.at("data_offsets").get<std::vector<nlohmann::json>>()) {
                const auto offset = config::integerValue(o, "a data offset");
                if (offset < 0) throw bad("has a negative data offset");
                offsets.push_back(std::uint64_t(offset));
            }
        } catch (const nlohmann::json::exception& e) {
            throw bad(std::string("is malformed: ") + e.what());
        } catch (const config::ConfigError& e) {
            throw bad(std::string("is malformed: ") + e.what());
        }
        t.elementBytes = elementBytes(t.dtype);
        if (t.elementBytes == 0) throw bad("has unsupported dtype " + t.dtype);
        // The element count, refusing negative dimensions and anything past the file's size.
        std::uint64_t count = 1;
        for (auto d : t.shape) {
            if (d < 0) throw bad("has a negative dimension");
            if (d != 0 && count > dataBytes / std::uint64_t(d))
                throw bad("is larger than the file");
            count *= std::uint64_t(d);
        }
        if (offsets.size() != 2 || offsets[0] > offsets[1] || offsets[1] > dataBytes ||
            offsets[1] - offsets[0] != count * t.elementBytes)
            throw bad("has data offsets that do not match its shape within the file");
        t.begin = dataStart + offsets[0];
        t.end = dataStart + offsets[1];
        out.push_back(std::move(t));
    }
    return out;
}

}  // namespace clir::model
