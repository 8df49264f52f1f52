// The `_quality` results table: every check run (neuralake check, an enforced append or ingest
// batch) appends one row per expectation to a Delta table that SQL, delta-rs and the API read.
//
// Columns: table (db.table, or the table URI for writes without a catalog name), version (the
// table version checked or committed; NULL when nothing was committed), operation (check |
// append | ingest), expectation, type, action (warn|drop|fail), rows_checked, violations, passed,
// sample (JSON text), seconds, checked_at (TIMESTAMP WITH TIME ZONE, UTC).
//
// Location: a `--quality-uri` flag, else DefaultQualityUri(table uri) = the table's parent
// directory + "/_quality" (beside the table, never inside a Delta table's directory).
//
// Thread safety: concurrent appends serialize through Delta's optimistic commits.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "neuralake/common/result.h"
#include "neuralake/delta/table.h"
#include "neuralake/quality/expectations.h"

namespace neuralake::quality {

// "<parent of table_uri>/_quality": s3://lake/bronze/events -> s3://lake/bronze/_quality.
std::string DefaultQualityUri(const std::string& table_uri);

struct ResultsRecord {
  std::string table;
  std::optional<int64_t> version;
  std::string operation;  // check | append | ingest
  std::vector<ExpectationResult> results;
};

// Appends the record's rows to the Delta table at `quality_uri`, creating it on first use.
Status AppendResults(const std::string& quality_uri, const delta::TableOptions& options,
                     const ResultsRecord& record);

// The latest result of each expectation of `table` in the results table at `quality_uri`, as a
// JSON array of objects (the columns above; `sample` embedded as JSON), ordered by expectation;
// "[]" when the results table does not exist yet.
Result<std::string> LatestResultsJson(const std::string& quality_uri,
                                      const delta::TableOptions& options,
                                      const std::string& table);

}  // namespace neuralake::quality
