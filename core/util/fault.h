// Fault injection for the reliability tests (issue 16), in the manner of SQLite's test hooks:
// with CLIRLAB_FAULT=<point>[@N] in the environment the process kills itself with SIGKILL the
// N-th time (default: the first) it passes the named point, exactly where a power cut or an OOM
// kill would hurt most. Without the variable a point costs one relaxed atomic load.
// Points: checkpoint.write  (a checkpoint's tensors written, its sidecar not yet, nothing renamed)
//         checkpoint.publish (the new checkpoint folder in place, `latest` not yet moved to it)
//         store.commit      (a transaction's statements run, COMMIT not yet issued)
//         parallel.worker   (a data-parallel worker, rank > 0, between its backward and the
//                            gradient all-reduce: a worker lost mid-step)
#pragma once

namespace clir::fault {

void point(const char* name);

}  // namespace clir::fault
