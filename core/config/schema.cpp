// Schema validation (see schema.h).
#include "core/config/schema.h"

#include <limits>

#include <algorithm>
#include <cmath>
#include <set>

#include "core/util/text.h"

namespace clir::config {
namespace {

std::string typeName(const nlohmann::json& v) {
    if (v.is_boolean()) return "boolean";
    if (v.is_number_integer()) return "integer";
    if (v.is_number()) return "number";
    if (v.is_string()) return "string";
    if (v.is_array()) return "array";
    if (v.is_object()) return "object";
    return "null";
}

const char* expectedName(SchemaNode::Type t) {
    switch (t) {
        case SchemaNode::Type::Object:
            return "an object";
        case SchemaNode::Type::Array:
            return "an array";
        case SchemaNode::Type::String:
            return "a string";
        case SchemaNode::Type::Integer:
            return "an integer";
        case SchemaNode::Type::Number:
            return "a number";
        case SchemaNode::Type::Boolean:
            return "true or false";
    }
    return "?";
}

[[noreturn]] void fail(const std::string& path, const std::string& problem) {
    throw ConfigError("field '" + (path.empty() ? std::string("<root>") : path) + "': " + problem);
}

// Edit distance for "did you mean" hints on misspelt keys.
std::size_t distance(const std::string& a, const std::string& b) {
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j)
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

std::string joinPath(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
}

}  // namespace

SchemaNode SchemaNode::object(std::string description,
                              std::vector<std::pair<std::string, SchemaNode>> properties) {
    SchemaNode n;
    n.type = Type::Object;
    n.description = std::move(description);
    n.properties = std::move(properties);
    n.defaultValue = nlohmann::json::object();
    return n;
}

SchemaNode SchemaNode::string(std::string description, nlohmann::json def,
                              std::vector<std::string> allowed) {
    SchemaNode n;
    n.type = Type::String;
    n.description = std::move(description);
    n.defaultValue = std::move(def);
    n.allowed = std::move(allowed);
    return n;
}

SchemaNode SchemaNode::integer(std::string description, nlohmann::json def,
                               std::optional<double> min, std::optional<double> max) {
    SchemaNode n;
    n.type = Type::Integer;
    n.description = std::move(description);
    n.defaultValue = std::move(def);
    n.minimum = min;
    n.maximum = max;
    return n;
}

SchemaNode SchemaNode::number(std::string description, nlohmann::json def,
                              std::optional<double> min, std::optional<double> max) {
    SchemaNode n = integer(std::move(description), std::move(def), min, max);
    n.type = Type::Number;
    return n;
}

SchemaNode SchemaNode::boolean(std::string description, bool def) {
    SchemaNode n;
    n.type = Type::Boolean;
    n.description = std::move(description);
    n.defaultValue = def;
    return n;
}

SchemaNode SchemaNode::array(std::string description, SchemaNode items, nlohmann::json def) {
    SchemaNode n;
    n.type = Type::Array;
    n.description = std::move(description);
    n.items = std::make_shared<SchemaNode>(std::move(items));
    n.defaultValue = std::move(def);
    return n;
}

void validate(nlohmann::json& value, const SchemaNode& schema, const std::string& path) {
    using T = SchemaNode::Type;
    bool typeOk = false;
    switch (schema.type) {
        case T::Object:
            typeOk = value.is_object();
            break;
        case T::Array:
            typeOk = value.is_array();
            break;
        case T::String:
            typeOk = value.is_string();
            break;
        case T::Integer:
            typeOk = value.is_number_integer();
            break;
        case T::Number:
            typeOk = value.is_number();
            break;
        case T::Boolean:
            typeOk = value.is_boolean();
            break;
    }
    if (!typeOk)
        fail(path, std::string("expected ") + expectedName(schema.type) + ", got " +
                       typeName(value) + " " + value.dump());

    if (schema.type == T::Object) {
        if (schema.openKeys) return;
        for (auto it = value.begin(); it != value.end(); ++it) {
            auto known = std::find_if(schema.properties.begin(), schema.properties.end(),
                                      [&](const auto& p) { return p.first == it.key(); });
            if (known != schema.properties.end()) continue;
            std::string hint;
            std::size_t best = 3;
            for (const auto& [name, _] : schema.properties) {
                std::size_t d = distance(it.key(), name);
                // An abbreviation ("langs" for "languages") is a near miss too.
                if (it.key().size() >= 3 && (name.rfind(it.key().substr(0, 4), 0) == 0))
                    d = std::min<std::size_t>(d, 2);
                if (d < best) {
                    best = d;
                    hint = " (did you mean '" + name + "'?)";
                }
            }
            std::vector<std::string> names;
            for (const auto& [name, _] : schema.properties) names.push_back(name);
            fail(joinPath(path, it.key()),
                 "unknown key" + hint + "; allowed keys: " + text::join(names, ", "));
        }
        for (const auto& [name, child] : schema.properties) {
            std::string childPath = joinPath(path, name);
            if (!value.contains(name)) {
                if (child.required)
                    fail(childPath, "missing (required: " + child.description + ")");
                if (child.defaultValue.is_null()) continue;
                value[name] = child.defaultValue;
            }
            validate(value[name], child, childPath);
        }
        return;
    }
    if (schema.type == T::Array) {
        if (value.size() < schema.minItems)
            fail(path, "needs at least " + std::to_string(schema.minItems) + " item(s)");
        std::set<std::string> seen;
        for (std::size_t i = 0; i < value.size(); ++i) {
            validate(value[i], *schema.items, path + "[" + std::to_string(i) + "]");
            if (schema.uniqueItems && !seen.insert(value[i].dump()).second)
                fail(path + "[" + std::to_string(i) + "]", "duplicate value " + value[i].dump());
        }
        return;
    }
    if (schema.type == T::String) {
        const auto& s = value.get_ref<const std::string&>();
        if (!text::isValidUtf8(s)) fail(path, "invalid UTF-8");
        if (!schema.allowed.empty() &&
            std::find(schema.allowed.begin(), schema.allowed.end(), s) == schema.allowed.end())
            fail(path, "unknown value '" + s + "'; allowed: " + text::join(schema.allowed, ", "));
        return;
    }
    if (schema.type == T::Integer || schema.type == T::Number) {
        double v = value.get<double>();
        if (!std::isfinite(v)) fail(path, "must be finite");
        auto show = [](double x) {
            nlohmann::json j = x;
            if (x == std::floor(x) && std::abs(x) < 1e15) j = static_cast<std::int64_t>(x);
            return j.dump();
        };
        if (schema.minimum &&
            (schema.exclusiveMinimum ? v <= *schema.minimum : v < *schema.minimum))
            fail(path, "must be " + std::string(schema.exclusiveMinimum ? "> " : ">= ") +
                           show(*schema.minimum) + ", got " + value.dump());
        if (schema.maximum && v > *schema.maximum)
            fail(path, "must be <= " + show(*schema.maximum) + ", got " + value.dump());
    }
}

std::int64_t integerValue(const nlohmann::json& value, const std::string& what) {
    if (value.is_number_unsigned() &&
        value.get<std::uint64_t>() > std::uint64_t(std::numeric_limits<std::int64_t>::max()))
        throw ConfigError(what + ": " + value.dump() + " is too large");
    if (!value.is_number_integer())
        throw ConfigError(what + ": expected an integer, got " + value.dump().substr(0, 40));
    return value.get<std::int64_t>();
}

nlohmann::json parseJson(const std::string& textIn, const std::string& source) {
    try {
        return nlohmann::json::parse(textIn);
    } catch (const nlohmann::json::parse_error& e) {
        auto [line, col] = text::lineColumn(textIn, e.byte > 0 ? e.byte - 1 : 0);
        std::string what = e.what();
        auto pos = what.find("parse error");
        throw ConfigError(
            source + ":" + std::to_string(line) + ":" + std::to_string(col) +
            ": invalid JSON: " + (pos == std::string::npos ? what : what.substr(pos)));
    } catch (const nlohmann::json::exception& e) {
        // A number outside double's range (out_of_range.406) and the like: no byte position.
        throw ConfigError(source + ": invalid JSON: " + e.what());
    }
}

}  // namespace clir::config
