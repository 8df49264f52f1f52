// Table providers: how a catalog table becomes something the engine can read.
//
// A TableDefinition says what a table is (kind, uri, options); a TableProvider, made for one
// definition by the factory registered for its kind, knows how to read it. A provider reads its
// table in one of three ways (Binding()):
//
//   kLake    files: Plan(at) is the scan plan lake_scan executes (an engine::LakeSnapshot:
//            columns and data files with partition values and statistics) at the latest state, a
//            version or a timestamp (Delta, Parquet);
//   kSource  rows from elsewhere: Source() is an engine::SourceTable the engine pulls batches from
//            with projection and filters pushed down (PostgreSQL, function tables);
//   kView    SQL over other catalog tables: ViewSql().
//
//   Describe(at)  columns with types, partition columns, the version (for versioned kinds) and the
//                 figures it knows (files, rows, bytes);
//   Locations()   the directories/URIs the restricted engine must be allowed to read.
//
// Every kind is scanned the same way (sql::QueryService::Scan: one parameterized SELECT over the
// table's relation, engine::ScanRelation), so typed filters mean the same thing for every kind.
//
// A ProviderRegistry maps TableKind -> factory. The query layer (sql::QueryService) resolves every
// catalog name through one registry, so a new kind is a new provider registered for its kind,
// never a change to resolution. A kind without a factory reads as Unsupported naming the table
// and kind.
//
// Thread safety: a provider is shared by all queries of a service; its methods may be called
// from many threads at once (providers lock their own caches). A registry is built on one
// thread, then shared read-only.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "neuralake/catalog/catalog.h"
#include "neuralake/common/result.h"
#include "neuralake/engine/lake_scan.h"
#include "neuralake/engine/scan.h"
#include "neuralake/engine/source.h"
#include "neuralake/storage/storage_options.h"

namespace neuralake::catalog {

// Which state of a table to read: the latest (both unset), a version, or the state at a timestamp
// ("YYYY-MM-DD HH:MM:SS[.fff]" UTC or ISO 8601). A version wins over a timestamp.
struct TableAt {
  std::optional<int64_t> version;
  std::optional<std::string> timestamp;

  bool Latest() const { return !version && !timestamp; }
};

struct DescribedColumn {
  std::string name;
  std::string type;  // DuckDB type as SQL text, as engine::LakeColumn::type
  bool partition = false;
};

struct TableDescription {
  std::string table;                   // qualified catalog name
  std::string kind;                    // TableKindName
  std::optional<int64_t> version;      // versioned kinds only
  std::vector<DescribedColumn> columns;
  std::vector<std::string> partitions; // the partition columns, in column order
  std::optional<int64_t> files;        // figures, when the provider knows them
  std::optional<int64_t> rows;
  std::optional<int64_t> bytes;
};

// The description of a plan: its columns, partitions, version, file count and bytes, and rows when
// every file knows its record count.
TableDescription DescribePlan(const engine::LakeSnapshot& plan);

// Counters of the snapshot caches behind versioned providers (service-wide; see
// sql::QueryService::cache_stats).
struct SnapshotCacheCounters {
  std::atomic<int64_t> full_loads{0};  // snapshots read from the log (checkpoint + commits)
  std::atomic<int64_t> refreshes{0};   // cached snapshot advanced by newer commits
  std::atomic<int64_t> unchanged{0};   // cached snapshot was still current (one LIST)
  std::atomic<int64_t> fresh{0};       // cached snapshot younger than the refresh interval
};

// What every provider of a service shares: storage settings, the freshness policy, counters, and
// the engine services some kinds need (set by the service; may be unset in tests that do not
// need them).
struct ProviderContext {
  storage::StorageOptions storage;
  // A cached latest state is used without checking the source for this long (0: check on every
  // read, so every commit is visible to the next query).
  int64_t refresh_interval_ms = 0;
  std::shared_ptr<SnapshotCacheCounters> counters = std::make_shared<SnapshotCacheCounters>();
  // The columns of one Parquet file (a URI the service may read).
  std::function<Result<engine::TypedColumns>(const std::string& uri)> parquet_schema;
  // The columns of a SELECT over catalog tables, without running it.
  std::function<Result<engine::TypedColumns>(const std::string& sql)> describe_query;
};

class TableProvider {
 public:
  enum class BindingKind { kLake, kSource, kView };

  virtual ~TableProvider() = default;

  virtual const TableDefinition& definition() const = 0;
  virtual BindingKind Binding() const { return BindingKind::kLake; }

  // kLake: the plan lake_scan executes for the table at `at`. Errors name the table. Default:
  // Unsupported (the table has no files).
  virtual Result<std::shared_ptr<const engine::LakeSnapshot>> Plan(const TableAt& at);

  // kSource: the rows' source. Default: Unsupported.
  virtual Result<std::shared_ptr<const engine::SourceTable>> Source();

  // kView: the SELECT the name stands for. Default: Unsupported.
  virtual Result<std::string> ViewSql();

  // Columns, partitions, version and figures at `at`. Default: DescribePlan(Plan(at)) for kLake,
  // the source's columns for kSource; views are described by the service (describe_query).
  virtual Result<TableDescription> Describe(const TableAt& at);

  // Locations the engine must be able to read (a restricted engine allows only these). Called once
  // when a service starts; may be empty (a provider that hands the engine no files).
  virtual Result<std::vector<std::string>> Locations() { return std::vector<std::string>{}; }
};

// The storage settings for `definition`'s location: `base` with the table's `storage` overrides
// (endpoint, region, path_style = true/false, access_key_env / secret_key_env /
// session_token_env naming environment variables). Invalid naming the table for an unknown key,
// a malformed value or an unset variable.
Result<storage::StorageOptions> TableStorage(const TableDefinition& definition,
                                             const storage::StorageOptions& base);

// Invalid "table db.t is a <kind> table; it has no versions" for a time-travel read of a kind
// without versions.
Status NotVersioned(const TableDefinition& definition);

// Unsupported: "table db.t is a <kind> table; no provider reads <kind> tables yet".
Status NoProviderFor(const TableDefinition& definition);

using ProviderFactory = std::function<Result<std::unique_ptr<TableProvider>>(
    const TableDefinition& definition, const ProviderContext& context)>;

class ProviderRegistry {
 public:
  // Registers (or replaces) the factory for `kind`.
  ProviderRegistry& Register(TableKind kind, ProviderFactory factory);

  bool Supports(TableKind kind) const { return factories_.count(kind) != 0; }

  // A provider for `definition`; Unsupported naming the table and its kind when no factory is
  // registered for the kind, the factory's error (with the table named) otherwise.
  Result<std::unique_ptr<TableProvider>> Make(const TableDefinition& definition,
                                              const ProviderContext& context) const;

 private:
  std::map<TableKind, ProviderFactory> factories_;
};

}  // namespace neuralake::catalog
