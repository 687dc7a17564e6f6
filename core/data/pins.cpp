// Loading the package pins (see pins.h).
#include "core/data/pins.h"

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "core/config/schema.h"
#include "core/util/fs.h"

namespace clir::data {

std::string PackagePin::debFileName() const {
    std::string v = version;
    auto colon = v.find(':');
    if (colon != std::string::npos) v.replace(colon, 1, "%3a");  // apt's escaping of the epoch
    return package + "_" + v + "_all.deb";
}

const PackagePin& PinSet::forLanguage(const std::string& language) const {
    auto it = byLanguage.find(language);
    if (it == byLanguage.end())
        throw std::runtime_error(source + ": no pinned package for language '" + language + "'");
    return it->second;
}

std::string resourcesDir() {
    const char* env = std::getenv("CLIRLAB_RESOURCES");
    if (env && *env) return env;
    return std::string(CLIRLAB_SOURCE_DIR) + "/resources";
}

PinSet loadPins(const std::string& path) {
    return parsePins(fs::readFile(path), path);
}

PinSet parsePins(const std::string& text, const std::string& path) {
    auto j = config::parseJson(text, path);
    PinSet pins;
    pins.source = path;
    try {
        pins.version = j.at("version").get<std::string>();
        for (const auto& [lang, p] : j.at("packages").items()) {
            PackagePin pin;
            pin.language = lang;
            pin.package = p.at("package").get<std::string>();
            pin.version = p.value("version", pins.version);
            pin.sha256 = p.at("sha256").get<std::string>();
            pin.size = p.contains("size")
                           ? config::integerValue(p.at("size"), "packages." + lang + ".size")
                           : 0;
            if (pin.sha256.size() != 64)
                throw std::runtime_error("packages." + lang +
                                         ".sha256 is not a SHA-256 hex digest");
            pins.byLanguage[lang] = pin;
        }
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(path + ": malformed pin file: " + e.what());
    } catch (const std::runtime_error& e) {
        throw std::runtime_error(path + ": " + e.what());
    }
    return pins;
}

}  // namespace clir::data
