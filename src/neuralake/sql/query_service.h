// QueryService: read-only SQL over the tables of a Catalog.
//
//   catalog::Catalog catalog;
//   catalog.Database("demo").AddDeltaTable("events", "s3://lake/events");
//   NL_ASSIGN_OR_RETURN(auto service, sql::QueryService::Make(std::move(catalog), options));
//   NL_ASSIGN_OR_RETURN(auto outcome, service->Query("SELECT count(*) FROM demo.events"));
//
// Names resolve through the catalog only: `demo.events` (or `events` when one database holds a
// table of that name) becomes a read of that table through its provider (catalog/provider.h):
// a lake scan of its files (Delta, Parquet), a source scan with projection and filters pushed down
// (PostgreSQL, function tables), or the view's SELECT bound in place (views). `delta_at('demo.events',
// 12)` / `lake_scan('demo.events', timestamp => '...')` read older versions of Delta tables. The
// surface is safe for untrusted SQL: one SELECT per query, DuckDB's external access off except the
// catalog's table locations, configuration locked, a timeout, a row limit and a memory limit.
//
// Catalog metadata applies to every read: a table with unique columns and a dedupe order reads as
// the newest row per key; a deprecated table reads as usual and every query that touches it
// carries a warning naming the replacement (QueryOutcome::warnings). Views may name views; a cycle
// is refused when the service starts.
//
// Typed reads (the Filter API): Scan(table, spec) is a lazy Relation over any kind; filters are
// (column, operator, typed value) with datarepo's 14 operators, an AND list or an OR of AND lists,
// bound as parameters. The HTTP API's `col__op=` parameters are the same filters.
//
// Thread safety: every method may be called from many threads.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "neuralake/catalog/catalog.h"
#include "neuralake/catalog/provider.h"
#include "neuralake/common/result.h"
#include "neuralake/engine/engine.h"
#include "neuralake/engine/lake_scan.h"
#include "neuralake/engine/scan.h"
#include "neuralake/storage/storage_options.h"

namespace neuralake::sql {

struct QueryServiceOptions {
  storage::StorageOptions storage;
  int threads = 0;                  // DuckDB threads; 0 = all cores
  std::string memory_limit = "";    // e.g. "2GB"; empty: DuckDB's default (80% of RAM)
  int64_t timeout_ms = 60'000;      // per query; 0 = none
  int64_t max_rows = 0;             // per query; 0 = unlimited
  bool prune_files = true;          // partition/statistics file skipping
  bool restricted = true;           // the safe surface (tests of internals may turn it off)
  bool cache_remote_files = true;   // keep read ranges of s3:// data files in memory
  // A cached latest snapshot is used without listing the log for this long (0: list on every
  // query, so every commit is visible to the next query).
  int64_t refresh_interval_ms = 0;
  // How the engine opens object stores (tests inject counting stores). Default: from `storage`.
  decltype(engine::EngineOptions::store_opener) store_opener;
  // The providers catalog tables resolve through, by kind. Unset: BuiltinProviders()
  // (delta_provider.h).
  std::optional<catalog::ProviderRegistry> providers;
};

struct CacheStats {
  int64_t full_loads = 0;       // snapshots read from the log (checkpoint + commits)
  int64_t refreshes = 0;        // cached snapshot advanced by newer commits
  int64_t unchanged = 0;        // cached snapshot was still current (one LIST)
  int64_t fresh = 0;            // cached snapshot younger than refresh_interval_ms (no LIST)
};

// What a typed read selects: columns (empty: all), filters (AND) and any_of (an OR of AND lists),
// a limit, and which state of the table (time travel reads Delta tables only).
struct ScanSpec {
  std::vector<std::string> columns;
  std::vector<engine::ScanFilter> filters;
  std::vector<std::vector<engine::ScanFilter>> any_of;
  catalog::TableAt at;
  int64_t limit = -1;
};

class QueryService;

// A lazy typed read of one table: nothing runs until Stream, Collect or Count.
class Relation {
 public:
  Relation(const QueryService* service, std::string table, ScanSpec spec)
      : service_(service), table_(std::move(table)), spec_(std::move(spec)) {}

  const std::string& table() const { return table_; }
  const ScanSpec& spec() const { return spec_; }

  // The rows, batch by batch (constant memory).
  Result<engine::ScanOutcome> Stream(const engine::BatchSink& sink) const;
  // Every batch, kept.
  Result<std::vector<engine::RecordBatch>> Collect() const;
  // How many rows the read returns.
  Result<int64_t> Count() const;

