// Catalog: names tables as `database.table` and knows what each one is, defined in code.
//
//   Catalog catalog;
//   catalog.Database("demo").AddDeltaTable("events", "s3://lake/events")
//                           .AddParquetTable("zones", "s3://lake/ref/zones/*.parquet");
//
// or loaded from a YAML file for users who do not compile:
//
//   databases:
//     demo:
//       tables:
//         events: {type: delta, uri: "s3://lake/events", description: "..."}
//         zones:  {type: parquet, uri: "s3://lake/ref/zones/*.parquet"}
//
// SQL, the API and the UI resolve every name through a Catalog; nothing else is reachable from a
// query. Table kinds beyond Delta (Parquet, PostgreSQL, function tables, views) share one
// definition type; each kind is read by the TableProvider registered for it (provider.h), so new
// kinds plug in without changing resolution.
//
// Thread safety: build a Catalog on one thread, then share it read-only (const methods only).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "neuralake/common/result.h"

namespace neuralake::catalog {

enum class TableKind { kDelta, kParquet, kPostgres, kFunction, kView };

std::string_view TableKindName(TableKind kind);
Result<TableKind> ParseTableKind(std::string_view name);

struct TableDefinition {
  std::string database;
  std::string name;
  TableKind kind = TableKind::kDelta;
  std::string uri;                              // delta/parquet: location; postgres: table name
  std::string description;
  std::map<std::string, std::string> options;   // kind-specific (dsn, sql of a view, ...)

  std::string QualifiedName() const { return database + "." + name; }
};

class Database {
 public:
  explicit Database(std::string name) : name_(std::move(name)) {}

  const std::string& name() const { return name_; }

  // Adders return *this for chaining. A repeated name replaces the earlier definition.
  Database& AddTable(TableDefinition definition);
  Database& AddDeltaTable(std::string name, std::string uri, std::string description = "");
  Database& AddParquetTable(std::string name, std::string uri, std::string description = "");

  const TableDefinition* Find(std::string_view table) const;
  std::vector<const TableDefinition*> Tables() const;  // sorted by name

 private:
  std::string name_;
  std::map<std::string, TableDefinition, std::less<>> tables_;
};

class Catalog {
 public:
  // The database named `name`, created empty on first use.
  catalog::Database& Database(const std::string& name);

  // Resolves "db.table" (or "table" when exactly one database exists). NotFound names what is
  // missing and lists what exists.
  Result<const TableDefinition*> Resolve(std::string_view qualified_name) const;

  std::vector<const catalog::Database*> Databases() const;  // sorted by name
  std::vector<const TableDefinition*> AllTables() const;

  static Result<Catalog> FromYamlString(std::string_view text, std::string_view origin = "<string>");
  static Result<Catalog> FromYamlFile(const std::string& path);

 private:
  std::map<std::string, std::unique_ptr<catalog::Database>, std::less<>> databases_;
};

// Identifiers in table and database names: letters, digits and '_', not starting with a digit.
bool IsValidIdentifier(std::string_view name);

}  // namespace neuralake::catalog
