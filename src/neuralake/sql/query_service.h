// QueryService: read-only SQL over the tables of a Catalog.
//
//   catalog::Catalog catalog;
//   catalog.Database("demo").AddDeltaTable("events", "s3://lake/events");
//   NL_ASSIGN_OR_RETURN(auto service, sql::QueryService::Make(std::move(catalog), options));
//   NL_ASSIGN_OR_RETURN(auto outcome, service->Query("SELECT count(*) FROM demo.events"));
//
// Names resolve through the catalog only: `demo.events` (or `events` when one database holds a
// table of that name) becomes a lake scan of the table's current snapshot; `delta_at('demo.events',
// 12)` / `lake_scan('demo.events', timestamp => '...')` read older versions. The surface is safe
// for untrusted SQL: one SELECT per query, DuckDB's external access off except the catalog's
// table locations, configuration locked, a timeout, a row limit and a memory limit.
//
// Every catalog name resolves through a table provider (catalog/provider.h) made by the
// registry's factory for the table's kind: Delta today (delta_provider.h: snapshots cached per
// table; each query checks the log for commits newer than the cached version, one LIST, and
// replays only those; time-travel snapshots cached by version). A kind without a provider reads
// as Unsupported naming the table and kind.
//
// Thread safety: Query may be called from many threads.
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

  // Typed, streamed rows of one table at `at` with a projection, typed filters and a limit
  // (TableProvider::Scan on this service's engine).
  Result<engine::ScanOutcome> Scan(std::string_view table, const catalog::TableAt& at,
                                   const engine::ScanRequest& request,
                                   const engine::BatchSink& sink) const;

 private:
  QueryService(catalog::Catalog catalog, QueryServiceOptions options);
  engine::QueryOptions OptionsFor(const QueryRequest& request) const;
  Result<catalog::TableProvider*> ProviderFor(std::string_view table) const;

  catalog::Catalog catalog_;
  QueryServiceOptions options_;
  catalog::ProviderRegistry registry_;
  catalog::ProviderContext provider_context_;
  // One provider per catalog table of a registered kind, by qualified name; built in Make, then
  // only read (providers lock their own state).
  std::map<std::string, std::unique_ptr<catalog::TableProvider>, std::less<>> providers_;
  std::unique_ptr<engine::Engine> engine_;
};

}  // namespace neuralake::sql
