// The one way a retrieval job turns a ranked run into stored results: the TREC file written,
// evaluated with trec_eval's -c semantics, means and per-query values recorded (queries that
// retrieved nothing count as zeros).
#pragma once

#include <string>
#include <vector>

#include "core/data/corpus_reader.h"
#include "core/eval/measures.h"
#include "core/eval/trec_io.h"
#include "core/jobs/job.h"

namespace clir::retrieval {

eval::Evaluation evaluateAndRecord(const eval::Run& run, const std::string& trecPath,
                                   const std::string& tag, std::size_t depth,
                                   const eval::Qrels& qrels,
                                   const std::vector<data::CorpusQuery>& queries,
                                   const std::string& language, const std::string& querySet,
                                   jobs::JobResult& result);

}  // namespace clir::retrieval
