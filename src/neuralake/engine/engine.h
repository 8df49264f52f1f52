// Engine: the one wrapper around embedded DuckDB (SQL execution, Parquet encode/decode).
//
// Nothing outside src/neuralake/engine/ includes DuckDB headers. An Engine owns one in-memory
// DuckDB database whose virtual filesystem is bridged to our ObjectStore backends, so SQL may
// name `s3://bucket/key`, `memory://name/key` and local paths in read_parquet(...) / COPY ... TO,
// and every byte goes through neuralake::storage (ranged GETs for reads, streaming writers for
// COPY). Extension auto-install and auto-load are off: nothing is downloaded at run time.
//
// Results are materialized as a Table of nullable text cells plus DuckDB type names: enough for
// metadata work (file stats, schemas, CLI output). Bulk data stays inside DuckDB (COPY).
//
// Thread safety: an Engine may be shared; each Query/Execute call uses its own connection.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <functional>

#include "neuralake/common/result.h"
#include "neuralake/engine/column_batch.h"
#include "neuralake/engine/lake_scan.h"
#include "neuralake/storage/location.h"
#include "neuralake/storage/object_store.h"
#include "neuralake/storage/storage_options.h"

namespace neuralake::engine {

struct ColumnInfo {
  std::string name;
  std::string type;  // DuckDB logical type as SQL text: "BIGINT", "VARCHAR", "STRUCT(a INTEGER)"
};

// A materialized query result. Cells are DuckDB's text rendering of the value (CAST AS VARCHAR),
// std::nullopt for SQL NULL.
struct Table {
  std::vector<ColumnInfo> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;

  int64_t NumRows() const { return static_cast<int64_t>(rows.size()); }
  // Index of a column by name, or -1.
  int ColumnIndex(std::string_view name) const;
};

struct EngineOptions {
  storage::StorageOptions storage;
  int threads = 0;               // 0: DuckDB's default (all cores)
  std::string memory_limit;      // e.g. "4GB"; empty: DuckDB's default
  // How the engine opens the store behind "s3://bucket" or "memory://name" (tests inject
  // counting or faulty stores). Default: storage::OpenObjectStore with `storage`.
  std::function<Result<std::shared_ptr<storage::ObjectStore>>(const storage::Location& root)>
      store_opener;
  // Catalog tables as lake_scan / `db.table` in SQL (see lake_scan.h). Unset: no lake tables.
  std::optional<LakeScanOptions> lake;
  // The safe read-only surface for user SQL: external access off (only `allowed_directories`,
  // the catalog's table locations, are readable), configuration locked after start-up. Use
  // RunQuery with select_only for statements from users.
  bool restricted = false;
  std::vector<std::string> allowed_directories;
  // DuckDB's in-memory cache of remote file ranges. Off by default: objects written in place
  // (tests, COPY targets) could be served stale. The query layer turns it on: Delta data files
  // are immutable (unique names), so cached ranges stay valid.
  bool cache_remote_files = false;
};

struct QueryOptions {
  bool select_only = false;      // refuse anything but one SELECT (or EXPLAIN of one)
  int64_t timeout_ms = 0;        // 0: none; else the query is interrupted -> Cancelled
  int64_t max_rows = 0;          // 0: all rows; else stop after max_rows (truncated = true)
};

struct QueryOutcome {
  Table table;                    // the rows (RunQuery); columns only (ExportQuery)
  int64_t row_count = 0;          // rows returned or written
  bool truncated = false;
  std::vector<ScanReport> scans;  // lake scans the statement bound, with their pruning figures
  double seconds = 0;
};

// Statistics of one Parquet file written by COPY ... (FORMAT parquet, RETURN_STATS).
struct WrittenFile {
  std::string uri;                     // where DuckDB wrote it (as named in the COPY target)
  int64_t num_rows = 0;
  int64_t size_bytes = 0;
  struct ColumnStats {
    std::string column;
    std::optional<std::string> min;    // DuckDB text rendering; nullopt when unknown/all-null
    std::optional<std::string> max;
    std::optional<int64_t> null_count;
  };
  std::vector<ColumnStats> columns;
  std::vector<std::pair<std::string, std::string>> partition_values;  // from PARTITION_BY
};

class Engine {
 public:
  static Result<std::unique_ptr<Engine>> Make(const EngineOptions& options);
  ~Engine();

  // Runs one statement and materializes its result. DuckDB errors come back as Invalid with
  // DuckDB's message (including the error position when DuckDB reports one).
  Result<Table> Query(std::string_view sql);

  // Runs one statement under `options` (statement check, timeout, row limit) and reports the
  // lake scans it made. Errors: Invalid (syntax, binder, refused statement), Cancelled (timeout).
  Result<QueryOutcome> RunQuery(std::string_view sql, const QueryOptions& options);

  // Like RunQuery, then writes the rows to `target` (a local path, s3:// or memory:// URI) as
  // `format`: parquet, csv (with a header) or json (newline-delimited). The write happens in a
  // private engine, so it works from a restricted engine too.
  Result<QueryOutcome> ExportQuery(std::string_view sql, const QueryOptions& options,
                                   const std::string& target, const std::string& format);

  // Runs statements whose result is not needed.
  Status Execute(std::string_view sql);

  // Runs a `COPY (...) TO '...' (FORMAT parquet, RETURN_STATS ...)` statement and parses the
  // returned per-file statistics.
  Result<std::vector<WrittenFile>> CopyWithStats(std::string_view copy_sql);

  // Creates (or replaces) table `name` in the engine's in-memory database and appends the batches
  // to it (all batches must have the same columns). Later statements can read it by name, e.g.
  // `COPY (SELECT * FROM name) TO ...`; DropTable frees it.
  Status LoadBatches(const std::string& name, const std::vector<const ColumnBatch*>& batches);
  Status DropTable(const std::string& name);

  // SQL quoting helpers: "name" with doubled quotes, 'text' with doubled quotes.
  static std::string QuoteIdentifier(std::string_view name);
  static std::string QuoteLiteral(std::string_view text);

  class Impl;

 private:
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace neuralake::engine
