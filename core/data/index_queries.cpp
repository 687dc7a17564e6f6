// Index entry alignment (see index_queries.h).
#include "core/data/index_queries.h"

#include <unordered_map>

#include "core/util/text.h"

namespace clir::data {
namespace {

// bookmarks.js writes "a -- b" where the page's keyword meta writes "a, b" or "a,b".
std::string keywordKey(const std::string& s) {
    std::string out;
    std::size_t i = 0;
    while (i < s.size()) {
        bool sep = false;
        std::size_t len = 0;
        if (s.compare(i, 2, "--") == 0) {
            sep = true;
            len = 2;
        } else if (s[i] == ',' || s[i] == ';') {
            sep = true;
            len = 1;
        }
        if (sep) {
            while (!out.empty() && out.back() == ' ') out.pop_back();
            out += ',';
            i += len;
            while (i < s.size() && s[i] == ' ') ++i;
            continue;
        }
        if (s[i] == ' ' && (out.empty() || out.back() == ' ')) {
            ++i;
            continue;
        }
        out += s[i++];
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return text::toLowerAscii(out);
}

std::string bookmarkOfQid(const std::string& qid) {
    return qid.substr(0, qid.rfind('.'));
}

}  // namespace

std::string docIdOfPage(const std::string& page) {
    std::string id = page;
    if (text::startsWith(id, "text/")) id = id.substr(5);
    if (text::endsWith(id, ".html")) id.resize(id.size() - 5);
    return id;
}

std::vector<IndexQuery> alignIndexEntries(const std::vector<BookmarkEntry>& entries,
                                          const std::map<std::string, HelpPage>& pages,
                                          const std::set<std::string>& englishDocIds,
                                          IndexDropCounts& counts) {
    std::vector<IndexQuery> out;
    std::set<std::string> usedQids;
    std::unordered_map<std::string, std::vector<std::string>> keyCache;
    for (const auto& e : entries) {
        ++counts.total;
        if (e.text.empty()) {
            ++counts.empty;
            continue;
        }
        std::string docid = docIdOfPage(e.page);
        if (!englishDocIds.count(docid)) {
            ++counts.missingPage;
            continue;
        }
        auto page = pages.find(e.page);
        const std::vector<std::string>* keywords = nullptr;
        if (page != pages.end()) {
            auto kw = page->second.bookmarkKeywords.find(e.bookmarkId);
            if (kw != page->second.bookmarkKeywords.end()) keywords = &kw->second;
        }
        if (!keywords) {
            ++counts.unaligned;
            continue;
        }
        std::string key = keywordKey(e.text);
        std::string base = docid + "#" + e.bookmarkId;
        bool matched = false, duplicate = false;
        for (std::size_t k = 0; k < keywords->size(); ++k) {
            if (keywordKey((*keywords)[k]) != key) continue;
            std::string qid = base + "." + std::to_string(k);
            if (usedQids.count(qid)) {
                duplicate = true;
                continue;
            }
            usedQids.insert(qid);
            out.push_back({qid, docid, e.text, entryHeading(e.text)});
            matched = true;
            break;
        }
        if (!matched) ++(duplicate ? counts.duplicate : counts.unaligned);
    }
    return out;
}

std::vector<IndexQuery> dropUntranslated(const std::vector<IndexQuery>& queries,
                                         const std::vector<IndexQuery>& english,
                                         IndexDropCounts& counts) {
    std::unordered_map<std::string, std::set<std::string>> englishByBookmark;
    for (const auto& q : english) englishByBookmark[bookmarkOfQid(q.qid)].insert(q.text);
    std::vector<IndexQuery> out;
    for (const auto& q : queries) {
        auto it = englishByBookmark.find(bookmarkOfQid(q.qid));
        if (it != englishByBookmark.end() && it->second.count(q.text)) {
            ++counts.untranslated;
            continue;
        }
        out.push_back(q);
    }
    return out;
}

}  // namespace clir::data
