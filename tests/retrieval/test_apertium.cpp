// Apertium translation: batching, the line-by-line retry, failures that stay per query, and
// the real Debian pairs when installed.
#include <QtTest>

#include <QTemporaryDir>
#include <sys/stat.h>

#include "core/retrieval/apertium.h"
#include "core/util/fs.h"
#include "core/util/process.h"

using namespace clir::retrieval;

class TestApertium : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;

    std::string script(const char* name, const std::string& body) {
        std::string path = tmp_.filePath(name).toStdString();
        clir::fs::writeFileAtomic(path, "#!/bin/sh\n" + body + "\n");
        ::chmod(path.c_str(), 0755);
        return path;
    }

  private slots:
    void batchesKeepOrder() {
        ApertiumSettings s;
        s.program = script("upper", "tr a-z A-Z");
        s.batchSize = 2;
        auto out = translateWithApertium({"one", "two", "three"}, "xx-en", s);
        QCOMPARE(int(out.size()), 3);
        QCOMPARE(out[0].target, std::string("ONE"));
        QCOMPARE(out[2].target, std::string("THREE"));
        QVERIFY(out[1].error.empty());
    }

    void wrongLineCountRetriesLineByLine() {
        ApertiumSettings s;
        // Joins all lines into one: right for a single line, wrong for a batch.
        s.program = script("joiner", "tr '\\n' ' ' | sed 's/ $//'; echo");
        auto out = translateWithApertium({"a b", "c"}, "xx-en", s);
        QCOMPARE(out[0].target, std::string("a b"));
        QCOMPARE(out[1].target, std::string("c"));
    }

    void failuresArePerQueryNotFatal() {
        ApertiumSettings s;
        s.program = script("broken", "echo 'mode not installed' >&2; exit 3");
        auto out = translateWithApertium({"x", "y"}, "xx-en", s);
        QCOMPARE(int(out.size()), 2);
        for (const auto& t : out) {
            QVERIFY(t.target.empty());
            QVERIFY2(t.error.find("exited with 3: mode not installed") != std::string::npos,
                     t.error.c_str());
        }
        s.program = tmp_.filePath("does-not-exist").toStdString();
        QVERIFY(translateWithApertium({"x"}, "xx-en", s)[0].error.find("not found") !=
                std::string::npos);
    }

    void timeoutIsReported() {
        ApertiumSettings s;
        s.program = script("slow", "sleep 5");
        s.batchTimeoutSeconds = 0.3;
        s.lineTimeoutSeconds = 0.3;
        auto out = translateWithApertium({"x"}, "xx-en", s);
        QVERIFY2(out[0].error.find("timed out") != std::string::npos, out[0].error.c_str());
    }

    void invalidUtf8IsRejected() {
        ApertiumSettings s;
        s.program = script("garbage", "printf '\\377\\n'");
        auto out = translateWithApertium({"x"}, "xx-en", s);
        QVERIFY2(out[0].error.find("invalid UTF-8") != std::string::npos, out[0].error.c_str());
    }

    void realDebianPairs() {
        if (clir::findExecutable("apertium").empty()) QSKIP("apertium is not installed");
        QCOMPARE(apertiumModeFor("es"), std::string("spa-eng"));
        QCOMPARE(apertiumModeFor("eu"), std::string("eu-en"));
        QCOMPARE(apertiumModeFor("om"), std::string());
        auto es = translateWithApertium({"Abrir el archivo", "tablas dinámicas"}, "spa-eng", {});
        QVERIFY2(es[0].error.empty(), es[0].error.c_str());
        QVERIFY2(es[0].target.find("Open") != std::string::npos, es[0].target.c_str());
        auto eu = translateWithApertium({"Fitxategia ireki"}, "eu-en", {});
        QVERIFY2(eu[0].error.empty() && !eu[0].target.empty(), eu[0].error.c_str());
    }
};

QTEST_APPLESS_MAIN(TestApertium)
#include "test_apertium.moc"
