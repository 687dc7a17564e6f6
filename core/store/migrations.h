// The schema's history: each entry upgrades the database by one version (SPEC 6).
#pragma once

#include <vector>

#include "core/store/database.h"

namespace clir::store {

const std::vector<Migration>& schemaMigrations();

}  // namespace clir::store
