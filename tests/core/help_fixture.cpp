// The fixture help tree (see help_fixture.h).
#include "tests/core/help_fixture.h"

#include <filesystem>
#include <fstream>

namespace clir::testing {
namespace {

void put(const std::string& path, const std::string& content) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << content;
}

std::string page(const std::string& lang, const std::string& title, const std::string& body) {
    return "<!DOCTYPE html>\n<html lang=\"" + lang + "\">\n<head>\n<title>" + title +
           "</title>\n<script type=\"text/javascript\">var x = \"<p "
           "id='par_idjs'>no</p>\";</script>"
           "\n</head>\n<body>\n<div id=\"DisplayArea\">\n" +
           body + "\n</div>\n</body>\n</html>\n";
}

}  // namespace

void writeHelpFixture(const std::string& root) {
    const std::string en = root + "/en-US/text/", om = root + "/om/text/";
    put(en + "a/page1.html",
        page("en-US", "Page One",
             "<a name=\"bm_id1\"></a><meta itemprop=\"keywords\" content=\"alpha, beta\">\n"
             "<meta itemprop=\"keywords\" content=\"gamma\">\n"
             "<h1 id=\"hd_id2\">Intro</h1>\n"
             "<p id=\"par_id1\" class=\"paragraph\">Hello &amp; welcome\n   "
             "<b>bold</b>&nbsp;text</p>\n"
             "<p id=\"par_id3\"><img src=\"media/x.png\" alt=\"\"/></p>\n"
             "<p id=\"par_id4\">one <span class=\"x\">two <em>three</em></span></p>\n"
             "<p class=\"noid\">A paragraph without an id is not a unit.</p>\n"
             "<p id=\"par_id8\">Press <span class=\"keycode\">Ctrl</span>+<span>C</span> "
             "&#34;now&#34;</p>\n"));
    put(en + "a/page2.html",
        page("en-US", "Page Two",
             "<a name=\"bm_id2\"></a><meta itemprop=\"keywords\" content=\"alpha,delta\">\n"
             "<p id=\"par_id5\">Second page text about alpha and delta</p>\n"));
    put(en + "a/only_en.html",
        page("en-US", "Only English",
             "<a name=\"bm_id3\"></a><meta itemprop=\"keywords\" content=\"epsilon\">\n"
             "<p id=\"par_id6\">English only epsilon</p>\n"));
    put(root + "/en-US/bookmarks.js",
        "var bookmarks = [\n"
        "{url:\"en-US/text/a/page1.html?DbPAR=SHARED#bm_id1\", app:\"SHARED\", text:\"alpha -- "
        "beta\"},\n"
        "{url:\"en-US/text/a/page2.html?DbPAR=SHARED#bm_id2\", app:\"SHARED\", text:\"alpha -- "
        "delta\"},\n"
        "{url:\"en-US/text/a/only_en.html?DbPAR=SHARED#bm_id3\", app:\"SHARED\", "
        "text:\"epsilon\"},\n"
        "{url:\"en-US/text/a/page1.html?DbPAR=SHARED#bm_id1\", app:\"SHARED\", text:\"gamma\"},\n"
        "{url:\"en-US/text/a/missing.html?DbPAR=SHARED#bm_id9\", app:\"SHARED\", text:\"ghost\"},\n"
        "];\n");

    put(om + "a/page1.html",
        page("om", "Fuula Tokko",
             "<a name=\"bm_id1\"></a><meta itemprop=\"keywords\" content=\"alfaa, beetaa\">\n"
             "<meta itemprop=\"keywords\" content=\"gamma\">\n"
             "<h1 id=\"hd_id2\">Intro</h1>\n"
             "<p id=\"par_id1\" class=\"paragraph\">Akkam &amp; nagaan dhuftan</p>\n"
             "<p id=\"par_id4\">tokko <span>lama <em>sadii</em></span></p>\n"
             "<p id=\"par_id8\">Press <span class=\"keycode\">Ctrl</span>+<span>C</span> "
             "&#34;now&#34;</p>\n"));
    put(om + "a/page2.html",
        page("om", "Fuula Lama",
             "<a name=\"bm_id2\"></a><meta itemprop=\"keywords\" content=\"alfaa,deltaa\">\n"
             "<p id=\"par_id5\">Fuula lammataa</p>\n"));
    put(om + "a/only_om.html",
        page("om", "Afaan Oromoo qofa", "<p id=\"par_id7\">Qofaa barreeffame</p>\n"));
    put(root + "/om/bookmarks.js",
        "var bookmarks = [\n"
        "{url:\"om/text/a/page1.html?DbPAR=SHARED#bm_id1\", app:\"SHARED\", text:\"\"},\n"
        "{url:\"om/text/a/page1.html?DbPAR=SHARED#bm_id1\", app:\"SHARED\", text:\"alfaa -- "
        "beetaa\"},\n"
        "{url:\"om/text/a/page2.html?DbPAR=SHARED#bm_id2\", app:\"SHARED\", text:\"alfaa -- "
        "deltaa\"},\n"
        "{url:\"om/text/a/page1.html?DbPAR=SHARED#bm_id1\", app:\"SHARED\", text:\"gamma\"},\n"
        "];\n");
}

}  // namespace clir::testing
