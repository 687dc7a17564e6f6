// SHA-256 (FIPS 180-4), used to verify pinned packages and to hash corpora and configs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace clir {

class Sha256 {
  public:
    Sha256();
    void update(const void* data, std::size_t size);
    void update(std::string_view s) { update(s.data(), s.size()); }
    std::string hexDigest();  // finalises; the object must not be updated afterwards

    static std::string hex(std::string_view data);
    static std::string hexOfFile(const std::string& path);  // throws std::runtime_error

  private:
    void compress(const std::uint8_t* block);
    std::uint32_t h_[8];
    std::uint8_t buffer_[64];
    std::size_t bufferSize_ = 0;
    std::uint64_t totalBytes_ = 0;
};

}  // namespace clir
