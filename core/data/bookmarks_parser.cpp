// bookmarks.js parsing (see bookmarks_parser.h).
#include "core/data/bookmarks_parser.h"

#include <stdexcept>

#include "core/util/text.h"

namespace clir::data {
namespace {

// Reads a JavaScript string literal starting at s[pos] == '"'; returns the position after it.
std::size_t readJsString(std::string_view s, std::size_t pos, std::string& out, bool& ok) {
    ok = false;
    std::size_t i = pos + 1;
    while (i < s.size()) {
        char c = s[i];
        if (c == '"') {
            ok = true;
            return i + 1;
        }
        if (c == '\\' && i + 1 < s.size()) {
            char e = s[i + 1];
            switch (e) {
                case 'n':
                    out += ' ';
                    break;
                case 't':
                    out += ' ';
                    break;
                default:
                    out += e;  // \\ \" \' and anything else stand for themselves
            }
            i += 2;
            continue;
        }
        out += c;
        ++i;
    }
    return i;
}

// Finds `key:"value"` in the line and returns the decoded value.
bool field(std::string_view line, std::string_view key, std::string& value) {
    std::string pattern = std::string(key) + ":\"";
    std::size_t p = line.find(pattern);
    if (p == std::string_view::npos) return false;
    bool ok = false;
    readJsString(line, p + pattern.size() - 1, value, ok);
    if (ok) return true;
    // The help generator writes a string that ends in a backslash unescaped ("...\"},): the
    // last '"}' of the line closes it. Read it with the backslash taken literally.
    std::size_t close = line.rfind("\"}");
    if (close == std::string_view::npos || close < p + pattern.size()) return false;
    std::string_view raw = line.substr(p + pattern.size(), close - p - pattern.size());
    value.clear();
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '\\' && i + 1 < raw.size()) ++i;
        value += raw[i];
    }
    return true;
}

}  // namespace

std::vector<BookmarkEntry> parseBookmarks(std::string_view js, const std::string& language,
                                          const std::string& source) {
    std::size_t bad = 0;
    if (!text::isValidUtf8(js, &bad)) {
        auto [line, col] = text::lineColumn(js, bad);
        throw std::runtime_error(source + ":" + std::to_string(line) + ":" + std::to_string(col) +
                                 ": invalid UTF-8");
    }
    std::vector<BookmarkEntry> entries;
    std::size_t lineNo = 0;
    std::size_t start = 0;
    const std::string prefix = language + "/";
    while (start <= js.size()) {
        std::size_t end = js.find('\n', start);
        if (end == std::string_view::npos) end = js.size();
        std::string_view line = js.substr(start, end - start);
        ++lineNo;
        start = end + 1;
        std::string trimmed = text::trim(line);
        if (trimmed.empty() || trimmed[0] != '{') {
            if (end == js.size()) break;
            continue;  // "var bookmarks = [", "];"
        }
        auto fail = [&](const std::string& what) {
            throw std::runtime_error(source + ":" + std::to_string(lineNo) + ": " + what);
        };
        std::string url, app, rawText;
        if (!field(trimmed, "url", url)) fail("entry without a url:\"...\" field");
        if (!field(trimmed, "text", rawText)) fail("entry without a text:\"...\" field");
        field(trimmed, "app", app);
        if (!text::startsWith(url, prefix))
            fail("url '" + url + "' is not in language folder '" + prefix + "'");
        std::size_t hash = url.find('#');
        std::size_t query = url.find('?');
        if (hash == std::string::npos) fail("url '" + url + "' has no #bm_id anchor");
        std::size_t pathEnd = std::min(query == std::string::npos ? hash : query, hash);
        BookmarkEntry e;
        e.page = url.substr(prefix.size(), pathEnd - prefix.size());
        e.bookmarkId = url.substr(hash + 1);
        e.app = app;
        e.text = text::clean(rawText);
        e.line = lineNo;
        if (e.page.empty() || e.bookmarkId.empty()) fail("url '" + url + "' has no page or anchor");
        entries.push_back(std::move(e));
        if (end == js.size()) break;
    }
    return entries;
}

std::string entryHeading(const std::string& entry) {
    std::size_t p = entry.find(" -- ");
    return text::trim(p == std::string::npos ? entry : entry.substr(0, p));
}

}  // namespace clir::data
