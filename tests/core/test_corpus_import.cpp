// `clirlab data import` (core/data/corpus_import.h): every accepted input format read into the
// built corpus's layout, splits from a file or the seeded splitter with test queries judged only
// against test documents, a manifest the jobs verify, and each malformed line named by file and
// line with the corpus already there left intact.
#include <QtTest>

#include <QTemporaryDir>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/config/schema.h"
#include "core/data/corpus_import.h"
#include "core/data/corpus_reader.h"
#include "core/data/corpus_stats.h"
#include "core/eval/trec_io.h"
#include "core/util/fs.h"

using namespace clir;

namespace {

void put(const std::string& path, const std::string& text) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

}  // namespace

class TestCorpusImport : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;

    std::string in(const std::string& name) const {
        return tmp_.filePath("in/" + QString::fromStdString(name)).toStdString();
    }

    // 12 English documents (JSONL as ir_datasets writes them), 12 Oromo-like ones (TSV with a
    // title), 6 topics: English as flat JSONL topics, Oromo as TSV, Somali-like as HC4's
    // nested topics; qrels with two relevant documents and one judged non-relevant per topic.
    nlohmann::json writeCollection() {
        std::string en, om, topics, nested, omQueries, qrels, bitext;
        for (int i = 0; i < 12; ++i) {
            en += nlohmann::json{{"doc_id", "d" + std::to_string(i)},
                                 {"title", "Page " + std::to_string(i)},
                                 {"text", "first  paragraph of page " + std::to_string(i) +
                                              "\n\nsecond paragraph"},
                                 {"url", "ignored"}}
                      .dump() +
                  "\n";
            om +=
                "d" + std::to_string(i) + "\txPage " + std::to_string(i) + "\txfirst xparagraph\n";
        }
        for (int t = 0; t < 6; ++t) {
            const std::string q = std::to_string(100 + t);
            topics += nlohmann::json{{"query_id", q},
                                     {"title", "topic " + q},
                                     {"description", "pages about topic " + q}}
                          .dump() +
                      "\n";
            nested += nlohmann::json{{"topic_id", 100 + t},
                                     {"topics",
                                      {{{"lang", "eng"}, {"topic_title", "topic " + q}},
                                       {{"lang", "som"},
                                        {"topic_title", "mawduuc " + q},
                                        {"topic_description", "bogag"}}}}}
                          .dump() +
                      "\n";
            omQueries += q + "\txtopic " + q + "\n";
            qrels += q + " 0 d" + std::to_string(t) + " 1\n" + q + " 0 d" + std::to_string(t + 6) +
                     " 2\n" + q + " Q0 d" + std::to_string((t + 1) % 12) + " 0\n";
        }
        for (int i = 0; i < 20; ++i)
            bitext += "the page " + std::to_string(i) + "\txthe xpage " + std::to_string(i) + "\n";
        bitext += "   \txthe xpage\n";  // an empty side: counted, not kept
        put(in("en.jsonl"), en);
        put(in("om.tsv"), om);
        put(in("topics.en.jsonl"), topics);
        put(in("topics.nested.jsonl"), nested);
        put(in("queries.om.tsv"), omQueries);
        put(in("qrels.txt"), qrels);
        put(in("bitext.om.tsv"), bitext);
        return {{"name", "toy"},
                {"documents",
                 {{{"language", "en-US"}, {"file", "en.jsonl"}},
                  {{"language", "om"}, {"file", "om.tsv"}}}},
                {"queries",
                 {{{"language", "en-US"},
                   {"file", "topics.en.jsonl"},
                   {"fields", {"title", "description"}}},
                  {{"language", "om"}, {"file", "queries.om.tsv"}},
                  {{"language", "so"},
                   {"file", "topics.nested.jsonl"},
                   {"topic_language", "som"},
                   {"fields", {"title", "description"}}}}},
                {"qrels", {{{"file", "qrels.txt"}}}},
                {"bitext", {{{"language", "om"}, {"file", "bitext.om.tsv"}}}},
                {"split", {{"train", 0.5}, {"dev", 0.2}, {"test", 0.3}, {"seed", 3}}}};
    }

    data::CorpusBuildResult import(const nlohmann::json& description, const std::string& out) {
        const std::string path = in("import.json");
        put(path, description.dump(2));
        auto spec = data::parseImportSpec(fs::readFile(path), path);
        return data::importCorpus(spec, out, jobs::JobContext());
    }

    // The error of importing `description` (empty when it succeeds).
    std::string errorOf(const nlohmann::json& description, const std::string& out) {
        try {
            import(description, out);
        } catch (const std::exception& e) {
            return e.what();
        }
        return "";
    }

  private slots:
    void everyFormatIntoTheCorpusLayout() {
        const auto out = tmp_.filePath("corpora/toy").toStdString();
        auto built = import(writeCollection(), out);
        data::verifyCorpus(out, data::loadManifest(out));  // what every job checks first
        QCOMPARE(built.manifest.at("settings").at("languages"),
                 nlohmann::json({"en-US", "om", "so"}));
        QCOMPARE(built.manifest.at("query_sets"), nlohmann::json({"entries"}));

        // Documents: ids from doc_id (JSONL) or the first column (TSV), white space collapsed,
        // empty paragraphs dropped, each paragraph a passage of its document's split.
        auto en = data::readDocuments(out, "en-US");
        QCOMPARE(en.size(), std::size_t(12));
        QCOMPARE(en[0].id, std::string("d0"));
        QCOMPARE(en[0].title, std::string("Page 0"));
        QCOMPARE(en[0].text, std::string("first paragraph of page 0\nsecond paragraph"));
        auto om = data::readDocuments(out, "om");
        QCOMPARE(om[3].title, std::string("xPage 3"));
        QCOMPARE(om[3].text, std::string("xfirst xparagraph"));
        auto passages = data::readPassages(out, "en-US");
        QCOMPARE(passages.train.size() + passages.heldOut.size(), std::size_t(24));

        // Queries in every language and split, from the named fields; nested topics by language.
        std::map<std::string, std::string> splitOf;
        std::size_t total = 0;
        for (const char* split : {"train", "dev", "test"}) {
            for (const auto& q : data::readQueries(out, "en-US", "entries", split)) {
                splitOf[q.qid] = split;
                QCOMPARE(q.text, "topic " + q.qid + " pages about topic " + q.qid);
                ++total;
            }
            auto so = data::readQueries(out, "so", "entries", split);
            for (const auto& q : so) {
                QCOMPARE(q.text, "mawduuc " + q.qid + " bogag");
                QCOMPARE(splitOf.at(q.qid), std::string(split));  // a topic: one split
            }
            QCOMPARE(data::readQueries(out, "om", "entries", split).size(),
                     data::readQueries(out, "en-US", "entries", split).size());
        }
        QCOMPARE(total, std::size_t(6));
        // The seeded splitter (seed 3) put the 6 topics in all three splits.
        std::set<std::string> used;
        for (const auto& [_, v] : splitOf) used.insert(v);
        QCOMPARE(used, (std::set<std::string>{"train", "dev", "test"}));

        // Qrels: every judgment of a query (non-relevant ones too) in its split's file, against
        // the English documents and against the Oromo ones with the same ids; a relevant
        // document is in its query's split (test queries judge test documents).
        std::map<std::string, std::string> docSplit;
        for (const auto& d : en) docSplit[d.id] = d.split;
        for (const char* split : {"train", "dev", "test"}) {
            for (const char* q : {"en-US", "om", "so"}) {
                auto qrels = eval::readQrels(data::qrelsPath(out, q, "en-US", "entries", split));
                for (const auto& [qid, docs] : qrels.byQuery) {
                    QCOMPARE(splitOf.at(qid), std::string(split));
                    QCOMPARE(docs.size(), std::size_t(3));
                    for (const auto& [doc, rel] : docs)
                        if (rel > 0) QCOMPARE(docSplit.at(doc), std::string(split));
                }
            }
            auto toOm = eval::readQrels(data::qrelsPath(out, "om", "om", "entries", split));
            QCOMPARE(toOm.byQuery.size(), data::readQueries(out, "om", "entries", split).size());
        }

        // Bitext: every non-empty pair in one split, keyed by its line; the empty one counted.
        std::size_t pairs = 0;
        for (const char* split : {"train", "dev", "test"}) {
            for (const auto& p : data::readBitext(out, "om", split)) {
                QVERIFY(p.key.rfind("om:line", 0) == 0);
                QCOMPARE("x" + p.english.substr(0, 3), p.other.substr(0, 4));
                ++pairs;
            }
        }
        QCOMPARE(pairs, std::size_t(20));
        QCOMPARE(built.manifest.at("dropped").at("om").at("bitext_empty").get<int>(), 1);
        // The statistics table names the imported set.
        const auto table = data::formatStatsTable(built.manifest);
        QVERIFY2(table.find("queries (entries)") != std::string::npos, table.c_str());

        // The same files from another folder: the same corpus hash (content, not paths).
        std::filesystem::copy(tmp_.filePath("in").toStdString(),
                              tmp_.filePath("moved").toStdString());
        auto moved =
            data::parseImportSpec(fs::readFile(tmp_.filePath("moved/import.json").toStdString()),
                                  tmp_.filePath("moved/import.json").toStdString());
        auto again = data::importCorpus(moved, tmp_.filePath("corpora/toy2").toStdString(),
                                        jobs::JobContext());
        QCOMPARE(again.hash, built.hash);
    }

    void splitsFromAFile() {
        auto d = writeCollection();
        d.erase("split");
        d["splits"] = "splits.tsv";
        put(in("splits.tsv"),
            "100\ttrain\n101\ttrain\n102\ttrain\n103\tdev\n104\ttest\n105\ttest\n");
        const auto out = tmp_.filePath("corpora/split-file").toStdString();
        auto built = import(d, out);
        QCOMPARE(data::readQueries(out, "om", "entries", "test").size(), std::size_t(2));
        QCOMPARE(data::readQueries(out, "om", "entries", "dev").size(), std::size_t(1));
        QCOMPARE(built.manifest.at("split_source").get<std::string>(), std::string("file"));
        // A query the file does not list is an error naming both files.
        put(in("splits.tsv"), "100\ttrain\n");
        const auto e = errorOf(d, out);
        QVERIFY2(e.find("splits.tsv: no split for query '101'") != std::string::npos, e.c_str());
    }

    void malformedLinesAreNamedAndTheOldCorpusStays_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QByteArray>("append");
        QTest::addColumn<QString>("expected");
        QTest::newRow("document JSON")
            << "en.jsonl" << QByteArray("{\"doc_id\": 5\n") << "en.jsonl:13: ";
        QTest::newRow("document without id") << "en.jsonl" << QByteArray("{\"text\": \"a\"}\n")
                                             << "en.jsonl:13: no \"doc_id\" or \"id\"";
        QTest::newRow("duplicate document")
            << "en.jsonl" << QByteArray("{\"id\": \"d3\", \"text\": \"a\"}\n")
            << "en.jsonl:13: duplicate document id 'd3' (first on line 4)";
        QTest::newRow("empty document")
            << "en.jsonl" << QByteArray("{\"id\": \"d99\", \"text\": \" \"}\n")
            << "en.jsonl:13: document 'd99' has neither title nor text";
        QTest::newRow("invalid UTF-8")
            << "om.tsv" << QByteArray("d5\t\xff\xfe\ttext\n") << "om.tsv:13: invalid UTF-8";
        QTest::newRow("TSV document fields")
            << "om.tsv" << QByteArray("only-an-id\n") << "om.tsv:13: expected id<TAB>text";
        QTest::newRow("TSV query") << "queries.om.tsv" << QByteArray("107\ta\tb\n")
                                   << "queries.om.tsv:7: expected qid<TAB>text";
        QTest::newRow("duplicate query")
            << "queries.om.tsv" << QByteArray("100\tagain\n")
            << "queries.om.tsv:7: duplicate qid '100' (first on line 1)";
        QTest::newRow("topic without text")
            << "topics.en.jsonl" << QByteArray("{\"query_id\": \"9\", \"title\": \"\"}\n")
            << "topics.en.jsonl:7: query '9' has no text in its fields title, description";
        QTest::newRow("nested topic language")
            << "topics.nested.jsonl"
            << QByteArray("{\"topic_id\": 9, \"topics\": [{\"lang\": \"eng\"}]}\n")
            << "topics.nested.jsonl:7: no topic in language 'som'";
        QTest::newRow("qrels fields")
            << "qrels.txt" << QByteArray("100 0 d1\n")
            << "qrels.txt:19: expected 'qid iteration docid relevance', got 3 fields";
        QTest::newRow("qrels relevance") << "qrels.txt" << QByteArray("100 0 d1 high\n")
                                         << "qrels.txt:19: relevance 'high' is not an integer";
        QTest::newRow("qrels unknown document")
            << "qrels.txt" << QByteArray("100 0 d77 1\n")
            << "qrels.txt:19: document 'd77' is not among the documents of";
        QTest::newRow("bitext fields")
            << "bitext.om.tsv" << QByteArray("one side only\n")
            << "bitext.om.tsv:22: expected English<TAB>translation, got 1 fields";
    }
    void malformedLinesAreNamedAndTheOldCorpusStays() {
        QFETCH(QString, file);
        QFETCH(QByteArray, append);
        QFETCH(QString, expected);
        const auto out = tmp_.filePath("corpora/kept").toStdString();
        auto good = writeCollection();
        const auto first = import(good, out);
        const std::string path = in(file.toStdString());
        std::ofstream(path, std::ios::app | std::ios::binary) << append.toStdString();
        auto e = errorOf(good, out);
        QVERIFY2(e.rfind(path + ":", 0) == 0, e.c_str());  // the file and line first
        QVERIFY2(e.find(expected.toStdString()) != std::string::npos, e.c_str());
        // The corpus imported before is untouched and still verifies.
        auto manifest = data::loadManifest(out);
        QCOMPARE(manifest.at("hash").get<std::string>(), first.hash);
        data::verifyCorpus(out, manifest);
        QVERIFY(!std::filesystem::exists(out + ".partial"));
    }

    void badDescriptionsNameTheField_data() {
        QTest::addColumn<QString>("patch");
        QTest::addColumn<QString>("expected");
        QTest::newRow("unknown key") << R"({"querys": []})"
                                     << "field 'querys': unknown key";
        QTest::newRow("no pivot documents")
            << R"({"documents": [{"language": "om", "file": "om.tsv"}]})"
            << "no documents of the pivot language en-US";
        QTest::newRow("language tag") << R"({"bitext": [{"language": "o m", "file": "x"}]})"
                                      << "field 'bitext[0].language': 'o m' is not a language tag";
        QTest::newRow("qrels set") << R"({"qrels": [{"set": "topics", "file": "qrels.txt"}]})"
                                   << "field 'qrels[0].set': no queries of set 'topics'";
        QTest::newRow("split shares") << R"({"split": {"train": 0.5, "dev": 0.5, "test": 0.5}})"
                                      << "train + dev + test must be 1";
        QTest::newRow("bitext split")
            << R"({"bitext": [{"language": "om", "file": "b", "split": "all"}]})"
            << "field 'bitext[0].split': 'all' is not train, dev or test";
        QTest::newRow("set name")
            << R"({"queries": [{"language": "om", "set": "a.b", "file": "q"}]})"
            << "field 'queries[0].set': 'a.b' may not contain";
    }
    void badDescriptionsNameTheField() {
        QFETCH(QString, patch);
        QFETCH(QString, expected);
        auto d = writeCollection();
        d.merge_patch(nlohmann::json::parse(patch.toStdString()));
        const std::string path = in("bad.json");
        put(path, d.dump());
        try {
            data::parseImportSpec(fs::readFile(path), path);
            QFAIL("accepted");
        } catch (const config::ConfigError& e) {
            const std::string m = e.what();
            QVERIFY2(m.rfind(path + ": ", 0) == 0, m.c_str());
            QVERIFY2(m.find(expected.toStdString()) != std::string::npos, m.c_str());
        }
    }

    void languageTags() {
        for (const char* ok : {"om", "en-US", "pt-BR", "zh-CN", "fil", "sr-Latn"})
            QVERIFY2(data::isLanguageTag(ok), ok);
        for (const char* bad : {"", "o", "en_US", "e1", "../x", "en-", "toolong", "en-a"})
            QVERIFY2(!data::isLanguageTag(bad), bad);
    }
};

QTEST_GUILESS_MAIN(TestCorpusImport)
#include "test_corpus_import.moc"
