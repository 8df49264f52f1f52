#include "neuralake/catalog/catalog.h"

#include <cctype>

namespace neuralake::catalog {

std::string_view TableKindName(TableKind kind) {
  switch (kind) {
    case TableKind::kDelta: return "delta";
    case TableKind::kParquet: return "parquet";
    case TableKind::kPostgres: return "postgres";
    case TableKind::kFunction: return "function";
    case TableKind::kView: return "view";
    case TableKind::kMaterializedView: return "materialized_view";
  }
  return "?";
}

std::string_view ExpectationActionName(Expectation::Action action) {
  switch (action) {
    case Expectation::Action::kWarn: return "warn";
    case Expectation::Action::kDrop: return "drop";
    case Expectation::Action::kFail: return "fail";
  }
  return "?";
}

Result<TableKind> ParseTableKind(std::string_view name) {
  for (TableKind kind : {TableKind::kDelta, TableKind::kParquet, TableKind::kPostgres,
                         TableKind::kFunction, TableKind::kView, TableKind::kMaterializedView}) {
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

namespace {

TableDefinition Definition(std::string name, TableKind kind, std::string description) {
  TableDefinition definition;
  definition.name = std::move(name);
  definition.kind = kind;
  definition.metadata.description = std::move(description);
  return definition;
}

}  // namespace

Database& Database::AddDeltaTable(std::string name, std::string uri, std::string description) {
  TableDefinition definition = Definition(std::move(name), TableKind::kDelta, std::move(description));
  definition.uri = std::move(uri);
  return AddTable(std::move(definition));
}

Database& Database::AddParquetTable(std::string name, std::string uri, std::string description) {
  TableDefinition definition =
      Definition(std::move(name), TableKind::kParquet, std::move(description));
  definition.uri = std::move(uri);
  return AddTable(std::move(definition));
}

Database& Database::AddPostgresTable(std::string name, std::string dsn, std::string table,
                                     std::string description) {
  TableDefinition definition =
      Definition(std::move(name), TableKind::kPostgres, std::move(description));
  definition.options["dsn"] = std::move(dsn);
  definition.options["table"] = std::move(table);
  return AddTable(std::move(definition));
}

Database& Database::AddPostgresQuery(std::string name, std::string dsn, std::string query,
                                     std::string description) {
  TableDefinition definition =
      Definition(std::move(name), TableKind::kPostgres, std::move(description));
  definition.options["dsn"] = std::move(dsn);
  definition.options["query"] = std::move(query);
  return AddTable(std::move(definition));
}

Database& Database::AddView(std::string name, std::string sql, std::string description) {
  TableDefinition definition = Definition(std::move(name), TableKind::kView, std::move(description));
  definition.options["sql"] = std::move(sql);
  return AddTable(std::move(definition));
}

Database& Database::AddFunctionTable(std::string name, std::shared_ptr<const TableFunction> function,
                                     std::map<std::string, std::string> args,
                                     std::string description) {
  TableDefinition definition =
      Definition(std::move(name), TableKind::kFunction, std::move(description));
  definition.function = std::move(function);
  definition.args = std::move(args);
  return AddTable(std::move(definition));
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

}  // namespace neuralake::catalog
