// Parquet <-> JSON rows: small metadata files kept as Parquet (Delta checkpoints), read and written
// through the engine without any DuckDB SQL outside this folder.
//
// Reading takes a list of Parquet files by URI (local paths, s3://, memory://: the engine's
// object-store file system) and unifies their columns by name, so a column or struct field that
// some files lack reads as NULL in their rows. Rows come back either as one JSON object each
// (ReadParquetRowsAsJson) or as a projection of the fields of one struct column, each field as
// its text or as JSON text (ReadParquetStructFields). Rows are streamed to a sink in order, one
// engine chunk (at most 2,048 rows) per call, so memory stays bounded by what the caller keeps; a
// non-OK status from the sink stops the read and is returned.
//
// Writing (JsonLinesToParquet) encodes newline-delimited JSON objects as one Parquet file whose
// columns are described by ColumnType (parquet_write.h); the engine chooses the DuckDB types.
// The Parquet bytes are returned, so the caller publishes them with one atomic put.
//
// Thread safety: free functions over an Engine, which may be shared (each call uses its own
// connection). Staging files of concurrent writes have unique names.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "neuralake/common/result.h"
#include "neuralake/engine/engine.h"
#include "neuralake/engine/parquet_write.h"

namespace neuralake::engine {

// A column of a Parquet file written from JSON rows.
struct ParquetField {
  std::string name;
  ColumnType type;
};

// Encodes `json_lines` (one JSON object per line) as one Parquet file with one column per entry of
// `columns`, in order, each read from the object member of the same name: members not listed are
// ignored, listed ones that are absent (or absent struct fields) are NULL, JSON objects become
// MAPs where the type says kMap. Returns the file's bytes. The input and output are staged in a
// process-wide memory namespace (memory://neuralake-engine-staging/<label>-<unique>.json and
// .parquet, the output written through the engine's file system) and deleted again. Errors:
// Invalid when a line does not fit the types (DuckDB's message); the staging stores' errors.
Result<std::string> JsonLinesToParquet(Engine& engine, std::string_view json_lines,
                                       const std::vector<ParquetField>& columns,
                                       std::string_view label = "rows");

// A batch of rows read; each row holds one cell per requested output.
using ParquetRowSink = std::function<Status(const Table& rows)>;

// Every row of `uris` as one JSON object text (a single cell) holding every column of the unified
// schema (NULLs as null), in file order, except the rows where top-level column `skip_when_set`
// is not NULL (when it is not empty; it must be a column of the files).
Status ReadParquetRowsAsJson(Engine& engine, const std::vector<std::string>& uris,
                             std::string_view skip_when_set, const ParquetRowSink& on_rows);

// One field of a struct column in a projection.
struct StructFieldRead {
  std::string name;       // the field's exact name
  bool as_json = false;   // its JSON text (to_json: maps as objects) instead of its text
  bool required = false;  // when the files lack it, the read fails (Invalid) instead of NULLs
};

struct StructColumnRead {
  std::string column;                   // a top-level STRUCT column; rows where it is NULL are skipped
  std::vector<StructFieldRead> fields;  // one cell each; NULL in every row when the files lack it
                                        // (unless required)
  // When not empty, a last cell: the whole struct as JSON text in the rows where at least one of
  // these fields is not NULL, else NULL (fields the files lack count as NULL).
  std::vector<std::string> whole_as_json_when_set;
};

// The rows of `uris` where `read.column` is not NULL, projected as `read` says, in file order.
// Cells hold DuckDB's text rendering (integers as digits, booleans as true/false). NotFound when
// the files have no such column or it is not a struct (nothing is read then).
Status ReadParquetStructFields(Engine& engine, const std::vector<std::string>& uris,
                               const StructColumnRead& read, const ParquetRowSink& on_rows);

}  // namespace neuralake::engine
