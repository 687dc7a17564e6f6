// Experiment files (experiments/*.json): the experiment schema assembled from every block's
// field table and the method registry, and parsing with errors that name the file and field.
#pragma once

#include <string>
#include <vector>

#include "core/config/experiment_spec.h"
#include "core/config/schema.h"

namespace clir::jobs {

using config::ExperimentSpec;

config::SchemaNode suiteSchema();  // the "suite" block (several experiments)
config::SchemaNode experimentSchema();
// The schema of one optional block by name; throws std::out_of_range when unknown.
config::SchemaNode blockSchema(const std::string& block);

// Errors are ConfigError messages starting with the source: "x.json: field 'seed': ...".
ExperimentSpec parseExperiment(const std::string& text, const std::string& source);
ExperimentSpec loadExperiment(const std::string& path);

// Markdown reference of every method and block field (key, type, default, range, description):
// what `clirlab schema` prints.
std::string settingsReference();

}  // namespace clir::jobs
