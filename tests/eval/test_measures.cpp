// Measures against trec_eval 10.0: golden cases computed by hand from trec_eval's source
// (m_ndcg_cut.c discounts rank r by log2(r + 1) everywhere; trec_eval.c evaluates -c's missing
// queries on an empty ranking; m_num_rel.c counts every qrels query's relevant documents under
// -c), ties, zero relevant, graded relevance, 1000+ documents, trec_eval's output format, and,
// when CLIRLAB_TREC_EVAL names a trec_eval 10.0 binary, a differential run against it.
#include <QtTest>

#include <QProcess>
#include <QTemporaryDir>
#include <filesystem>
#include <cmath>
#include <random>
#include <sstream>

#include "core/eval/measures.h"
#include "core/eval/trec_io.h"
#include "core/util/fs.h"
#include "core/util/gzip.h"

using namespace clir::eval;

namespace {

Run runOf(const std::string& text) {
    return parseRun(text, "run");
}
Qrels qrelsOf(const std::string& text) {
    return parseQrels(text, "qrels");
}

}  // namespace

class TestMeasures : public QObject {
    Q_OBJECT
  private slots:
    void golden_data() {
        QTest::addColumn<QString>("qrels");
        QTest::addColumn<QString>("run");
        QTest::addColumn<bool>("complete");
        QTest::addColumn<QString>("qid");
        QTest::addColumn<QString>("measure");
        QTest::addColumn<double>("expected");

        // q1: d3 and d2 tie at 2.0; trec_eval puts the larger docid first: d1 d3 d2 d4.
        // Relevant d1, d2, d5 (d5 not retrieved). The rank column is ignored.
        const QString q1rels = "q1 0 d1 1\nq1 0 d2 1\nq1 0 d3 0\nq1 0 d5 1\n";
        const QString q1run =
            "q1 Q0 d4 1 1.0 t\nq1 Q0 d2 2 2.0 t\nq1 Q0 d1 3 3.0 t\nq1 Q0 d3 4 2.0 t\n";
        const double ap1 = (1.0 / 1 + 2.0 / 3) / 3;
        // Gains at ranks 1 and 3; ideal: three relevant at ranks 1..3, each over log2(r + 1).
        const double ndcg1 = (1.0 + 1.0 / 2.0) / (1.0 + 1.0 / std::log2(3.0) + 1.0 / 2.0);
        QTest::newRow("ties ap") << q1rels << q1run << false << "q1"
                                 << "map" << ap1;
        QTest::newRow("ties rr") << q1rels << q1run << false << "q1"
                                 << "recip_rank" << 1.0;
        QTest::newRow("ties P10") << q1rels << q1run << false << "q1"
                                  << "P_10" << 0.2;
        QTest::newRow("ties recall") << q1rels << q1run << false << "q1"
                                     << "recall_100" << 2.0 / 3;
        QTest::newRow("ties ndcg") << q1rels << q1run << false << "q1"
                                   << "ndcg_cut_10" << ndcg1;
        QTest::newRow("ties num_ret") << q1rels << q1run << false << "q1"
                                      << "num_ret" << 4.0;
        QTest::newRow("ties num_rel_ret") << q1rels << q1run << false << "q1"
                                          << "num_rel_ret" << 2.0;

        // Missing queries: q2 only in the run (ignored), q3 only in the qrels.
        const QString mixedRels = q1rels + "q3 0 d7 1\n";
        const QString mixedRun = q1run + "q2 Q0 d1 1 5.0 t\n";
        QTest::newRow("missing default") << mixedRels << mixedRun << false << "all"
                                         << "map" << ap1;
        QTest::newRow("missing -c") << mixedRels << mixedRun << true << "all"
                                    << "map" << ap1 / 2;
        // -c counts q3's relevant document too (m_num_rel.c's te_calc_avg_num_rel), and q3 is a
        // query of its own with map 0 and num_ret 0.
        QTest::newRow("missing -c num_rel") << mixedRels << mixedRun << true << "all"
                                            << "num_rel" << 4.0;
        QTest::newRow("missing default num_rel") << mixedRels << mixedRun << false << "all"
                                                 << "num_rel" << 3.0;
        QTest::newRow("missing -c num_ret") << mixedRels << mixedRun << true << "all"
                                            << "num_ret" << 4.0;
        QTest::newRow("missing -c q3 map") << mixedRels << mixedRun << true << "q3"
                                           << "map" << 0.0;
        QTest::newRow("missing -c q3 num_rel") << mixedRels << mixedRun << true << "q3"
                                               << "num_rel" << 1.0;
        QTest::newRow("missing -c ndcg") << mixedRels << mixedRun << true << "all"
                                         << "ndcg_cut_10" << ndcg1 / 2;

        // Zero relevant: judged but nothing relevant; counts in the mean as 0.
        const QString zeroRels = q1rels + "q4 0 d1 0\n";
        const QString zeroRun = q1run + "q4 Q0 d1 1 1.0 t\n";
        QTest::newRow("zero rel ap") << zeroRels << zeroRun << false << "q4"
                                     << "map" << 0.0;
        QTest::newRow("zero rel ndcg") << zeroRels << zeroRun << false << "q4"
                                       << "ndcg_cut_10" << 0.0;
        QTest::newRow("zero rel mean") << zeroRels << zeroRun << false << "all"
                                       << "map" << ap1 / 2;

        // Graded: gain 1 at rank 1, 2 at rank 2 (discount log2 3); ideal puts the 2 first.
        const double ideal5 = 2.0 / 1.0 + 1.0 / std::log2(3.0);
        QTest::newRow("graded ndcg") << "q5 0 d1 2\nq5 0 d2 1\n"
                                     << "q5 Q0 d2 1 0.9 t\nq5 Q0 d1 2 0.8 t\n"
                                     << false << "q5"
                                     << "ndcg_cut_10" << (1.0 + 2.0 / std::log2(3.0)) / ideal5;
        // Graded, rel 2 at rank 3: DCG = 2 / log2(4) = 1.
        QTest::newRow("graded ndcg rank3")
            << "q5 0 d1 2\nq5 0 d2 1\n"
            << "q5 Q0 d9 1 0.9 t\nq5 Q0 d8 2 0.85 t\nq5 Q0 d1 3 0.8 t\n"
            << false << "q5"
            << "ndcg_cut_10" << 1.0 / ideal5;
        // The cut: a relevant page at rank 11 adds nothing; the one at rank 10 adds 1/log2(11).
        QString cutRun;
        for (int r = 1; r <= 11; ++r)
            cutRun += QString("q8 Q0 e%1 %2 %3 t\n").arg(r, 2, 10, QChar('0')).arg(r).arg(100 - r);
        QTest::newRow("ndcg cut at 10")
            << "q8 0 e10 1\nq8 0 e11 1\n"
            << cutRun << false << "q8"
            << "ndcg_cut_10" << (1.0 / std::log2(11.0)) / (1.0 + 1.0 / std::log2(3.0));

        // All scores equal: order d9, d100, d10 (strcmp descending); relevant d10 at rank 3.
        const QString tieRels = "q7 0 d10 1\n";
        const QString tieRun = "q7 Q0 d10 1 1 t\nq7 Q0 d9 2 1 t\nq7 Q0 d100 3 1 t\n";
        QTest::newRow("equal scores rr") << tieRels << tieRun << false << "q7"
                                         << "recip_rank" << 1.0 / 3;
        QTest::newRow("equal scores ap") << tieRels << tieRun << false << "q7"
                                         << "map" << 1.0 / 3;
    }
    void golden() {
        QFETCH(QString, qrels);
        QFETCH(QString, run);
        QFETCH(bool, complete);
        QFETCH(QString, qid);
        QFETCH(QString, measure);
        QFETCH(double, expected);
        auto e = evaluate(runOf(run.toStdString()), qrelsOf(qrels.toStdString()), {complete});
        double got = qid == "all" ? e.mean.at(measure.toStdString())
                                  : e.perQuery.at(qid.toStdString()).at(measure.toStdString());
        QVERIFY2(std::fabs(got - expected) < 1e-12,
                 qPrintable(
                     QString("%1 vs expected %2").arg(got, 0, 'g', 17).arg(expected, 0, 'g', 17)));
    }

