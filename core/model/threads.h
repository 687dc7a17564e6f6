// How many threads at::parallel_for uses in this library's code. ATen's parallel_for is inline in
// its headers: compiled without OpenMP it runs every chunk on the calling thread, so MaxSim's page
// loop and Sinkhorn's pairs silently ran serially until clir_model was built with OpenMP.
#pragma once

namespace clir::model {

// The distinct threads that ran 64 chunks of at::parallel_for (grain 1) here: at::get_num_threads()
// (up to 64) when parallel_for is parallel, 1 when it is not.
int parallelForThreads();

}  // namespace clir::model
