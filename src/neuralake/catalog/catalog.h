// Catalog: names tables as `database.table` and knows what each one is, defined in code.
//
//   Catalog catalog;
//   catalog.Database("demo").AddDeltaTable("events", "s3://lake/events")
//                           .AddParquetTable("zones", "s3://lake/ref/zones/")
//                           .AddPostgresTable("users", "host=127.0.0.1 port=5432 dbname=app user=app",
//                                             "public.users")
//                           .AddView("de_events", "SELECT * FROM demo.events WHERE country = 'DE'")
//                           .AddFunctionTable("sample", my_function, {{"rows", "1000"}});
//
// or loaded from a YAML file for users who do not compile (the loader covers everything the C++
// API does):
//
//   databases:
//     demo:
//       tables:
//         events: {type: delta, uri: "s3://lake/events", description: "...", owner: data-eng,
//                  tags: [bronze], unique_columns: [event_id],
//                  dedupe: {keep: last, order_by: ts},          # optional keep-last dedupe
//                  example_filters: [[[country, "=", DE], [amount, ">=", 10]]],
//                  latency_info: "...", freshness: 5m, data_input: "...",
//                  deprecated: {message: "...", use: demo.events_v2},
//                  storage: {endpoint: "http://...", region: ..., access_key_env: ..., ...}}
//         zones:  {type: parquet, uri: "s3://lake/ref/zones/",   # a prefix or a glob
//                  schema: {zone_id: INTEGER, name: VARCHAR},    # optional (else read from a file)
//                  partitions: {region: VARCHAR}}                # Hive directories region=.../
//         users:  {type: postgres, dsn: "host=127.0.0.1 port=5432 dbname=app user=app",
//                  table: public.users, password_env: APP_PG_PASSWORD}   # or query: "SELECT ..."
//         de:     {type: view, sql: "SELECT * FROM demo.events WHERE country = 'DE'"}
//         sample: {type: function, function: generate, args: {schema: events, rows: 1000}}
//         daily:  {type: materialized_view, uri: "s3://lake/gold/daily",      # a Delta table
//                  sql: "SELECT country, count(*) AS n FROM demo.events GROUP BY country",
//                  partition_by: [country], refresh: {mode: auto, interval: 5m},
//                  expectations: [{name: has_country, type: not_null, column: country,
//                                  on_violation: fail}]}   # on any kind of table
//
// SQL, the API and the UI resolve every name through a Catalog; nothing else is reachable from a
// query. Each kind is read by the TableProvider registered for it (provider.h), so new kinds plug
// in without changing resolution.
//
// Thread safety: build a Catalog on one thread, then share it read-only (const methods only).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "neuralake/common/result.h"

