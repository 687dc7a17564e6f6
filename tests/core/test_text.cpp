// Text helpers and SHA-256 against published test vectors.
#include <QtTest>

#include "core/util/sha256.h"
#include "core/util/text.h"

using namespace clir;

class TestText : public QObject {
    Q_OBJECT
  private slots:
    void sha256Vectors_data() {
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<QString>("digest");
        // FIPS 180-4 examples (NIST CSRC "SHA256.pdf") and the empty string.
        QTest::newRow("empty")
            << QByteArray() << "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        QTest::newRow("abc") << QByteArray("abc")
                             << "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        QTest::newRow("448 bits")
            << QByteArray("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
            << "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
        QTest::newRow("million a")
            << QByteArray(1000000, 'a')
            << "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
    }
    void sha256Vectors() {
        QFETCH(QByteArray, input);
        QFETCH(QString, digest);
        QCOMPARE(QString::fromStdString(Sha256::hex(std::string(input.constData(), input.size()))),
                 digest);
        // Fed in uneven pieces, the digest is the same.
        Sha256 s;
        for (int i = 0; i < input.size(); i += 7)
            s.update(input.constData() + i, std::min(7, int(input.size()) - i));
        QCOMPARE(QString::fromStdString(s.hexDigest()), digest);
    }

    void entities_data() {
        QTest::addColumn<QString>("in");
        QTest::addColumn<QString>("out");
        QTest::newRow("named") << "a &amp; b &lt;c&gt; &quot;d&quot; &apos;"
                               << "a & b <c> \"d\" '";
        QTest::newRow("decimal") << "&#34;x&#34;"
                                 << "\"x\"";
        QTest::newRow("hex") << "&#x41;&#X42;"
                             << "AB";
        QTest::newRow("nbsp") << "a&nbsp;b" << QString("a") + QChar(0xA0) + "b";
        QTest::newRow("unknown kept") << "&bogus; &"
                                      << "&bogus; &";
        QTest::newRow("surrogate kept") << "&#xD800;"
                                        << "&#xD800;";
        QTest::newRow("non-BMP") << "&#x1F600;" << QString::fromUtf8("\xF0\x9F\x98\x80");
    }
    void entities() {
        QFETCH(QString, in);
        QFETCH(QString, out);
        QCOMPARE(QString::fromStdString(text::decodeEntities(in.toStdString())), out);
    }

    void whitespaceAndClean() {
        QCOMPARE(text::collapseWhitespace("  a \t\n b\xC2\xA0"
                                          "c  "),
                 std::string("a b c"));
        QCOMPARE(text::clean(" x&nbsp;&nbsp;y "), std::string("x y"));
        QCOMPARE(text::nfc("e\xCC\x81"), std::string("\xC3\xA9"));
    }

    void utf8Validation() {
        std::size_t bad = 0;
        QVERIFY(text::isValidUtf8("plain \xC3\xA9 \xE1\x9E\x80"));
        QVERIFY(!text::isValidUtf8("ab\xC3", &bad));
        QCOMPARE(bad, std::size_t(2));
        QVERIFY(!text::isValidUtf8("\xED\xA0\x80", &bad));  // an encoded surrogate
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, text::nfc("\xFF"));
    }

    void lineColumn() {
        auto [line, col] = text::lineColumn("ab\ncd\nef", 7);
        QCOMPARE(line, std::size_t(3));
        QCOMPARE(col, std::size_t(2));
    }
};

QTEST_APPLESS_MAIN(TestText)
#include "test_text.moc"
