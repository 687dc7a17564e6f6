// The fuzz targets in the normal test suite (issue 16): every file of fuzz/corpus/<target>/
// (the committed seeds and every crash fuzzing found, kept as regression inputs) is run through
// its target with the same checks as under libFuzzer; a violation fails the test with its message.
#include <QDir>
#include <QFile>
#include <QTest>

#include "fuzz/fuzz_support.h"
#include "fuzz/fuzz_targets.h"

namespace {

using Target = int (*)(const std::uint8_t*, std::size_t);

struct Entry {
    const char* folder;
    Target target;
};

const Entry kTargets[] = {
#define CLIRLAB_FUZZ_TABLE_ROW(name, folder) {folder, &clir::fuzz::name},
    CLIRLAB_FUZZ_TARGETS(CLIRLAB_FUZZ_TABLE_ROW)
#undef CLIRLAB_FUZZ_TABLE_ROW
};

}  // namespace

class FuzzCorporaTest : public QObject {
    Q_OBJECT

  private slots:
    void replay_data() {
        QTest::addColumn<int>("target");
        QTest::addColumn<QString>("file");
        for (int t = 0; t < int(std::size(kTargets)); ++t) {
            QDir dir(QStringLiteral(CLIRLAB_SOURCE_DIR "/fuzz/corpus/") + kTargets[t].folder);
            const auto files = dir.entryList(QDir::Files, QDir::Name);
            // Every target has seeds: an empty or missing folder is a packaging mistake.
            if (files.isEmpty()) qFatal("no corpus files in %s", qPrintable(dir.absolutePath()));
            for (const auto& f : files)
                QTest::newRow(qPrintable(QString(kTargets[t].folder) + "/" + f))
                    << t << dir.absoluteFilePath(f);
        }
    }

    void replay() {
        QFETCH(int, target);
        QFETCH(QString, file);
        QFile in(file);
        QVERIFY2(in.open(QIODevice::ReadOnly), qPrintable(file));
        const QByteArray bytes = in.readAll();
        try {
            kTargets[target].target(reinterpret_cast<const std::uint8_t*>(bytes.constData()),
                                    std::size_t(bytes.size()));
        } catch (const clir::fuzz::Violation& v) {
            QFAIL(qPrintable(file + ": " + v.what()));
        }
    }

    // The checks themselves can fail: a message without the file name is a violation.
    void anUnnamedErrorIsAViolation() {
        QVERIFY_THROWS_EXCEPTION(
            clir::fuzz::Violation, clir::fuzz::expectCleanError("a.run", [] {
                throw std::runtime_error("[json.exception.type_error.302] type must be string");
            }));
        clir::fuzz::expectCleanError("a.run", [] { throw std::runtime_error("a.run:3: bad"); });
    }
};

QTEST_GUILESS_MAIN(FuzzCorporaTest)
#include "test_fuzz_corpora.moc"
