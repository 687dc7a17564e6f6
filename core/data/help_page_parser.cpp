// A forgiving tag scanner for the help's generated XHTML: it needs elements with ids, the title,
// bookmark anchors and keyword metas, so it tracks open paragraph elements rather than building
// a full DOM.
#include "core/data/help_page_parser.h"

#include <set>
#include <stdexcept>

#include "core/util/text.h"

namespace clir::data {
namespace {

struct Tag {
    std::string name;  // lower case, without '/'
    bool closing = false;
    bool selfClosing = false;
    std::map<std::string, std::string> attributes;  // raw values (entities not decoded)
};

bool isNameChar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == ':';
}

// Parses the tag starting at html[pos] == '<'; returns the position after '>'.
std::size_t parseTag(std::string_view html, std::size_t pos, Tag& tag) {
    std::size_t i = pos + 1;
    if (i < html.size() && html[i] == '/') {
        tag.closing = true;
        ++i;
    }
    std::size_t nameStart = i;
    while (i < html.size() && isNameChar(html[i])) ++i;
    tag.name = text::toLowerAscii(html.substr(nameStart, i - nameStart));
    while (i < html.size() && html[i] != '>') {
        if (std::isspace(static_cast<unsigned char>(html[i]))) {
            ++i;
            continue;
        }
        if (html[i] == '/') {
            tag.selfClosing = true;
            ++i;
            continue;
        }
        std::size_t a = i;
        while (i < html.size() && isNameChar(html[i])) ++i;
        if (i == a) {  // stray character: skip it
            ++i;
            continue;
        }
        std::string attr = text::toLowerAscii(html.substr(a, i - a));
        std::string value;
        while (i < html.size() && std::isspace(static_cast<unsigned char>(html[i]))) ++i;
        if (i < html.size() && html[i] == '=') {
            ++i;
            while (i < html.size() && std::isspace(static_cast<unsigned char>(html[i]))) ++i;
            if (i < html.size() && (html[i] == '"' || html[i] == '\'')) {
                char q = html[i++];
                std::size_t v = i;
                while (i < html.size() && html[i] != q) ++i;
                value = std::string(html.substr(v, i - v));
                if (i < html.size()) ++i;
            } else {
                std::size_t v = i;
                while (i < html.size() && !std::isspace(static_cast<unsigned char>(html[i])) &&
                       html[i] != '>')
                    ++i;
                value = std::string(html.substr(v, i - v));
            }
        }
        tag.attributes[attr] = value;
    }
    return i < html.size() ? i + 1 : html.size();
}

bool isVoid(const std::string& name) {
    static const std::set<std::string> voids = {"br",  "img",  "meta", "link", "input", "hr",
                                                "col", "area", "base", "wbr",  "source"};
    return voids.count(name) > 0;
}

// Tags whose boundaries separate words; inline ones (span, a, em, ...) do not.
bool breaksWords(const std::string& name) {
    static const std::set<std::string> blocks = {
        "br", "p",  "div", "li", "ul",  "ol",  "td", "th", "tr",      "table",      "h1", "h2",
        "h3", "h4", "h5",  "h6", "pre", "img", "dt", "dd", "section", "blockquote", "hr"};
    return blocks.count(name) > 0;
}

bool isParagraphId(const std::string& id) {
    return text::startsWith(id, "par_id") || text::startsWith(id, "hd_id");
}

}  // namespace

