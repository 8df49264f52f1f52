// QueryShape: whether a SELECT can be maintained incrementally over appended rows, found by
// DuckDB's parser (used by materialized-view refresh, mv/refresh.h).
//
// Two shapes are maintainable when the only change to the one table read is appended rows:
//  - kProjection: SELECT <expressions> FROM t [WHERE <filter>] with no aggregate, window,
//    DISTINCT, ORDER BY, LIMIT, subquery or non-deterministic function: the query over the new
//    rows alone is exactly the rows to append.
//  - kAggregate: SELECT <group keys>, <sum|count|min|max|avg>(...) FROM t [WHERE ...] GROUP BY
//    <keys> (or no GROUP BY: one global row): the query over the new rows gives partial
//    aggregates that merge into the stored ones per key (sum and count add, min/max take the
//    smaller/larger, avg(x) is weighted by count(x), which the select list must also hold).
// Anything else is kOther with the reason ("query has a window function").
//
// Thread safety: AnalyzeQueryShape may be called from many threads.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "neuralake/common/result.h"

namespace neuralake::engine {

struct ShapeColumn {
  enum class Kind { kKey, kSum, kCount, kMin, kMax, kAvg };
  Kind kind = Kind::kKey;
  std::string expression;  // the select item as SQL (without its alias), for messages
  // kAvg: the index of the select item count(<same argument>).
  int count_index = -1;
};

struct QueryShape {
  enum class Kind { kProjection, kAggregate, kOther };
  Kind kind = Kind::kOther;
  std::string reason;               // kOther: why the query is not maintainable
  std::vector<ShapeColumn> columns;  // kAggregate: one per select item, in order
};

std::string_view ShapeColumnKindName(ShapeColumn::Kind kind);

// The shape of one SELECT. Invalid when `sql` is not one SELECT statement.
Result<QueryShape> AnalyzeQueryShape(std::string_view sql);

}  // namespace neuralake::engine
