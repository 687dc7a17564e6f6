// File-system helpers: whole-file reads, atomic writes, and the default data locations.
#pragma once

#include <string>
#include <vector>

namespace clir::fs {

std::string readFile(const std::string& path);  // throws std::runtime_error naming the path

// Writes through a temporary file in the same folder, fsyncs and renames, so a crash or a full
// disk never leaves a half-written file in place. Throws std::runtime_error naming the path.
void writeFileAtomic(const std::string& path, const std::string& content);

// SHA-256 over every regular file below `dir` (relative names in order, then each file's
// SHA-256), leaving out the names in `exclude`: the fingerprint a cache records when it is built
// and checks before it is used.
std::string treeSha256(const std::string& dir, const std::vector<std::string>& exclude = {});

// Data cache: $CLIRLAB_DATA, else $XDG_CACHE_HOME/clirlab, else ~/.cache/clirlab.
std::string dataDir();
// Default database: $CLIRLAB_DB, else $XDG_DATA_HOME/clirlab/clirlab.db, else
// ~/.local/share/clirlab/clirlab.db.
std::string defaultDatabasePath();

}  // namespace clir::fs
