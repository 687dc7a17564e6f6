// The training losses of the retrieval methods (SPEC 4): InfoNCE over in-batch (and hard)
// negatives with false negatives masked, and OPTICAL's entropic OT distillation loss <P, C>
// between teacher and student token vectors.
#pragma once

#include <ATen/ATen.h>
#include <c10/core/Device.h>

#include <set>
#include <string>
#include <vector>

#include "core/model/tokenizer.h"
#include "core/ot/sinkhorn.h"
#include "core/retrieval/neural_search.h"
#include "core/store/records.h"

namespace clir::train {

class DataParallel;
using Ids = std::vector<std::int64_t>;

struct ContrastiveBatch {
    std::vector<Ids> queries, docs;               // docs: the positives, then hard negatives
    std::vector<std::string> docKeys;             // "<lang>:<docid>" per doc column
    std::vector<std::set<std::string>> relevant;  // per query: every relevant doc key
};

// Mean cross-entropy of each query against its positive (column i) among all batch documents.
// maxsim scores content tokens only, query tokens weighted by queryWeigher (uniform if empty).
// With `parallel` (every rank passing the same whole batch), a rank encodes an equal share of
// the queries and of the documents, gathers every rank's documents (differentiably) and returns
// the mean over its queries: the ranks' mean is the whole batch's loss and gradient.
at::Tensor infoNce(const retrieval::TokenEncoder& queryTower,
                   const retrieval::TokenEncoder& docTower, const ContrastiveBatch& b,
                   const std::string& scoring, double temperature, c10::Device device,
                   const retrieval::TermWeigher& queryWeigher = {},
                   DataParallel* parallel = nullptr);

struct OtOutput {
    at::Tensor loss;  // mean <P, C> over the batch
    ot::SinkhornResult result;
    at::Tensor cost;
    // Collapse signs (SPEC 4), both in [0, 1]: the plan's entropy over log(n * m) real cells
    // (1: uniform, the plan says nothing), averaged over pairs; and the mean cosine between
    // distinct student content-token vectors of the batch (1: every token the same vector).
    double planEntropy = 0, studentCosine = 0;
    // With the anchor: the English side through the student too, mean 1 - cos to the teacher
    // over English content tokens (undefined without it).
    at::Tensor anchor;
};

// English side through the (frozen) teacher, X side through the student; C = 1 - cos.
// anchorTokens: what the anchor's sum is divided by (the content tokens of the whole batch when
// this is one rank's share, times the ranks); 0: this batch's own content tokens.
OtOutput otLoss(const retrieval::TokenEncoder& teacher, const retrieval::TokenEncoder& student,
                const std::vector<Ids>& english, const std::vector<Ids>& other,
                const ot::SinkhornOptions& options, c10::Device device, bool anchor = false,
                double anchorTokens = 0);

// OPTICAL's transported query-term weights: each X content token's weight is the plan-weighted
// mean of the teacher's weights of the English tokens it is shipped to, summed per X piece over
// the batches seen (ot.term_weights transported).
struct TransportedWeights {
    at::Tensor sum, count;  // [vocab], double, CPU
    explicit TransportedWeights(std::int64_t vocab);
    // plan [B, n, m] over English x X tokens; englishWeights [B, n] (0 on specials and padding);
    // otherIds, otherContent [B, m].
    void add(const at::Tensor& plan, const at::Tensor& englishWeights, const at::Tensor& otherIds,
             const at::Tensor& otherContent);
    // `current` (per piece) with every seen piece replaced by its mean transported weight.
    std::vector<double> applyTo(std::vector<double> current) const;
};

// The plan and cost of one bitext pair over its content tokens (specials dropped), with the
// pieces as labels: what the alignment inspector shows. pairKey and step are left to the caller.
store::AlignmentRecord alignmentOf(const retrieval::TokenEncoder& teacher,
                                   const retrieval::TokenEncoder& student,
                                   const model::Tokenizer& tok, const Ids& english,
                                   const Ids& other, const ot::SinkhornOptions& options,
                                   c10::Device device);

// The pieces of `ids` without <s> and </s> (the inspector's token labels), byte-fallback runs
// shown as their characters (Tokenizer::readable).
std::vector<std::string> piecesOf(const model::Tokenizer& tok, const Ids& ids);

}  // namespace clir::train
