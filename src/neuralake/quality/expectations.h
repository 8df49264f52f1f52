// Data-quality expectations evaluated on rows named by SQL (docs/quality.md).
//
// Evaluate() runs a table's catalog::Expectations over a CheckTarget: an engine relation (a
// catalog table read through sql::QueryService::RelationOf, or the rows of a write before they are
// committed) with its columns and a function running SQL on the engine that can read it. Every
// row-level expectation (not_null, accepted_values, range, regex, sql, foreign_key) is counted in
// ONE pass: a single SELECT with `count(*) FILTER (WHERE <violation>)` per expectation; unique,
// row_count and freshness take one query each; a violated expectation takes one more query for a
// sample of up to 5 bad values.
//
// SQL is composed here only: identifiers quoted, expectation values (min, max, values, pattern)
// bound as parameters ($n) and cast to the column's type in SQL, never pasted. The `sql` type's
// predicate is catalog text (trusted, written by the catalog's owner) and is pasted.
//
// ViolationSql() gives the boolean SQL of one expectation's row-level violation so that writers
// can split rows (quality/enforce.h).
//
// Thread safety: pure functions; the CheckTarget's runner decides what may run concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "neuralake/catalog/catalog.h"
#include "neuralake/common/result.h"
#include "neuralake/engine/engine.h"

namespace neuralake::quality {

// Runs one statement with bound parameters on the engine holding the target's relation.
using QueryRunner = std::function<Result<engine::Table>(
    const std::string& sql, const std::vector<engine::QueryParam>& params,
    engine::CellEncoding cells)>;

// SQL naming (after FROM) the keys of a foreign_key's referenced column, readable by the target's
// runner, as a single VARCHAR column named __nl_key (keys compared as text).
using ReferenceResolver = std::function<Result<std::string>(const catalog::Expectation&)>;

struct CheckTarget {
  QueryRunner run;
  std::string relation;                        // SQL after FROM
  std::vector<engine::ColumnInfo> columns;     // name and engine type of each column
  ReferenceResolver references;                // unset: foreign_key expectations are Unsupported
  std::optional<int64_t> last_commit_ms;       // freshness without a column (stored tables)
  bool new_rows = false;                       // the rows of a write (freshness without column
                                               // passes: they are being committed now)
};

struct ExpectationResult {
  std::string name;
  std::string type;
  catalog::Expectation::Action action = catalog::Expectation::Action::kWarn;
  int64_t rows_checked = 0;
  int64_t violations = 0;
  bool passed = true;
  std::string sample = "[]";  // JSON array of up to 5 bad values (row objects for `sql`)
  double seconds = 0;
};

// Whether the type is counted row by row (its violations can be dropped from a write).
bool IsRowLevel(const std::string& type);
// Row-level types and unique can drop rows; row_count and freshness cannot (drop acts as warn).
bool CanDrop(const std::string& type);

// The SQL of "this row violates `expectation`" over the columns of `columns`, its values appended
// to `params` ($n numbering continues from params.size()). Row-level types and unique (a window
// over the key, so it needs the whole relation in scope: use it in a SELECT over the relation).
// `reference` is the foreign key's keys relation (ReferenceResolver). Invalid for unknown columns.
Result<std::string> ViolationSql(const catalog::Expectation& expectation,
                                 const std::vector<engine::ColumnInfo>& columns,
                                 const std::string& reference,
                                 std::vector<engine::QueryParam>& params);

// Evaluates every expectation on the target, in order. An expectation that cannot be evaluated
// (unknown column, a predicate that does not bind) fails the whole call naming it.
Result<std::vector<ExpectationResult>> Evaluate(
    const CheckTarget& target, const std::vector<catalog::Expectation>& expectations);

// One line per result: "ok   name (type): 0 of 10 rows violate" / "FAIL ..." / "WARN ..." /
// "DROP ...", with the sample when violated.
std::string FormatResult(const ExpectationResult& result);
// The status word of FormatResult: ok, FAIL, WARN, DROP.
std::string ResultStatus(const ExpectationResult& result);
// The violated `fail` expectations, "expectation 'x' (range, fail) violated by 3 of 10 rows; ...";
// empty when none.
std::string FailureMessage(const std::vector<ExpectationResult>& results);
// The results as one JSON array of objects.
std::string ResultsJson(const std::vector<ExpectationResult>& results);

}  // namespace neuralake::quality