    void manyDocuments() {
        // 1500 documents, relevant at ranks 50, 500 and 1200, one relevant never retrieved.
        std::ostringstream run, qrels;
        for (int r = 1; r <= 1500; ++r)
            run << "q6 Q0 doc" << r << " " << r << " " << (2000 - r) << " t\n";
        qrels << "q6 0 doc50 1\nq6 0 doc500 1\nq6 0 doc1200 1\nq6 0 missing 1\n";
        auto e = evaluate(runOf(run.str()), qrelsOf(qrels.str()));
        const auto& v = e.perQuery.at("q6");
        QCOMPARE(v.at("num_ret"), 1500.0);
        QVERIFY(std::fabs(v.at("map") - (1.0 / 50 + 2.0 / 500 + 3.0 / 1200) / 4) < 1e-12);
        QCOMPARE(v.at("recall_100"), 0.25);
        QCOMPARE(v.at("recall_1000"), 0.5);
        QCOMPARE(v.at("P_10"), 0.0);
        QCOMPARE(v.at("recip_rank"), 1.0 / 50);
    }

    void trecEvalOutputFormat() {
        auto e = evaluate(runOf("q1 Q0 d1 1 3 tag\nq1 Q0 d2 2 2 tag\n"), qrelsOf("q1 0 d2 1\n"));
        std::string out = formatTrecEval(e, {"map", "num_rel_ret"}, true, "tag");
        QCOMPARE(out, std::string("map                   \tq1\t0.5000\n"
                                  "num_rel_ret           \tq1\t1\n"
                                  "runid                 \tall\ttag\n"
                                  "num_q                 \tall\t1\n"
                                  "map                   \tall\t0.5000\n"
                                  "num_rel_ret           \tall\t1\n"));
    }

