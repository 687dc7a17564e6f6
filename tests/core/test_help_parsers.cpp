// Help page and bookmarks.js parsers on pages the test writes itself.
#include <QtTest>

#include "core/data/bookmarks_parser.h"
#include "core/data/help_page_parser.h"

using namespace clir::data;

class TestHelpParsers : public QObject {
    Q_OBJECT
  private slots:
    void paragraphsEntitiesAndNestedTags() {
        std::string html =
            "<html><head><title>My &amp; Title</title><script>var s=\"<p id='par_idX'>js</p>\";"
            "</script></head><body>"
            "<h1 id=\"hd_id1\">Heading&nbsp;one</h1>"
            "<p id=\"par_id2\">A <b>bold</b>\n\n  move &#x41;&#66; &lt;tag&gt; &unknown; end</p>"
            "<p id=\"par_id3\"><img src=\"a.png\"/></p>"
            "<p>no id here</p>"
            "<div id=\"par_id4\">outer <p id=\"par_id5\">inner</p> tail</div>"
            "<p id=\"par_id2\">duplicate id</p>"
            "<table><tr><td><p id=\"par_id6\">cell one</p></td><td>x</td></tr></table>"
            "<p id=\"par_id7\">line<br/>break</p>"
            "</body></html>";
        HelpPage p = parseHelpPage(html, "fixture.html");
        QCOMPARE(p.title, std::string("My & Title"));
        QCOMPARE(int(p.paragraphs.size()), 5);
        QCOMPARE(p.paragraphs[0].id, std::string("hd_id1"));
        QVERIFY(p.paragraphs[0].heading);
        QCOMPARE(p.paragraphs[0].text, std::string("Heading one"));
        QCOMPARE(p.paragraphs[1].text, std::string("A bold move AB <tag> &unknown; end"));
        QVERIFY(!p.paragraphs[1].heading);
        QCOMPARE(p.paragraphs[2].id, std::string("par_id4"));
        QCOMPARE(p.paragraphs[2].text, std::string("outer inner tail"));
        QCOMPARE(p.paragraphs[3].text, std::string("cell one"));
        QCOMPARE(p.paragraphs[4].text, std::string("line break"));
        QCOMPARE(p.emptyParagraphs, 1);
        QCOMPARE(p.duplicateParagraphs, 1);
    }

    void bookmarkKeywordsInSourceOrder() {
        std::string html =
            "<a name=\"bm_id7\"></a><meta itemprop=\"keywords\" content=\"b, x\">"
            "<meta itemprop=\"keywords\" content=\"a &amp; c\"><meta name=\"other\" content=\"no\">"
            "<a name=\"bm_id8\"></a><a name=\"anchor\"></a><meta itemprop=\"keywords\" "
            "content=\"z\">";
        HelpPage p = parseHelpPage(html, "f.html");
        QCOMPARE(int(p.bookmarkKeywords.size()), 2);
        QCOMPARE(p.bookmarkKeywords["bm_id7"], (std::vector<std::string>{"b, x", "a & c"}));
        QCOMPARE(p.bookmarkKeywords["bm_id8"], (std::vector<std::string>{"z"}));
    }

    void nfcNormalisation() {
        // "e" + combining acute composes to U+00E9.
        HelpPage p = parseHelpPage("<p id=\"par_id1\">caf\x65\xcc\x81</p>", "f.html");
        QCOMPARE(p.paragraphs.at(0).text, std::string("caf\xc3\xa9"));
    }

    void invalidUtf8NamesFileLineColumn() {
        std::string html = "<p id=\"par_id1\">ok</p>\n<p>bad \xff byte</p>";
        try {
            parseHelpPage(html, "x/page.html");
            QFAIL("no error");
        } catch (const std::runtime_error& e) {
            QCOMPARE(std::string(e.what()), std::string("x/page.html:2:8: invalid UTF-8"));
        }
    }

    void bookmarksEntries() {
        std::string js =
            "var bookmarks = [\n"
            "{url:\"om/text/sw/a.html?DbPAR=WRITER#bm_id1\", app:\"WRITER\", text:\"x --  y\"},\n"
            "{url:\"om/text/sw/b.html#bm_id2\", app:\"WRITER\", text:\"&#34;\\\\\\\\&#34; op\"},\n"
            "{url:\"om/text/sw/c.html?DbPAR=CALC#bm_id3\", app:\"CALC\", text:\"ends in \\\"},\n"
            "];\n";
        auto e = parseBookmarks(js, "om", "om/bookmarks.js");
        QCOMPARE(int(e.size()), 3);
        QCOMPARE(e[0].page, std::string("text/sw/a.html"));
        QCOMPARE(e[0].bookmarkId, std::string("bm_id1"));
        QCOMPARE(e[0].app, std::string("WRITER"));
        QCOMPARE(e[0].text, std::string("x -- y"));
        QCOMPARE(e[0].line, std::size_t(2));
        QCOMPARE(e[1].page, std::string("text/sw/b.html"));
        QCOMPARE(e[1].text, std::string("\"\\\\\" op"));
        // The generator's unescaped trailing backslash: read up to the line's closing '"}'.
        QCOMPARE(e[2].text, std::string("ends in \\"));
        QCOMPARE(entryHeading("x -- y -- z"), std::string("x"));
        QCOMPARE(entryHeading("plain"), std::string("plain"));
    }

    void bookmarksErrors_data() {
        QTest::addColumn<QString>("line");
        QTest::addColumn<QString>("message");
        QTest::newRow("no url") << "{app:\"A\", text:\"t\"},"
                                << "om/bookmarks.js:2: entry without a url";
        QTest::newRow("no text") << "{url:\"om/text/a.html#bm_1\", app:\"A\"},"
                                 << "om/bookmarks.js:2: entry without a text";
        QTest::newRow("other language") << "{url:\"de/text/a.html#bm_1\", app:\"A\", text:\"t\"},"
                                        << "om/bookmarks.js:2: url 'de/text/a.html#bm_1' is not in";
        QTest::newRow("no anchor") << "{url:\"om/text/a.html\", app:\"A\", text:\"t\"},"
                                   << "om/bookmarks.js:2: url 'om/text/a.html' has no #bm_id";
    }
    void bookmarksErrors() {
        QFETCH(QString, line);
        QFETCH(QString, message);
        std::string js = "var bookmarks = [\n" + line.toStdString() + "\n];\n";
        try {
            parseBookmarks(js, "om", "om/bookmarks.js");
            QFAIL("no error");
        } catch (const std::runtime_error& e) {
            QVERIFY2(std::string(e.what()).rfind(message.toStdString(), 0) == 0, e.what());
        }
    }
};

QTEST_APPLESS_MAIN(TestHelpParsers)
#include "test_help_parsers.moc"
