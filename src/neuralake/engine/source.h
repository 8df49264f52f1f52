// Source tables: rows that do not live in data files (a PostgreSQL table, a C++ function), read by
// the engine's SQL like any catalog table.
//
// A SourceTable is its typed columns plus an `open` that starts one read: given a ScanRequest
// (projection, filters, limit) it returns a BatchStream of RecordBatches (scan.h). The engine
// registers a table function over sources,
//
//   source_scan('demo.users')
//
// and the catalog replacement scan (lake_scan.h) makes `SELECT ... FROM demo.users` read it. The
// engine pushes the query's projection and the filters it can express as ScanFilters (comparisons
// with constants, IN, IS [NOT] NULL, contains/prefix/suffix, list_contains/list_has_any/all, and
// ORs of those) into the request. Pushed filters are a promise the source may use to read fewer
// rows, not a contract: the engine tests every filter again on the rows it gets, so a source may
// ignore any of them (a function table usually does; PostgreSQL turns them into its WHERE).
//
// Contract of a stream: each batch holds exactly the requested columns (every column when the
// request names none and `count_only` is false; no columns at all when `count_only` is true, only
// num_rows), in request order, typed as declared in `columns`. Next returns false at the end.
// Errors abort the query with the source's message.
//
// Thread safety: `open` may be called from several threads at once (one query each); a stream is
// used by one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "neuralake/common/result.h"
#include "neuralake/engine/scan.h"

namespace neuralake::engine {

class BatchStream {
 public:
  virtual ~BatchStream() = default;
  // The next batch into `batch` (replacing its contents); false when the stream is done.
  virtual Result<bool> Next(RecordBatch* batch) = 0;
};

// A stream over batches already in memory (function tables that build their rows at once).
std::unique_ptr<BatchStream> StreamOf(std::vector<RecordBatch> batches);

struct SourceRequest {
  ScanRequest scan;         // columns (empty: every column), filters/any_of (may be ignored), limit
  bool count_only = false;  // no column is needed, only how many rows there are
};

struct SourceTable {
  std::string table;     // qualified catalog name, for messages
  TypedColumns columns;  // name and type of every column
  std::function<Result<std::unique_ptr<BatchStream>>(const SourceRequest& request)> open;
};

// Resolves a qualified catalog name to its source (called when a query binds the table).
using SourceResolver =
    std::function<Result<std::shared_ptr<const SourceTable>>(const std::string& table)>;

// Projects a batch holding every column of `source` onto `request` (the helper for sources that
// produce whole rows): the requested columns in order, or none for count_only. Invalid for an
// unknown column.
Result<RecordBatch> ProjectBatch(const TypedColumns& source, RecordBatch batch,
                                 const SourceRequest& request);

// Converts generator/ingest batches (column_batch.h) to RecordBatches.
RecordBatch ToRecordBatch(const ColumnBatch& batch);

}  // namespace neuralake::engine
