// Help page and bookmarks.js parsers on pages the test writes itself.
#include <QtTest>

#include "core/data/bookmarks_parser.h"
#include "core/data/corpus_reader.h"
#include "core/data/help_page_parser.h"
#include "core/data/pins.h"
#include "core/model/checkpoint_meta.h"
#include "core/model/safetensors.h"
#include "core/util/fs.h"

#include <QTemporaryDir>
#include <cstdint>

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

// The other input files a job reads, each with the message a malformed one gets (the README's
// bad-input table).
class TestInputFiles : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;

    template <typename F>
    static std::string errorOf(F&& f) {
        try {
            f();
        } catch (const std::exception& e) {
            return e.what();
        }
        return "(accepted)";
    }

  private slots:
    void namedErrors_data() {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("message");
        QTest::newRow("queries no tab") << "queries" << QByteArray("q1\tfine\nq2 no tab\n")
                                        << "queries/de.entries.test.tsv:2: expected qid<TAB>text";
        QTest::newRow("queries duplicate") << "queries" << QByteArray("q1\ta\nq1\tb\n")
                                           << "queries/de.entries.test.tsv:2: duplicate qid 'q1'";
        QTest::newRow("bitext no tab") << "bitext" << QByteArray("one\ttwo\nnothing\n")
                                       << "bitext/eu.train.tsv:2: expected "
                                          "English<TAB>translation";
        QTest::newRow("bitext short ids") << "bitext-short" << QByteArray("one\ttwo\nthree\tfour\n")
                                          << "bitext/eu.train.ids: fewer lines than";
        QTest::newRow("pins digest")
            << "pins"
            << QByteArray(R"({"version":"1","packages":{"de":{"package":"p","sha256":"ab"}}})")
            << "pins.json: packages.de.sha256 is not a SHA-256 hex digest";
        QTest::newRow("sidecar heads")
            << "sidecar" << QByteArray(R"({"format":1,"encoder":{"preset":"xs",
            "vocab_size":10,"hidden":8,"layers":1,"heads":0,"ffn":8,"max_positions":8,
            "type_vocab_size":1,"dropout":0,"layer_norm_eps":1e-5,"pad_id":1},
            "tokenizer":{},"step":1,"files":{}})")
            << "checkpoint.json: not a clirlab checkpoint sidecar: "
               "encoder config: heads is 0 (must be positive)";
        QTest::newRow("sidecar path")
            << "sidecar" << QByteArray(R"({"format":1,"encoder":{"preset":"xs",
            "vocab_size":10,"hidden":8,"layers":1,"heads":2,"ffn":8,"max_positions":8,
            "type_vocab_size":1,"dropout":0,"layer_norm_eps":1e-5,"pad_id":1},
            "tokenizer":{},"step":1,"files":{"../x":{"bytes":1,"sha256":"a"}}})")
            << "checkpoint.json: not a clirlab checkpoint sidecar: file "
               "name '../x' is not a plain file name";
        // 8-byte length, header, data: offsets past the end of the 4 data bytes.
        const std::string header = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
        QByteArray st(8, 0);
        st[0] = char(header.size());
        st += QByteArray::fromStdString(header) + QByteArray(4, 0);
        QTest::newRow("safetensors offsets")
            << "safetensors" << st
            << "w.safetensors: tensor 'a' has data offsets that do not match its shape within "
               "the file";
        QTest::newRow("safetensors header size")
            << "safetensors" << QByteArray("\xff\xff\xff\xff\x00\x00\x00\x00{}", 10)
            << "w.safetensors: not a safetensors file (header size 4294967295)";
    }

    void namedErrors() {
        QFETCH(QString, kind);
        QFETCH(QByteArray, bytes);
        QFETCH(QString, message);
        const std::string dir = tmp_.filePath(QTest::currentDataTag()).toStdString();
        const std::string text = bytes.toStdString();
        std::string error;
        if (kind == "queries") {
            clir::fs::writeFileAtomic(dir + "/queries/de.entries.test.tsv", text);
            error = errorOf([&] { clir::data::readQueries(dir, "de", "entries", "test"); });
        } else if (kind.startsWith("bitext")) {
            clir::fs::writeFileAtomic(dir + "/bitext/eu.train.tsv", text);
            clir::fs::writeFileAtomic(dir + "/bitext/eu.train.ids",
                                      kind == "bitext" ? "a\nb\n" : "a\n");
            error = errorOf([&] { clir::data::readBitext(dir, "eu", "train"); });
        } else if (kind == "pins") {
            error = errorOf([&] { clir::data::parsePins(text, dir + "/pins.json"); });
        } else if (kind == "sidecar") {
            error = errorOf(
                [&] { clir::model::parseCheckpointSidecar(text, dir + "/checkpoint.json"); });
        } else {
            clir::fs::writeFileAtomic(dir + "/w.safetensors", text);
            error = errorOf([&] { clir::model::readSafetensorsHeader(dir + "/w.safetensors"); });
        }
        // Each message starts with the file's path, then says what is wrong.
        QVERIFY2(error.rfind(dir + "/", 0) == 0, error.c_str());
        QVERIFY2(error.find(message.toStdString()) != std::string::npos, error.c_str());
    }
};

int main(int argc, char** argv) {
    TestHelpParsers parsers;
    TestInputFiles files;
    return QTest::qExec(&parsers, argc, argv) | QTest::qExec(&files, argc, argv);
}
#include "test_help_parsers.moc"
