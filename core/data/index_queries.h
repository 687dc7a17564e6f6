// Turns a language's index entries into CLIR queries (SPEC 2): aligns each entry with its
// keyword position on the page so the same qid names the same entry in every language, and
// drops empty, unaligned, duplicate and untranslated entries with counts.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/data/bookmarks_parser.h"
#include "core/data/help_page_parser.h"

namespace clir::data {

struct IndexQuery {
    std::string qid;  // "<docid>#<bm_id>.<keyword position>", identical across languages
    std::string docid;
    std::string text;
    std::string heading;
};

struct IndexDropCounts {
    int total = 0;
    int empty = 0;
    int unaligned = 0;  // no matching keyword on the page: no cross-language identity
    int duplicate = 0;
    int missingPage = 0;  // points to a page the English help does not have
    int untranslated = 0;
};

// "text/swriter/guide/x.html" -> "swriter/guide/x"
std::string docIdOfPage(const std::string& page);

// `pages` holds this language's parsed pages by page path.
std::vector<IndexQuery> alignIndexEntries(const std::vector<BookmarkEntry>& entries,
                                          const std::map<std::string, HelpPage>& pages,
                                          const std::set<std::string>& englishDocIds,
                                          IndexDropCounts& counts);

// Drops entries identical to the English entry with the same qid, or to any English entry of
// the same bookmark (the help's sign of an untranslated string).
std::vector<IndexQuery> dropUntranslated(const std::vector<IndexQuery>& queries,
                                         const std::vector<IndexQuery>& english,
                                         IndexDropCounts& counts);

}  // namespace clir::data
