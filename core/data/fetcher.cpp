// Fetching and unpacking the pinned packages (see fetcher.h).
#include "core/data/fetcher.h"

#include <filesystem>
#include <stdexcept>

#include "core/util/fs.h"
#include "core/util/process.h"
#include "core/util/sha256.h"
#include "core/util/text.h"

namespace clir::data {
namespace stdfs = std::filesystem;

namespace {
constexpr const char* kStampFile = ".clirlab-sha256";  // the .deb hash a folder was unpacked from
constexpr double kDownloadTimeoutSeconds = 600;
}  // namespace

PackageCache::PackageCache(std::string dataDir, PinSet pins)
    : dataDir_(std::move(dataDir)), pins_(std::move(pins)) {}

std::string PackageCache::packageDir(const std::string& language) const {
    return dataDir_ + "/packages/" + language;
}

std::string PackageCache::helpRoot(const std::string& language) const {
    return packageDir(language) + "/usr/share/libreoffice/help";
}

std::string PackageCache::debPath(const PackagePin& pin) const {
    return dataDir_ + "/debs/" + pin.debFileName();
}

bool PackageCache::isUnpacked(const std::string& language) const {
    const auto& pin = pins_.forLanguage(language);
    std::string stamp = packageDir(language) + "/" + kStampFile;
    if (!stdfs::exists(stamp)) return false;
    return text::trim(fs::readFile(stamp)) == pin.sha256 &&
           stdfs::exists(helpRoot(language) + "/" + language + "/bookmarks.js");
}

void PackageCache::requireUnpacked(const std::vector<std::string>& languages) const {
    std::vector<std::string> missing;
    for (const auto& l : languages)
        if (!isUnpacked(l)) missing.push_back(pins_.forLanguage(l).package);
    if (!missing.empty())
        throw std::runtime_error("not in the data cache (" + dataDir_ +
                                 "): " + text::join(missing, ", ") + "; run: clirlab data fetch");
}

void PackageCache::unpack(const PackagePin& pin, const std::string& deb) const {
    std::string target = packageDir(pin.language);
    std::string tmp = target + ".partial";
    stdfs::remove_all(tmp);
    stdfs::create_directories(tmp);
    auto r = runProcess({"dpkg-deb", "-x", deb, tmp}, {"", "", 600});
    if (r.startFailed) throw std::runtime_error("dpkg-deb not found; install the dpkg package");
    if (r.exitCode != 0)
        throw std::runtime_error(deb + ": dpkg-deb -x failed: " + text::trim(r.err));
    fs::writeFileAtomic(tmp + "/" + kStampFile, pin.sha256 + "\n");
    stdfs::remove_all(target);
    stdfs::rename(tmp, target);
}

FetchReport PackageCache::fetch(const std::vector<std::string>& languages,
                                const std::function<void(const std::string&)>& log) {
    FetchReport report;
    stdfs::create_directories(dataDir_ + "/debs");
    for (const auto& lang : languages) {
        const auto& pin = pins_.forLanguage(lang);
        if (isUnpacked(lang)) {
            report.reused.push_back(lang);
            if (log) log(pin.package + ": cached");
            continue;
        }
        std::string deb = debPath(pin);
        bool haveDeb = stdfs::exists(deb) && Sha256::hexOfFile(deb) == pin.sha256;
        if (!haveDeb) {
            if (log) log(pin.package + " " + pin.version + ": downloading");
            auto r = runProcess({"apt-get", "download", pin.package + "=" + pin.version},
                                {dataDir_ + "/debs", "", kDownloadTimeoutSeconds});
            if (r.startFailed)
                throw std::runtime_error(
                    "apt-get not found: clirlab data fetch needs Debian's apt");
            if (r.timedOut) throw std::runtime_error(pin.package + ": apt-get download timed out");
            if (r.exitCode != 0)
                throw std::runtime_error(
                    pin.package + "=" + pin.version +
                    ": apt-get download failed: " + text::trim(r.err) +
                    " (run 'apt-get update' first; if Debian no longer serves this version, "
                    "update " +
                    pins_.source + ")");
            std::string got = Sha256::hexOfFile(deb);
            if (got != pin.sha256) {
                stdfs::remove(deb);
                throw std::runtime_error(deb + ": SHA-256 " + got + " does not match the pin " +
                                         pin.sha256 + " in " + pins_.source);
            }
            report.downloaded.push_back(lang);
        } else {
            report.reused.push_back(lang);
        }
        if (log) log(pin.package + ": unpacking");
        unpack(pin, deb);
    }
    return report;
}

}  // namespace clir::data
