// Parses a help language's index, bookmarks.js: one entry per line,
//   {url:"<lang>/text/.../page.html?DbPAR=APP#bm_id...", app:"APP", text:"heading -- sub-entry"},
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace clir::data {

struct BookmarkEntry {
    std::string page;        // path below the language folder, e.g. text/swriter/guide/x.html
    std::string bookmarkId;  // bm_id...
    std::string app;         // WRITER, CALC, ...
    std::string text;        // cleaned index entry; may be empty
    std::size_t line = 0;    // 1-based line in bookmarks.js
};

// Throws std::runtime_error "<source>:<line>: ..." for a malformed entry line.
std::vector<BookmarkEntry> parseBookmarks(std::string_view js, const std::string& language,
                                          const std::string& source);

// The heading of an entry: the part before the first " -- " (the whole entry if none).
std::string entryHeading(const std::string& entry);

}  // namespace clir::data
