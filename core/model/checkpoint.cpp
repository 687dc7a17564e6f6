// Checkpoints and safetensors import (see checkpoint.h).
#include "core/model/checkpoint.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/optim/optimizer.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>

#include "core/util/fs.h"
#include "core/util/sha256.h"
#include "core/util/text.h"

namespace clir::model {
namespace stdfs = std::filesystem;

namespace {

constexpr int kFormat = 1;

void writeArchive(torch::serialize::OutputArchive& archive, const std::string& path) {
    try {
        archive.save_to(path);
    } catch (const std::exception& e) {
        throw std::runtime_error(path + ": cannot write checkpoint (disk full?): " +
                                 std::string(e.what()).substr(0, 200));
    }
}

at::Generator cpuGenerator() {
    return at::detail::getDefaultCPUGenerator();
}

}  // namespace

std::string saveCheckpoint(const std::string& dir, torch::nn::Module& model,
                           torch::optim::Optimizer* optimizer, const CheckpointMeta& meta,
                           const std::string& folderName, bool updateLatest) {
    std::string name = folderName.empty() ? "step-" + std::to_string(meta.step) : folderName;
    std::int64_t parameters = 0;
    for (const auto& p : model.parameters()) parameters += p.numel();
    std::string target = dir + "/" + name, tmp = target + ".partial";
    const auto previous = updateLatest ? latestCheckpoint(dir) : std::nullopt;
    stdfs::remove_all(tmp);
    stdfs::create_directories(tmp);
    {
        torch::serialize::OutputArchive archive;
        for (const auto& p : model.named_parameters()) archive.write(p.key(), p.value().detach());
        for (const auto& b : model.named_buffers()) archive.write(b.key(), b.value(), true);
        {
            auto gen = cpuGenerator();
            std::lock_guard<std::mutex> lock(gen.mutex());
            archive.write("__rng_cpu__", gen.get_state(), true);
        }
        writeArchive(archive, tmp + "/model.pt");
    }
    if (optimizer) {
        torch::serialize::OutputArchive archive;
        optimizer->save(archive);
        writeArchive(archive, tmp + "/optimizer.pt");
    }
    nlohmann::json files = nlohmann::json::object();
    for (const char* f : {"model.pt", "optimizer.pt"}) {
        std::string path = tmp + "/" + f;
        if (!stdfs::exists(path)) continue;
        files[f] = {{"bytes", stdfs::file_size(path)}, {"sha256", Sha256::hexOfFile(path)}};
    }
    nlohmann::json sidecar = {
        {"format", kFormat},
        {"kind", meta.kind},
        {"preset", meta.encoder.preset},
        {"encoder", meta.encoder.toJson()},
        {"parameters", parameters},
        {"tokenizer", {{"path", meta.tokenizerPath}, {"sha256", meta.tokenizerHash}}},
        {"step", meta.step},
        {"config_hash", meta.configHash},
        {"training", meta.training},
        {"files", files}};
    fs::writeFileAtomic(tmp + "/checkpoint.json", sidecar.dump(2) + "\n");
    stdfs::remove_all(target);
    stdfs::rename(tmp, target);
    if (updateLatest) {
        fs::writeFileAtomic(dir + "/latest", name + "\n");
        // The step checkpoint this one replaces as latest goes: a run keeps its latest step
        // (for resume) and its named ones ("best"), not a 400 MB copy per evaluation.
        if (previous && stdfs::path(*previous).filename().string().rfind("step-", 0) == 0 &&
            stdfs::path(*previous) != stdfs::path(target))
            stdfs::remove_all(*previous);
    }
    return target;
}

std::optional<std::string> latestCheckpoint(const std::string& dir) {
    std::string pointer = dir + "/latest";
    if (!stdfs::exists(pointer)) return std::nullopt;
    std::string target = dir + "/" + text::trim(fs::readFile(pointer));
    if (!stdfs::exists(target + "/checkpoint.json")) return std::nullopt;
    return target;
}

std::string checkpointWeightsKey(const std::string& checkpoint) {
    const std::string path = checkpoint + "/checkpoint.json";
    try {
        auto j = nlohmann::json::parse(fs::readFile(path));
        return j.at("files").at("model.pt").at("sha256").get<std::string>().substr(0, 16);
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(path + ": not a checkpoint sidecar (" + e.what() + ")");
    }
}

CheckpointMeta readCheckpointMeta(const std::string& checkpoint) {
    std::string sidecarPath = checkpoint + "/checkpoint.json";
    if (!stdfs::exists(sidecarPath))
        throw std::runtime_error(checkpoint + ": not a clirlab checkpoint (no checkpoint.json)");
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(fs::readFile(sidecarPath));
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(sidecarPath + ": unreadable: " + e.what());
    }
    if (j.value("format", 0) != kFormat)
        throw std::runtime_error(sidecarPath + ": unsupported checkpoint format " +
                                 j.value("format", nlohmann::json()).dump());
    for (const auto& [file, info] : j.at("files").items()) {
        std::string path = checkpoint + "/" + file;
        if (!stdfs::exists(path)) throw std::runtime_error(path + ": missing from the checkpoint");
        auto expected = info.at("bytes").get<std::uintmax_t>();
        auto actual = stdfs::file_size(path);
        if (actual != expected)
            throw std::runtime_error(path + ": truncated or altered (" + std::to_string(actual) +
                                     " bytes, the checkpoint recorded " + std::to_string(expected) +
                                     ")");
        if (Sha256::hexOfFile(path) != info.at("sha256").get<std::string>())
            throw std::runtime_error(path +
                                     ": corrupt (SHA-256 differs from the checkpoint's record)");
    }
    CheckpointMeta meta;
    meta.kind = j.value("kind", "encoder");
    meta.encoder = EncoderConfig::fromJson(j.at("encoder"));
    meta.tokenizerPath = j.at("tokenizer").value("path", "");
    meta.tokenizerHash = j.at("tokenizer").value("sha256", "");
    meta.step = j.at("step").get<std::int64_t>();
    meta.configHash = j.value("config_hash", "");
    meta.training = j.value("training", nlohmann::json::object());
    return meta;
}