namespace neuralake::catalog {

enum class TableKind { kDelta, kParquet, kPostgres, kFunction, kView, kMaterializedView };

std::string_view TableKindName(TableKind kind);
Result<TableKind> ParseTableKind(std::string_view name);

struct TableFunction;  // table_function.h

// A column declared in the catalog (engine SQL type text: "BIGINT", "DECIMAL(10,2)", "VARCHAR[]").
struct DeclaredColumn {
  std::string name;
  std::string type;
  bool partition = false;  // parquet: the value comes from a `name=value` directory of the path
};

// An example filter for the docs (datarepo's docs_filters): column, operator spelling
// (engine::ParseFilterOp), values as text.
struct ExampleFilter {
  std::string column;
  std::string op;
  std::vector<std::string> values;
};

// A data-quality expectation on a table's rows (docs/quality.md):
//   not_null (column), unique (columns), accepted_values (column, values), range (column, min
//   and/or max, inclusive), regex (column, pattern: the whole value must match), row_count (min
//   and/or max rows), freshness (column: its max, or the last commit when column is empty, no older
//   than max_age_seconds), foreign_key (column -> references_table.references_column), sql (a
//   boolean predicate over the row; NULL counts as a violation).
// A row-level expectation (not_null, accepted_values, range, regex, sql, foreign_key) counts the
// rows violating it; NULL passes every row-level type but not_null and sql. `mostly` (0..1): the
// expectation holds when at least that fraction of rows pass (default 1: every row).
struct Expectation {
  enum class Action { kWarn, kDrop, kFail };
  std::string name;
  std::string type;
  std::string column;
  std::vector<std::string> columns;  // unique
  std::vector<std::string> values;   // accepted_values
  std::optional<std::string> min;    // range, row_count (as text, cast to the column's type)
  std::optional<std::string> max;
  std::string pattern;               // regex
  std::string sql;                   // sql
  std::string references_table;      // foreign_key: "db.table"
  std::string references_column;
  int64_t max_age_seconds = 0;       // freshness
  double mostly = 1.0;
  Action on_violation = Action::kWarn;
};

std::string_view ExpectationActionName(Expectation::Action action);  // "warn" | "drop" | "fail"

struct Deprecation {
  std::string message;
  std::string use;  // the replacement table, "db.table"; may be empty
};

// Everything a reader of the catalog learns about a table besides its data.
struct TableMetadata {
  std::string description;
  std::string owner;
  std::vector<std::string> tags;
  // Columns that identify a row. With `dedupe_order_by` set, reads keep one row per key: the one
  // with the greatest value of that column (keep-last: the newest version of each row).
  std::vector<std::string> unique_columns;
  std::string dedupe_order_by;
  std::vector<std::vector<ExampleFilter>> example_filters;  // each an AND list
  std::string latency_info;      // "appended every second by the writer"
  int64_t freshness_seconds = 0;  // expected maximum age of the newest data (0: not declared)
  std::string data_input;        // where the data comes from
  std::optional<Deprecation> deprecated;
};

struct TableDefinition {
  std::string database;
  std::string name;
  TableKind kind = TableKind::kDelta;
  // delta/parquet: the location (parquet: a prefix or a glob); other kinds: empty.
  std::string uri;
  TableMetadata metadata;
  // Kind-specific settings:
  //   postgres: dsn, table (schema.name) or query, password_env
  //   view: sql
  //   function: function (a registered name, unless `function` below is set)
  std::map<std::string, std::string> options;
  // function: its arguments as text (YAML scalars), read by the function.
  std::map<std::string, std::string> args;
  // Declared columns: parquet's schema (required for an empty prefix; partition columns marked),
  // and for any kind a promise `neuralake catalog check` verifies against the data.
  std::vector<DeclaredColumn> schema;
  // Per-table storage settings overriding the service's for this table's location: endpoint,
  // region, path_style, access_key_env, secret_key_env (credentials by environment variable).
  std::map<std::string, std::string> storage;
  // Data-quality expectations, checked on writes and by `neuralake check` (docs/quality.md).
  std::vector<Expectation> expectations;
  // materialized_view: the columns its Delta table is partitioned by. The SELECT is
  // options["sql"], refresh settings options["refresh_mode"] (auto|full|incremental) and
  // options["refresh_interval"] (seconds, as text).
  std::vector<std::string> partition_by;
  // function: a function defined in code (takes precedence over options["function"]).
  std::shared_ptr<const TableFunction> function;

  std::string QualifiedName() const { return database + "." + name; }
  const std::string& description() const { return metadata.description; }
};

class Database {
 public:
  explicit Database(std::string name) : name_(std::move(name)) {}

  const std::string& name() const { return name_; }

  // Adders return *this for chaining. A repeated name replaces the earlier definition.
  Database& AddTable(TableDefinition definition);
  Database& AddDeltaTable(std::string name, std::string uri, std::string description = "");
  Database& AddParquetTable(std::string name, std::string uri, std::string description = "");
  // `dsn`: libpq keywords without a password ("host=127.0.0.1 port=5432 dbname=app user=app");
  // the password comes from `password_env`, PGPASSWORD or a .pgpass file. `table`: "schema.name".
  Database& AddPostgresTable(std::string name, std::string dsn, std::string table,
                             std::string description = "");
  Database& AddPostgresQuery(std::string name, std::string dsn, std::string query,
                             std::string description = "");
  Database& AddView(std::string name, std::string sql, std::string description = "");
  Database& AddFunctionTable(std::string name, std::shared_ptr<const TableFunction> function,
                             std::map<std::string, std::string> args = {},
                             std::string description = "");

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

  // The YAML form (see the top of this file). Invalid naming the file, line and key for anything
  // malformed or unknown; nothing here touches data (`neuralake catalog check` does).
  static Result<Catalog> FromYamlString(std::string_view text, std::string_view origin = "<string>");
  static Result<Catalog> FromYamlFile(const std::string& path);

 private:
  std::map<std::string, std::unique_ptr<catalog::Database>, std::less<>> databases_;
};

// Identifiers in table and database names: letters, digits and '_', not starting with a digit.
bool IsValidIdentifier(std::string_view name);

}  // namespace neuralake::catalog
