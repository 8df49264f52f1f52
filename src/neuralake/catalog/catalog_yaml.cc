// Catalog::FromYamlString / FromYamlFile: the YAML form of a catalog (catalog.h).
#include <cctype>
#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "neuralake/catalog/catalog.h"

namespace neuralake::catalog {

namespace {

std::string Where(std::string_view origin, const YAML::Node& node) {
  return std::string(origin) + " line " + std::to_string(node.Mark().line + 1);
}

// Every key a table may have, for "unknown key" messages.
constexpr const char* kTableKeys =
    "type, uri, description, owner, tags, unique_columns, dedupe, example_filters, latency_info, "
    "freshness, data_input, deprecated, storage, schema, partitions, dsn, table, query, "
    "password_env, sql, function, args, options, expectations, partition_by, refresh";

std::string Scalar(const YAML::Node& node) { return node.IsNull() ? "" : node.as<std::string>(); }

std::vector<std::string> StringList(const YAML::Node& node, const std::string& where) {
  std::vector<std::string> out;
  if (node.IsScalar()) {
    out.push_back(node.as<std::string>());
    return out;
  }
  if (!node.IsSequence()) throw YAML::Exception(node.Mark(), where + " must be a list");
  for (const auto& item : node) out.push_back(item.as<std::string>());
  return out;
}

std::map<std::string, std::string> StringMap(const YAML::Node& node, const std::string& where) {
  std::map<std::string, std::string> out;
  if (node.IsNull()) return out;
  if (!node.IsMap()) throw YAML::Exception(node.Mark(), where + " must be a mapping");
  for (const auto& entry : node) out[entry.first.as<std::string>()] = Scalar(entry.second);
  return out;
}

// {col: TYPE, ...} or [{name: col, type: TYPE}, ...], in document order.
std::vector<DeclaredColumn> Columns(const YAML::Node& node, bool partition, const std::string& where) {
  std::vector<DeclaredColumn> out;
  if (node.IsMap()) {
    for (const auto& entry : node) {
      out.push_back({entry.first.as<std::string>(), entry.second.as<std::string>(), partition});
    }
  } else if (node.IsSequence()) {
    for (const auto& item : node) {
      if (!item.IsMap() || !item["name"] || !item["type"]) {
        throw YAML::Exception(item.Mark(), where + " entries need 'name' and 'type'");
      }
      out.push_back({item["name"].as<std::string>(), item["type"].as<std::string>(), partition});
    }
  } else {
    throw YAML::Exception(node.Mark(), where + " must map column names to types");
  }
  return out;
}

// [[[col, op, value], ...], ...]: a list of AND lists; a filter is [column, op, value] or
// {column, op, value}; value may be a list (in, includes any, ...).
std::vector<std::vector<ExampleFilter>> ExampleFilters(const YAML::Node& node) {
  std::vector<std::vector<ExampleFilter>> out;
  if (!node.IsSequence()) throw YAML::Exception(node.Mark(), "example_filters must be a list");
  for (const auto& conjunction : node) {
    if (!conjunction.IsSequence()) {
      throw YAML::Exception(conjunction.Mark(), "each example filter list must be a list of filters");
    }
    std::vector<ExampleFilter> filters;
    for (const auto& item : conjunction) {
      ExampleFilter filter;
      YAML::Node value;
      if (item.IsSequence() && (item.size() == 2 || item.size() == 3)) {
        filter.column = item[0].as<std::string>();
        filter.op = item[1].as<std::string>();
        if (item.size() == 3) value = item[2];
      } else if (item.IsMap() && item["column"] && item["op"]) {
        filter.column = item["column"].as<std::string>();
        filter.op = item["op"].as<std::string>();
        if (item["value"]) value = item["value"];
      } else {
        throw YAML::Exception(item.Mark(), "a filter is [column, op, value] or {column, op, value}");
      }
      if (value && value.IsSequence()) {
        for (const auto& v : value) filter.values.push_back(v.as<std::string>());
      } else if (value && !value.IsNull()) {
        filter.values.push_back(value.as<std::string>());
      }
      filters.push_back(std::move(filter));
    }
    out.push_back(std::move(filters));
  }
  return out;
}

// "90", "90s", "5m", "2h", "1d" -> seconds.
int64_t Seconds(const std::string& text, const YAML::Node& node,
                const std::string& what = "freshness") {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  std::string unit = text.substr(digits);
  int64_t scale = unit.empty() || unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600
                  : unit == "d" ? 86400 : 0;
  if (digits == 0 || digits > 12 || scale == 0) {
    throw YAML::Exception(node.Mark(), what + " must be a duration such as 90s, 5m, 2h or 1d, got '" +
                                           text + "'");
  }
  return std::stoll(text.substr(0, digits)) * scale;
}

// True when a libpq connection string carries a password (keyword or URI user:pass@).
bool DsnHasPassword(const std::string& dsn) {
  std::string lower;
  for (char c : dsn) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.find("password") != std::string::npos) return true;
  size_t scheme = lower.find("://");
  if (scheme == std::string::npos) return false;
  size_t at = lower.find('@', scheme);
  size_t colon = lower.find(':', scheme + 3);
  return at != std::string::npos && colon != std::string::npos && colon < at;
}

constexpr const char* kExpectationTypes =
    "not_null, unique, accepted_values, range, regex, row_count, freshness, foreign_key, sql";

Expectation OneExpectation(const YAML::Node& node) {
  if (!node.IsMap()) throw YAML::Exception(node.Mark(), "an expectation is a mapping");
  Expectation e;
  for (const auto& entry : node) {
    std::string key = entry.first.as<std::string>();
    const YAML::Node& value = entry.second;
    if (key == "name") {
      e.name = value.as<std::string>();
    } else if (key == "type") {
      e.type = value.as<std::string>();
    } else if (key == "column") {
      e.column = value.as<std::string>();
    } else if (key == "columns") {
      e.columns = StringList(value, "columns");
    } else if (key == "values") {
      e.values = StringList(value, "values");
    } else if (key == "min") {
      e.min = value.as<std::string>();
    } else if (key == "max") {
      e.max = value.as<std::string>();
    } else if (key == "pattern") {
      e.pattern = value.as<std::string>();
    } else if (key == "sql") {
      e.sql = value.as<std::string>();
    } else if (key == "references") {
      // "db.table(column)" or {table: db.table, column: c}
      if (value.IsMap()) {
        e.references_table = value["table"] ? value["table"].as<std::string>() : "";
        e.references_column = value["column"] ? value["column"].as<std::string>() : "";
      } else {
        std::string text = value.as<std::string>();
        size_t open = text.find('(');
        if (open == std::string::npos || text.back() != ')') {
          throw YAML::Exception(value.Mark(), "references is db.table(column) or {table, column}");
        }
        e.references_table = text.substr(0, open);
        e.references_column = text.substr(open + 1, text.size() - open - 2);
      }
    } else if (key == "max_age") {
      e.max_age_seconds = Seconds(value.as<std::string>(), value, "max_age");
    } else if (key == "mostly") {
      e.mostly = value.as<double>();
      if (!(e.mostly > 0 && e.mostly <= 1)) {
        throw YAML::Exception(value.Mark(), "mostly must be in (0, 1]");
      }
    } else if (key == "on_violation") {
      std::string action = value.as<std::string>();
      if (action == "warn") e.on_violation = Expectation::Action::kWarn;
      else if (action == "drop") e.on_violation = Expectation::Action::kDrop;
      else if (action == "fail") e.on_violation = Expectation::Action::kFail;
      else throw YAML::Exception(value.Mark(), "on_violation is warn, drop or fail, got '" + action + "'");
    } else {
      throw YAML::Exception(entry.first.Mark(),
                            "unknown expectation key '" + key +
                                "' (known: name, type, column, columns, values, min, max, pattern, "
                                "sql, references, max_age, mostly, on_violation)");
    }
  }
  auto need = [&](bool ok, const std::string& what) {
    if (!ok) {
      throw YAML::Exception(node.Mark(), "expectation '" + e.name + "' (" + e.type + ") needs " + what);
    }
  };
  need(!e.name.empty(), "a name");
  if (e.type == "not_null" || e.type == "accepted_values" || e.type == "range" || e.type == "regex" ||
      e.type == "foreign_key") {
    need(!e.column.empty(), "a column");
  }
  if (e.type == "unique") {
    if (e.columns.empty() && !e.column.empty()) e.columns = {e.column};
    need(!e.columns.empty(), "columns");
  } else if (e.type == "accepted_values") {
    need(!e.values.empty(), "values");
  } else if (e.type == "range" || e.type == "row_count") {
    need(e.min || e.max, "min or max");
  } else if (e.type == "regex") {
    need(!e.pattern.empty(), "a pattern");
  } else if (e.type == "sql") {
    need(!e.sql.empty(), "sql");
  } else if (e.type == "foreign_key") {
    need(!e.references_table.empty() && !e.references_column.empty(), "references");
  } else if (e.type == "freshness") {
    need(e.max_age_seconds > 0, "max_age");
  } else if (e.type != "not_null") {
    throw YAML::Exception(node.Mark(), "unknown expectation type '" + e.type + "' (known: " +
                                           kExpectationTypes + ")");
  }
  return e;
}

std::vector<Expectation> Expectations(const YAML::Node& node) {
  if (!node.IsSequence()) throw YAML::Exception(node.Mark(), "expectations must be a list");
  std::vector<Expectation> out;
  for (const auto& item : node) {
    Expectation e = OneExpectation(item);
    for (const auto& other : out) {
      if (other.name == e.name) {
        throw YAML::Exception(item.Mark(), "two expectations are named '" + e.name + "'");
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

void LoadKey(TableDefinition& definition, const std::string& key, const YAML::Node& value,
             bool* has_type) {
  TableMetadata& meta = definition.metadata;
  if (key == "type") {
    auto kind = ParseTableKind(value.as<std::string>());
    if (!kind.ok()) throw YAML::Exception(value.Mark(), kind.status().message());
    definition.kind = *kind;
    *has_type = true;
  } else if (key == "uri") {
    definition.uri = value.as<std::string>();
  } else if (key == "description") {
    meta.description = Scalar(value);
  } else if (key == "owner") {
    meta.owner = Scalar(value);
  } else if (key == "tags") {
    meta.tags = StringList(value, "tags");
  } else if (key == "unique_columns") {
    meta.unique_columns = StringList(value, "unique_columns");
  } else if (key == "dedupe") {
    if (!value.IsMap() || !value["order_by"] ||
        (value["keep"] && value["keep"].as<std::string>() != "last")) {
      throw YAML::Exception(value.Mark(), "dedupe is {keep: last, order_by: <column>}");
    }
    meta.dedupe_order_by = value["order_by"].as<std::string>();
  } else if (key == "example_filters") {
    meta.example_filters = ExampleFilters(value);
  } else if (key == "latency_info") {
    meta.latency_info = Scalar(value);
  } else if (key == "freshness") {
    meta.freshness_seconds = Seconds(value.as<std::string>(), value);
  } else if (key == "data_input") {
    meta.data_input = Scalar(value);
  } else if (key == "deprecated") {
    Deprecation deprecation;
    if (value.IsMap()) {
      if (value["message"]) deprecation.message = value["message"].as<std::string>();
      if (value["use"]) deprecation.use = value["use"].as<std::string>();
    } else if (value.IsScalar()) {
      deprecation.message = value.as<std::string>();
    }
    if (!value.IsScalar() || value.as<std::string>() != "false") meta.deprecated = deprecation;
  } else if (key == "storage") {
    definition.storage = StringMap(value, "storage");
    for (const auto& [name, text] : definition.storage) {
      if (name == "access_key" || name == "secret_key" || name == "session_token") {
        throw YAML::Exception(value.Mark(), "storage." + name + " must not be written in a catalog; "
                                            "name an environment variable with " + name + "_env");
      }
    }
  } else if (key == "schema") {
    for (auto& column : Columns(value, false, "schema")) definition.schema.push_back(column);
  } else if (key == "partitions") {
    for (auto& column : Columns(value, true, "partitions")) definition.schema.push_back(column);
  } else if (key == "dsn") {
    std::string dsn = value.as<std::string>();
    if (DsnHasPassword(dsn)) {
      throw YAML::Exception(value.Mark(), "dsn must not hold a password (use password_env, "
                                          "PGPASSWORD or a .pgpass file)");
    }
    definition.options["dsn"] = dsn;
  } else if (key == "password" ) {
    throw YAML::Exception(value.Mark(), "a password must not be written in a catalog (use "
                                        "password_env, PGPASSWORD or a .pgpass file)");
  } else if (key == "table" || key == "query" || key == "password_env" || key == "sql" ||
             key == "function") {
    definition.options[key] = value.as<std::string>();
  } else if (key == "args") {
    definition.args = StringMap(value, "args");
  } else if (key == "expectations") {
    definition.expectations = Expectations(value);
  } else if (key == "partition_by") {
    definition.partition_by = StringList(value, "partition_by");
  } else if (key == "refresh") {
    auto refresh = StringMap(value, "refresh");
    for (const auto& [name, text] : refresh) {
      if (name == "mode") {
        if (text != "auto" && text != "full" && text != "incremental") {
          throw YAML::Exception(value.Mark(), "refresh.mode is auto, full or incremental, got '" + text + "'");
        }
        definition.options["refresh_mode"] = text;
      } else if (name == "interval") {
        definition.options["refresh_interval"] = std::to_string(Seconds(text, value, "refresh.interval"));
      } else {
        throw YAML::Exception(value.Mark(), "unknown key 'refresh." + name + "' (known: mode, interval)");
      }
    }
  } else if (key == "options") {
    for (auto& [name, text] : StringMap(value, "options")) definition.options[name] = text;
  } else {
    throw YAML::Exception(value.Mark(), "unknown key '" + key + "' (known: " + kTableKeys + ")");
  }
}

// What each kind needs; "" when the definition is complete.
std::string Missing(const TableDefinition& definition) {
  auto has = [&](const char* option) { return definition.options.count(option) != 0; };
  switch (definition.kind) {
    case TableKind::kDelta:
    case TableKind::kParquet:
      return definition.uri.empty() ? "has no 'uri'" : "";
    case TableKind::kPostgres:
      if (!has("dsn")) return "has no 'dsn'";
      if (has("table") == has("query")) return "needs exactly one of 'table' and 'query'";
      return "";
    case TableKind::kView:
      return has("sql") ? "" : "has no 'sql'";
    case TableKind::kMaterializedView:
      if (!has("sql")) return "has no 'sql'";
      return definition.uri.empty() ? "has no 'uri' (where its Delta table lives)" : "";
    case TableKind::kFunction:
      return has("function") || definition.function ? "" : "has no 'function'";
  }
  return "";
}

Status LoadTable(catalog::Database& database, const std::string& name, const YAML::Node& node,
                 std::string_view origin) {
  if (!IsValidIdentifier(name)) {
    return Status::Invalid(Where(origin, node) + ": invalid table name '" + name + "'");
  }
  if (!node.IsMap()) {
    return Status::Invalid(Where(origin, node) + ": table '" + name + "' must be a mapping");
  }
  TableDefinition definition;
  definition.name = name;
  bool has_type = false;
  for (const auto& entry : node) {
    std::string key = entry.first.as<std::string>();
    try {
      LoadKey(definition, key, entry.second, &has_type);
    } catch (const YAML::Exception& error) {
      const YAML::Mark& mark = error.mark.is_null() ? entry.first.Mark() : error.mark;
      return Status::Invalid(std::string(origin) + " line " + std::to_string(mark.line + 1) +
                             ": table '" + name + "': " + error.msg);
    }
  }
  if (!has_type) {
    return Status::Invalid(Where(origin, node) + ": table '" + name + "' has no 'type'");
  }
  std::string missing = Missing(definition);
  if (!missing.empty()) {
    return Status::Invalid(Where(origin, node) + ": " + std::string(TableKindName(definition.kind)) +
                           " table '" + name + "' " + missing);
  }
  database.AddTable(std::move(definition));
  return Status::OK();
}

}  // namespace

Result<Catalog> Catalog::FromYamlString(std::string_view text, std::string_view origin) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& error) {
    return Status::Invalid(std::string(origin) + ": " + error.what());
  }
  Catalog catalog;
  try {
    if (root.IsNull()) return catalog;
    if (!root.IsMap()) return Status::Invalid(std::string(origin) + ": expected a mapping");
    for (const auto& top : root) {
      std::string key = top.first.as<std::string>();
      if (key != "databases") {
        return Status::Invalid(Where(origin, top.first) + ": unknown key '" + key +
                               "' (expected 'databases')");
      }
      for (const auto& db : top.second) {
        std::string db_name = db.first.as<std::string>();
        if (!IsValidIdentifier(db_name)) {
          return Status::Invalid(Where(origin, db.first) + ": invalid database name '" +
                                 db_name + "'");
        }
        catalog::Database& database = catalog.Database(db_name);
        if (db.second.IsNull()) continue;
        for (const auto& section : db.second) {
          std::string section_name = section.first.as<std::string>();
          if (section_name != "tables") {
            return Status::Invalid(Where(origin, section.first) + ": unknown key '" +
                                   section_name + "' in database '" + db_name +
                                   "' (expected 'tables')");
          }
          for (const auto& table : section.second) {
            NL_RETURN_NOT_OK(
                LoadTable(database, table.first.as<std::string>(), table.second, origin));
          }
        }
      }
    }
  } catch (const YAML::Exception& error) {
    return Status::Invalid(std::string(origin) + ": " + error.what());
  }
  return catalog;
}

Result<Catalog> Catalog::FromYamlFile(const std::string& path) {
  std::ifstream file(path);
  if (!file) return Status::NotFound("catalog file '" + path + "' does not exist");
  std::stringstream text;
  text << file.rdbuf();
  return FromYamlString(text.str(), path);
}

}  // namespace neuralake::catalog
