// Parses one LibreOffice help page (XHTML generated from .xhp): title, paragraphs with their
// stable ids (par_id..., hd_id...), and the index keywords attached to each bookmark anchor.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace clir::data {

struct HelpParagraph {
    std::string id;    // par_id... or hd_id...
    std::string text;  // cleaned: tags stripped, entities decoded, whitespace collapsed, NFC
    bool heading = false;
};

struct HelpPage {
    std::string title;
    std::vector<HelpParagraph> paragraphs;  // in page order, first occurrence of each id
    // bm_id -> its keywords in source order (meta itemprop="keywords" after the anchor).
    std::map<std::string, std::vector<std::string>> bookmarkKeywords;
    int emptyParagraphs = 0;      // markup-only paragraphs, dropped
    int duplicateParagraphs = 0;  // repeated ids (switch/case variants), dropped
};

// `source` names the file in error messages. Throws std::runtime_error on invalid UTF-8.
HelpPage parseHelpPage(std::string_view html, const std::string& source);

}  // namespace clir::data
