// Each settings field described once (STYLE 12; Hydra's structured configs): its key, the struct
// member it fills, type, default, range and description. The block's schema (validation, the
// GUI's new-run form, `clirlab schema`), its parser and its defaults all come from that one
// table, so a field cannot be added to one and forgotten in another.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/config/schema.h"

namespace clir::config {

template <class S>
class Fields {
  public:
    using Reader = std::function<void(S&, const nlohmann::json&)>;

    explicit Fields(std::string description) : description_(std::move(description)) {}

    Fields& integer(const std::string& key, std::int64_t S::*member, std::string doc,
                    std::int64_t def, std::optional<double> min = std::nullopt,
                    std::optional<double> max = std::nullopt) {
        return add(key, SchemaNode::integer(std::move(doc), def, min, max),
                   [member](S& s, const nlohmann::json& j) { s.*member = j.get<std::int64_t>(); });
    }
    Fields& integer(const std::string& key, int S::*member, std::string doc, int def,
                    std::optional<double> min = std::nullopt,
                    std::optional<double> max = std::nullopt) {
        return add(key, SchemaNode::integer(std::move(doc), def, min, max),
                   [member](S& s, const nlohmann::json& j) { s.*member = j.get<int>(); });
    }
    Fields& integer(const std::string& key, std::uint64_t S::*member, std::string doc,
                    std::uint64_t def, std::optional<double> min = std::nullopt,
                    std::optional<double> max = std::nullopt) {
        return add(key, SchemaNode::integer(std::move(doc), def, min, max),
                   [member](S& s, const nlohmann::json& j) { s.*member = j.get<std::uint64_t>(); });
    }
    // exclusiveMin: the minimum itself is not allowed (a temperature, an epsilon).
    Fields& number(const std::string& key, double S::*member, std::string doc, double def,
                   std::optional<double> min = std::nullopt,
                   std::optional<double> max = std::nullopt, bool exclusiveMin = false) {
        SchemaNode n = SchemaNode::number(std::move(doc), def, min, max);
        n.exclusiveMinimum = exclusiveMin;
        return add(key, std::move(n),
                   [member](S& s, const nlohmann::json& j) { s.*member = j.get<double>(); });
    }
    Fields& text(const std::string& key, std::string S::*member, std::string doc, std::string def,
                 std::vector<std::string> allowed = {}) {
        return add(key, SchemaNode::string(std::move(doc), std::move(def), std::move(allowed)),
                   [member](S& s, const nlohmann::json& j) { s.*member = j.get<std::string>(); });
    }
    Fields& boolean(const std::string& key, bool S::*member, std::string doc, bool def) {
        return add(key, SchemaNode::boolean(std::move(doc), def),
                   [member](S& s, const nlohmann::json& j) { s.*member = j.get<bool>(); });
    }
    // A list of strings, each one of `allowed` when given, without repeats when `unique`, at
    // least minItems long.
    Fields& texts(const std::string& key, std::vector<std::string> S::*member, std::string doc,
                  std::vector<std::string> def, std::vector<std::string> allowed = {},
                  bool unique = true, std::string itemDoc = "a value", std::size_t minItems = 0) {
        SchemaNode n = SchemaNode::array(
            std::move(doc), SchemaNode::string(std::move(itemDoc), nullptr, std::move(allowed)),
            nlohmann::json(def));
        n.uniqueItems = unique;
        n.minItems = minItems;
        return add(key, std::move(n), [member](S& s, const nlohmann::json& j) {
            s.*member = j.get<std::vector<std::string>>();
        });
    }
    // A nested block with its own table.
    template <class M>
    Fields& block(const std::string& key, M S::*member, const Fields<M>& sub) {
        return add(key, sub.schema(),
                   [member, sub](S& s, const nlohmann::json& j) { s.*member = sub.read(j); });
    }
    // Any other node (an open map checked by its reader).
    Fields& custom(const std::string& key, SchemaNode node, Reader read) {
        return add(key, std::move(node), std::move(read));
    }

    SchemaNode schema() const {
        std::vector<std::pair<std::string, SchemaNode>> props;
        for (const auto& f : fields_) props.emplace_back(f.key, f.node);
        return SchemaNode::object(description_, std::move(props));
    }
    // From a block that validate() has checked and filled with defaults (a field without a
    // default that is absent keeps the struct's value).
    S read(const nlohmann::json& validated) const {
        S s{};
        for (const auto& f : fields_)
            if (validated.contains(f.key)) f.read(s, validated.at(f.key));  // absent: optional
        return s;
    }
    // Every field at its default.
    S defaults() const {
        nlohmann::json j = nlohmann::json::object();
        validate(j, schema());
        return read(j);
    }

  private:
    struct Field {
        std::string key;
        SchemaNode node;
        Reader read;
    };
    Fields& add(const std::string& key, SchemaNode node, Reader read) {
        fields_.push_back({key, std::move(node), std::move(read)});
        return *this;
    }
    std::string description_;
    std::vector<Field> fields_;
};

}  // namespace clir::config
