// Recording a run's evaluation (see run_evaluation.h).
#include "core/retrieval/run_evaluation.h"

namespace clir::retrieval {

eval::Evaluation evaluateAndRecord(const eval::Run& run, const std::string& trecPath,
                                   const std::string& tag, std::size_t depth,
                                   const eval::Qrels& qrels,
                                   const std::vector<data::CorpusQuery>& queries,
                                   const std::string& language, const std::string& querySet,
                                   jobs::JobResult& result) {
    eval::writeRun(trecPath, run, tag, depth);
    result.artifacts.push_back({"trec_run", trecPath});
    // -c: a query with no retrieved document still counts as 0. Evaluated from the file, so the
    // stored figures are exactly what trec_eval gives for the exported run.
    auto e = eval::evaluate(eval::readRun(trecPath), qrels, {true});
    for (const auto& [measure, value] : e.mean)
        result.results.push_back({language, querySet, measure, value});
    for (const auto& [qid, values] : e.perQuery)
        for (const auto& [measure, value] : values)
            result.queryResults.push_back({language, querySet, qid, measure, value});
    // -c gives unretrieved queries no per-query row; store their zeros explicitly.
    for (const auto& q : queries)
        if (!e.perQuery.count(q.qid) && qrels.byQuery.count(q.qid))
            for (const auto& measure : eval::measureNames())
                if (!eval::isCountMeasure(measure))
                    result.queryResults.push_back({language, querySet, q.qid, measure, 0.0});
    return e;
}

}  // namespace clir::retrieval
