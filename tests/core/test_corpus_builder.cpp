// The corpus builder on the fixture help tree: documents, bitext, queries, qrels, splits, drops.
#include <QtTest>

#include <QTemporaryDir>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/data/corpus_builder.h"
#include "core/util/fs.h"
#include "tests/core/help_fixture.h"

using namespace clir;

namespace {

std::vector<std::string> lines(const std::string& path) {
    std::istringstream in(fs::readFile(path));
    std::vector<std::string> out;
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
}

std::map<std::string, std::string> docSplits(const std::string& dir, const std::string& lang) {
    std::map<std::string, std::string> out;
    for (const auto& l : lines(dir + "/docs/" + lang + ".jsonl")) {
        auto j = nlohmann::json::parse(l);
        out[j["id"]] = j["split"];
    }
    return out;
}

}  // namespace

class TestCorpusBuilder : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    std::string out_;
    data::CorpusBuildResult built_;

    data::CorpusSettings settings() {
        auto s = data::CorpusSettings::defaults();
        s.languages = {"en-US", "om"};
        s.split = {0.34, 0.33, 0.33, 7};
        s.bitext.minChars = 2;
        return s;
    }

  private slots:
    void initTestCase() {
        std::string root = tmp_.filePath("help").toStdString();
        testing::writeHelpFixture(root);
        out_ = tmp_.filePath("corpus").toStdString();
        std::vector<data::LanguageSource> sources = {{"en-US", root, {{"fixture", true}}},
                                                     {"om", root, {{"fixture", true}}}};
        built_ = data::buildCorpus(settings(), sources, out_, jobs::JobContext{});
    }

    void englishDocuments() {
        auto docs = lines(out_ + "/docs/en-US.jsonl");
        QCOMPARE(int(docs.size()), 3);
        auto first = nlohmann::json::parse(docs[0]);
        QCOMPARE(first["id"].get<std::string>(), std::string("a/only_en"));
        auto page1 = nlohmann::json::parse(docs[1]);
        QCOMPARE(page1["id"].get<std::string>(), std::string("a/page1"));
        QCOMPARE(page1["title"].get<std::string>(), std::string("Page One"));
        QCOMPARE(
            page1["text"].get<std::string>(),
            std::string("Intro\nHello & welcome bold text\none two three\nPress Ctrl+C \"now\""));
        auto passages = lines(out_ + "/passages/en-US.jsonl");
        QCOMPARE(int(passages.size()), 6);
        QCOMPARE(nlohmann::json::parse(passages[1])["id"].get<std::string>(),
                 std::string("a/page1#hd_id2"));
    }

    void otherLanguageKeepsTranslatedTextOnly() {
        auto docs = docSplits(out_, "om");
        QCOMPARE(int(docs.size()), 3);  // page1, page2, and the page only om has
        QVERIFY(docs.count("a/only_om"));
        std::string text;
        for (const auto& l : lines(out_ + "/docs/om.jsonl")) {
            auto j = nlohmann::json::parse(l);
            if (j["id"] == "a/page1") text = j["text"];
        }
        // "Intro" and the untranslated "Press Ctrl+C" paragraph are identical to English.
        QCOMPARE(text, std::string("Akkam & nagaan dhuftan\ntokko lama sadii"));
        QCOMPARE(built_.manifest["dropped"]["om"]["paragraphs_untranslated"].get<int>(), 2);
    }

    void bitextAlignedById() {
        std::set<std::string> pairs;
        std::set<std::string> ids;
        for (const char* s : {"train", "dev", "test"}) {
            auto tsv = lines(out_ + "/bitext/om." + s + ".tsv");
            auto idl = lines(out_ + "/bitext/om." + s + ".ids");
            QCOMPARE(tsv.size(), idl.size());
            for (auto& l : tsv) pairs.insert(l);
            for (auto& l : idl) ids.insert(l);
        }
        QCOMPARE(pairs,
                 (std::set<std::string>{"Hello & welcome bold text\tAkkam & nagaan dhuftan",
                                        "one two three\ttokko lama sadii",
                                        "Second page text about alpha and delta\tFuula lammataa"}));
        QCOMPARE(ids,
                 (std::set<std::string>{"a/page1#par_id1", "a/page1#par_id4", "a/page2#par_id5"}));
    }

    void bitextOnlyFromItsSplit() {
        auto docs = docSplits(out_, "en-US");
        for (const char* s : {"train", "dev", "test"})
            for (const auto& id : lines(out_ + "/bitext/om." + s + ".ids"))
                QCOMPARE(docs.at(id.substr(0, id.find('#'))), std::string(s));
    }

    void entryQueriesAlignedAndFiltered() {
        std::map<std::string, std::string> om, en;
        for (const char* s : {"train", "dev", "test"}) {
            for (const auto& l : lines(out_ + "/queries/om.entries." + s + ".tsv"))
                om[l.substr(0, l.find('\t'))] = l.substr(l.find('\t') + 1);
            for (const auto& l : lines(out_ + "/queries/en-US.entries." + s + ".tsv"))
                en[l.substr(0, l.find('\t'))] = l.substr(l.find('\t') + 1);
        }
        // Empty entry and untranslated "gamma" dropped; qids name the keyword position.
        QCOMPARE(om, (std::map<std::string, std::string>{{"a/page1#bm_id1.0", "alfaa -- beetaa"},
                                                         {"a/page2#bm_id2.0", "alfaa -- deltaa"}}));
        QCOMPARE(en.at("a/page1#bm_id1.0"), std::string("alpha -- beta"));
        QCOMPARE(en.at("a/page1#bm_id1.1"), std::string("gamma"));
        QCOMPARE(en.at("a/only_en#bm_id3.0"), std::string("epsilon"));
        QCOMPARE(int(en.size()), 4);  // "ghost" points to a page that does not exist
        const auto& d = built_.manifest["dropped"];
        QCOMPARE(d["om"]["entries_empty"].get<int>(), 1);
        QCOMPARE(d["om"]["entries_untranslated"].get<int>(), 1);
        QCOMPARE(d["en-US"]["entries_missing_page"].get<int>(), 1);
        QCOMPARE(built_.manifest["stats"]["om"]["untranslated_share"].get<double>(), 0.25);
    }

    void qrelsNameExistingDocsAndQueriesInTheirSplit() {
        auto enDocs = docSplits(out_, "en-US");
        auto omDocs = docSplits(out_, "om");
        int total = 0;
        for (const char* q : {"en-US", "om"})
            for (const char* set : {"entries", "headings"})
                for (const char* s : {"train", "dev", "test"}) {
                    std::set<std::string> qids;
                    for (const auto& l :
                         lines(out_ + "/queries/" + q + "." + set + "." + s + ".tsv"))
                        qids.insert(l.substr(0, l.find('\t')));
                    for (const char* d : {"en-US", "om"}) {
                        std::string file =
                            out_ + "/qrels/" + q + "." + d + "." + set + "." + s + ".qrels";
                        if (!QFile::exists(QString::fromStdString(file))) continue;
                        const auto& docs = std::string(d) == "om" ? omDocs : enDocs;
                        for (const auto& l : lines(file)) {
                            std::istringstream f(l);
                            std::string qid, iter, doc, rel;
                            f >> qid >> iter >> doc >> rel;
                            QVERIFY2(qids.count(qid), l.c_str());
                            QVERIFY2(docs.count(doc), l.c_str());
                            QCOMPARE(enDocs.at(doc), std::string(s));  // no leakage across splits
                            QCOMPARE(iter + rel, std::string("01"));
                            ++total;
                        }
                    }
                }
        QVERIFY(total > 0);
    }

    void headingsCollectEveryIndexedPage() {
        std::map<std::string, std::set<std::string>> relevant;  // heading -> pages
        for (const char* s : {"train", "dev", "test"}) {
            std::map<std::string, std::string> text;
            for (const auto& l : lines(out_ + "/queries/om.headings." + s + ".tsv"))
                text[l.substr(0, l.find('\t'))] = l.substr(l.find('\t') + 1);
            for (const auto& l : lines(out_ + "/qrels/om.en-US.headings." + s + ".qrels")) {
                std::istringstream f(l);
                std::string qid, iter, doc;
                f >> qid >> iter >> doc;
                relevant[text.at(qid)].insert(doc);
            }
        }
        QCOMPARE(relevant,
                 (std::map<std::string, std::set<std::string>>{{"alfaa", {"a/page1", "a/page2"}}}));
    }

    void manifestProvenance() {
        auto m = nlohmann::json::parse(fs::readFile(out_ + "/manifest.json"));
        QCOMPARE(m["hash"].get<std::string>(), built_.hash);
        QCOMPARE(m["split_seed"].get<int>(), 7);
        QVERIFY(m["sources"]["om"]["fixture"].get<bool>());
        QVERIFY(m["files"].contains("bitext/om.train.tsv"));
    }

    void rebuildIsDeterministic() {
        std::string root = tmp_.filePath("help").toStdString();
        std::vector<data::LanguageSource> sources = {{"en-US", root, {{"fixture", true}}},
                                                     {"om", root, {{"fixture", true}}}};
        auto again = data::buildCorpus(settings(), sources, out_, jobs::JobContext{});
        QCOMPARE(again.hash, built_.hash);
    }

    void cancelledBuildLeavesOldCorpus() {
        std::string root = tmp_.filePath("help").toStdString();
        std::vector<data::LanguageSource> sources = {{"en-US", root, {}}, {"om", root, {}}};
        std::atomic<bool> cancel{true};
        jobs::JobContext ctx;
        ctx.cancel = &cancel;
        QVERIFY_THROWS_EXCEPTION(jobs::Cancelled,
                                 data::buildCorpus(settings(), sources, out_, ctx));
        auto m = nlohmann::json::parse(fs::readFile(out_ + "/manifest.json"));
        QCOMPARE(m["hash"].get<std::string>(), built_.hash);
    }

    void missingPivotIsAnError() {
        std::string root = tmp_.filePath("help").toStdString();
        QVERIFY_THROWS_EXCEPTION(
            std::runtime_error,
            data::buildCorpus(settings(), {{"om", root, {}}}, tmp_.filePath("x").toStdString(),
                              jobs::JobContext{}));
    }
};

QTEST_APPLESS_MAIN(TestCorpusBuilder)
#include "test_corpus_builder.moc"
