// Checkpoint sidecars (see checkpoint_meta.h).
#include "core/model/checkpoint_meta.h"

#include <stdexcept>

#include "core/config/schema.h"

namespace clir::model {

CheckpointSidecar parseCheckpointSidecar(const std::string& text, const std::string& source) {
    auto j = config::parseJson(text, source);
    auto fail = [&](const std::string& what) {
        throw std::runtime_error(source + ": not a clirlab checkpoint sidecar: " + what);
    };
    if (!j.is_object()) fail("the top level is not an object");
    if (j.value("format", nlohmann::json()) != kCheckpointFormat)
        throw std::runtime_error(source + ": unsupported checkpoint format " +
                                 j.value("format", nlohmann::json()).dump());
    CheckpointSidecar out;
    try {
        auto& meta = out.meta;
        meta.kind = j.value("kind", "encoder");
        if (!j.contains("encoder")) fail("no 'encoder' field");
        meta.encoder = EncoderConfig::fromJson(j.at("encoder"));
        const auto& tokenizer = j.at("tokenizer");
        meta.tokenizerPath = tokenizer.value("path", "");
        meta.tokenizerHash = tokenizer.value("sha256", "");
        meta.step = config::integerValue(j.at("step"), "step");
        if (meta.step < 0) fail("negative step " + std::to_string(meta.step));
        meta.configHash = j.value("config_hash", "");
        meta.training = j.value("training", nlohmann::json::object());
        const auto& files = j.at("files");
        if (!files.is_object()) fail("'files' is not an object");
        for (const auto& [name, info] : files.items()) {
            if (name.empty() || name == "." || name == ".." ||
                name.find_first_of("/\\") != std::string::npos || name.find('\0') != name.npos)
                fail("file name '" + name + "' is not a plain file name");
            const auto bytes = config::integerValue(info.at("bytes"), "files." + name + ".bytes");
            if (bytes < 0) fail("files." + name + ".bytes is negative");
            CheckpointFileRecord record{name, std::uintmax_t(bytes),
                                        info.at("sha256").get<std::string>()};
            if (record.sha256.size() != 64 ||
                record.sha256.find_first_not_of("0123456789abcdef") != std::string::npos)
                fail("files." + name + ".sha256 is not a SHA-256 hex digest");
            out.files.push_back(std::move(record));
        }
    } catch (const nlohmann::json::exception& e) {
        fail(e.what());
    } catch (const std::invalid_argument& e) {  // the encoder block
        fail(e.what());
    } catch (const config::ConfigError& e) {  // a mistyped integer
        fail(e.what());
    }
    return out;
}

}  // namespace clir::model