    void malformedInput_data() {
        QTest::addColumn<bool>("isRun");
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<QString>("message");
        auto row = [](const char* name, bool isRun, const char* text, const char* message) {
            QTest::newRow(name) << isRun << QByteArray(text) << QString(message);
        };
        row("run columns", true, "q1 Q0 d1 1 2.0 t\nq1 Q0 d2 1 2.0\n",
            "run:2: expected 6 columns (qid Q0 docid rank score tag), found 5");
        row("run score", true, "q1 Q0 d1 1 high t\n", "run:1: score 'high' is not a finite number");
        row("run nan", true, "q1 Q0 d1 1 nan t\n", "run:1: score 'nan' is not a finite number");
        row("run rank", true, "q1 Q0 d1 x 1 t\n", "run:1: rank 'x' is not an integer");
        row("run duplicate", true, "q1 Q0 d1 1 2 t\n\nq1 Q0 d1 2 1 t\n",
            "run:3: duplicate document 'd1' for query 'q1'");
        row("run duplicate after another query", true,
            "q1 Q0 d1 1 2 t\nq2 Q0 d1 1 2 t\nq1 Q0 d2 2 1 t\nq1 Q0 d1 3 1 t\nq3 Q0 d1 1 x t\n",
            "run:4: duplicate document 'd1' for query 'q1'");
        row("run utf8", true, "q1 Q0 d\xff 1 2 t\n", "run:1: invalid UTF-8 at column 8");
        row("qrels columns", false, "q1 0 d1\n", "qrels:1: expected 4 columns");
        row("qrels rel", false, "q1 0 d1 yes\n", "qrels:1: relevance 'yes' is not an integer");
        row("qrels duplicate", false, "q1 0 d1 1\nq1 0 d1 0\n",
            "qrels:2: duplicate judgement of 'd1' for query 'q1'");
    }
    void malformedInput() {
        QFETCH(bool, isRun);
        QFETCH(QByteArray, text);
        QFETCH(QString, message);
        try {
            if (isRun)
                parseRun(text.toStdString(), "run");
            else
                parseQrels(text.toStdString(), "qrels");
            QFAIL("accepted malformed input");
        } catch (const TrecFormatError& e) {
            QVERIFY2(std::string(e.what()).rfind(message.toStdString(), 0) == 0, e.what());
        }
        if (!isRun) return;
        // The file reader of `clirlab eval` gives the same message, naming the file.
        QTemporaryDir tmp;
        const std::string path = tmp.filePath("run").toStdString();
        clir::fs::writeFileAtomic(path, text.toStdString());
        try {
            evaluateRunFile(path, qrelsOf("q1 0 d1 1\n"));
            QFAIL("the file reader accepted malformed input");
        } catch (const TrecFormatError& e) {
            const std::string expected = tmp.path().toStdString() + "/" + message.toStdString();
            QVERIFY2(std::string(e.what()).rfind(expected, 0) == 0, e.what());
        }
    }

