// OpenBLAS thread count (see blas_threads.h), looked up at run time so that any BLAS links.
#include "core/util/blas_threads.h"

#include <dlfcn.h>

namespace clir {
namespace {

using SetThreads = void (*)(int);
using GetThreads = int (*)();

SetThreads setter() {
    static auto f = reinterpret_cast<SetThreads>(::dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
    return f;
}
GetThreads getter() {
    static auto f = reinterpret_cast<GetThreads>(::dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
    return f;
}

}  // namespace

ScopedBlasThreads::ScopedBlasThreads(int threads) {
    if (!setter() || !getter()) return;
    previous_ = getter()();
    if (previous_ != threads) setter()(threads);
}

ScopedBlasThreads::~ScopedBlasThreads() {
    if (previous_ > 0 && setter()) setter()(previous_);
}

}  // namespace clir
