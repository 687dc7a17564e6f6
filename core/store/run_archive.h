// Finished runs as portable JSON files (SPEC 6): what a run recorded in the store — its
// configuration and hashes, timestamps, tags and notes, its corpus, results, per-query values,
// query translations and metric series — so that a suite started on one machine continues on
// another and a report can be regenerated from archives alone. Files beside the database
// (checkpoints, TREC runs, transport plans) are not carried: a restored run is reused as a
// result, and a run whose checkpoint is needed again is trained again.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "core/store/database.h"

namespace clir::store {

class ArchiveError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

constexpr int kRunArchiveVersion = 1;

// The archive of one finished run; throws ArchiveError for a missing or unfinished run.
nlohmann::json archiveRun(Database& db, std::int64_t id);

// The file name an archive is written under: <name>-<config hash, 16 hex>-<finish time>.json,
// with characters outside [A-Za-z0-9._-] replaced by '_'.
std::string archiveFileName(const nlohmann::json& archive);

// Writes the run's archive into the folder (created when missing) unless a file of that name is
// there; returns whether it wrote one.
bool writeRunArchive(Database& db, std::int64_t id, const std::string& folder);

// The message a restored run carries ("restored from <source>"), and whether a run's message
// is one: such a run has no files on this machine (checkpoints, TREC runs, plans).
std::string restoredMessage(const std::string& source);
bool isRestoredMessage(const std::string& message);

struct RestoreOutcome {
    std::int64_t id = 0;  // the run in the database (the existing one when it was there)
    bool restored = false;
};

// Restores one archive into the database in one transaction, unless a run with the same name,
// configuration hash and finish time is already there. The run keeps its archived id when that
// id is free. `source` names the file in errors, which also name the bad field.
RestoreOutcome restoreRun(Database& db, const nlohmann::json& archive, const std::string& source);

}  // namespace clir::store