    // The file evaluator (read in 4 MiB pieces, lines across piece boundaries) equals evaluate()
    // on the parsed run, bit for bit, per query and averaged, with and without -c: ties, queries
    // coming back after others, CRLF, blank lines, no final newline, '+' and exponent scores.
    void fileEvaluationEqualsInMemory() {
        QTemporaryDir tmp;
        std::mt19937 rng(11);
        std::string run, qrels;
        const int queries = 120;
        std::vector<int> next(queries, 0);
        for (int line = 0; line < 160000; ++line) {
            const int q = int(rng() % queries);  // interleaved: every query comes back
            const int d = next[q]++;
            const double score = double(rng() % 40) / 8;
            run += "q" + std::to_string(q) + (line % 7 == 0 ? "\tQ0\t" : " Q0 ") + "doc" +
                   std::to_string((rng() % 50) * 10000 + d) + " " + std::to_string(d) + " " +
                   (line % 11 == 0 ? "+" + std::to_string(score) : std::to_string(score)) +
                   (line % 13 == 0 ? "e0" : "") + " tag" + (line % 5 == 0 ? "\r\n" : "\n");
            if (line % 997 == 0) run += "\n";
        }
        run.pop_back();  // no final newline
        for (int q = 0; q < queries + 5; ++q)
            for (int j = 0; j < 8; ++j)
                qrels += "q" + std::to_string(q) + " 0 doc" +
                         std::to_string((rng() % 50) * 10000 + rng() % 1400) + "_" +
                         std::to_string(j) + " " + std::to_string(int(rng() % 3)) + "\n";
        // Judge some retrieved documents too.
        for (int q = 0; q < queries; q += 3)
            qrels +=
                "q" + std::to_string(q) + " 0 doc" + std::to_string(q * 10000 % 500000) + " 2\n";
        const std::string runPath = tmp.filePath("run").toStdString();
        clir::fs::writeFileAtomic(runPath, run);
        QVERIFY(run.size() > (std::size_t(1) << 22));  // more than one piece
        const auto judged = qrelsOf(qrels);
        const auto parsed = readRun(runPath);
        for (bool complete : {false, true}) {
            std::string tag;
            const auto fromFile = evaluateRunFile(runPath, judged, {complete}, &tag);
            const auto inMemory = evaluate(parsed, judged, {complete});
            QCOMPARE(tag, parsed.tag);
            QCOMPARE(fromFile.numQueries, inMemory.numQueries);
            QVERIFY(fromFile.perQuery == inMemory.perQuery);
            QVERIFY(fromFile.mean == inMemory.mean);
        }
        const auto compact = readRunCompact(runPath);
        QCOMPARE(compact.lines, parsed.lines);
        QCOMPARE(compact.qids.size(), parsed.byQuery.size());

        // The same run gzip-compressed (what jobs store): every reader gives the same, from a
        // smaller file (this random one: half; a real run of the study: a fifth); damaged data is
        // an error naming the file.
        const std::string gzPath = runPath + ".gz", qrelsPath = tmp.filePath("q").toStdString();
        clir::fs::writeFileAtomic(gzPath, clir::gzip::compress(run));
        clir::fs::writeFileAtomic(qrelsPath + ".gz", clir::gzip::compress(qrels));
        QVERIFY(clir::gzip::isGzipFile(gzPath) && !clir::gzip::isGzipFile(runPath));
        QVERIFY(std::filesystem::file_size(gzPath) * 2 < run.size());  // real runs: 5.5x
        QCOMPARE(formatRun(readRun(gzPath), "t"), formatRun(parsed, "t"));
        QVERIFY(readQrels(qrelsPath + ".gz").byQuery == judged.byQuery);
        std::string gzTag;
        QVERIFY(evaluateRunFile(gzPath, judged, {true}, &gzTag).perQuery ==
                evaluate(parsed, judged, {true}).perQuery);
        QCOMPARE(gzTag, parsed.tag);
        std::string damaged = clir::gzip::compress(run);
        damaged.resize(damaged.size() / 2);
        damaged += std::string(64, 'x');
        clir::fs::writeFileAtomic(gzPath, damaged);
        for (int reader = 0; reader < 2; ++reader) {
            try {
                if (reader == 0)
                    readRun(gzPath);
                else
                    readRunCompact(gzPath);
                QFAIL("a damaged gzip run was read");
            } catch (const TrecFormatError& e) {
                QVERIFY2(std::string(e.what()).find(gzPath) != std::string::npos, e.what());
            }
        }
    }

    void writeAndReadBack() {
        QTemporaryDir tmp;
        Run run = runOf("q1 Q0 a 9 1.5 x\nq1 Q0 b 8 2.5 x\nq1 Q0 c 7 1.5 x\n");
        std::string path = tmp.filePath("r.trec").toStdString();
        writeRun(path, run, "mytag", 2);
        QCOMPARE(clir::fs::readFile(path),
                 std::string("q1 Q0 b 1 2.5 mytag\nq1 Q0 c 2 1.5 mytag\n"));
        writeRun(path + ".gz", run, "mytag", 2);  // .gz: the same text, compressed
        QVERIFY(clir::gzip::isGzipFile(path + ".gz"));
        QCOMPARE(clir::gzip::readText(path + ".gz"),
                 std::string("q1 Q0 b 1 2.5 mytag\nq1 Q0 c 2 1.5 mytag\n"));
    }

