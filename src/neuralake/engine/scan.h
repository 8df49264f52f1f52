// Typed, streamed reads of a scan plan.
//
// ScanBatches executes a LakeSnapshot (the plan delta::BuildScanPlan builds from a snapshot) with
// a projection, typed filters and an optional row limit, through the same lake_scan as SQL (file
// pruning by partition values and statistics, column mapping, partition values, columns missing
// from older files as NULL). Rows reach the caller as RecordBatches of typed columns, one engine
// chunk (at most 2,048 rows) at a time, pulled from DuckDB's streaming result: a table of any size
// is read at constant memory, and no value is rendered as text. Filter values are bound as query
// parameters, never pasted into SQL.
//
// Column values (by ColumnType::Id):
//   kBoolean (0/1), kInt8..kInt64, kDate (days since 1970-01-01), kTimestamp (an instant) and
//   kTimestampNtz (a wall-clock time), both microseconds since 1970-01-01 00:00:00   -> ints
//   kFloat, kDouble                                                                   -> doubles
//   kDecimal: the unscaled value (value * 10^scale), exact at every precision         -> decimals
//   kString (UTF-8), kBinary (bytes)                                                  -> strings
//   kStruct: children, one per field, each `length` rows;
//   kList: children[0] the elements; kMap: children[0] the keys, children[1] the values; row i's
//     entries are [offsets[i], offsets[i + 1]) of the children (offsets has length + 1 entries).
// A NULL row has valid[row] == 0 (an empty `valid` means every row is valid); its value slot
// holds a default value (and an empty entry range for lists and maps).
//
// Thread safety: ScanBatches may run concurrently on one Engine (each call has its own
// connection). The sink runs on the calling thread, batches in scan order; a batch is valid only
// during the call.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "neuralake/common/result.h"
#include "neuralake/engine/engine.h"
#include "neuralake/engine/lake_scan.h"
#include "neuralake/engine/parquet_write.h"

namespace neuralake::engine {

struct Column {
  std::string name;
  ColumnType type;
  int64_t length = 0;
  std::vector<uint8_t> valid;          // one per row, 0 = NULL; empty: every row valid
  std::vector<int64_t> ints;           // see the table above
  std::vector<double> doubles;
  std::vector<__int128> decimals;
  std::vector<std::string> strings;
  std::vector<int64_t> offsets;        // kList, kMap
  std::vector<Column> children;        // kStruct, kList, kMap

  bool IsValid(int64_t row) const { return valid.empty() || valid[row] != 0; }
};

struct RecordBatch {
  std::vector<Column> columns;
  int64_t num_rows = 0;

  // Index of a column by name, or -1.
  int ColumnIndex(std::string_view name) const;
};

// One condition on a column: the column compared with `value` cast to the column's type (a
// string value reads as that type's text: '2026-01-01', '12.50'), or a NULL test. A NULL column
// value satisfies no comparison. Comparisons take top-level scalar columns only.
struct ScanFilter {
  enum class Op { kEqual, kNotEqual, kLess, kLessOrEqual, kGreater, kGreaterOrEqual, kIsNull,
                  kIsNotNull };
  std::string column;
  Op op = Op::kEqual;
  QueryParam value;  // unused by kIsNull / kIsNotNull; must not be NULL otherwise
};

struct ScanRequest {
  std::vector<std::string> columns;  // the projection, in this order; empty: every column
  std::vector<ScanFilter> filters;   // all must hold
  int64_t limit = -1;                // < 0: every row
};

struct ScanOutcome {
  int64_t rows = 0;
  int64_t batches = 0;
  std::vector<ScanReport> scans;  // the plan's file pruning figures
};

// Receives each batch; a non-OK status stops the scan and is returned by ScanBatches.
using BatchSink = std::function<Status(const RecordBatch& batch)>;

// Runs `plan` under `request`, handing the rows to `sink` batch by batch. Invalid for unknown
// columns and bad filters (naming them), Unsupported for a column type outside ColumnType,
// the engine's errors (as Engine::RunQuery reports them) otherwise.
Result<ScanOutcome> ScanBatches(Engine& engine, std::shared_ptr<const LakeSnapshot> plan,
                                const ScanRequest& request, const BatchSink& sink);

}  // namespace neuralake::engine
