// Lake scans: catalog tables as DuckDB table functions with file pruning.
//
// The engine does not know Delta. It knows a LakeSnapshot: the columns of a table and the data
// files of one version, each with its partition values and per-column statistics. A LakeResolver
// (installed by the query layer, src/neuralake/sql/) turns a catalog name such as "demo.events",
// optionally at a version or timestamp, into a snapshot. The engine then registers:
//
//   lake_scan('demo.events' [, version => 12 | timestamp => '2026-01-01 00:00:00'])
//   delta_at('demo.events', 12)            -- a table macro over lake_scan(..., at => 12)
//   delta_at('demo.events', TIMESTAMP '...')
//
// and a replacement scan so that `SELECT ... FROM demo.events` (or `events` when the name is
// unambiguous) reads lake_scan('demo.events'). The scan is DuckDB's own Parquet reader driven by
// our file list: DuckDB pushes the query's filters into the list, which drops files whose partition
// values or min/max/null-count statistics cannot match (evaluated with DuckDB's own filter logic
// against statistics built from the snapshot); projections and row-group pruning are DuckDB's.
// Rows hidden by a file's deletion vector never leave lake_scan: a plan with any such file binds
// to a subquery over the physical scan that drops them by (filename, file_row_number).
// Each scan reports how many files it considered, pruned and read (ScanReport).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "neuralake/common/result.h"

namespace neuralake::engine {

struct SourceTable;  // source.h

struct LakeColumn {
  std::string name;           // logical name (what SQL sees)
  std::string type;           // DuckDB type as SQL text: "BIGINT", "DECIMAL(15,2)", ...
  bool partition = false;     // value comes from the file's partition values, not the file
  std::string physical_name;  // name inside the data files when it differs (column mapping)
  // The type inside the data files when nested field names differ from `type`'s (column mapping
  // renames struct fields at any depth: struct fields, list elements, map keys and values). Same
  // shape as `type`, fields in the same order. Such columns are read with this type and renamed
  // by a projection (lake_scan binds to a subquery over the physical scan).
  std::string physical_type;
};

struct LakeColumnStats {
  std::optional<std::string> min;  // text rendering (numbers, ISO dates/timestamps, strings)
  std::optional<std::string> max;
  std::optional<int64_t> null_count;
};

// Rows of one data file that a deletion vector hides: positions in the file's physical row order,
// counted from 0 (DuckDB's file_row_number).
class DeletedRows {
 public:
  virtual ~DeletedRows() = default;
  virtual bool Contains(uint64_t row) const = 0;
  // out[i] = Contains(first + i) for i < count: the scan's common case (a chunk of consecutive
  // positions), which implementations answer by walking the deleted rows in the range.
  virtual void MarkRange(uint64_t first, size_t count, bool* out) const {
    for (size_t i = 0; i < count; ++i) out[i] = Contains(first + i);
  }
};

// A data file's deletion vector: its cardinality, known from the plan, and its rows, loaded on
// first use and then kept, so a scan loads only the vectors of files it reads after pruning and
// a plan shared by many queries loads each once. Thread-safe; a failed load is retried next time.
class LakeDeletionVector {
 public:
  using Loader = std::function<Result<std::shared_ptr<const DeletedRows>>()>;
  LakeDeletionVector(int64_t cardinality, Loader loader)
      : cardinality_(cardinality), loader_(std::move(loader)) {}
  int64_t cardinality() const { return cardinality_; }
  Result<std::shared_ptr<const DeletedRows>> Load() const;

 private:
  int64_t cardinality_;
  Loader loader_;
  mutable std::mutex mutex_;
  mutable std::shared_ptr<const DeletedRows> rows_;
};

struct LakeFile {
  std::string uri;                 // absolute: s3://..., memory://..., or a local path
  int64_t size_bytes = 0;
  int64_t modification_time_ms = 0;
  int64_t num_records = -1;        // rows in the data file (physical, as stats say); -1: unknown
  // Partition values by column name; nullopt is SQL NULL. Text, cast to the column type.
  std::map<std::string, std::optional<std::string>> partition_values;
  std::map<std::string, LakeColumnStats> stats;  // by logical column name; may be empty
  // Rows the table no longer shows (Delta deletion vectors); null: every row is live. Every
  // lake_scan of a plan with any such file filters these rows out (one place for all readers).
  std::shared_ptr<const LakeDeletionVector> deletion_vector;

