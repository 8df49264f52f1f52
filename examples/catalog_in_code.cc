// A catalog defined in C++ and queried: a Delta table, a Parquet prefix with Hive partitions, a
// PostgreSQL table and a function table, each with metadata, joined in one SQL query and read
// through the typed Filter API.
//
//   catalog_in_code [--root DIR] [--pg-dsn "host=... port=... dbname=... user=..."] [--keep]
//
// The data is made here: the Delta table and the Parquet files under --root (default: a new
// temporary directory, removed at the end unless --keep), and a `catalog_example.users` table in
// PostgreSQL (dsn from --pg-dsn, else $NEURALAKE_PG_DSN, else the project's cluster on 127.0.0.1 at
// the port in ~/.cache/neuralake/run/postgres.port or 55432). When PostgreSQL cannot be reached
// the example says so and runs without the PostgreSQL table.
#include <libpq-fe.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <random>
#include <sstream>

#include <CLI/CLI.hpp>

#include "neuralake/catalog/catalog.h"
#include "neuralake/catalog/table_function.h"
#include "neuralake/delta/table.h"
#include "neuralake/delta/writer.h"
#include "neuralake/engine/engine.h"
#include "neuralake/sql/query_service.h"

namespace fs = std::filesystem;
using namespace neuralake;

