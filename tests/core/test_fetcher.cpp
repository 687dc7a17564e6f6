// Package pins and the package cache: malformed pins, hash mismatches, missing packages.
#include <QtTest>

#include <QTemporaryDir>
#include <filesystem>

#include "core/data/fetcher.h"
#include "core/util/fs.h"
#include "core/util/process.h"
#include "core/util/sha256.h"

using namespace clir;

class TestFetcher : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;

    std::string pinFile(const std::string& sha) {
        std::string path = tmp_.filePath("pins.json").toStdString();
        fs::writeFileAtomic(
            path,
            R"({"version":"1.0-1","packages":{"om":{"package":"clirlab-no-such-package-om","sha256":")" +
                sha + R"("}}})");
        return path;
    }

  private slots:
    void shippedPinsCoverEveryHelpLanguage() {
        auto pins = data::loadPins();
        QCOMPARE(int(pins.byLanguage.size()), 34);
        for (const auto& [lang, pin] : pins.byLanguage) {
            QCOMPARE(pin.sha256.size(), std::size_t(64));
            QVERIFY(pin.package.rfind("libreoffice-help-", 0) == 0);
        }
        QCOMPARE(pins.forLanguage("en-US").debFileName(),
                 std::string("libreoffice-help-en-us_4%3a7.4.7-1+deb12u14_all.deb"));
    }

    void malformedPinsNameTheFile() {
        std::string path = tmp_.filePath("bad-pins.json").toStdString();
        fs::writeFileAtomic(path,
                            R"({"version":"1","packages":{"om":{"package":"p","sha256":"abc"}}})");
        try {
            data::loadPins(path);
            QFAIL("accepted a short hash");
        } catch (const std::runtime_error& e) {
            QVERIFY2(std::string(e.what()).rfind(path + ": packages.om.sha256", 0) == 0, e.what());
        }
        fs::writeFileAtomic(path, "{\"version\": ");
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, data::loadPins(path));
        auto pins = data::loadPins(pinFile(std::string(64, 'a')));
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, pins.forLanguage("km"));
    }

    void missingPackageNamesTheFetchCommand() {
        data::PackageCache cache(tmp_.filePath("cache").toStdString(),
                                 data::loadPins(pinFile(std::string(64, 'a'))));
        QVERIFY(!cache.isUnpacked("om"));
        try {
            cache.requireUnpacked({"om"});
            QFAIL("no error");
        } catch (const std::runtime_error& e) {
            QVERIFY2(
                std::string(e.what()).find("clirlab-no-such-package-om; run: clirlab data fetch") !=
                    std::string::npos,
                e.what());
        }
    }

    void stampFromOtherBytesIsNotUnpacked() {
        std::string cacheDir = tmp_.filePath("stamped").toStdString();
        std::string pkg = cacheDir + "/packages/om";
        fs::writeFileAtomic(pkg + "/usr/share/libreoffice/help/om/bookmarks.js",
                            "var bookmarks = [];\n");
        fs::writeFileAtomic(pkg + "/.clirlab-sha256", std::string(64, 'b') + "\n");
        data::PackageCache cache(cacheDir, data::loadPins(pinFile(std::string(64, 'a'))));
        QVERIFY(!cache.isUnpacked("om"));
        fs::writeFileAtomic(pkg + "/.clirlab-sha256", std::string(64, 'a') + "\n");
        QVERIFY(cache.isUnpacked("om"));
    }

    void downloadFailureIsClearAndLeavesNothing() {
        if (clir::findExecutable("apt-get").empty()) QSKIP("needs Debian's apt-get");
        std::string cacheDir = tmp_.filePath("dl").toStdString();
        data::PackageCache cache(cacheDir, data::loadPins(pinFile(std::string(64, 'a'))));
        // A cached .deb whose bytes do not match the pin is not trusted: it is fetched again.
        fs::writeFileAtomic(cacheDir + "/debs/clirlab-no-such-package-om_1.0-1_all.deb", "junk");
        try {
            cache.fetch({"om"});
            QFAIL("fetched a package that does not exist");
        } catch (const std::runtime_error& e) {
            QVERIFY2(std::string(e.what()).find(
                         "clirlab-no-such-package-om=1.0-1: apt-get download failed") !=
                         std::string::npos,
                     e.what());
        }
        QVERIFY(!std::filesystem::exists(cacheDir + "/packages/om"));
    }

    void unpackVerifiesAndStamps() {
        if (clir::findExecutable("dpkg-deb").empty()) QSKIP("needs dpkg-deb");
        // Build a tiny real .deb with dpkg-deb, pin its hash, and let the cache unpack it.
        std::string root = tmp_.filePath("debroot").toStdString();
        fs::writeFileAtomic(root + "/DEBIAN/control",
                            "Package: clirlab-fixture-om\nVersion: 1.0-1\nArchitecture: all\n"
                            "Maintainer: test <t@example.org>\nDescription: fixture\n");
        fs::writeFileAtomic(root + "/usr/share/libreoffice/help/om/bookmarks.js",
                            "var bookmarks = [];\n");
        std::string cacheDir = tmp_.filePath("unpack").toStdString();
        std::filesystem::create_directories(cacheDir + "/debs");
        std::string deb = cacheDir + "/debs/clirlab-fixture-om_1.0-1_all.deb";
        auto r = clir::runProcess({"dpkg-deb", "--build", "--root-owner-group", root, deb});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        std::string pins = tmp_.filePath("fixture-pins.json").toStdString();
        fs::writeFileAtomic(
            pins,
            R"({"version":"1.0-1","packages":{"om":{"package":"clirlab-fixture-om","sha256":")" +
                Sha256::hexOfFile(deb) + R"("}}})");
        data::PackageCache cache(cacheDir, data::loadPins(pins));
        auto report = cache.fetch({"om"});
        QCOMPARE(report.reused, (std::vector<std::string>{"om"}));
        QVERIFY(cache.isUnpacked("om"));
        QVERIFY(std::filesystem::exists(cache.helpRoot("om") + "/om/bookmarks.js"));
    }
};

QTEST_APPLESS_MAIN(TestFetcher)
#include "test_fetcher.moc"
