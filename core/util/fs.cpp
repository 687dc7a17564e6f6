// File-system helpers (see fs.h).
#include "core/util/fs.h"

#include "core/util/sha256.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace clir::fs {
namespace {

std::string envOr(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return (v && *v) ? std::string(v) : fallback;
}

std::string home() {
    return envOr("HOME", "/tmp");
}

}  // namespace

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(path + ": cannot open: " + std::strerror(errno));
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void writeFileAtomic(const std::string& path, const std::string& content) {
    std::filesystem::path target(path);
    if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path());
    std::string tmp = path + ".tmp." + std::to_string(::getpid());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw std::runtime_error(path + ": cannot write: " + std::strerror(errno));
    const char* p = content.data();
    std::size_t left = content.size();
    while (left > 0) {
        ssize_t n = ::write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            int err = errno;
            ::close(fd);
            ::unlink(tmp.c_str());
            throw std::runtime_error(path + ": write failed: " + std::strerror(err));
        }
        p += n;
        left -= static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        throw std::runtime_error(path + ": write failed: " + std::strerror(err));
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        throw std::runtime_error(path + ": cannot replace: " + std::strerror(err));
    }
}

std::string treeSha256(const std::string& dir, const std::vector<std::string>& exclude) {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
        if (e.is_regular_file()) {
            auto name = std::filesystem::relative(e.path(), dir).generic_string();
            if (std::find(exclude.begin(), exclude.end(), name) == exclude.end())
                names.push_back(std::move(name));
        }
    std::sort(names.begin(), names.end());
    Sha256 tree;
    for (const auto& name : names) {
        tree.update(name);
        tree.update(std::string_view("\0", 1));
        tree.update(Sha256::hexOfFile(dir + "/" + name));
        tree.update("\n");
    }
    return tree.hexDigest();
}

std::string dataDir() {
    const char* explicitDir = std::getenv("CLIRLAB_DATA");
    if (explicitDir && *explicitDir) return explicitDir;
    return envOr("XDG_CACHE_HOME", home() + "/.cache") + "/clirlab";
}

std::string defaultDatabasePath() {
    const char* explicitDb = std::getenv("CLIRLAB_DB");
    if (explicitDb && *explicitDb) return explicitDb;
    return envOr("XDG_DATA_HOME", home() + "/.local/share") + "/clirlab/clirlab.db";
}

}  // namespace clir::fs
