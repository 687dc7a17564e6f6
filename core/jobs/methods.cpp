// The method registry (see methods.h).
#include "core/jobs/methods.h"

#include <algorithm>
#include <stdexcept>

namespace clir::jobs {

const std::vector<MethodInfo>& methods() {
    static const std::vector<MethodInfo> table = [] {
        const std::vector<std::string> retrieval = {"model", "init", "retrieval", "evaluation",
                                                    "train"};
        auto with = [](std::vector<std::string> b, const std::string& extra) {
            b.push_back(extra);
            return b;
        };
        return std::vector<MethodInfo>{
            {"bm25",
             JobKind::Bm25,
             {"bm25", "translation", "evaluation"},
             "BM25 over the English pages, queries untranslated or translated by Apertium"},
            {"nmt",
             JobKind::Nmt,
             {"nmt", "bm25", "evaluation", "model", "init", "retrieval"},
             "a neural MT model trained on the bitext, then translate-then-retrieve"},
            // Retrieval traits: trains, InfoNCE, hybrid batches, OT, starts from an encoder,
            // needs a language besides English, English only.
            {"teacher",
             JobKind::Retrieval,
             retrieval,
             "English retrieval trained from a pretrained encoder (InfoNCE)",
             {true, true, false, false, true, false, true}},
            {"zero-shot",
             JobKind::Retrieval,
             {"model", "init", "retrieval", "evaluation"},
             "the teacher applied unchanged to X queries",
             {false, false, false, false, false, false, false}},
            {"fine-tune",
             JobKind::Retrieval,
             retrieval,
             "the teacher trained further on X -> English pairs",
             {true, true, false, false, false, true, false}},
            {"hybrid",
             JobKind::Retrieval,
             retrieval,
             "hybrid batches: monolingual with probability alpha, cross-lingual otherwise",
             {true, true, true, false, false, true, false}},
            {"optical",
             JobKind::Retrieval,
             with(retrieval, "ot"),
             "OPTICAL: OT distillation of the frozen teacher into a student on bitext",
             {true, false, false, true, false, true, false}},
            {"optical+hybrid",
             JobKind::Retrieval,
             with(retrieval, "ot"),
             "OPTICAL's OT loss plus hybrid-batch InfoNCE, weighted",
             {true, true, true, true, false, true, false}},
            {"pretrain",
             JobKind::Pretrain,
             {"model", "tokenizer", "pretrain"},
             "masked-language-model pretraining with the resource profile"},
            {"corpus", JobKind::Corpus, {}, "builds the corpus from the fetched packages"},
            {"suite", JobKind::Suite, {"suite"}, "several experiments run in order, then compared"},
        };
    }();
    return table;
}

const MethodInfo& methodInfo(const std::string& name) {
    for (const auto& m : methods())
        if (m.name == name) return m;
    throw std::out_of_range("unknown method '" + name + "'");
}

std::vector<std::string> methodNames() {
    std::vector<std::string> out;
    for (const auto& m : methods()) out.push_back(m.name);
    return out;
}

std::vector<std::string> retrievalMethods() {
    std::vector<std::string> out;
    for (const auto& m : methods())
        if (m.kind == JobKind::Retrieval) out.push_back(m.name);
    return out;
}

bool isRetrievalMethod(const std::string& name) {
    for (const auto& m : methods())
        if (m.name == name) return m.kind == JobKind::Retrieval;
    return false;
}

std::vector<std::string> allBlockNames() {
    std::vector<std::string> out;
    for (const auto& m : methods())
        for (const auto& b : m.blocks)
            if (std::find(out.begin(), out.end(), b) == out.end()) out.push_back(b);
    return out;
}

}  // namespace clir::jobs
