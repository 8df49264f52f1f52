// Expectations enforced on a write, before anything is committed (docs/quality.md).
//
//   fail: a violated `fail` expectation (beyond its `mostly`) commits nothing; the outcome says
//         which expectation and how many rows.
//   drop: rows violating any `drop` expectation (row-level types and unique; `mostly` does not
//         apply: every violating row goes) are written to the quarantine Delta table with an
//         `_expectation` column naming the expectations they violate (comma-separated), in a
//         commit of their own BEFORE the good rows are appended to the table.
//   warn: the rows are appended; the outcome lists the violations.
//
// Exactly-once: with WriteOptions::app_id set, the quarantine commit carries the same
// txn(app_id, app_version) as the table's, so a retried write skips whichever commit already
// happened (the quarantine is written first: a crash between the two commits is healed by the
// retry, never doubled).
//
// Split rows are staged once in the table's engine (a temporary table holding the source rows and
// their violated expectations), so the source is read once for the checks and once for the split.
//
// Thread safety: one call per DeltaTable at a time (the engine's temporary tables are uniquely
// named, so different tables may enforce concurrently).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "neuralake/catalog/catalog.h"
#include "neuralake/common/result.h"
#include "neuralake/delta/writer.h"
#include "neuralake/engine/column_batch.h"
#include "neuralake/quality/expectations.h"
#include "neuralake/storage/storage_options.h"

namespace neuralake::sql {
class QueryService;
}  // namespace neuralake::sql

namespace neuralake::quality {

struct EnforceOptions {
  delta::WriteOptions write;
  std::string quarantine_uri;  // required when a drop expectation is declared
  storage::StorageOptions storage;  // how the quarantine table's store is opened
  // Reads the tables foreign_key expectations reference (their keys are loaded into the table's
  // engine). Null: foreign_key expectations are Unsupported on writes.
  const sql::QueryService* references = nullptr;
};

struct EnforcedWrite {
  std::vector<ExpectationResult> results;
  // Set when a fail expectation is violated: nothing was committed.
  std::optional<std::string> failure;
  std::optional<delta::WriteResult> written;     // the table's append
  std::optional<delta::WriteResult> quarantine;  // the quarantine's commit, when rows were dropped
  int64_t dropped_rows = 0;
};

// The quarantine table of a table: "<table uri>_quarantine".
std::string DefaultQuarantineUri(const std::string& table_uri);

// Checks `expectations` on the rows of `source` and appends them to `table` as described above.
Result<EnforcedWrite> AppendWithExpectations(delta::DeltaTable& table,
                                             const delta::DataSource& source,
                                             const std::vector<catalog::Expectation>& expectations,
                                             const EnforceOptions& options);

// Expectations on the rows of `source` (e.g. the Parquet file a materialized-view refresh is
// about to commit), without writing anything.
Result<std::vector<ExpectationResult>> CheckSource(
    engine::Engine& engine, const engine::WriteSource& source,
    const std::vector<catalog::Expectation>& expectations, const sql::QueryService* references);

// Expectations on one batch of rows (an ingest flush), without writing anything: the results, the
// failure (violated `fail` expectations; empty when none) and, per row, the comma-separated drop
// expectations it violates (empty: the row is kept). The batch is loaded into `engine` for the
// checks and dropped again.
struct BatchCheck {
  std::vector<ExpectationResult> results;
  std::string failure;
  std::vector<std::string> dropped_by;
};
Result<BatchCheck> CheckBatch(engine::Engine& engine, const engine::ColumnBatch& rows,
                              const std::vector<catalog::Expectation>& expectations,
                              const sql::QueryService* references);

}  // namespace neuralake::quality
