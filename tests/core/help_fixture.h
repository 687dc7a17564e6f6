// Writes a small LibreOffice-help tree (English and Oromo) that the corpus tests build from:
// entities, nested tags, markup-only and id-less paragraphs, untranslated strings, a page in one
// language only, an index entry pointing to a missing page.
#pragma once

#include <string>

namespace clir::testing {

// Creates <root>/<lang>/{bookmarks.js,text/...} for "en-US" and "om".
void writeHelpFixture(const std::string& root);

}  // namespace clir::testing
