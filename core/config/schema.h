// A small JSON schema: types, required keys, defaults, enums and ranges, with errors that name
// the exact field. Every hyper-parameter has its one default here (STYLE 4).
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace clir::config {

class ConfigError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct SchemaNode {
    enum class Type { Object, Array, String, Integer, Number, Boolean };
    Type type = Type::String;
    std::string description;  // with the unit or the source of the default
    bool required = false;
    nlohmann::json defaultValue;       // used when absent and not required (null: none)
    std::vector<std::string> allowed;  // enum for strings (and array items)
    std::optional<double> minimum, maximum;
    bool exclusiveMinimum = false;
    std::vector<std::pair<std::string, SchemaNode>> properties;  // objects, in display order
    std::shared_ptr<SchemaNode> items;                           // arrays
    std::size_t minItems = 0;
    bool uniqueItems = false;
    bool openKeys = false;  // objects: any key allowed (a map checked by its reader)

    static SchemaNode object(std::string description,
                             std::vector<std::pair<std::string, SchemaNode>> properties);
    static SchemaNode string(std::string description, nlohmann::json def = nullptr,
                             std::vector<std::string> allowed = {});
    static SchemaNode integer(std::string description, nlohmann::json def,
                              std::optional<double> min = std::nullopt,
                              std::optional<double> max = std::nullopt);
    static SchemaNode number(std::string description, nlohmann::json def,
                             std::optional<double> min = std::nullopt,
                             std::optional<double> max = std::nullopt);
    static SchemaNode boolean(std::string description, bool def);
    static SchemaNode array(std::string description, SchemaNode items, nlohmann::json def);
    SchemaNode& require() {
        required = true;
        return *this;
    }
};

// Validates `value` in place (filling defaults). Throws ConfigError "field 'a.b[2]': ...".
void validate(nlohmann::json& value, const SchemaNode& schema, const std::string& path = "");

// Parses JSON text; a syntax error becomes ConfigError "<source>:<line>:<col>: ...".
nlohmann::json parseJson(const std::string& text, const std::string& source);

// An integer JSON value as int64. A float (nlohmann's get<int64_t> would truncate 1.5 and leave
// 1e61 undefined), a string or an integer beyond int64 throws ConfigError naming `what`.
std::int64_t integerValue(const nlohmann::json& value, const std::string& what);

}  // namespace clir::config
