// Writing a corpus folder (see corpus_writer.h).
#include "core/data/corpus_writer.h"

#include <filesystem>

#include "core/util/fs.h"
#include "core/util/sha256.h"

namespace clir::data {
namespace stdfs = std::filesystem;

CorpusWriter::CorpusWriter(std::string outDir)
    : outDir_(std::move(outDir)), dir_(outDir_ + ".partial") {
    stdfs::remove_all(dir_);
    stdfs::create_directories(dir_);
}

void CorpusWriter::write(const std::string& relativePath, const std::string& content) {
    fs::writeFileAtomic(dir_ + "/" + relativePath, content);
    hashes_[relativePath] = Sha256::hex(content);
}

std::string CorpusWriter::publish(nlohmann::json& manifest) {
    manifest["files"] = hashes_;
    const std::string hash = Sha256::hex(manifest.dump());
    manifest["hash"] = hash;
    fs::writeFileAtomic(dir_ + "/manifest.json", manifest.dump(2) + "\n");
    const std::string oldDir = outDir_ + ".old";
    stdfs::remove_all(oldDir);
    if (stdfs::exists(outDir_)) stdfs::rename(outDir_, oldDir);
    stdfs::rename(dir_, outDir_);
    stdfs::remove_all(oldDir);
    return hash;
}

}  // namespace clir::data
