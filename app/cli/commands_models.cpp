// `clirlab translate|align|model info`: the trained models applied to typed text, and the
// encoder presets.
#include <cstdio>
#include <iostream>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "core/model/encoder_config.h"
#include "core/store/run_store.h"
#include "core/train/live_alignment.h"
#include "core/train/nmt_job.h"
#include "core/util/text.h"

namespace clir::cli {
namespace {

// The path of a run's artifact of `kind`; throws naming the run when there is no such run or it
// has none (`missing` says what it lacks and what the command needs).
std::string runArtifact(store::Database& db, std::int64_t id, const std::string& kind,
                        const std::string& missing) {
    store::RunStore runs(db);
    auto r = runs.run(id);
    if (!r) throw std::runtime_error("no run " + std::to_string(id) + " in " + db.path());
    std::string path;
    for (const auto& art : runs.artifacts(id))
        if (art.kind == kind) path = art.path;
    if (path.empty())
        throw std::runtime_error("run " + std::to_string(id) + " (" + r->method + ") has " +
                                 missing);
    return path;
}

}  // namespace

int translateCommand(const GlobalOptions& g, const std::vector<std::string>& args) {
    CommandSpec spec{"translate",
                     "clirlab translate RUN TEXT --lang L [--beam K]",
                     "Translate TEXT from language L into English with the model of a finished nmt "
                     "run (beam search, 4 by default).",
                     {{"--lang", true, false, "source language (om, km, dz, eu, de, fr, es, ...)"},
                      {"--beam", true, false, "beam width; 1 decodes greedily"}},
                     2,
                     2};
    auto a = parseArgs(spec, args);
    if (a.has("--help")) return std::cout << spec.helpText(), 0;
    if (!a.has("--lang")) throw UsageError("translate: --lang is required");
    int beam = 0;
    if (a.has("--beam")) {
        try {
            beam = std::stoi(a.value("--beam"));
        } catch (const std::exception&) {
            beam = 0;
        }
        if (beam <= 0) throw UsageError("translate: --beam must be a positive integer");
    }
    store::Database db(g.databasePath);
    const std::string checkpoint =
        runArtifact(db, parseRunId("translate", a.positionals[0]), "nmt_checkpoint",
                    "no translation model; translate needs a finished nmt run");
    std::cout << train::translateText(checkpoint, a.value("--lang"), a.positionals[1], beam)
              << "\n";
    return 0;
}

int alignCommand(const GlobalOptions& g, const std::vector<std::string>& args) {
    CommandSpec spec{"align",
                     "clirlab align RUN ENGLISH OTHER [--eps E]",
                     "Transport plan of two sentences under a finished retrieval run's best "
                     "checkpoint (C = 1 - cos of token vectors, entropic OT): each English token's "
                     "best-aligned token with its mass, and <P, C>.",
                     {{"--eps", true, false, "entropic regularisation (default: ot.epsilon's)"}},
                     3,
                     3};
    auto a = parseArgs(spec, args);
    if (a.has("--help")) return std::cout << spec.helpText(), 0;
    auto options = train::LiveAlignmentOptions::defaults();
    if (a.has("--eps")) {
        try {
            options.epsilon = std::stod(a.value("--eps"));
        } catch (const std::exception&) {
            options.epsilon = 0;
        }
        if (!(options.epsilon > 0)) throw UsageError("align: --eps must be a positive number");
    }
    store::Database db(g.databasePath);
    const std::string checkpoint =
        runArtifact(db, parseRunId("align", a.positionals[0]), "best_checkpoint",
                    "no retrieval checkpoint; align needs a finished teacher, fine-tune, hybrid or "
                    "optical run");
    auto al = train::alignSentences(checkpoint, a.positionals[1], a.positionals[2], options);
    const std::size_t cols = al.targetTokens.size();
    double total = 0;
    for (std::size_t i = 0; i < al.plan.size(); ++i) total += double(al.plan[i] * al.cost[i]);
    for (std::size_t row = 0; row < al.sourceTokens.size(); ++row) {
        std::size_t best = 0;
        for (std::size_t c = 1; c < cols; ++c)
            if (al.plan[row * cols + c] > al.plan[row * cols + best]) best = c;
        std::printf("%-20s -> %-20s mass %.4f  cost %.4f\n", al.sourceTokens[row].c_str(),
                    al.targetTokens[best].c_str(), double(al.plan[row * cols + best]),
                    double(al.cost[row * cols + best]));
    }
    std::printf("<P, C> = %.6f over %zu x %zu tokens (eps %g)\n", total, al.sourceTokens.size(),
                cols, options.epsilon);
    return 0;
}

int modelInfo(const GlobalOptions&, const std::vector<std::string>& args) {
    CommandSpec spec{"model info",
                     "clirlab model info --preset P [--vocab V] [--json]",
                     "Shape and exact parameter count of an encoder preset.",
                     {{"--preset", true, false, "xs, s, m, l, xlmr-base, xlmr-large, xlmr-xl"},
                      {"--vocab", true, false, "vocabulary size (default: the preset's)"},
                      {"--json", false, false, "print JSON"}}};
    auto a = parseArgs(spec, args);
    if (a.has("--help")) return std::cout << spec.helpText(), 0;
    if (!a.has("--preset")) throw UsageError("model info: --preset is required");
    std::int64_t vocab = 0;
    if (a.has("--vocab")) {
        try {
            std::size_t used = 0;
            vocab = std::stoll(a.value("--vocab"), &used);
            if (used != a.value("--vocab").size() || vocab <= 0) throw std::invalid_argument("");
        } catch (const std::exception&) {
            throw UsageError("model info: --vocab must be a positive integer");
        }
    }
    model::EncoderConfig c;
    try {
        c = model::presetConfig(a.value("--preset"), vocab);
    } catch (const std::invalid_argument& e) {
        throw UsageError(std::string("model info: ") + e.what());
    }
    auto n = model::countParameters(c);
    if (a.has("--json")) {
        auto j = c.toJson();
        j["parameters"] = {{"embeddings", n.embeddings},  {"per_layer", n.perLayer},
                           {"layers", n.layers},          {"pooler", n.pooler},
                           {"char_ngrams", n.charNgrams}, {"encoder", n.encoder()},
                           {"mlm_head", n.mlmHead},       {"with_mlm_head", n.withMlmHead()}};
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    std::printf(
        "preset       %s\nvocabulary   %lld\nlayers       %lld\nhidden       %lld\n"
        "heads        %lld\nffn          %lld\npositions    %lld\n",
        c.preset.c_str(), (long long)c.vocabSize, (long long)c.layers, (long long)c.hidden,
        (long long)c.heads, (long long)c.ffn, (long long)c.maxPositions);
    std::printf("norm         %s%s\nchar n-grams %lld buckets (%lld parameters)\n", c.norm.c_str(),
                c.preNorm() ? " (gated residual branches, closed at the start)" : " (XLM-R)",
                (long long)c.charNgramBuckets, (long long)n.charNgrams);
    std::printf(
        "parameters   %lld  (embeddings %lld, %lld per layer, pooler %lld)\n"
        "with MLM head %lld (decoder tied to the word embeddings)\n",
        (long long)n.encoder(), (long long)n.embeddings, (long long)n.perLayer, (long long)n.pooler,
        (long long)n.withMlmHead());
    return 0;
}

}  // namespace clir::cli
