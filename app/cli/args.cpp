// Argument parsing (see args.h).
#include "app/cli/args.h"

#include <algorithm>
#include <sstream>

namespace clir::cli {

std::string ParsedArgs::value(const std::string& name, const std::string& fallback) const {
    auto it = options.find(name);
    return it == options.end() || it->second.empty() ? fallback : it->second.back();
}

std::vector<std::string> ParsedArgs::values(const std::string& name) const {
    auto it = options.find(name);
    return it == options.end() ? std::vector<std::string>{} : it->second;
}

std::string CommandSpec::helpText() const {
    std::ostringstream out;
    out << "usage: " << usage << "\n\n" << summary << "\n";
    if (!options.empty()) {
        out << "\noptions:\n";
        for (const auto& o : options) {
            std::string left = o.name + (o.takesValue ? " VALUE" : "");
            out << "  " << left << std::string(left.size() < 22 ? 22 - left.size() : 1, ' ')
                << o.help << "\n";
        }
    }
    out << "  --help                show this help\n";
    return out.str();
}

std::int64_t parseRunId(const std::string& command, const std::string& text) {
    try {
        std::size_t used = 0;
        long long v = std::stoll(text, &used);
        if (used == text.size() && v > 0) return v;
    } catch (const std::exception&) {
    }
    throw UsageError(command + ": run id must be a positive integer, got '" + text + "'");
}

ParsedArgs parseArgs(const CommandSpec& spec, const std::vector<std::string>& args) {
    ParsedArgs parsed;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--help" || a == "-h") {
            parsed.options["--help"].push_back("");
            return parsed;
        }
        if (a.size() > 1 && a[0] == '-' && a != "-") {
            std::string name = a, inlineValue;
            bool hasInline = false;
            auto eq = a.find('=');
            if (eq != std::string::npos) {
                name = a.substr(0, eq);
                inlineValue = a.substr(eq + 1);
                hasInline = true;
            }
            auto opt = std::find_if(spec.options.begin(), spec.options.end(),
                                    [&](const OptionSpec& o) { return o.name == name; });
            if (opt == spec.options.end())
                throw UsageError(spec.name + ": unknown option '" + name + "' (see: clirlab " +
                                 spec.name + " --help)");
            if (!opt->repeatable && parsed.has(name))
                throw UsageError(spec.name + ": option '" + name + "' given twice");
            if (opt->takesValue) {
                if (!hasInline) {
                    if (i + 1 >= args.size())
                        throw UsageError(spec.name + ": option '" + name + "' needs a value");
                    inlineValue = args[++i];
                }
                parsed.options[name].push_back(inlineValue);
            } else {
                if (hasInline)
                    throw UsageError(spec.name + ": option '" + name + "' takes no value");
                parsed.options[name].push_back("");
            }
            continue;
        }
        parsed.positionals.push_back(a);
    }
    if (parsed.positionals.size() < spec.minPositionals)
        throw UsageError(spec.name + ": missing argument (usage: " + spec.usage + ")");
    if (parsed.positionals.size() > spec.maxPositionals)
        throw UsageError(spec.name + ": unexpected argument '" +
                         parsed.positionals[spec.maxPositionals] + "' (usage: " + spec.usage + ")");
    return parsed;
}

}  // namespace clir::cli