namespace {

std::string DefaultDsn() {
  if (const char* dsn = std::getenv("NEURALAKE_PG_DSN"); dsn != nullptr && *dsn != '\0') return dsn;
  std::string port = "55432";
  std::string cache = std::getenv("NEURALAKE_CACHE") ? std::getenv("NEURALAKE_CACHE")
                      : std::string(std::getenv("HOME") ? std::getenv("HOME") : "") +
                            "/.cache/neuralake";
  std::ifstream file(cache + "/run/postgres.port");
  std::string read;
  if (file >> read) port = read;
  return "host=127.0.0.1 port=" + port + " dbname=neuralake user=postgres";
}

// 1,000 events: event_id i, user_id i % 10, country DE/FR/US by i % 3, amount (i % 100) * 1.5.
Status MakeDeltaEvents(const std::string& uri) {
  NL_ASSIGN_OR_RETURN(auto table, delta::DeltaTable::Open(uri));
  delta::CreateTableOptions create;
  create.source = delta::DataSource::FromQuery(
      "SELECT i AS event_id, i % 10 AS user_id, ['DE', 'FR', 'US'][i % 3 + 1] AS country, "
      "((i % 100) * 1.5)::DOUBLE AS amount FROM range(1000) t(i)");
  return delta::CreateTable(*table, create).status();
}

// Countries as Parquet files in Hive directories region=eu/ and region=na/.
Status MakeParquetCountries(const fs::path& root) {
  NL_ASSIGN_OR_RETURN(auto engine, engine::Engine::Make({}));
  const std::vector<std::pair<std::string, std::string>> files = {
      {"eu", "SELECT * FROM (VALUES ('DE', 'Germany'), ('FR', 'France')) t(country, name)"},
      {"na", "SELECT * FROM (VALUES ('US', 'United States')) t(country, name)"}};
  for (const auto& [region, select] : files) {
    fs::path dir = root / ("region=" + region);
    fs::create_directories(dir);
    NL_RETURN_NOT_OK(engine->Execute("COPY (" + select + ") TO " +
                                     engine::Engine::QuoteLiteral((dir / "part-0.parquet").string()) +
                                     " (FORMAT parquet)"));
  }
  return Status::OK();
}

// Ten users in PostgreSQL: user_id 0..9, tier 'gold' for every third. An error (not reachable,
// refused) comes back as text for the "skipping" message.
std::optional<std::string> MakePostgresUsers(const std::string& dsn) {
  PGconn* connection = PQconnectdb(dsn.c_str());
  if (PQstatus(connection) != CONNECTION_OK) {
    std::string error = PQerrorMessage(connection);
    PQfinish(connection);
    while (!error.empty() && (error.back() == '\n' || error.back() == ' ')) error.pop_back();
    for (char& c : error) c = c == '\n' ? ' ' : c;
    return error;
  }
  const char* setup =
      "SET client_min_messages = warning;"
      "CREATE SCHEMA IF NOT EXISTS catalog_example;"
      "DROP TABLE IF EXISTS catalog_example.users;"
      "CREATE TABLE catalog_example.users (user_id bigint PRIMARY KEY, name text NOT NULL, "
      "  tier text NOT NULL, signed_up timestamptz NOT NULL);"
      "INSERT INTO catalog_example.users "
      "  SELECT i, 'user-' || i, CASE WHEN i % 3 = 0 THEN 'gold' ELSE 'basic' END, "
      "         timestamptz '2024-01-01 00:00:00+00' + i * interval '1 day' "
      "  FROM generate_series(0, 9) i;";
  PGresult* result = PQexec(connection, setup);
  std::optional<std::string> error;
  if (PQresultStatus(result) != PGRES_COMMAND_OK) error = PQresultErrorMessage(result);
  PQclear(result);
  PQfinish(connection);
  return error;
}

// A function table: amount bands of `width` (default 50) from 0 to `top` (default 150).
catalog::TableFunction AmountBands() {
  using engine::ColumnType;
  catalog::TableFunction function;
  function.name = "amount_bands";
  function.description = "amount bands [low, high) of a given width";
  auto columns = [] {
    return engine::TypedColumns{{"band", ColumnType::Of(ColumnType::Id::kString)},
                                {"low", ColumnType::Of(ColumnType::Id::kDouble)},
                                {"high", ColumnType::Of(ColumnType::Id::kDouble)}};
  };
  function.schema = [columns](const catalog::FunctionArgs&) -> Result<engine::TypedColumns> {
    return columns();
  };
  function.open = [columns](const catalog::FunctionArgs& args)
      -> Result<std::unique_ptr<engine::BatchStream>> {
    NL_RETURN_NOT_OK(args.OnlyKnown({"width", "top"}));
    NL_ASSIGN_OR_RETURN(int64_t width, args.Int("width", 50));
    NL_ASSIGN_OR_RETURN(int64_t top, args.Int("top", 150));
    if (width <= 0) return Status::Invalid("width must be positive");
    engine::RecordBatch batch;
    for (const auto& [name, type] : columns()) {
      engine::Column column;
      column.name = name;
      column.type = type;
      batch.columns.push_back(std::move(column));
    }
    for (int64_t low = 0; low < top; low += width) {
      batch.columns[0].strings.push_back(std::to_string(low) + "-" + std::to_string(low + width));
      batch.columns[1].doubles.push_back(static_cast<double>(low));
      batch.columns[2].doubles.push_back(static_cast<double>(low + width));
      ++batch.num_rows;
    }
    for (auto& column : batch.columns) column.length = batch.num_rows;
    std::vector<engine::RecordBatch> batches;
    batches.push_back(std::move(batch));
    return engine::StreamOf(std::move(batches));
  };
  return function;
}

catalog::Catalog DefineCatalog(const fs::path& root, const std::string& dsn, bool with_postgres) {
  catalog::Catalog catalog;
  catalog::Database& demo = catalog.Database("demo");

  catalog::TableDefinition events;
  events.name = "events";
  events.kind = catalog::TableKind::kDelta;
  events.uri = (root / "events").string();
  events.metadata.description = "Purchases, one row per event";
  events.metadata.owner = "data-eng";
  events.metadata.tags = {"bronze", "example"};
  events.metadata.unique_columns = {"event_id"};
  events.metadata.example_filters = {{{"country", "=", {"DE"}}, {"amount", ">=", {"100"}}}};
  events.metadata.latency_info = "written once by this example";
  events.metadata.data_input = "examples/catalog_in_code.cc";
  demo.AddTable(events);

  catalog::TableDefinition countries;
  countries.name = "countries";
  countries.kind = catalog::TableKind::kParquet;
  countries.uri = (root / "countries").string() + "/";
  countries.schema = {{"country", "VARCHAR"}, {"name", "VARCHAR"}, {"region", "VARCHAR", true}};
  countries.metadata.description = "Country names, Parquet files partitioned by region";
  countries.metadata.owner = "reference-data";
  countries.metadata.unique_columns = {"country"};
  demo.AddTable(countries);

  if (with_postgres) {
    catalog::TableDefinition users;
    users.name = "users";
    users.kind = catalog::TableKind::kPostgres;
    users.options = {{"dsn", dsn}, {"table", "catalog_example.users"}};
    users.metadata.description = "Users, live from PostgreSQL";
    users.metadata.owner = "app-team";
    users.metadata.tags = {"operational"};
    users.metadata.unique_columns = {"user_id"};
    demo.AddTable(users);
  }

  // Registered by name (so a YAML catalog could say {type: function, function: amount_bands}),
  // then used by name here.
  catalog::RegisterTableFunction(AmountBands());
  catalog::TableDefinition bands;
  bands.name = "amount_bands";
  bands.kind = catalog::TableKind::kFunction;
  bands.options = {{"function", "amount_bands"}};
  bands.args = {{"width", "50"}};
  bands.metadata.description = "Amount bands of 50, computed in C++";
  bands.metadata.owner = "analytics";
  demo.AddTable(bands);
  return catalog;
}

Status PrintQuery(const sql::QueryService& service, const std::string& title, const std::string& sql) {
  NL_ASSIGN_OR_RETURN(auto outcome, service.Query(sql));
  std::cout << "\n" << title << "\n";
  for (size_t i = 0; i < outcome.table.columns.size(); ++i) {
    std::cout << (i ? "\t" : "") << outcome.table.columns[i].name;
  }
  std::cout << "\n";
  for (const auto& row : outcome.table.rows) {
    for (size_t i = 0; i < row.size(); ++i) std::cout << (i ? "\t" : "") << row[i].value_or("NULL");
    std::cout << "\n";
  }
  return Status::OK();
}

// The typed Filter API: country = DE AND amount >= 100, two columns, counted and collected.
Status FilterScan(const sql::QueryService& service) {
  sql::ScanSpec spec;
  spec.columns = {"event_id", "amount"};
  NL_ASSIGN_OR_RETURN(auto country, engine::ScanFilter::Make("country", "=", {std::string("DE")}));
  NL_ASSIGN_OR_RETURN(auto amount, engine::ScanFilter::Make("amount", ">=", {100.0}));
  spec.filters = {country, amount};
  sql::Relation relation = service.Scan("demo.events", spec);
  NL_ASSIGN_OR_RETURN(int64_t count, relation.Count());
  NL_ASSIGN_OR_RETURN(auto batches, relation.Collect());
  int64_t rows = 0;
  double total = 0;
  for (const auto& batch : batches) {
    int column = batch.ColumnIndex("amount");
    if (column < 0 || batch.columns[column].type.id != engine::ColumnType::Id::kDouble) {
      return Status::Internal("the scan did not return amount as a DOUBLE column");
    }
    for (int64_t row = 0; row < batch.num_rows; ++row) total += batch.columns[column].doubles[row];
    rows += batch.num_rows;
  }
  std::cout << "\nFilter API scan of demo.events (country = DE AND amount >= 100): count " << count
            << ", collected " << rows << " rows, sum(amount) " << std::fixed << std::setprecision(1)
            << total << "\n";
  return Status::OK();
}

Status Run(const fs::path& root, const std::string& dsn) {
  NL_RETURN_NOT_OK(MakeDeltaEvents((root / "events").string()));
  NL_RETURN_NOT_OK(MakeParquetCountries(root / "countries"));
  std::optional<std::string> pg_error = MakePostgresUsers(dsn);
  bool with_postgres = !pg_error.has_value();
  if (!with_postgres) {
    std::cout << "skipping PostgreSQL (" << dsn << "): " << *pg_error << "\n";
  }

  NL_ASSIGN_OR_RETURN(auto service, sql::QueryService::Make(DefineCatalog(root, dsn, with_postgres), {}));
  std::cout << "catalog:\n";
  for (const auto* table : service->catalog().AllTables()) {
    NL_ASSIGN_OR_RETURN(auto description, service->Describe(table->QualifiedName()));
    std::cout << "  " << table->QualifiedName() << " (" << catalog::TableKindName(table->kind)
              << ", owner " << table->metadata.owner << ", " << description.columns.size()
              << " columns): " << table->description() << "\n";
  }
  if (with_postgres) {
    NL_RETURN_NOT_OK(PrintQuery(
        *service, "Delta x Parquet x PostgreSQL: events by country name and user tier",
        "SELECT c.name AS country, u.tier, count(*) AS events, sum(e.amount) AS amount "
        "FROM demo.events e JOIN demo.countries c ON c.country = e.country "
        "JOIN demo.users u ON u.user_id = e.user_id GROUP BY ALL ORDER BY ALL"));
  } else {
    NL_RETURN_NOT_OK(PrintQuery(
        *service, "Delta x Parquet: events by country name",
        "SELECT c.name AS country, count(*) AS events, sum(e.amount) AS amount "
        "FROM demo.events e JOIN demo.countries c ON c.country = e.country GROUP BY ALL ORDER BY ALL"));
  }
  NL_RETURN_NOT_OK(PrintQuery(
      *service, "Delta x function table: events per amount band",
      "SELECT b.band, count(*) AS events FROM demo.events e "
      "JOIN demo.amount_bands b ON e.amount >= b.low AND e.amount < b.high "
      "GROUP BY b.band, b.low ORDER BY b.low"));
  return FilterScan(*service);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("A catalog defined in C++ (Delta, Parquet, PostgreSQL, function table), queried",
               "catalog_in_code");
  std::string root;
  std::string dsn = DefaultDsn();
  bool keep = false;
  app.add_option("--root", root, "where to write the tables (default: a new temporary directory)");
  app.add_option("--pg-dsn", dsn, "libpq connection string without a password (PGPASSWORD or "
                                  ".pgpass supply one)");
  app.add_flag("--keep", keep, "keep the tables written under --root");
  CLI11_PARSE(app, argc, argv);

  bool temporary = root.empty();
  if (temporary) {
    root = (fs::temp_directory_path() / ("catalog_in_code_" + std::to_string(::getpid()) + "_" +
                                         std::to_string(std::random_device{}())))
               .string();
  }
  if (fs::exists(fs::path(root) / "events")) {
    std::cerr << "error: " << root << "/events exists already; give an empty --root\n";
    return 1;
  }
  fs::create_directories(root);
  Status status = Run(root, dsn);
  if (temporary && !keep) fs::remove_all(root);
  if (!status.ok()) {
    std::cerr << "error: " << status.ToString() << "\n";
    return 1;
  }
  return 0;
}
