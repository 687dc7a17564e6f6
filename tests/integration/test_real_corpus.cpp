// Integration: the real LibreOffice-help corpus built by `clirlab data build` (CI builds it).
// Checks the corpus invariants of SPEC 2 over every file.
#include <QtTest>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/data/corpus_stats.h"
#include "core/util/fs.h"

namespace {

std::vector<std::string> lines(const std::string& path) {
    std::ifstream in(path);
    std::vector<std::string> out;
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
}

const std::vector<std::string> kLanguages = {"en-US", "om", "km", "dz", "eu", "de", "fr", "es"};
const std::vector<std::string> kSplits = {"train", "dev", "test"};

}  // namespace

class TestRealCorpus : public QObject {
    Q_OBJECT
    std::string dir_;
    nlohmann::json manifest_;
    std::map<std::string, std::map<std::string, std::string>> docSplit_;  // lang -> doc -> split

  private slots:
    void initTestCase() {
        dir_ = clir::data::defaultCorpusDir();
        if (!QFile::exists(QString::fromStdString(dir_ + "/manifest.json"))) {
            if (qEnvironmentVariable("CI") == "true")
                QFAIL(qPrintable(QString::fromStdString("no corpus at " + dir_ + " in CI")));
            QSKIP("real corpus not built; run: clirlab data fetch && clirlab data build");
        }
        manifest_ = clir::data::loadManifest(dir_);
        for (const auto& lang : kLanguages)
            for (const auto& l : lines(dir_ + "/docs/" + lang + ".jsonl")) {
                auto j = nlohmann::json::parse(l);
                docSplit_[lang][j["id"]] = j["split"];
            }
    }

    void allEightLanguagesWithData() {
        for (const auto& lang : kLanguages) {
            QVERIFY2(manifest_["stats"].contains(lang), lang.c_str());
            QVERIFY2(docSplit_[lang].size() > 1500, lang.c_str());
            auto test = manifest_["stats"][lang]["test"];
            QVERIFY2(test["queries_entries"].get<int>() > 500, lang.c_str());
            QVERIFY2(test["queries_headings"].get<int>() > 300, lang.c_str());
            if (lang != "en-US")
                QVERIFY2(manifest_["stats"][lang]["train"]["bitext_pairs"].get<int>() > 10000,
                         lang.c_str());
            QCOMPARE(manifest_["sources"][lang]["sha256"].get<std::string>().size(),
                     std::size_t(64));
        }
    }

    void qrelsNameExistingDocumentsAndQueriesWithoutLeakage() {
        std::size_t checked = 0;
        for (const auto& q : kLanguages)
            for (const auto& set : {std::string("entries"), std::string("headings")})
                for (const auto& split : kSplits) {
                    std::set<std::string> qids;
                    for (const auto& l :
                         lines(dir_ + "/queries/" + q + "." + set + "." + split + ".tsv"))
                        qids.insert(l.substr(0, l.find('\t')));
                    for (const auto& d : {std::string("en-US"), q}) {
                        std::string file =
                            dir_ + "/qrels/" + q + "." + d + "." + set + "." + split + ".qrels";
                        QVERIFY2(QFile::exists(QString::fromStdString(file)), file.c_str());
                        for (const auto& l : lines(file)) {
                            std::istringstream f(l);
                            std::string qid, iter, doc, rel;
                            f >> qid >> iter >> doc >> rel;
                            QVERIFY2(qids.count(qid), (file + ": " + l).c_str());
                            QVERIFY2(docSplit_[d].count(doc), (file + ": " + l).c_str());
                            // A test query's relevant pages are test pages, and so on.
                            QVERIFY2(docSplit_["en-US"].at(doc) == split,
                                     (file + ": " + l).c_str());
                            ++checked;
                        }
                    }
                }
        QVERIFY(checked > 50000);
    }

    void noTranslatedQueryEqualsItsEnglishEntry() {
        std::map<std::string, std::set<std::string>> englishByBookmark;
        for (const auto& split : kSplits)
            for (const auto& l : lines(dir_ + "/queries/en-US.entries." + split + ".tsv")) {
                std::string qid = l.substr(0, l.find('\t'));
                englishByBookmark[qid.substr(0, qid.rfind('.'))].insert(l.substr(l.find('\t') + 1));
            }
        for (const auto& lang : kLanguages) {
            if (lang == "en-US") continue;
            for (const auto& split : kSplits)
                for (const auto& l :
                     lines(dir_ + "/queries/" + lang + ".entries." + split + ".tsv")) {
                    std::string qid = l.substr(0, l.find('\t'));
                    std::string text = l.substr(l.find('\t') + 1);
                    auto it = englishByBookmark.find(qid.substr(0, qid.rfind('.')));
                    QVERIFY2(it == englishByBookmark.end() || !it->second.count(text),
                             (lang + " " + l).c_str());
                }
        }
    }

    void bitextComesFromItsSplitOnly() {
        for (const auto& lang : kLanguages) {
            if (lang == "en-US") continue;
            for (const auto& split : kSplits) {
                auto ids = lines(dir_ + "/bitext/" + lang + "." + split + ".ids");
                auto pairs = lines(dir_ + "/bitext/" + lang + "." + split + ".tsv");
                QCOMPARE(ids.size(), pairs.size());
                for (std::size_t i = 0; i < ids.size(); ++i) {
                    std::string doc = ids[i].substr(0, ids[i].find('#'));
                    QVERIFY2(docSplit_["en-US"].at(doc) == split, ids[i].c_str());
                    auto tab = pairs[i].find('\t');
                    QVERIFY(tab != std::string::npos &&
                            pairs[i].find('\t', tab + 1) == std::string::npos);
                    QVERIFY2(pairs[i].substr(0, tab) != pairs[i].substr(tab + 1), pairs[i].c_str());
                }
            }
        }
    }
};

QTEST_APPLESS_MAIN(TestRealCorpus)
#include "test_real_corpus.moc"