CheckpointMeta loadCheckpoint(const std::string& checkpoint, XlmrEncoderImpl& model,
                              torch::optim::Optimizer* optimizer,
                              const CheckpointExpectation& expect, bool restoreRng) {
    return loadCheckpoint(checkpoint, model, model.config(), "encoder", optimizer, expect,
                          restoreRng);
}

CheckpointMeta loadCheckpoint(const std::string& checkpoint, torch::nn::Module& model,
                              const EncoderConfig& shape, const std::string& kind,
                              torch::optim::Optimizer* optimizer,
                              const CheckpointExpectation& expect, bool restoreRng) {
    auto meta = readCheckpointMeta(checkpoint);
    if (meta.kind != kind)
        throw std::runtime_error(checkpoint + ": a checkpoint of kind '" + meta.kind +
                                 "', this needs one of kind '" + kind + "'");
    if (!expect.preset.empty() && meta.encoder.preset != expect.preset)
        throw std::runtime_error(checkpoint + ": preset '" + meta.encoder.preset +
                                 "' does not match the requested '" + expect.preset + "'");
    if (meta.encoder.toJson() != shape.toJson())
        throw std::runtime_error(checkpoint + ": model shape " + meta.encoder.toJson().dump() +
                                 " does not match " + shape.toJson().dump());
    if (!expect.tokenizerHash.empty() && meta.tokenizerHash != expect.tokenizerHash)
        throw std::runtime_error(checkpoint + ": trained with another tokenizer (" +
                                 meta.tokenizerHash.substr(0, 12) + ", this run uses " +
                                 expect.tokenizerHash.substr(0, 12) + ")");
    torch::serialize::InputArchive archive;
    try {
        archive.load_from(checkpoint + "/model.pt");
        torch::NoGradGuard noGrad;
        for (auto& p : model.named_parameters()) {
            at::Tensor t;
            // Retrieval checkpoints written before query-term weights keep uniform ones.
            if (p.key() == "term_weights") {
                if (archive.try_read(p.key(), t)) p.value().copy_(t);
                continue;
            }
            archive.read(p.key(), t);
            p.value().copy_(t);
        }
        for (auto& b : model.named_buffers()) {
            at::Tensor t;
            archive.read(b.key(), t, true);
            b.value().copy_(t);
        }
        if (restoreRng) {
            at::Tensor state;
            archive.read("__rng_cpu__", state, true);
            auto gen = cpuGenerator();
            std::lock_guard<std::mutex> lock(gen.mutex());
            gen.set_state(state);
        }
        if (optimizer) {
            torch::serialize::InputArchive opt;
            opt.load_from(checkpoint + "/optimizer.pt");
            optimizer->load(opt);
        }
    } catch (const c10::Error& e) {
        throw std::runtime_error(checkpoint + ": cannot load: " +
                                 std::string(e.what_without_backtrace()).substr(0, 300));
    }
    return meta;
}

