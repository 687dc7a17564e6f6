// Translation with NMT checkpoints (see nmt_translation.h and nmt_job.h).
#include "core/train/nmt_translation.h"

#include <algorithm>
#include <cctype>
#include <numeric>
#include <stdexcept>

#include "core/train/nmt_job.h"

namespace clir::train {

using Ids = std::vector<std::int64_t>;

std::string languageTag(const std::string& language) {
    return "__" + language + "__ ";
}

LoadedNmt loadNmt(const std::string& checkpoint) {
    LoadedNmt l;
    l.meta = model::readCheckpointMeta(checkpoint);
    if (l.meta.kind != "nmt")
        throw std::runtime_error(checkpoint + ": a checkpoint of kind '" + l.meta.kind +
                                 "', not a translation model (kind 'nmt')");
    l.tok = std::make_unique<model::Tokenizer>(l.meta.tokenizerPath);
    l.net = model::NmtModel(l.meta.encoder);
    model::loadCheckpoint(checkpoint, *l.net, l.meta.encoder, "nmt", nullptr, {"", l.tok->hash()});
    l.net->eval();
    l.languages = l.meta.training.at("languages").get<std::vector<std::string>>();
    return l;
}

std::vector<std::string> translateAll(model::NmtModelImpl& net, const model::Tokenizer& tok,
                                      const std::string& lang,
                                      const std::vector<std::string>& texts,
                                      const model::DecodeOptions& options, std::size_t maxLength,
                                      const jobs::JobContext* ctx) {
    // Batches of similar length: little padding, and a batch ends when its longest guard does.
    std::vector<Ids> encoded;
    for (const auto& t : texts) encoded.push_back(tok.encode(languageTag(lang) + t, maxLength));
    std::vector<std::size_t> order(texts.size());
    std::iota(order.begin(), order.end(), std::size_t(0));
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return encoded[a].size() < encoded[b].size();
    });
    std::vector<std::string> out(texts.size());
    constexpr std::size_t kBatch = 64;
    for (std::size_t i = 0; i < order.size(); i += kBatch) {
        if (ctx) ctx->checkCancelled();
        std::vector<Ids> src;
        const std::size_t end = std::min(order.size(), i + kBatch);
        for (std::size_t k = i; k < end; ++k) src.push_back(encoded[order[k]]);
        auto hyp = model::translate(net, src, options);
        for (std::size_t k = i; k < end; ++k) out[order[k]] = tok.decode(hyp[k - i]);
    }
    return out;
}

std::string translateText(const std::string& checkpoint, const std::string& language,
                          const std::string& text, int beamSize) {
    auto loaded = loadNmt(checkpoint);
    if (std::find(loaded.languages.begin(), loaded.languages.end(), language) ==
        loaded.languages.end()) {
        std::string known;
        for (const auto& l : loaded.languages) known += (known.empty() ? "" : ", ") + l;
        throw std::runtime_error("unknown language tag '" + language + "': this model translates " +
                                 known + " into English");
    }
    bool blank =
        std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isspace(c); });
    if (blank) throw std::runtime_error("the source text is empty");
    const auto limit = loaded.meta.encoder.maxPositions;
    auto ids = loaded.tok->encode(languageTag(language) + text, std::size_t(1) << 20);
    if (std::int64_t(ids.size()) > limit)
        throw std::runtime_error("the source text is " + std::to_string(ids.size()) +
                                 " tokens with its language tag; this model reads at most " +
                                 std::to_string(limit));
    model::DecodeOptions options;
    options.beamSize = beamSize > 0 ? beamSize : 4;
    options.maxLength = limit;
    return loaded.tok->decode(model::translate(*loaded.net, {ids}, options).at(0));
}

}  // namespace clir::train