HelpPage parseHelpPage(std::string_view html, const std::string& source) {
    std::size_t bad = 0;
    if (!text::isValidUtf8(html, &bad)) {
        auto [line, col] = text::lineColumn(html, bad);
        throw std::runtime_error(source + ":" + std::to_string(line) + ":" + std::to_string(col) +
                                 ": invalid UTF-8");
    }
    HelpPage page;
    std::set<std::string> seenIds;

    struct Open {
        std::string tagName;
        std::string id;
        bool heading;
        int depth;  // nesting of same-named tags inside it
        std::string raw;
    };
    std::vector<Open> open;  // paragraph elements being collected (outermost first)
    std::string title;
    bool inTitle = false;
    int skipDepth = 0;  // inside <script>/<style>
    std::string currentBookmark;

    auto appendText = [&](std::string_view t) {
        if (inTitle) title.append(t);
        if (!open.empty()) open.front().raw.append(t);
    };

    std::size_t i = 0;
    while (i < html.size()) {
        if (html[i] != '<') {
            std::size_t next = html.find('<', i);
            if (next == std::string_view::npos) next = html.size();
            if (skipDepth == 0) appendText(html.substr(i, next - i));
            i = next;
            continue;
        }
        if (html.compare(i, 4, "<!--") == 0) {
            std::size_t end = html.find("-->", i + 4);
            i = end == std::string_view::npos ? html.size() : end + 3;
            continue;
        }
        if (i + 1 < html.size() && (html[i + 1] == '!' || html[i + 1] == '?')) {
            std::size_t end = html.find('>', i);
            i = end == std::string_view::npos ? html.size() : end + 1;
            continue;
        }
        if (i + 1 >= html.size() ||
            !(std::isalpha(static_cast<unsigned char>(html[i + 1])) || html[i + 1] == '/')) {
            if (skipDepth == 0) appendText("<");  // a literal '<' in text
            ++i;
            continue;
        }
        Tag tag;
        i = parseTag(html, i, tag);
        if (tag.name == "script" || tag.name == "style") {
            if (tag.closing)
                skipDepth = std::max(0, skipDepth - 1);
            else if (!tag.selfClosing)
                ++skipDepth;
            continue;
        }
        if (skipDepth > 0) continue;
        if (tag.name == "title") {
            inTitle = !tag.closing;
            continue;
        }
        if (breaksWords(tag.name)) appendText(" ");
        if (!tag.closing && tag.name == "a") {
            auto it = tag.attributes.find("name");
            if (it != tag.attributes.end() && text::startsWith(it->second, "bm_id")) {
                currentBookmark = it->second;
                page.bookmarkKeywords[currentBookmark];
            }
        }
        if (!tag.closing && tag.name == "meta") {
            auto prop = tag.attributes.find("itemprop");
            auto content = tag.attributes.find("content");
            if (prop != tag.attributes.end() && prop->second == "keywords" &&
                content != tag.attributes.end() && !currentBookmark.empty())
                page.bookmarkKeywords[currentBookmark].push_back(text::clean(content->second));
        }
        if (isVoid(tag.name) || tag.selfClosing) {
            continue;
        }
        if (!tag.closing) {
            auto idIt = tag.attributes.find("id");
            if (idIt == tag.attributes.end() || !isParagraphId(idIt->second)) {
                for (auto& o : open)
                    if (o.tagName == tag.name) ++o.depth;
            } else {
                bool heading = text::startsWith(idIt->second, "hd_id") ||
                               (tag.name.size() == 2 && tag.name[0] == 'h' &&
                                std::isdigit(static_cast<unsigned char>(tag.name[1])));
                // A paragraph nested in another one belongs to the outer one's text.
                open.push_back({tag.name, idIt->second, heading, 0, ""});
            }
            continue;
        }
        // Closing tag: finish the innermost open paragraph element it closes.
        for (std::size_t k = open.size(); k-- > 0;) {
            if (open[k].tagName != tag.name) continue;
            if (open[k].depth > 0) {
                --open[k].depth;
                continue;
            }
            Open done = std::move(open[k]);
            open.erase(open.begin() + static_cast<std::ptrdiff_t>(k));
            if (k != 0) break;  // nested: its text already went to the outer paragraph
            std::string cleaned = text::clean(done.raw);
            if (cleaned.empty()) {
                ++page.emptyParagraphs;
            } else if (!seenIds.insert(done.id).second) {
                ++page.duplicateParagraphs;
            } else {
                page.paragraphs.push_back({done.id, cleaned, done.heading});
            }
            break;
        }
    }
    page.title = text::clean(title);
    return page;
}

}  // namespace clir::data
