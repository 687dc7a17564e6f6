// Text helpers: the cleaning every corpus string goes through (SPEC 2: entities decoded,
// whitespace normalised, NFC).
#include "core/util/text.h"

#include <utf8proc.h>

#include <cstdlib>
#include <stdexcept>
#include <unordered_map>

namespace clir::text {
namespace {

void appendUtf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += char(cp);
    } else if (cp < 0x800) {
        out += char(0xC0 | (cp >> 6));
        out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += char(0xE0 | (cp >> 12));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    } else {
        out += char(0xF0 | (cp >> 18));
        out += char(0x80 | ((cp >> 12) & 0x3F));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    }
}

const std::unordered_map<std::string_view, std::uint32_t>& namedEntities() {
    static const std::unordered_map<std::string_view, std::uint32_t> table = {
        {"amp", '&'},       {"lt", '<'},       {"gt", '>'},       {"quot", '"'},
        {"apos", '\''},     {"nbsp", 0xA0},    {"shy", 0xAD},     {"copy", 0xA9},
        {"reg", 0xAE},      {"trade", 0x2122}, {"deg", 0xB0},     {"plusmn", 0xB1},
        {"times", 0xD7},    {"divide", 0xF7},  {"middot", 0xB7},  {"laquo", 0xAB},
        {"raquo", 0xBB},    {"lsquo", 0x2018}, {"rsquo", 0x2019}, {"ldquo", 0x201C},
        {"rdquo", 0x201D},  {"ndash", 0x2013}, {"mdash", 0x2014}, {"hellip", 0x2026},
        {"bull", 0x2022},   {"euro", 0x20AC},  {"larr", 0x2190},  {"rarr", 0x2192},
        {"uarr", 0x2191},   {"darr", 0x2193},  {"harr", 0x2194},  {"le", 0x2264},
        {"ge", 0x2265},     {"ne", 0x2260},    {"infin", 0x221E}, {"sect", 0xA7},
        {"para", 0xB6},     {"micro", 0xB5},   {"frac12", 0xBD},  {"frac14", 0xBC},
        {"sup2", 0xB2},     {"sup3", 0xB3},    {"ensp", 0x2002},  {"emsp", 0x2003},
        {"thinsp", 0x2009}, {"zwnj", 0x200C},  {"zwj", 0x200D},   {"iexcl", 0xA1},
        {"iquest", 0xBF},   {"cent", 0xA2},    {"pound", 0xA3},   {"yen", 0xA5}};
    return table;
}

// Decodes one UTF-8 code point at s[i]; returns its byte length or 0 when malformed.
std::size_t decodeOne(std::string_view s, std::size_t i, std::uint32_t* cp) {
    utf8proc_int32_t c = 0;
    auto n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(s.data() + i),
                              static_cast<utf8proc_ssize_t>(s.size() - i), &c);
    if (n <= 0) return 0;
    *cp = static_cast<std::uint32_t>(c);
    return static_cast<std::size_t>(n);
}

bool isSpace(std::uint32_t cp) {
    if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\f' || cp == '\v')
        return true;
    if (cp == 0xA0 || cp == 0x1680 || cp == 0x202F || cp == 0x205F || cp == 0x3000) return true;
    return cp >= 0x2000 && cp <= 0x200A;
}

}  // namespace

bool isValidUtf8(std::string_view s, std::size_t* badOffset) {
    std::size_t i = 0;
    while (i < s.size()) {
        if (static_cast<unsigned char>(s[i]) < 0x80) {
            ++i;
            continue;
        }
        std::uint32_t cp;
        std::size_t n = decodeOne(s, i, &cp);
        if (n == 0) {
            if (badOffset) *badOffset = i;
            return false;
        }
        i += n;
    }
    return true;
}

std::string nfc(std::string_view s) {
    std::size_t bad = 0;
    if (!isValidUtf8(s, &bad))
        throw std::invalid_argument("invalid UTF-8 at byte " + std::to_string(bad));
    utf8proc_uint8_t* out = nullptr;
    auto n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data()),
                          static_cast<utf8proc_ssize_t>(s.size()), &out,
                          static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
    if (n < 0) throw std::invalid_argument(utf8proc_errmsg(n));
    std::string result(reinterpret_cast<char*>(out), static_cast<std::size_t>(n));
    std::free(out);
    return result;
}

std::string decodeEntities(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    std::size_t i = 0;
    while (i < s.size()) {
        if (s[i] != '&') {
            out += s[i++];
            continue;
        }
        std::size_t semi = s.find(';', i + 1);
        if (semi == std::string_view::npos || semi - i > 12) {
            out += s[i++];
            continue;
        }
        std::string_view name = s.substr(i + 1, semi - i - 1);
        std::uint32_t cp = 0;
        bool ok = false;
        if (!name.empty() && name[0] == '#') {
            bool hex = name.size() > 1 && (name[1] == 'x' || name[1] == 'X');
            std::string digits(name.substr(hex ? 2 : 1));
            if (!digits.empty()) {
                char* end = nullptr;
                unsigned long v = std::strtoul(digits.c_str(), &end, hex ? 16 : 10);
                ok = end && *end == '\0' && v > 0 && v <= 0x10FFFF && !(v >= 0xD800 && v <= 0xDFFF);
                cp = static_cast<std::uint32_t>(v);
            }
        } else {
            auto it = namedEntities().find(name);
            if (it != namedEntities().end()) {
                ok = true;
                cp = it->second;
            }
        }
        if (!ok) {
            out += s[i++];
            continue;
        }
        appendUtf8(out, cp);
        i = semi + 1;
    }
    return out;
}

std::string collapseWhitespace(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    bool pendingSpace = false;
    std::size_t i = 0;
    while (i < s.size()) {
        std::uint32_t cp = static_cast<unsigned char>(s[i]);
        std::size_t n = 1;
        if (cp >= 0x80) {
            n = decodeOne(s, i, &cp);
            if (n == 0) {  // keep malformed bytes; the caller's UTF-8 check reports them
                cp = 0xFFFD;
                n = 1;
                out += s[i];
                i += 1;
                continue;
            }
        }
        if (isSpace(cp)) {
            pendingSpace = !out.empty();
        } else {
            if (pendingSpace) out += ' ';
            pendingSpace = false;
            out.append(s.substr(i, n));
        }
        i += n;
    }
    return out;
}

std::string clean(std::string_view s) {
    return nfc(collapseWhitespace(decodeEntities(s)));
}

std::string trim(std::string_view s) {
    std::size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
    return std::string(s.substr(b, e - b));
}

std::vector<std::string> split(std::string_view s, char sep) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= s.size(); ++i) {
        if (i == s.size() || s[i] == sep) {
            parts.emplace_back(s.substr(start, i - start));
            start = i + 1;
        }
    }
    return parts;
}

bool startsWith(std::string_view s, std::string_view p) {
    return s.substr(0, p.size()) == p;
}
bool endsWith(std::string_view s, std::string_view p) {
    return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

std::string toLowerAscii(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
    return out;
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
    std::string out;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (i) out += sep;
        out += parts[i];
    }
    return out;
}

std::size_t codePointCount(std::string_view s) {
    std::size_t n = 0;
    for (char c : s)
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
    return n;
}

std::pair<std::size_t, std::size_t> lineColumn(std::string_view s, std::size_t offset) {
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i < offset && i < s.size(); ++i) {
        if (s[i] == '\n') {
            ++line;
            col = 1;
        } else {
            ++col;
        }
    }
    return {line, col};
}

}  // namespace clir::text
