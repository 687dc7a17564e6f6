// Text helpers shared by the parsers: UTF-8 checks, NFC, HTML entities, whitespace.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace clir::text {

// True when s is well-formed UTF-8; otherwise badOffset (if given) gets the first bad byte.
bool isValidUtf8(std::string_view s, std::size_t* badOffset = nullptr);

// Unicode normalisation form C (utf8proc). Throws std::invalid_argument on invalid UTF-8.
std::string nfc(std::string_view s);

// Decodes named (the HTML 4 set the help uses) and numeric character references.
// Unknown references are kept verbatim, as browsers do.
std::string decodeEntities(std::string_view s);

// Collapses every run of white space (ASCII, NBSP, and other Unicode spaces) to one ASCII
// space and trims both ends.
std::string collapseWhitespace(std::string_view s);

// decodeEntities, then collapseWhitespace, then NFC: the one cleaning every corpus text gets.
std::string clean(std::string_view s);

std::string trim(std::string_view s);
std::vector<std::string> split(std::string_view s, char sep);
bool startsWith(std::string_view s, std::string_view prefix);
bool endsWith(std::string_view s, std::string_view suffix);
std::string toLowerAscii(std::string_view s);
std::string join(const std::vector<std::string>& parts, std::string_view sep);

// Number of Unicode code points (s must be valid UTF-8).
std::size_t codePointCount(std::string_view s);

// 1-based line and column of a byte offset, for error messages.
std::pair<std::size_t, std::size_t> lineColumn(std::string_view s, std::size_t offset);

}  // namespace clir::text