 private:
  const QueryService* service_;
  std::string table_;
  ScanSpec spec_;
};

// One query's own settings: bound parameters, cell encoding and limits that can only tighten
// the service's (0 = the service's own).
struct QueryRequest {
  std::vector<engine::QueryParam> params;  // $1, $2, ...
  engine::CellEncoding cells = engine::CellEncoding::kJson;
  int64_t max_rows = 0;
  int64_t timeout_ms = 0;
};

class QueryService {
 public:
  static Result<std::unique_ptr<QueryService>> Make(catalog::Catalog catalog,
                                                    const QueryServiceOptions& options);
  ~QueryService();

  // One read-only statement (SELECT or EXPLAIN SELECT; PRAGMA, SET, COPY, ... are refused), its
  // cells rendered as `cells`. Invalid for SQL errors (DuckDB's message in one line, with the
  // position as "(line L, column C)") and refused statements; NotFound for unknown tables;
  // Cancelled on timeout.
  Result<engine::QueryOutcome> Query(
      std::string_view sql, engine::CellEncoding cells = engine::CellEncoding::kText) const;
  Result<engine::QueryOutcome> Query(std::string_view sql, const QueryRequest& request) const;
  // As Query, handing each chunk of rendered rows to `on_rows` instead of keeping them (constant
  // memory for results of any size).
  Result<engine::QueryOutcome> Stream(std::string_view sql, const QueryRequest& request,
                                      const engine::Engine::RowSink& on_rows) const;
  // As Query, writing the rows to `target` in `format` (parquet, csv, json or ndjson; see
  // Engine::ExportQuery).
  Result<engine::QueryOutcome> Export(std::string_view sql, const std::string& target,
                                      const std::string& format) const;

  const catalog::Catalog& catalog() const { return catalog_; }
  const QueryServiceOptions& options() const { return options_; }
  CacheStats cache_stats() const;

  // The resolver behind lake_scan: the table's provider's plan at the request's version or
  // timestamp. NotFound for names outside the catalog, Unsupported for kinds without a provider.
  Result<std::shared_ptr<const engine::LakeSnapshot>> Resolve(
      const engine::LakeScanRequest& request) const;

  // The table's columns, partitions, version and figures (files, rows, bytes) at `at`.
  Result<catalog::TableDescription> Describe(std::string_view table,
                                             const catalog::TableAt& at = {}) const;

  // Typed, streamed rows of one table at `at` with a projection, typed filters and a limit: one
  // parameterized SELECT over the table's relation (engine::ScanRelation), for every kind.
  Result<engine::ScanOutcome> Scan(std::string_view table, const catalog::TableAt& at,
                                   const engine::ScanRequest& request,
                                   const engine::BatchSink& sink) const;
  // The same as a lazy Relation.
  Relation Scan(std::string_view table, ScanSpec spec) const;

  // The SQL relation that reads `table` at `at` ("demo"."events", lake_scan('demo.events',
  // version => 3)) and its typed columns. NotFound / Invalid (time travel on an unversioned kind).
  Result<std::pair<std::string, engine::TypedColumns>> RelationOf(std::string_view table,
                                                                  const catalog::TableAt& at) const;

  // Warnings for the deprecated tables `sql` reads, directly or through views: "table demo.old is
  // deprecated: <message>; use demo.new".
  std::vector<std::string> Deprecations(std::string_view sql) const;

 private:
  QueryService(catalog::Catalog catalog, QueryServiceOptions options);
  engine::QueryOptions OptionsFor(const QueryRequest& request) const;
  Result<catalog::TableProvider*> ProviderFor(std::string_view table) const;
  std::optional<engine::CatalogRef> Lookup(const std::string& schema, const std::string& table) const;
  Status CheckViewCycles() const;
  // The engine's store opener: the service's, except buckets of tables with storage overrides.
  Result<decltype(engine::EngineOptions::store_opener)> StoreOpener() const;
  void AddDeprecations(std::string_view sql, std::vector<std::string>& out,
                       std::vector<std::string>& seen) const;
  Result<engine::QueryOutcome> WithWarnings(std::string_view sql,
                                            Result<engine::QueryOutcome> outcome) const;

  catalog::Catalog catalog_;
  QueryServiceOptions options_;
  catalog::ProviderRegistry registry_;
  catalog::ProviderContext provider_context_;
  // One provider per catalog table of a registered kind, by qualified name; built in Make, then
  // only read (providers lock their own state).
  std::map<std::string, std::unique_ptr<catalog::TableProvider>, std::less<>> providers_;
  std::unique_ptr<engine::Engine> engine_;
  // An unrestricted private engine for metadata reads (Parquet footers of catalog tables).
  std::unique_ptr<engine::Engine> metadata_engine_;
  mutable std::mutex metadata_mutex_;
  bool any_deprecated_ = false;  // some catalog table is deprecated (set in Make)
};

}  // namespace neuralake::sql
