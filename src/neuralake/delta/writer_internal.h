// Internal to the table writer (writer.cc, write_source.cc, partitioning.cc, data_files.cc): the
// steps every write shares. Not for use outside src/neuralake/delta/.
//
//   ResolveSource      the source's schema, file columns typed from the table (write_source.cc)
//   WriteDataFiles     Parquet files through engine::WriteParquet, turned into add actions
//                      (data_files.cc)
//   FilesMatching ...  which files/partitions a predicate over partition columns selects
//                      (partitioning.cc)
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "neuralake/common/result.h"
#include "neuralake/delta/constraints.h"
#include "neuralake/delta/writer.h"
#include "neuralake/engine/parquet_write.h"

namespace neuralake::delta::write_internal {

std::string Lower(std::string_view text);
bool IsPartitionColumn(const std::vector<std::string>& partition_columns, std::string_view name);

// ---- sources (write_source.cc) ----

// A Delta type as the engine's typed description (Unsupported for types the engine lacks).
Result<engine::ColumnType> EngineColumnType(const DataType& type);

struct ResolvedSource {
  engine::WriteSource rows;  // file columns typed from the table where it has them
  Schema schema;
};

// Describes `source`; CSV and JSON columns the table already has are read with the table's types
// (`table_schema`, or nullptr to take the types the files suggest).
Result<ResolvedSource> ResolveSource(engine::Engine& engine, const DataSource& source,
                                     const Schema* table_schema);

// ---- partitions (partitioning.cc) ----

// The engine's partition directory text encoding (see engine::PartitionTextEncoding) and its
// inverse: nullopt for null.
engine::PartitionTextEncoding DeltaPartitionEncoding();
std::optional<std::string> DecodePartitionValue(std::string_view encoded);

// The Delta partition values of a written file, decoded from the engine's partition keys (or,
// when the engine reported none, from the percent-escaped hive directories of its path).
PartitionValues PartitionValuesOf(const engine::WrittenFile& file, const std::string& relative_path,
                                  const std::vector<std::string>& partition_columns);

// Files of `snapshot` whose partition satisfies `predicate`.
Result<std::vector<const AddFile*>> FilesMatching(engine::Engine& engine, const Snapshot& snapshot,
                                                  const std::string& predicate);

// A predicate function for conflict detection: evaluates `predicate` on partition values of
// concurrently added files (cached; an evaluation error counts as a match, i.e. a conflict).
std::function<bool(const PartitionValues&)> PartitionPredicate(
    engine::Engine* engine, std::shared_ptr<const Snapshot> snapshot, std::string predicate);

// ---- data files (data_files.cc) ----

struct WrittenData {
  std::vector<AddFile> adds;
  int64_t rows = 0;
  int64_t bytes = 0;
};

// Whether a failed commit certainly left nothing in the table (so its data files may go). After
// an I/O error the commit may have landed; its files must then stay (vacuum removes true orphans).
bool CertainlyNotCommitted(const Status& status);

// Deletes data files written by a write that did not commit (best effort).
void DeleteWritten(DeltaTable& table, const std::vector<AddFile>& adds);

// The options' size, else the table's (or new table's `properties`') delta.targetFileSize, else
// 128 MiB.
Result<int64_t> TargetFileSize(const Snapshot* snapshot, const WriteOptions& options,
                               const std::map<std::string, std::string>* properties);

// Writes the rows of `source` as data files of a table with schema `target` (columns cast to the
// table types, partitioned by `partition_columns`) and returns their add actions (not committed).
// With `constraints` (the table's CHECK constraints, constraints.h), the rows are checked against
// them and nested NOT NULL fields before anything is written; top-level NOT NULL columns are
// always checked (from the written files' null counts). nullptr: no CHECK constraints enforced
// (rewrites of rows already in the table, i.e. compaction).
Result<WrittenData> WriteDataFiles(DeltaTable& table, engine::Engine& engine,
                                   const ResolvedSource& source, const Schema& target,
                                   const std::vector<std::string>& partition_columns,
                                   int64_t target_file_size,
                                   const std::vector<CheckConstraint>* constraints);

}  // namespace neuralake::delta::write_internal
