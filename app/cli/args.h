// Minimal command-line parsing for `clirlab`: flags, options with values and positionals, with
// usage errors (exit code 2) that name the offending argument.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace clir::cli {

class UsageError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct OptionSpec {
    std::string name;  // "--json"
    bool takesValue = false;
    bool repeatable = false;
    std::string help;
};

struct ParsedArgs {
    std::map<std::string, std::vector<std::string>> options;  // name -> values ("" for flags)
    std::vector<std::string> positionals;
    bool has(const std::string& name) const { return options.count(name) > 0; }
    std::string value(const std::string& name, const std::string& fallback = "") const;
    std::vector<std::string> values(const std::string& name) const;
};

struct CommandSpec {
    std::string name;   // "data stats"
    std::string usage;  // "clirlab data stats [--json]"
    std::string summary;
    std::vector<OptionSpec> options;
    std::size_t minPositionals = 0, maxPositionals = 0;
    std::string helpText() const;
};

// A run id argument: a positive integer, else UsageError naming the command.
std::int64_t parseRunId(const std::string& command, const std::string& text);

// Throws UsageError; "--help" is reported through ParsedArgs::has("--help").
ParsedArgs parseArgs(const CommandSpec& spec, const std::vector<std::string>& args);

}  // namespace clir::cli