    // Random runs with heavy ties, graded qrels, negative judgements, queries only in the run or
    // only in the qrels: every value, per query and averaged, with and without -c, equals
    // trec_eval 10.0's own output (4 decimals). Needs CLIRLAB_TREC_EVAL: trec_eval is not a
    // Debian package, so it is built outside the repository (README, "Evaluation").
    void matchesTrecEval() {
        const QByteArray binary = qgetenv("CLIRLAB_TREC_EVAL");
        if (binary.isEmpty())
            QSKIP("CLIRLAB_TREC_EVAL is not set (the path of a trec_eval 10.0 binary)");
        QTemporaryDir tmp;
        std::mt19937 rng(7);
        // Without -c, trec_eval 10.0 refuses a qrels query the run lacks (exit 4, "result qid
        // ... not found in qrels"); clirlab ignores it as 9.x did. So the plain pass uses the
        // qrels of the run's queries only, and -c the full qrels.
        std::ostringstream run, qrels, runQrels;
        for (int q = 0; q < 60; ++q) {
            std::string qid = "q" + std::to_string(q);
            int ndocs = q == 0 ? 1200 : 1 + int(rng() % 150);
            const bool inRun = q % 13 != 5;  // some queries only in the qrels
            if (inRun)
                for (int d = 0; d < ndocs; ++d)
                    run << qid << " Q0 D" << (rng() % 400) * 7 + d % 7 << "_" << d << " 0 "
                        << double(rng() % 20) / 4 << " t\n";
            if (q % 17 != 3) {  // some queries only in the run
                std::ostringstream judged;
                judged << qid << " 0 D0_0 " << int(rng() % 2) << "\n";
                for (int d = 1; d < 40; ++d)
                    if (rng() % 3 == 0)
                        judged << qid << " 0 D" << (rng() % 400) * 7 + d % 7 << "_" << d << " "
                               << int(rng() % 4) - (q % 11 == 0 ? 2 : 0) << "\n";
                qrels << judged.str();
                if (inRun) runQrels << judged.str();
            }
        }
        std::string runPath = tmp.filePath("run").toStdString();
        clir::fs::writeFileAtomic(runPath, run.str());
        clir::fs::writeFileAtomic(tmp.filePath("qrels").toStdString(), qrels.str());
        clir::fs::writeFileAtomic(tmp.filePath("run-qrels").toStdString(), runQrels.str());
        for (bool complete : {false, true}) {
            const std::string qrelsPath =
                tmp.filePath(complete ? "qrels" : "run-qrels").toStdString();
            QProcess te;
            QStringList args = {"-q",         "-m",          "num_ret", "-m",  "num_rel",
                                "-m",         "num_rel_ret", "-m",      "map", "-m",
                                "recip_rank", "-m",          "P.10",    "-m",  "recall.100,1000",
                                "-m",         "ndcg_cut.10"};
            if (complete) args << "-c";
            args << QString::fromStdString(qrelsPath) << QString::fromStdString(runPath);
            te.start(QString::fromLocal8Bit(binary), args);
            QVERIFY(te.waitForFinished(60000));
            QVERIFY2(te.exitCode() == 0, te.readAllStandardError().constData());
            auto e = evaluate(readRun(runPath), readQrels(qrelsPath), {complete});
            int compared = 0;
            for (const auto& line :
                 QString::fromUtf8(te.readAllStandardOutput()).split('\n', Qt::SkipEmptyParts)) {
                auto f = line.split('\t');
                std::string m = f[0].trimmed().toStdString(), qid = f[1].toStdString();
                if (m == "runid" || m == "num_q") {
                    if (m == "num_q") QCOMPARE(f[2].toULongLong(), qulonglong(e.numQueries));
                    continue;
                }
                double ours = qid == "all" ? e.mean.at(m) : e.perQuery.at(qid).at(m);
                QVERIFY2(std::fabs(ours - f[2].toDouble()) <= 0.00005 + 1e-12,
                         qPrintable(line + QString(" ours %1").arg(ours, 0, 'f', 6)));
                ++compared;
            }
            QCOMPARE(std::size_t(compared), (e.perQuery.size() + 1) * measureNames().size());
        }
    }
};

QTEST_APPLESS_MAIN(TestMeasures)
#include "test_measures.moc"
