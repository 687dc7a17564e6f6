// BM25 over a small collection: ranking behaviour, stemming, depth, and the index cache.
#include <QtTest>

#include <QTemporaryDir>

#include "core/retrieval/bm25_index.h"

using namespace clir;

class TestBm25 : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    std::vector<data::CorpusDocument> docs_ = {
        {"calc/sum", "SUM function", "Adds all the numbers in a range of cells.", "train"},
        {"writer/styles", "Paragraph styles",
         "Styles format paragraphs. Running styles apply fast.", "train"},
        {"draw/shapes", "Drawing shapes", "Draw rectangles, circles and lines.", "test"},
        {"impress/slides", "Slides", "A presentation has slides; slides have layouts.", "test"},
    };

  private slots:
    void exactMatchFirst() {
        retrieval::Bm25Index index(tmp_.filePath("idx").toStdString(), "h1", "en-US", docs_);
        QVERIFY(index.wasBuilt());
        QCOMPARE(index.documentCount(), std::size_t(4));
        auto hits = index.search("sum of numbers", {});
        QVERIFY(!hits.empty());
        QCOMPARE(hits[0].docid, std::string("calc/sum"));
        hits = index.search("slides layouts", {});
        QCOMPARE(hits[0].docid, std::string("impress/slides"));
        for (std::size_t i = 1; i < hits.size(); ++i) QVERIFY(hits[i - 1].score >= hits[i].score);
    }

    void stemmingMatchesInflections() {
        retrieval::Bm25Index index(tmp_.filePath("idx").toStdString(), "h1", "en-US", docs_);
        auto hits = index.search("run", {});  // "Running" is stemmed to "run"
        QCOMPARE(int(hits.size()), 1);
        QCOMPARE(hits[0].docid, std::string("writer/styles"));
        QCOMPARE(retrieval::stemmerFor("eu"), std::string("basque"));
        QCOMPARE(retrieval::stemmerFor("km"), std::string());
    }

    void depthAndEmptyQueries() {
        retrieval::Bm25Index index(tmp_.filePath("idx").toStdString(), "h1", "en-US", docs_);
        retrieval::Bm25Settings s;
        s.depth = 1;
        QCOMPARE(int(index.search("styles slides shapes sum", s).size()), 1);
        QVERIFY(index.search("", {}).empty());
        QVERIFY(index.search("-- ; ,", {}).empty());
        QVERIFY(index.search("zzzunknownzzz", {}).empty());
    }

    void lengthNormalisationFollowsB() {
        // Two documents with one "shapes" each; the shorter scores higher when b > 0 and the
        // same when b = 0.
        std::vector<data::CorpusDocument> docs = {
            {"short", "", "shapes", ""},
            {"long", "", "shapes and many other words that make this document longer", ""},
            {"other", "", "nothing relevant", ""}};
        retrieval::Bm25Index index(tmp_.filePath("norm").toStdString(), "h2", "en-US", docs);
        auto withB = index.search("shapes", {1.2, 0.75, 10});
        QCOMPARE(withB[0].docid, std::string("short"));
        QVERIFY(withB[0].score > withB[1].score);
        auto noB = index.search("shapes", {1.2, 0.0, 10});
        QCOMPARE(noB[0].score, noB[1].score);
    }

    void cacheReusedUntilInputsChange() {
        std::string dir = tmp_.filePath("cache").toStdString();
        {
            retrieval::Bm25Index first(dir, "hashA", "en-US", docs_);
            QVERIFY(first.wasBuilt());
        }
        {
            retrieval::Bm25Index again(dir, "hashA", "en-US", docs_);
            QVERIFY(!again.wasBuilt());
        }
        retrieval::Bm25Index changed(dir, "hashB", "en-US", docs_);
        QVERIFY(changed.wasBuilt());
    }
};

QTEST_APPLESS_MAIN(TestBm25)
#include "test_bm25.moc"
