// The rows route's query string -> one parameterized SELECT over a catalog table of any kind.
//
//   GET /api/v1/tables/demo/events?country=DE&amount__gte=10&_columns=id,amount&_sort=-amount
//
// Filters are `col=v` (eq) or `col__op=v` with op one of
//   eq ne lt lte gt gte in notin contains startswith endswith isnull notnull
//   includes includes_any includes_all           (list columns)
// (engine::ParseFilterOp's HTTP spellings). `in`/`notin`/`includes_any`/`includes_all` take
// comma-separated values. Each filter becomes an engine::ScanFilter (the Filter API): the
// operator is checked against the column's type by engine::CheckFilter, every value is parsed as
// the column's type here (a wrong type is an error naming column, type and value) and the filters
// are compiled by engine::FiltersSql, the code base's one filter compiler, with every value bound
// as a parameter: nothing from the request is pasted into SQL text except column names that exist
// in the schema (quoted). Reserved parameters start with '_': _columns, _sort, _size, _next,
// _version, _timestamp, _format, _shape.
//
// Paging: rows are ordered by the _sort columns, then by every other column, so the order is total
// (identical rows are interchangeable); a page is LIMIT size OFFSET n. For a versioned table
// (Delta) the page reads a pinned version and `next` is "<version>.<offset>", so each row appears
// exactly once across pages even while new commits land; other kinds have no version to pin and
// `next` is "<offset>".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "neuralake/common/result.h"
#include "neuralake/engine/engine.h"
#include "neuralake/engine/scan.h"

namespace neuralake::server {

// A request error with its HTTP status: 400 (malformed, unknown column/operator), 422 (a value
// of the wrong type).
struct RequestError {
  int status = 400;
  std::string code;      // "BadRequest", "UnknownColumn", "UnknownOperator", "InvalidValue"
  std::string message;
};

struct TableQuery {
  std::vector<std::string> columns;                 // empty: all
  std::vector<std::pair<std::string, bool>> sort;   // column, descending
  int64_t size = 100;
  int64_t offset = 0;
  std::optional<int64_t> version;                   // _version or from _next
  std::optional<std::string> timestamp;             // _timestamp
  std::string format;                               // _format (empty: from Accept)
  std::string shape = "objects";                    // objects | arrays
  std::vector<engine::ScanFilter> filters;           // typed and checked against the columns
};

struct BuiltQuery {
  std::string sql;
  std::vector<engine::QueryParam> params;
};

// Parses and checks the query string against the table's typed columns
// (QueryService::RelationOf). `max_size` caps _size.
Result<TableQuery> ParseTableQuery(const std::vector<std::pair<std::string, std::string>>& query,
                                   const engine::TypedColumns& columns, int64_t max_size,
                                   RequestError* error);

// The SELECT for one page (`limit` rows: size + 1, to know whether another page follows) over
// `relation`, the SQL that reads the table (QueryService::RelationOf: its quoted name, or a
// lake_scan pinned to a version), whose columns are `columns`. Pages are in a total order (the
// _sort columns, then every other column); an unpaged stream is sorted only by the _sort columns,
// if any. Invalid as engine::FiltersSql (filters ParseTableQuery accepted compile).
Result<BuiltQuery> BuildTableSql(const std::string& relation, const TableQuery& query,
                                 const engine::TypedColumns& columns, int64_t limit,
                                 bool paged = true);

// The whole of `text` as a decimal integer (no sign prefix other than '-', no trailing text).
std::optional<int64_t> ParseInteger(std::string_view text);

// A paging token: "<version>.<offset>" (a versioned table) or "<offset>", and back (nullopt when
// malformed).
struct PageToken {
  std::optional<int64_t> version;
  int64_t offset = 0;
};
std::string NextToken(std::optional<int64_t> version, int64_t offset);
std::optional<PageToken> ParseNextToken(const std::string& token);

// The filter operators' HTTP spellings (engine::FilterOpApiName of every operator), for
// documentation and the OpenAPI document.
const std::vector<std::string>& FilterOperators();

}  // namespace neuralake::server
