// Table operations: create, append, overwrite (row-level DELETE / UPDATE / MERGE: dml.h).
//
// Every write has the same shape: describe the source with the engine, check its schema against
// the table (enforcement, or merge / overwrite evolution), write immutable Parquet data files with
// engine::WriteParquet (cast to the table types, partitioned like the table, cut at the target
// file size), turn the returned per-file statistics into add actions (partition values as
// strings, stats JSON with numRecords / minValues / maxValues / nullCount), then commit through a
// Transaction. Files of a write that does not commit (schema error after writing, conflict) are
// deleted again.
//
// Sources are typed engine::WriteSources: a SELECT, our ColumnBatches, or files (DataSource::
// FromFile picks CSV / JSON / Parquet by the extension). CSV and JSON columns that the table
// already has are read with the table's types (a CSV column that is empty in every row would
// otherwise come out as VARCHAR).
//
// Every write that adds rows enforces the table's CHECK constraints (`delta.constraints.*`) and
// NOT NULL fields before writing a file (constraints.h): a violation fails the write, naming the
// constraint, its expression, the number of violating rows and an example row.
//
// The predicate of Overwrite (replaceWhere) is SQL over partition columns only; a predicate naming
// a data column is Unsupported for now. Deleting, updating and merging rows: dml.h.
//
// The implementation: writer.cc (the operations), write_source.cc (sources), data_files.cc (data
// files through the engine, WriteFiles), partitioning.cc (partition values and predicates).
//
// Thread safety: operations on the same table from many threads or processes are safe; they
// serialize through optimistic commits and may fail with Conflict (see transaction.h).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "neuralake/common/result.h"
#include "neuralake/delta/schema.h"
#include "neuralake/delta/snapshot.h"
#include "neuralake/delta/table.h"
#include "neuralake/delta/transaction.h"
#include "neuralake/engine/engine.h"
#include "neuralake/engine/parquet_write.h"

namespace neuralake::delta {

// Where the rows of a write come from.
struct DataSource {
  engine::WriteSource rows;  // typed: a SELECT, batches or files (engine/parquet_write.h)
  std::string description;   // for messages and commitInfo

  // .csv / .tsv (optionally .gz / .zst), .json / .jsonl / .ndjson, .parquet (globs allowed).
  // Invalid for other extensions. An empty file is refused when the write reads it.
  static Result<DataSource> FromFile(std::string_view path);
  // Any SELECT statement.
  static DataSource FromQuery(std::string_view select_sql);
  // Our batches (same columns; borrowed: they must outlive the write).
  static DataSource FromBatches(std::vector<const engine::ColumnBatch*> batches);
};

struct WriteOptions {
  SchemaMode schema_mode = SchemaMode::kEnforce;
  // Target size of data files in bytes (unpartitioned writes; DuckDB cannot rotate files of a
  // partitioned COPY). Default: the table's delta.targetFileSize, else 128 MiB.
  std::optional<int64_t> target_file_size;
  // Idempotent writes: txn(app_id, app_version); skipped when the table already has >= version.
  std::optional<std::string> app_id;
  int64_t app_version = 0;
  CommitOptions commit;
  // Write a checkpoint (and clean up the log) when the committed version is due.
  bool checkpoint_when_due = true;
};

struct CreateTableOptions {
  std::optional<Schema> schema;       // required when there is no source
  std::optional<DataSource> source;   // initial data (its schema is the table's when no schema)
  std::vector<std::string> partition_columns;
  std::map<std::string, std::string> properties;  // metaData.configuration
  std::optional<std::string> name;
  std::optional<std::string> description;
  WriteOptions write;
};

struct WriteResult {
  int64_t version = -1;  // committed version (the unchanged version when nothing was committed)
  bool committed = false;
  bool skipped = false;  // idempotent write already applied
  int attempts = 0;
  int64_t files_added = 0;
  int64_t rows_added = 0;
  int64_t bytes_added = 0;
  int64_t files_removed = 0;
  bool schema_changed = false;
  Status post_commit_status;  // checkpoint / cleanup after the commit (does not undo it)
  std::shared_ptr<const Snapshot> snapshot;  // the table after the operation
};

Result<WriteResult> CreateTable(DeltaTable& table, const CreateTableOptions& options);
Result<WriteResult> Append(DeltaTable& table, const DataSource& source,
                           const WriteOptions& options = {});
// `source` as Append would read it: CSV and JSON columns the table already has are read with the
// table's types (the same source, unchanged, for other kinds or when the table does not exist).
// For callers that read the rows themselves before appending them (expectations).
Result<DataSource> TypedForTable(DeltaTable& table, const DataSource& source);
// Replaces the whole table, or with `predicate` only the partitions it selects (replaceWhere:
// every new row must satisfy the predicate). Schema mode overwrite replaces the schema (whole-table
// overwrites only).
Result<WriteResult> Overwrite(DeltaTable& table, const DataSource& source,
                              const std::optional<std::string>& predicate,
                              const WriteOptions& options = {});

// Writes the rows of `source` as new data files of the table `snapshot` describes (schema
// enforced, columns cast to the table types, partitioned like the table) WITHOUT committing them.
// The caller commits the returned adds through a Transaction (e.g. with data_change=false for a
// compaction) or deletes them. `target_file_size` as in WriteOptions. The table's CHECK
// constraints and NOT NULL fields are enforced on the rows (constraints.h) unless
// `enforce_constraints` is false (rewrites of rows the table already holds: compaction).
Result<std::vector<AddFile>> WriteFiles(DeltaTable& table, const Snapshot& snapshot,
                                        const DataSource& source,
                                        std::optional<int64_t> target_file_size = std::nullopt,
                                        bool enforce_constraints = true);

// The Delta protocol a new table with this schema and properties needs: (1,2) unless features
// (timestampNtz, in-commit timestamps) require table features; writer version 3 (or the
// checkConstraints feature) with `delta.constraints.*` properties; reader 3 / writer 7 with the
// deletionVectors feature for `delta.enableDeletionVectors=true`.
Protocol ProtocolFor(const Schema& schema, const std::map<std::string, std::string>& properties);

// The `add.stats` JSON for a written file: numRecords, and minValues / maxValues / nullCount for
// the non-partition columns, typed by `schema` (numbers as numbers, dates and timestamps as ISO
// strings, nested structs as nested objects).
std::string StatsJson(const Schema& schema, const std::vector<std::string>& partition_columns,
                      const engine::WrittenFile& file);

// The files of `snapshot` whose partition values satisfy `predicate` (SQL over partition columns
// only; a predicate naming a data column or an unknown column is Invalid/Unsupported, naming it).
Result<std::vector<AddFile>> FilesInPartitions(DeltaTable& table, const Snapshot& snapshot,
                                               const std::string& predicate);

}  // namespace neuralake::delta
