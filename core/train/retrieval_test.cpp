// Test evaluation of a retrieval run (see retrieval_test.h).
#include "core/train/retrieval_test.h"

#include <torch/utils.h>

#include <map>
#include <optional>

#include "core/jobs/job_environment.h"
#include "core/retrieval/fusion.h"
#include "core/retrieval/test_evaluation.h"
#include "core/train/retrieval_ranking.h"

namespace clir::train {

void evaluateRetrievalTest(const jobs::JobContext& ctx, const jobs::JobEnvironment& env,
                           RetrievalRanking& ranking, const TestRecipe& recipe,
                           nlohmann::json& summary, jobs::JobResult& result) {
    torch::NoGradGuard noGrad;
    const auto& retrieval_ = recipe.retrieval;
    std::map<std::string, retrieval::PageIndex> indexes;  // by page language
    auto pagesOf = [&](const std::string& lang) {
        auto it = indexes.find(lang);
        if (it != indexes.end()) return it->second;
        auto index = ranking.encodePages(
            lang, ranking.teacherPages(lang) ? recipe.teacherKey : recipe.netKey);
        summary["page_index"][lang] = {
            {"pages", index.size()},
            {"passage_tokens", index.pageTokens},
            {"page_entries", index.ids.defined() ? index.ids.numel() : 0},
            {"distinct_vectors", index.vectors.defined() ? index.vectors.size(0) : 0},
            {"bytes", index.bytes()}};
        indexes[lang] = index;
        return index;
    };
    const bool fuse = retrieval_.fusion == "bm25";
    std::map<std::string, eval::Run> plain;  // label/set -> the neural run, reused by fusion
    auto rank = [&](const retrieval::Direction& dir, const std::string& set,
                    const std::vector<data::CorpusQuery>& queries) -> std::optional<eval::Run> {
        auto run = ranking.rank(dir, queries, pagesOf(dir.pageLanguage));
        if (fuse) plain[dir.label + "/" + set] = run;
        return run;
    };
    const std::string& tag = recipe.tag;
    const auto directions = ranking.directions(recipe.languages);
    retrieval::TestEvaluation test{
        env.corpusDir, ctx.outputDir,    recipe.evaluation, tag, std::size_t(retrieval_.depth),
        0.86,          fuse ? 0.93 : 1.0};
    summary["per_language"] = retrieval::evaluateTestSets(ctx, test, directions, rank, result);
    if (recipe.evaluation.pool == "all") {  // every language's pages in one pool
        std::vector<std::string> queryLanguages;
        for (const auto& d : directions) queryLanguages.push_back(d.queryLanguage);
        auto plainRank = [&](const retrieval::Direction& dir, const std::string&,
                             const std::vector<data::CorpusQuery>& queries) {
            return std::optional<eval::Run>(ranking.rank(dir, queries, pagesOf(dir.pageLanguage)));
        };
        auto all = retrieval::evaluatePooledSets(ctx, test, queryLanguages, recipe.languages,
                                                 plainRank, result);
        for (auto& [label, sets] : all.items())
            for (auto& [set, value] : sets.items()) summary["per_language"][label][set] = value;
    }
    if (fuse) {
        // The weight comes from the dev sample alone; test queries only receive it.
        ctx.report(0.93, "choosing the BM25 fusion weight on dev queries");
        if (!ranking.sampled()) ranking.sampleDev(recipe.devQueries, recipe.seed, ctx.outputDir);
        const auto choice = ranking.chooseFusion(ctx, pagesOf);
        summary["fusion"] = {{"with", "bm25"},
                             {"alpha", choice.alpha},
                             {"dev_map", choice.devMap},
                             {"grid", choice.grid},
                             {"grid_dev_map", choice.map}};
        ctx.record("fusion/alpha", 0, choice.alpha);
        ctx.record("fusion/dev_map", 0, choice.devMap);
        auto fused =
            [&](const retrieval::Direction& dir, const std::string& set,
                const std::vector<data::CorpusQuery>& queries) -> std::optional<eval::Run> {
            auto it = plain.find(dir.label + "/" + set);
            if (it == plain.end()) return std::nullopt;
            return retrieval::fuseZScores(it->second, ranking.bm25Rank(dir, queries), choice.alpha,
                                          std::size_t(retrieval_.depth));
        };
        test.setSuffix = "+bm25";
        test.tag = tag + "+bm25";
        test.progressFrom = 0.94;
        test.progressTo = 1.0;
        auto fusedLanguages = retrieval::evaluateTestSets(ctx, test, directions, fused, result);
        for (auto& [label, sets] : fusedLanguages.items())
            for (auto& [set, value] : sets.items()) summary["per_language"][label][set] = value;
    }
}

}  // namespace clir::train
