// Pinned Debian packages (resources/pins/libreoffice-help.json): name, version and SHA-256 of
// each libreoffice-help .deb, so every machine builds the same corpus from the same bytes.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace clir::data {

struct PackagePin {
    std::string language;
    std::string package;
    std::string version;
    std::string sha256;
    std::int64_t size = 0;
    std::string debFileName() const;  // as apt-get download names it
};

struct PinSet {
    std::string source;  // the file it came from
    std::string version;
    std::map<std::string, PackagePin> byLanguage;
    const PackagePin& forLanguage(const std::string& language) const;  // throws naming the file
};

// $CLIRLAB_RESOURCES, else the source tree's resources/ folder.
std::string resourcesDir();
PinSet loadPins(const std::string& path = resourcesDir() + "/pins/libreoffice-help.json");
// The same from the file's text; errors start with `source`.
PinSet parsePins(const std::string& text, const std::string& source);

}  // namespace clir::data
