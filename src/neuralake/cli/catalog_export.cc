#include "neuralake/cli/catalog_export.h"

#include <map>
#include <vector>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "neuralake/engine/scan.h"

namespace neuralake::cli {
namespace {

std::string TableType(const std::string& kind) {
  static const std::map<std::string, std::string> kTypes = {
      {"delta", "DELTA_LAKE"}, {"parquet", "PARQUET"}, {"function", "FUNCTION"},
      {"postgres", "POSTGRES"}, {"view", "VIEW"}};
  auto it = kTypes.find(kind);
  return it == kTypes.end() ? kind : it->second;
}

nlohmann::json TextOrNull(const nlohmann::json& table, const char* key) {
  if (!table.contains(key) || !table[key].is_string() || table[key].get<std::string>().empty()) {
    return nullptr;
  }
  return table[key];
}

// A partition's documented value: the first example filter `column = value` on it (as datarepo
// takes it from its docs filters), else null.
nlohmann::json PartitionValue(const nlohmann::json& table, const std::string& column) {
  if (!table.contains("example_filters")) return nullptr;
  for (const auto& conjunction : table["example_filters"]) {
    for (const auto& filter : conjunction) {
      if (filter.value("column", "") == column && filter.value("op", "") == "=" &&
          filter.contains("values") && filter["values"].size() == 1) {
        return filter["values"][0];
      }
    }
  }
  return nullptr;
}

nlohmann::json DatarepoTable(const nlohmann::json& table) {
  std::string kind = table.value("kind", "");
  nlohmann::json partitions = nlohmann::json::array();
  nlohmann::json columns = nullptr;
  std::map<std::string, std::string> types;
  if (table.contains("schema") && table["schema"].is_array()) {
    columns = nlohmann::json::array();
    for (const auto& column : table["schema"]) {
      bool partition = column.value("partition", false);
      std::string name = column.value("name", "");
      types[name] = column.value("type", "");
      // Delta files carry statistics for every column; partition values are known per file.
      columns.push_back({{"name", name},
                         {"type", column.value("type", "")},
                         {"readonly", false},
                         {"filter_only", false},
                         {"has_stats", partition || kind == "delta"}});
    }
  }
  if (table.contains("partitions") && table["partitions"].is_array()) {
    for (const auto& name : table["partitions"]) {
      std::string column = name.get<std::string>();
      nlohmann::json value = PartitionValue(table, column);
      nlohmann::json partition = {{"column_name", column},
                                  {"type_annotation", types.count(column)
                                                          ? nlohmann::json(types[column])
                                                          : nlohmann::json(nullptr)},
                                  {"value", value}};
      if (!value.is_null()) partition["operator"] = "=";
      partitions.push_back(std::move(partition));
    }
  }
  nlohmann::json out = {{"name", table.value("name", "")},
                        {"description", table.value("description", "")},
                        {"partitions", std::move(partitions)},
                        {"columns", std::move(columns)},
                        {"selected_columns", nullptr},
                        {"supports_sql_filter", true},  // every kind is read through SQL
                        {"table_type", TableType(kind)},
                        {"latency_info", TextOrNull(table, "latency_info")},
                        {"example_notebook", nullptr},
                        {"data_input", TextOrNull(table, "data_input")},
                        {"uri", TextOrNull(table, "uri")}};
  // Ours, beyond datarepo's fields.
  out["is_deprecated"] = table.contains("deprecated") && !table["deprecated"].is_null();
  for (const char* key : {"owner", "tags", "unique_columns", "example_filters", "deprecated",
                          "freshness_seconds", "error"}) {
    if (table.contains(key)) out[key] = table[key];
  }
  return out;
}

// An Arrow type name ROAPI's config accepts for a partition column, or "" when there is none we
// can name with confidence.
std::string ArrowType(const std::string& sql_type) {
  auto type = engine::ParseColumnType(sql_type);
  if (!type.ok()) return "";
  using Id = engine::ColumnType::Id;
  switch (type->id) {
    case Id::kBoolean: return "Boolean";
    case Id::kInt8: return "Int8";
    case Id::kInt16: return "Int16";
    case Id::kInt32: return "Int32";
    case Id::kInt64: return "Int64";
    case Id::kFloat: return "Float32";
    case Id::kDouble: return "Float64";
    case Id::kString: return "Utf8";
    case Id::kDate: return "Date32";
    default: return "";
  }
}

// The ROAPI entry for `table`, or the reason ROAPI cannot serve it.
Result<std::optional<YAML::Node>> RoapiTable(const sql::QueryService& service,
                                             const catalog::TableDefinition& table,
                                             std::string& skipped_because) {
  YAML::Node entry;
  entry["name"] = table.database + "_" + table.name;
  entry["uri"] = table.uri;
  switch (table.kind) {
    case catalog::TableKind::kDelta:
    case catalog::TableKind::kMaterializedView:  // stored as a Delta table
      entry["option"]["format"] = "delta";
      entry["option"]["use_memory_table"] = false;
      // ROAPI re-reads the log this often (datarepo's default for Delta tables).
      entry["reload_interval"]["secs"] = 60;
      entry["reload_interval"]["nanos"] = 0;
      return std::optional<YAML::Node>(entry);
    case catalog::TableKind::kParquet: {
      if (table.uri.find_first_of("*?[") != std::string::npos) {
        skipped_because = "a glob uri (ROAPI reads a file or a directory)";
        return std::optional<YAML::Node>();
      }
      auto description = service.Describe(table.QualifiedName());
      if (!description.ok()) {
        skipped_because = "cannot be described: " + description.status().message();
        return std::optional<YAML::Node>();
      }
      entry["option"]["format"] = "parquet";
      entry["option"]["use_memory_table"] = false;
      for (const auto& column : description->columns) {
        if (!column.partition) continue;
        std::string arrow = ArrowType(column.type);
        if (arrow.empty()) {
          skipped_because = "partition column " + column.name + " has type " + column.type +
                            ", which has no ROAPI partition type";
          return std::optional<YAML::Node>();
        }
        YAML::Node partition;
        partition["name"] = column.name;
        partition["data_type"] = arrow;
        entry["partition_columns"].push_back(partition);
      }
      return std::optional<YAML::Node>(entry);
    }
    case catalog::TableKind::kPostgres:
      skipped_because = "a PostgreSQL table (serve it from PostgreSQL itself)";
      return std::optional<YAML::Node>();
    case catalog::TableKind::kFunction:
      skipped_because = "a function table (its rows are made by neuralake code)";
      return std::optional<YAML::Node>();
    case catalog::TableKind::kView:
      skipped_because = "a view (ROAPI serves tables, not our SQL views)";
      return std::optional<YAML::Node>();
  }
  skipped_because = "an unknown kind";
  return std::optional<YAML::Node>();
}

}  // namespace

Result<std::string> DatarepoJson(const std::string& description_json,
                                 const std::string& catalog_name) {
  nlohmann::json description = nlohmann::json::parse(description_json, nullptr, false);
  if (description.is_discarded() || !description.contains("databases")) {
    return Status::Internal("the catalog description is not the expected JSON");
  }
  nlohmann::json databases = nlohmann::json::array();
  for (const auto& database : description["databases"]) {
    nlohmann::json tables = nlohmann::json::array();
    for (const auto& table : database["tables"]) tables.push_back(DatarepoTable(table));
    databases.push_back({{"name", database.value("name", "")}, {"tables", std::move(tables)}});
  }
  nlohmann::json catalog = {{"name", catalog_name},
                            {"package_name", nullptr},
                            {"metadata", nullptr},
                            {"databases", std::move(databases)}};
  nlohmann::json out = {{"catalogs", nlohmann::json::array({std::move(catalog)})}};
  if (description.contains("generated_at")) out["generated_at"] = description["generated_at"];
  return out.dump(2) + "\n";
}

Result<std::string> RoapiConfig(const sql::QueryService& service, const std::string& origin) {
  YAML::Node tables(YAML::NodeType::Sequence);
  std::vector<std::string> skipped;
  for (const auto* table : service.catalog().AllTables()) {
    std::string reason;
    NL_ASSIGN_OR_RETURN(auto entry, RoapiTable(service, *table, reason));
    if (entry) {
      tables.push_back(*entry);
    } else {
      skipped.push_back(table->QualifiedName() + " (" + std::string(catalog::TableKindName(table->kind)) +
                        "): " + reason);
    }
  }
  std::string out = "# ROAPI config generated by `neuralake catalog export --format roapi` from " +
                    origin + ".\n# S3 locations use ROAPI's own AWS settings (AWS_ENDPOINT_URL, "
                    "AWS_ACCESS_KEY_ID, ...).\n";
  for (const auto& line : skipped) out += "# skipped " + line + "\n";
  YAML::Node root;
  root["tables"] = tables;
  YAML::Emitter emitter;
  emitter << root;
  if (!emitter.good()) return Status::Internal("cannot write the ROAPI config: " + emitter.GetLastError());
  return out + emitter.c_str() + "\n";
}

}  // namespace neuralake::cli