std::string huggingFaceToClirlab(const std::string& name) {
    std::string n = name;
    if (text::startsWith(n, "roberta.")) n = n.substr(8);
    if (text::startsWith(n, "lm_head.decoder.") || n == "embeddings.position_ids") return "";
    return n;
}

ImportReport importSafetensors(const std::string& path, XlmrEncoderImpl& model) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(path + ": cannot open");
    std::uint64_t headerSize = 0;
    unsigned char sizeBytes[8];
    if (!in.read(reinterpret_cast<char*>(sizeBytes), 8))
        throw std::runtime_error(path + ": not a safetensors file (shorter than 8 bytes)");
    for (int i = 7; i >= 0; --i) headerSize = (headerSize << 8) | sizeBytes[i];
    auto fileSize = stdfs::file_size(path);
    if (headerSize == 0 || headerSize > fileSize - 8 || headerSize > (100u << 20))
        throw std::runtime_error(path + ": not a safetensors file (header size " +
                                 std::to_string(headerSize) + ")");
    std::string headerText(headerSize, '\0');
    in.read(headerText.data(), std::streamsize(headerSize));
    nlohmann::json header;
    try {
        header = nlohmann::json::parse(headerText);
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(path + ": malformed safetensors header: " + e.what());
    }
    const std::uint64_t dataStart = 8 + headerSize;
    auto params = model.named_parameters();
    ImportReport report;
    std::set<std::string> seen;
    torch::NoGradGuard noGrad;
    for (const auto& [name, info] : header.items()) {
        if (name == "__metadata__") continue;
        std::string ours = huggingFaceToClirlab(name);
        if (ours.empty()) {
            report.skipped.push_back(name);
            continue;
        }
        auto* target = params.find(ours);
        if (!target)
            throw std::runtime_error(path + ": tensor '" + name + "' has no counterpart '" + ours +
                                     "' in a " + model.config().preset + " encoder");
        std::string dtype = info.at("dtype").get<std::string>();
        std::vector<std::int64_t> shape = info.at("shape").get<std::vector<std::int64_t>>();
        auto offsets = info.at("data_offsets").get<std::vector<std::uint64_t>>();
        if (shape != target->sizes().vec())
            throw std::runtime_error(path + ": tensor '" + name + "' has shape " +
                                     nlohmann::json(shape).dump() + ", the model expects " +
                                     nlohmann::json(target->sizes().vec()).dump());
        at::ScalarType type;
        std::size_t width;
        if (dtype == "F32")
            type = at::kFloat, width = 4;
        else if (dtype == "F16")
            type = at::kHalf, width = 2;
        else if (dtype == "BF16")
            type = at::kBFloat16, width = 2;
        else if (dtype == "F64")
            type = at::kDouble, width = 8;
        else
            throw std::runtime_error(path + ": tensor '" + name + "' has unsupported dtype " +
                                     dtype);
        std::uint64_t count = 1;
        for (auto d : shape) count *= std::uint64_t(d);
        if (offsets.size() != 2 || offsets[1] - offsets[0] != count * width ||
            dataStart + offsets[1] > fileSize)
            throw std::runtime_error(path + ": tensor '" + name +
                                     "' has data offsets outside the file");
        std::vector<char> buffer(count * width);
        in.seekg(std::streamoff(dataStart + offsets[0]));
        in.read(buffer.data(), std::streamsize(buffer.size()));
        auto t = at::from_blob(buffer.data(), shape, at::TensorOptions().dtype(type))
                     .to(target->scalar_type());
        target->copy_(t);
        seen.insert(ours);
        report.loaded.push_back(ours);
    }
    for (const auto& p : params)
        if (!seen.count(p.key())) report.missing.push_back(p.key());
    return report;
}

}  // namespace clir::model
