// Checkpoints and safetensors import (see checkpoint.h).
#include "core/model/checkpoint.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/optim/optimizer.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <cstring>
#include <fcntl.h>
#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>

#include "core/model/safetensors.h"
#include "core/util/fault.h"
#include "core/util/fs.h"
#include "core/util/sha256.h"
#include "core/util/text.h"

namespace clir::model {
namespace stdfs = std::filesystem;

// LibTorch's own file writer throws from its destructor when a write fails (a full disk ends
// the process in std::terminate): the archive is streamed through this writer instead, which
// remembers the first error, lets the archive finish in memory order, and reports it by name.
void writeArchiveFile(torch::serialize::OutputArchive& archive, const std::string& path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw std::runtime_error(path + ": cannot write: " + std::strerror(errno));
    int error = 0;
    try {
        archive.save_to([&](const void* data, std::size_t size) -> std::size_t {
            const char* p = static_cast<const char*>(data);
            for (std::size_t left = size; left > 0 && error == 0;) {
                const ssize_t n = ::write(fd, p, left);
                if (n < 0 && errno == EINTR) continue;
                if (n <= 0) {
                    error = n < 0 ? errno : EIO;
                    break;
                }
                p += n;
                left -= std::size_t(n);
            }
            return size;
        });
    } catch (const std::exception& e) {
        ::close(fd);
        throw std::runtime_error(path + ": cannot write: " + std::string(e.what()).substr(0, 200));
    }
    if (error == 0 && ::fsync(fd) != 0) error = errno;
    if (::close(fd) != 0 && error == 0) error = errno;
    if (error != 0) throw std::runtime_error(path + ": cannot write: " + std::strerror(error));
}

namespace {

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
    // A write that fails (a full disk) leaves no half checkpoint behind to hold the space.
    struct RemoveUnlessPublished {
        std::string path;
        bool published = false;
        ~RemoveUnlessPublished() {
            std::error_code ignored;
            if (!published) stdfs::remove_all(path, ignored);
        }
    } partial{tmp};
    {
        torch::serialize::OutputArchive archive;
        for (const auto& p : model.named_parameters()) archive.write(p.key(), p.value().detach());
        for (const auto& b : model.named_buffers()) archive.write(b.key(), b.value(), true);
        {
            auto gen = cpuGenerator();
            std::lock_guard<std::mutex> lock(gen.mutex());
            archive.write("__rng_cpu__", gen.get_state(), true);
        }
        writeArchiveFile(archive, tmp + "/model.pt");
    }
    if (optimizer) {
        torch::serialize::OutputArchive archive;
        optimizer->save(archive);
        writeArchiveFile(archive, tmp + "/optimizer.pt");
    }
    fault::point("checkpoint.write");
    nlohmann::json files = nlohmann::json::object();
    for (const char* f : {"model.pt", "optimizer.pt"}) {
        std::string path = tmp + "/" + f;
        if (!stdfs::exists(path)) continue;
        files[f] = {{"bytes", stdfs::file_size(path)}, {"sha256", Sha256::hexOfFile(path)}};
    }
    nlohmann::json sidecar = {
        {"format", kCheckpointFormat},
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
    partial.published = true;
    fault::point("checkpoint.publish");
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
    for (const auto& file : parseCheckpointSidecar(fs::readFile(path), path).files)
        if (file.name == "model.pt") return file.sha256.substr(0, 16);
    throw std::runtime_error(path + ": not a checkpoint sidecar (no model.pt recorded)");
}

CheckpointMeta readCheckpointMeta(const std::string& checkpoint) {
    std::string sidecarPath = checkpoint + "/checkpoint.json";
    if (!stdfs::exists(sidecarPath))
        throw std::runtime_error(checkpoint + ": not a clirlab checkpoint (no checkpoint.json)");
    auto sidecar = parseCheckpointSidecar(fs::readFile(sidecarPath), sidecarPath);
    for (const auto& file : sidecar.files) {
        std::string path = checkpoint + "/" + file.name;
        if (!stdfs::exists(path)) throw std::runtime_error(path + ": missing from the checkpoint");
        auto actual = stdfs::file_size(path);
        if (actual != file.bytes)
            throw std::runtime_error(path + ": truncated or altered (" + std::to_string(actual) +
                                     " bytes, the checkpoint recorded " +
                                     std::to_string(file.bytes) + ")");
        if (Sha256::hexOfFile(path) != file.sha256)
            throw std::runtime_error(path +
                                     ": corrupt (SHA-256 differs from the checkpoint's record)");
    }
    return sidecar.meta;
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
    auto tensors = readSafetensorsHeader(path);
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(path + ": cannot open");
    auto params = model.named_parameters();
    ImportReport report;
    std::set<std::string> seen;
    torch::NoGradGuard noGrad;
    for (const auto& tensor : tensors) {
        const std::string& name = tensor.name;
        std::string ours = huggingFaceToClirlab(name);
        if (ours.empty()) {
            report.skipped.push_back(name);
            continue;
        }
        auto* target = params.find(ours);
        if (!target)
            throw std::runtime_error(path + ": tensor '" + name + "' has no counterpart '" + ours +
                                     "' in a " + model.config().preset + " encoder");
        if (tensor.shape != target->sizes().vec())
            throw std::runtime_error(path + ": tensor '" + name + "' has shape " +
                                     nlohmann::json(tensor.shape).dump() + ", the model expects " +
                                     nlohmann::json(target->sizes().vec()).dump());
        at::ScalarType type = tensor.dtype == "F32"    ? at::kFloat
                              : tensor.dtype == "F16"  ? at::kHalf
                              : tensor.dtype == "BF16" ? at::kBFloat16
                                                       : at::kDouble;
        std::vector<char> buffer(tensor.end - tensor.begin);
        in.seekg(std::streamoff(tensor.begin));
        if (!in.read(buffer.data(), std::streamsize(buffer.size())))
            throw std::runtime_error(path + ": tensor '" + name + "': cannot read its data");
        auto t = at::from_blob(buffer.data(), tensor.shape, at::TensorOptions().dtype(type))
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
