#include "neuralake/catalog/catalog.h"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

namespace neuralake::catalog {

std::string_view TableKindName(TableKind kind) {
  switch (kind) {
    case TableKind::kDelta: return "delta";
    case TableKind::kParquet: return "parquet";
    case TableKind::kPostgres: return "postgres";
    case TableKind::kFunction: return "function";
    case TableKind::kView: return "view";
  }
  return "?";
}

Result<TableKind> ParseTableKind(std::string_view name) {
  for (TableKind kind : {TableKind::kDelta, TableKind::kParquet, TableKind::kPostgres,
                         TableKind::kFunction, TableKind::kView}) {
    if (name == TableKindName(kind)) return kind;
  }
  return Status::Invalid("unknown table type '" + std::string(name) +
                         "' (known: delta, parquet, postgres, function, view)");
}

bool IsValidIdentifier(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front()))) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

Database& Database::AddTable(TableDefinition definition) {
  definition.database = name_;
  std::string key = definition.name;
  tables_[key] = std::move(definition);
  return *this;
}

Database& Database::AddDeltaTable(std::string name, std::string uri, std::string description) {
  return AddTable(TableDefinition{name_, std::move(name), TableKind::kDelta, std::move(uri),
                                  std::move(description), {}});
}

Database& Database::AddParquetTable(std::string name, std::string uri, std::string description) {
  return AddTable(TableDefinition{name_, std::move(name), TableKind::kParquet, std::move(uri),
                                  std::move(description), {}});
}

const TableDefinition* Database::Find(std::string_view table) const {
  auto it = tables_.find(table);
  return it == tables_.end() ? nullptr : &it->second;
}

std::vector<const TableDefinition*> Database::Tables() const {
  std::vector<const TableDefinition*> out;
  for (const auto& [name, definition] : tables_) out.push_back(&definition);
  return out;
}

catalog::Database& Catalog::Database(const std::string& name) {
  auto& entry = databases_[name];
  if (!entry) entry = std::make_unique<catalog::Database>(name);
  return *entry;
}

std::vector<const catalog::Database*> Catalog::Databases() const {
  std::vector<const catalog::Database*> out;
  for (const auto& [name, database] : databases_) out.push_back(database.get());
  return out;
}

std::vector<const TableDefinition*> Catalog::AllTables() const {
  std::vector<const TableDefinition*> out;
  for (const auto& [name, database] : databases_) {
    for (const auto* table : database->Tables()) out.push_back(table);
  }
  return out;
}

Result<const TableDefinition*> Catalog::Resolve(std::string_view qualified_name) const {
  std::string_view database_name;
  std::string_view table_name = qualified_name;
  size_t dot = qualified_name.find('.');
  if (dot != std::string_view::npos) {
    database_name = qualified_name.substr(0, dot);
    table_name = qualified_name.substr(dot + 1);
  } else if (databases_.size() == 1) {
    database_name = databases_.begin()->first;
  } else {
    return Status::NotFound("table '" + std::string(qualified_name) +
                            "' needs a database prefix (db.table)");
  }
  auto database = databases_.find(database_name);
  if (database == databases_.end()) {
    std::string known;
    for (const auto& [name, db] : databases_) known += (known.empty() ? "" : ", ") + name;
    return Status::NotFound("database '" + std::string(database_name) +
                            "' is not in the catalog (databases: " +
                            (known.empty() ? "none" : known) + ")");
  }
  const TableDefinition* table = database->second->Find(table_name);
  if (table == nullptr) {
    std::string known;
    for (const auto* t : database->second->Tables()) known += (known.empty() ? "" : ", ") + t->name;
    return Status::NotFound("table '" + std::string(database_name) + "." +
                            std::string(table_name) + "' is not in the catalog (tables in " +
                            std::string(database_name) + ": " + (known.empty() ? "none" : known) +
                            ")");
  }
  return table;
}

namespace {

std::string Where(std::string_view origin, const YAML::Node& node) {
  return std::string(origin) + " line " + std::to_string(node.Mark().line + 1);
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
    if (key == "type") {
      auto kind = ParseTableKind(entry.second.as<std::string>());
      if (!kind.ok()) return kind.status().WithContext(Where(origin, entry.first));
      definition.kind = *kind;
      has_type = true;
    } else if (key == "uri") {
      definition.uri = entry.second.as<std::string>();
    } else if (key == "description") {
      definition.description = entry.second.as<std::string>();
    } else if (key == "options") {
      for (const auto& option : entry.second) {
        definition.options[option.first.as<std::string>()] = option.second.as<std::string>();
      }
    } else {
      return Status::Invalid(Where(origin, entry.first) + ": unknown key '" + key +
                             "' in table '" + name + "' (known: type, uri, description, options)");
    }
  }
  if (!has_type) {
    return Status::Invalid(Where(origin, node) + ": table '" + name + "' has no 'type'");
  }
  if (definition.uri.empty() &&
      (definition.kind == TableKind::kDelta || definition.kind == TableKind::kParquet)) {
    return Status::Invalid(Where(origin, node) + ": table '" + name + "' has no 'uri'");
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