  // The rows a reader sees: num_records minus the deletion vector's cardinality; -1: unknown.
  int64_t LiveRecords() const {
    if (num_records < 0) return -1;
    return num_records - (deletion_vector ? deletion_vector->cardinality() : 0);
  }
};

struct LakeSnapshot {
  std::string table;               // qualified catalog name, for reports
  int64_t version = -1;
  std::vector<LakeColumn> columns;
  std::vector<LakeFile> files;
};

struct LakeScanRequest {
  std::string table;               // as written in SQL: "demo.events" or "events"
  std::optional<int64_t> version;
  std::optional<std::string> timestamp;  // "YYYY-MM-DD HH:MM:SS[.fff]" (UTC) or ISO 8601
};

using LakeResolver =
    std::function<Result<std::shared_ptr<const LakeSnapshot>>(const LakeScanRequest& request)>;

// What a catalog name in SQL reads: a lake table (lake_scan over its files), a source table
// (source_scan, source.h) or a view (its SQL, bound in place of the name).
struct CatalogRef {
  enum class Kind { kLake, kSource, kView };
  std::string qualified;  // "demo.events"
  Kind kind = Kind::kLake;
  std::string view_sql;   // kView: one SELECT over catalog names
};

// Names the replacement scan may resolve: what (schema, table) as written in SQL (schema may be
// empty) reads, or nullopt when the name is not a catalog table.
using LakeNameLookup =
    std::function<std::optional<CatalogRef>(const std::string& schema, const std::string& table)>;

struct ScanReport {
  std::string table;
  int64_t version = -1;
  int64_t files_total = 0;
  int64_t files_pruned_by_partition = 0;
  int64_t files_pruned_by_stats = 0;
  int64_t files_read = 0;
  int64_t bytes_total = 0;
  int64_t bytes_read = 0;
  std::vector<std::string> filters;  // the filters that were pushed into the file list

  std::string ToString() const;
};

// SQL turning `expression`, a value of DuckDB type `physical_type`, into `logical_type`: the same
// shape with struct fields renamed at any depth (matched by position). A null struct stays null.
// The result still needs a CAST to `logical_type` (empty lists/maps come out loosely typed).
// Invalid when the shapes differ.
Result<std::string> RenameNestedFieldsSql(const std::string& expression,
                                          const std::string& physical_type,
                                          const std::string& logical_type);

// A scan plan run directly (table read, OPTIMIZE): while the handle lives, Relation() names it in
// any engine's SQL as `lake_scan('<id>')`, with the same pruning, column mapping and typing as a
// catalog table. Unregistered when the handle is destroyed.
//
// Row-level changes (delta/dml.h) need to know where each row lives: with
//   lake_scan('<id>', __nl_positions => true)
// the scan also returns the columns below, the row's data file (LakeFile::uri) and its position
// in the file's physical row order (what a deletion vector holds). Rows a deletion vector already
// hides are not returned.
inline constexpr const char* kPositionFileColumn = "__nl_file";
inline constexpr const char* kPositionRowColumn = "__nl_row";
class RegisteredScanPlan {
 public:
  explicit RegisteredScanPlan(std::shared_ptr<const LakeSnapshot> plan);
  ~RegisteredScanPlan();
  RegisteredScanPlan(const RegisteredScanPlan&) = delete;
  RegisteredScanPlan& operator=(const RegisteredScanPlan&) = delete;

  const std::string& Relation() const { return relation_; }
  // The same with __nl_positions => true (see below).
  const std::string& RelationWithPositions() const { return positions_relation_; }

 private:
  std::string id_;
  std::string relation_;
  std::string positions_relation_;
};

struct LakeScanOptions {
  LakeResolver resolver;
  LakeNameLookup lookup;
  // Source tables (source.h) for `source_scan(...)` and names the lookup resolves as kSource.
  std::function<Result<std::shared_ptr<const SourceTable>>(const std::string& table)>
      source_resolver;
  bool prune_files = true;           // false: read every active file (for tests and comparisons)
};

}  // namespace neuralake::engine
