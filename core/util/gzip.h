// gzip files (zlib): the TREC runs a job writes are stored compressed (about a fifth of their
// text), and every reader takes a gzip file or a plain one alike, so runs written before and
// files users bring keep working.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace clir::gzip {

// Whether the file starts with gzip's magic bytes (false when it cannot be read).
bool isGzipFile(const std::string& path);
// The whole text of a gzip or plain file; throws std::runtime_error naming the file when it
// cannot be read or its compressed data is damaged.
std::string readText(const std::string& path);
// `text` in gzip format at `level` (1 fastest .. 9 smallest).
std::string compress(const std::string& text, int level = 1);

// Reads a gzip or plain file in pieces.
class Reader {
  public:
    explicit Reader(const std::string& path);  // throws naming the file
    ~Reader();
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;
    // Up to `size` bytes into `buffer`; 0 at the end. Throws naming the file on damaged data.
    std::size_t read(char* buffer, std::size_t size);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace clir::gzip
