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
// One experiment; a document with a "sweep" block stands for several (expandExperiment).
ExperimentSpec parseExperiment(const std::string& text, const std::string& source);
// The configuration hash of a resolved configuration (every default filled in). A setting added
// after runs were stored (model.dropout) counts only away from its default, so those runs keep
// their hashes and are still reused.
std::string configHashOf(nlohmann::json config);
ExperimentSpec loadExperiment(const std::string& path);

// A "sweep" block ({"seed": [13, 14, 15], "model.preset": ["static", "xs"]}) makes one
// experiment per combination of the listed values, the last field varying fastest. Each is
// named "<name>[model.preset=xs,seed=14]", has the group "<name>[model.preset=xs]" (its
// configuration without the seed: the seeds of one configuration share it) and is validated as a
// file of its own, errors naming the combination. A document without a sweep gives itself.
std::vector<ExperimentSpec> expandExperiment(const std::string& text, const std::string& source);
std::vector<ExperimentSpec> loadExperiments(const std::string& path);
// `clirlab run FILE --lang L`: the experiment (or sweep) text with one LibreOffice help language
// L in place of its own: corpus {"name": helpCorpusName([L]), "languages": [en-US, L]}, the
// sweep's language axis [L] (else train.languages [L] where given, and the name suffixed
// "[language=L]"), nmt.languages [L] where given. Inputs
// named by init.from still resolve by name, so a teacher trained on the study's corpus (the
// same English pages) is reused. Throws ConfigError naming `source` for a suite, a language
// that is not a tag, or the pivot itself.
std::string withLanguage(const std::string& text, const std::string& source,
                         const std::string& language);

// The experiments of a suite (method "suite"): its files in order, relative to the suite's
// folder, each expanded (a sweep gives its every run). A suite inside a suite is refused.
std::vector<ExperimentSpec> loadSuiteExperiments(const ExperimentSpec& suite);

// Markdown reference of every method and block field (key, type, default, range, description):
// what `clirlab schema` prints.
std::string settingsReference();

}  // namespace clir::jobs
