// gzip files (see gzip.h).
#include "core/util/gzip.h"

#include <zlib.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace clir::gzip {

struct Reader::Impl {
    gzFile file = nullptr;
    std::string path;
};

Reader::Reader(const std::string& path) : impl_(std::make_unique<Impl>()) {
    impl_->path = path;
    // gzread passes a file without gzip's header through unchanged.
    impl_->file = ::gzopen(path.c_str(), "rb");
    if (!impl_->file)
        throw std::runtime_error(path + ": cannot open: " + std::strerror(errno ? errno : ENOENT));
    ::gzbuffer(impl_->file, 1 << 20);
}

Reader::~Reader() {
    if (impl_->file) ::gzclose(impl_->file);
}

std::size_t Reader::read(char* buffer, std::size_t size) {
    const unsigned chunk = unsigned(std::min<std::size_t>(size, INT_MAX));
    const int got = ::gzread(impl_->file, buffer, chunk);
    if (got < 0) {
        int code = 0;
        const char* message = ::gzerror(impl_->file, &code);
        throw std::runtime_error(impl_->path +
                                 ": damaged gzip data: " + (message ? message : "read error"));
    }
    return std::size_t(got);
}

bool isGzipFile(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return false;
    unsigned char magic[2] = {0, 0};
    const bool gz = std::fread(magic, 1, 2, f) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    std::fclose(f);
    return gz;
}

std::string readText(const std::string& path) {
    Reader reader(path);
    std::string text;
    std::string buffer(1 << 20, '\0');
    while (const std::size_t got = reader.read(buffer.data(), buffer.size()))
        text.append(buffer.data(), got);
    return text;
}

std::string compress(const std::string& text, int level) {
    z_stream z{};
    // windowBits 15 + 16: a gzip header and trailer rather than zlib's.
    if (::deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        throw std::runtime_error("gzip: deflateInit2 failed");
    std::string out(::deflateBound(&z, uLong(text.size())), '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
    z.avail_in = uInt(text.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = uInt(out.size());
    const int rc = ::deflate(&z, Z_FINISH);
    const auto written = z.total_out;
    ::deflateEnd(&z);
    if (rc != Z_STREAM_END) throw std::runtime_error("gzip: deflate did not finish");
    out.resize(written);
    return out;
}

}  // namespace clir::gzip
