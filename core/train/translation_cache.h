// The translation cache of the NMT job (see the class comment).
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "core/model/checkpoint.h"
#include "core/model/nmt_model.h"
#include "core/util/fs.h"
#include "core/util/sha256.h"
#include "core/util/text.h"

namespace clir::train {

// Translations by one model under one decoding setting, kept on disk beside the data so that a
// run reusing the model (nmt-teacher-xs reuses nmt-xs) does not decode the same sentences again.
// Decoding is deterministic, so a cached translation is the one the model would produce.
class TranslationCache {
  public:
    TranslationCache(const std::string& checkpoint, const model::DecodeOptions& o) {
        std::ostringstream name;
        name << model::checkpointWeightsKey(checkpoint) << "-beam" << o.beamSize << "-lp"
             << o.lengthPenalty << "-max" << o.maxLength << "-r" << o.lengthRatio << "+"
             << o.lengthSlack << ".json";
        path_ = fs::dataDir() + "/translations/" + name.str();
        if (!std::filesystem::exists(path_)) return;
        // The file is used only when its SHA-256 matches the one written beside it: a truncated
        // or edited cache (even valid JSON) is rebuilt, never trusted.
        const std::string hashPath = path_ + ".sha256";
        if (!std::filesystem::exists(hashPath) ||
            text::trim(fs::readFile(hashPath)) != Sha256::hexOfFile(path_))
            return;
        try {
            entries_ = nlohmann::json::parse(fs::readFile(path_));
        } catch (const std::exception&) {
            entries_ = nlohmann::json::object();  // a damaged cache is rebuilt, never trusted
        }
        if (!entries_.is_object()) entries_ = nlohmann::json::object();
    }

    // The translations of texts, decoding only those not cached yet.
    template <typename Decode>
    std::vector<std::string> translate(const std::string& lang,
                                       const std::vector<std::string>& texts, Decode&& decode) {
        std::vector<std::string> out(texts.size()), missing;
        std::vector<std::size_t> where;
        auto& byLang = entries_[lang];
        for (std::size_t i = 0; i < texts.size(); ++i) {
            auto it = byLang.find(texts[i]);
            if (it != byLang.end() && it->is_string()) {
                out[i] = it->get<std::string>();
            } else {
                missing.push_back(texts[i]);
                where.push_back(i);
            }
        }
        if (missing.empty()) return out;
        auto fresh = decode(missing);
        for (std::size_t k = 0; k < missing.size(); ++k) {
            out[where[k]] = fresh[k];
            byLang[missing[k]] = fresh[k];
        }
        std::filesystem::create_directories(std::filesystem::path(path_).parent_path());
        const std::string text = entries_.dump();
        fs::writeFileAtomic(path_, text);
        fs::writeFileAtomic(path_ + ".sha256", Sha256::hex(text) + "\n");
        return out;
    }

  private:
    std::string path_;
    nlohmann::json entries_ = nlohmann::json::object();
};

}  // namespace clir::train
