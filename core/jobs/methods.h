// The one method registry (STYLE 12): every method an experiment can name, the optional blocks
// it reads (the schema check and the new-run form use them), the kind of job that runs it, and
// whether it is one of the retrieval methods compared in RQ2. Read everywhere a method list is
// needed; jobs/job_factory.cpp makes the job of each kind.
#pragma once

#include <string>
#include <vector>

namespace clir::jobs {

enum class JobKind { Corpus, Bm25, Pretrain, Retrieval, Nmt, Suite };

// What a retrieval method trains (SPEC 4); the retrieval job wires itself from this.
struct RetrievalTraits {
    bool trains = false;       // false: the starting checkpoint is evaluated as it is
    bool contrastive = false;  // an InfoNCE term on query-page batches
    bool hybrid = false;       // those batches are hybrid (monolingual with probability alpha)
    bool optical = false;      // OT distillation into a student from the frozen teacher
    bool fromEncoder = false;  // starts from a pretrained encoder, not a retrieval model
    bool crossLingual = true;  // needs a language besides English
    bool englishOnly = false;  // trains and picks its checkpoint on English queries only
};

struct MethodInfo {
    std::string name;
    JobKind kind;
    std::vector<std::string> blocks;  // optional experiment blocks it reads (besides corpus)
    std::string summary;              // one line for `clirlab schema` and the new-run form
    RetrievalTraits retrieval = {};   // kind Retrieval only
};

// In the order of the RQ2 table: baselines, then the retrieval methods, then the rest.
const std::vector<MethodInfo>& methods();
// Throws std::out_of_range naming the method when unknown.
const MethodInfo& methodInfo(const std::string& name);
std::vector<std::string> methodNames();
// The retrieval methods (teacher, zero-shot, fine-tune, hybrid, optical, optical+hybrid).
std::vector<std::string> retrievalMethods();
bool isRetrievalMethod(const std::string& name);
// Every optional block some method reads.
std::vector<std::string> allBlockNames();

}  // namespace clir::jobs
