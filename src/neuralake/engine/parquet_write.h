// Typed writes: rows from a source (our ColumnBatches, files, or a user's SELECT) written as
// Parquet files, returning each file with its statistics. The SQL that does it (COPY ... TO,
// read_parquet / read_csv / read_json, the JSON conversions) is composed here and nowhere else.
//
// A write is: WriteSource (where rows come from) -> OutputColumns (name, source column, target
// ColumnType, conversion) -> ParquetWriteSpec (target, file names, partitioning, file size,
// compression) -> std::vector<WrittenFile>. When a write fails (a value that does not convert, an
// I/O error), the files it started are removed again before the error is returned, so a failed
// write leaves nothing behind under its file name prefix.
//
// Thread safety: the functions take the Engine by reference and may run concurrently on one
// Engine (each statement uses its own connection; batch sources use uniquely named temp tables).
// A WriteSource borrows its batches: they must outlive the call.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "neuralake/common/result.h"
#include "neuralake/engine/column_batch.h"
#include "neuralake/engine/engine.h"

namespace neuralake::engine {

// A column type by value (no SQL text): Delta's types, nested included.
struct ColumnType {
  enum class Id {
    kBoolean, kInt8, kInt16, kInt32, kInt64, kFloat, kDouble, kDecimal, kString, kBinary,
    kDate,
    kTimestamp,     // an instant (TIMESTAMP WITH TIME ZONE), microseconds
    kTimestampNtz,  // a wall-clock time without zone (TIMESTAMP), microseconds
    kStruct, kList, kMap,
  };
  Id id = Id::kString;
  int precision = 0;                     // kDecimal
  int scale = 0;                         // kDecimal
  std::vector<std::string> field_names;  // kStruct: the name of children[i]
  std::vector<ColumnType> children;      // kStruct: fields; kList: element; kMap: key, value

  static ColumnType Of(Id id);
  static ColumnType Decimal(int precision, int scale);
  static ColumnType Struct(std::vector<std::string> names, std::vector<ColumnType> types);
  static ColumnType List(ColumnType element);
  static ColumnType Map(ColumnType key, ColumnType value);

  bool IsNested() const { return id == Id::kStruct || id == Id::kList || id == Id::kMap; }
  bool IsInteger() const {
    return id == Id::kInt8 || id == Id::kInt16 || id == Id::kInt32 || id == Id::kInt64;
  }
};

// The engine's SQL name of a type ("BIGINT", "DECIMAL(10,2)", "STRUCT(\"a\" BIGINT)[]").
std::string ColumnTypeSql(const ColumnType& type);

enum class FileFormat { kParquet, kCsv, kJson };

// How a file column is read when its type is known in advance (a table's type). CSV: scalars are
// parsed as the type; nested values are JSON text (what our CSV export writes) or the engine's own
// text ({'a': 1}, [1, 2]). JSON: each value is converted exactly (numbers, or numeric strings,
// "NaN", "Infinity"; ISO-8601 strings for dates and timestamps; base64 for binary; objects for
// structs and maps; arrays for lists); a value that does not convert fails the read with an error
// naming the column and `type_name`.
struct SourceColumnType {
  std::string column;
  ColumnType type;
  std::string type_name;  // how error messages name the type ("integer", "struct<a: long>")
};

// One column of the written files.
struct OutputColumn {
  enum class Conversion {
    kCast,             // CAST(source AS type)
    kPartitionText,    // CAST(source AS type), then PartitionTextEncoding's text (a VARCHAR)
    kUnscaledDecimal,  // an integer source holding value * 10^scale -> DECIMAL(type), exactly
    kCode,             // an integer source indexing `codes` (0-based) -> VARCHAR
  };
  std::string name;
  std::optional<std::string> source;  // source column; nullopt: NULL of `type`
  ColumnType type;
  Conversion conversion = Conversion::kCast;
  std::vector<std::string> codes;  // kCode

  static OutputColumn Of(std::string name, std::optional<std::string> source, ColumnType type,
                         Conversion conversion = Conversion::kCast) {
    OutputColumn column;
    column.name = std::move(name);
    column.source = std::move(source);
    column.type = std::move(type);
    column.conversion = conversion;
    return column;
  }
};

// Where the rows of a write come from.
struct WriteSource {
  enum class Kind { kBatches, kFiles, kQuery };
  Kind kind = Kind::kQuery;

