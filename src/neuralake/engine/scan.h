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
#include <utility>
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

// One condition on a column (the Filter API's filter; datarepo's 14 operators plus startswith and
// endswith): the column compared with `value` (or each of `values`) cast to the column's type (a
// string value reads as that type's text: '2026-01-01', '12.50'), or a NULL test. A NULL column
// value satisfies no comparison (also not kNotEqual / kNotIn).
//
//   kEqual kNotEqual kLess kLessOrEqual kGreater kGreaterOrEqual   scalar columns, `value`
//   kIn kNotIn                                                     scalar columns, `values`
//   kContains kStartsWith kEndsWith                                string columns, `value`
//   kIncludes                                                      list columns, `value` (an element)
//   kIncludesAny kIncludesAll                                      list columns, `values`
//   kIsNull kIsNotNull                                             any column, no value
struct ScanFilter {
  enum class Op { kEqual, kNotEqual, kLess, kLessOrEqual, kGreater, kGreaterOrEqual, kIsNull,
                  kIsNotNull, kIn, kNotIn, kContains, kStartsWith, kEndsWith, kIncludes,
                  kIncludesAny, kIncludesAll };
  std::string column;
  Op op = Op::kEqual;
  QueryParam value;                // the one-value operators; must not be NULL
  std::vector<QueryParam> values;  // kIn, kNotIn, kIncludesAny, kIncludesAll; none NULL

  // Convenience: ScanFilter::Make("country", "=", "DE"), Make("id", "in", {1, 2}) (see ParseFilterOp).
  static Result<ScanFilter> Make(std::string column, std::string_view op,
                                 std::vector<QueryParam> values = {});
};

// The operator spelled `name`: datarepo's "=", "!=", "<", "<=", ">", ">=", "in", "not in",
// "contains", "includes", "includes any", "includes all", "is null", "is not null", the HTTP API's
// eq ne lt lte gt gte in notin contains startswith endswith includes includes_any includes_all
// isnull notnull, and "starts with" / "ends with". Invalid names the known spellings.
Result<ScanFilter::Op> ParseFilterOp(std::string_view name);
// datarepo's spelling ("=", "not in", "includes any", "starts with", ...).
std::string_view FilterOpName(ScanFilter::Op op);
// The HTTP API's spelling ("eq", "notin", "includes_any", ...).
std::string_view FilterOpApiName(ScanFilter::Op op);
bool FilterOpTakesList(ScanFilter::Op op);   // kIn kNotIn kIncludesAny kIncludesAll
bool FilterOpTakesValue(ScanFilter::Op op);  // every operator but the NULL tests

// Columns by name and type, in order.
using TypedColumns = std::vector<std::pair<std::string, ColumnType>>;

// A filter checked against its column's type: Invalid naming the column, the operator and the type
// when the operator does not apply (contains on a number, includes on a scalar, < on a struct) or
// a value is missing or NULL.
Status CheckFilter(const ScanFilter& filter, const ColumnType& type);

// Filters in DuckDB SQL over columns of the given types: `column op CAST($n AS type)` with every
// value appended to `params` (bound, never pasted). `any_of` is an OR of AND lists (DNF). Returns
// "" when there is nothing to test. Invalid as CheckFilter, or naming an unknown column.
Result<std::string> FiltersSql(const std::vector<ScanFilter>& filters,
                               const std::vector<std::vector<ScanFilter>>& any_of,
                               const TypedColumns& columns, std::vector<QueryParam>& params);

struct ScanRequest {
  std::vector<std::string> columns;  // the projection, in this order; empty: every column
  std::vector<ScanFilter> filters;   // all must hold
  // An OR of AND lists (datarepo's DNF): a row passes when every filter of some list holds. Empty:
  // no condition. With `filters` too, both must hold.
  std::vector<std::vector<ScanFilter>> any_of;
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

// As ScanBatches, over any relation the engine's SQL can name ("demo.events", a source table, a
// view, "lake_scan('demo.events', version => 3)") whose columns are `columns`: the request is
// checked against them and compiled to one parameterized SELECT. Used for every table kind by the
// query layer's Scan.
Result<ScanOutcome> ScanRelation(Engine& engine, const std::string& relation,
                                 const TypedColumns& columns, const ScanRequest& request,
                                 const BatchSink& sink);

// The typed columns of a plan (Unsupported for a type outside ColumnType).
Result<TypedColumns> PlanColumns(const LakeSnapshot& plan);

// A column type from the engine's SQL text of it ("DECIMAL(10,2)", "VARCHAR[]"); Unsupported for
// types outside ColumnType (TIME, INTERVAL, UUID, ...).
Result<ColumnType> ParseColumnType(const std::string& sql_type);

}  // namespace neuralake::engine
