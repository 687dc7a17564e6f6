// `clirlab data fetch`: downloads the pinned libreoffice-help packages with apt-get download,
// checks their SHA-256 and unpacks them with dpkg-deb -x into the data cache (never into the
// repository, never system-wide). Works offline when everything is cached.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/data/pins.h"

namespace clir::data {

struct FetchReport {
    std::vector<std::string> downloaded, reused;  // languages
};

class PackageCache {
  public:
    PackageCache(std::string dataDir, PinSet pins);

    // Folder holding <lang>/bookmarks.js and <lang>/text/... once unpacked.
    std::string helpRoot(const std::string& language) const;
    bool isUnpacked(const std::string& language) const;
    // Throws with the command to run when a language is missing or unpacked from other bytes.
    void requireUnpacked(const std::vector<std::string>& languages) const;
    const PinSet& pins() const { return pins_; }

    FetchReport fetch(const std::vector<std::string>& languages,
                      const std::function<void(const std::string&)>& log = {});

  private:
    std::string packageDir(const std::string& language) const;
    std::string debPath(const PackagePin& pin) const;
    void unpack(const PackagePin& pin, const std::string& deb) const;
    std::string dataDir_;
    PinSet pins_;
};

}  // namespace clir::data