  std::vector<const ColumnBatch*> batches;  // kBatches (same columns; borrowed)

  std::string path;  // kFiles: a local path or URI, globs allowed
  FileFormat format = FileFormat::kParquet;
  char csv_delimiter = ',';  // CSV: a header line; "" is the empty string, an empty field NULL
  // kFiles, CSV and JSON: columns read with a known type. CSV: the columns named here (others as
  // detected). JSON: exactly the columns named here (each record read field by field).
  std::vector<SourceColumnType> column_types;

  std::string query;  // kQuery: one SELECT (the user's own text)

  // Any kind: the source's columns replaced by these conversions before anything else reads it
  // (e.g. generated batches holding codes and unscaled decimals become the table's text and
  // DECIMAL columns). Empty: the columns as they are.
  std::vector<OutputColumn> converted;

  static WriteSource FromBatches(std::vector<const ColumnBatch*> batches);
  static WriteSource FromFiles(std::string path, FileFormat format, char csv_delimiter = ',');
  static WriteSource FromQuery(std::string select_sql);
};

// The source's columns as the engine sees them (name, engine type name).
Result<std::vector<ColumnInfo>> DescribeSource(Engine& engine, const WriteSource& source);

// File sources: an empty or whitespace-only file is Invalid naming the file (it has no
// header/columns; a reader would make one up). OK for other sources and for files that cannot be
// read (reading them reports that).
Status CheckSourceNotEmpty(Engine& engine, const WriteSource& source);

// How many rows of `source` do not satisfy `predicate` (SQL over the source's columns, the user's
// own text; NULL counts as not satisfied). Invalid when the predicate does not bind.
Result<int64_t> CountRowsNotSatisfying(Engine& engine, const WriteSource& source,
                                       std::string_view predicate);

// Runs `body` with `source` open as SQL naming its rows in `engine` (usable after FROM; batch
// sources are loaded into a temporary table that lives until `body` returns). For callers that
// query the rows before writing them (data-quality checks).
Status WithSourceRelation(Engine& engine, const WriteSource& source,
                          const std::function<Status(const std::string& relation)>& body);

// The text of a partition value (kPartitionText): strings as they are, timestamps as
// "YYYY-MM-DDTHH:MM:SS.ffffffZ" (UTC), timestamps without zone as "YYYY-MM-DD HH:MM:SS.ffffff",
// other types as their text. The encoding into directory values is injective: NULL and "" ->
// `null_value`; `null_value` itself and any text starting with `escape` -> `escape` + text.
struct PartitionTextEncoding {
  std::string null_value = "__HIVE_DEFAULT_PARTITION__";
  char escape = '%';
};

// Parquet (the lake's format), or CSV (with a header) / JSON lines for exports such as the TPC-H
// generator's text outputs.
enum class WriteFormat { kParquet, kCsv, kJson };

struct ParquetWriteSpec {
  WriteFormat format = WriteFormat::kParquet;  // kCsv/kJson: single_file only, no statistics
  std::vector<OutputColumn> columns;  // empty: the source's columns as they are
  // A directory URI or local path (created when local) receiving files named
  // `<file_prefix><uuid>.parquet` (below `name=value/` directories when partitioned), or with
  // `single_file` the one file's URI. Files already there stay.
  std::string target;
  bool single_file = false;
  // Directory targets. Make it unique to the write: a failed write removes every file named so.
  std::string file_prefix = "part-";
  std::vector<std::string> partition_by;  // output column names
  // Unpartitioned directory writes: start a new file once one reaches this size (checked per
  // row group). The engine cannot rotate files of a partitioned write.
  std::optional<int64_t> target_file_size;
  std::optional<int64_t> row_group_size;  // rows per row group; default the engine's
  std::string compression;                // "", "snappy", "zstd", "gzip", "uncompressed"
  std::optional<int> compression_level;   // zstd
  PartitionTextEncoding partition_text;
  bool keep_empty_files = false;  // directory targets: files with no rows are removed, unreported
};

// Writes the rows of `source` as `spec` says and returns the files written with their statistics
// (partition values as the PARTITION_BY text). On failure the files of this write are removed
// (best effort) and the error returned, with the context "writing data files".
Result<std::vector<WrittenFile>> WriteParquet(Engine& engine, const WriteSource& source,
                                              const ParquetWriteSpec& spec);

}  // namespace neuralake::engine
