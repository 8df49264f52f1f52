// Delta CHECK constraints (`delta.constraints.<name>` in metaData.configuration) and NOT NULL
// fields: enforced on every data-changing write, added and dropped like Spark's
// `ALTER TABLE ... ADD|DROP CONSTRAINT`.
//
// Semantics follow Delta/Spark: a row violates a CHECK constraint when its expression is false OR
// NULL (Spark's CheckDeltaInvariant refuses both; delta-rs lets NULL through, which is laxer). A
// non-nullable field must not be NULL; a non-nullable field inside a struct only where the struct
// itself is not NULL. Expressions are Spark SQL; they are evaluated by the engine (DuckDB) with
// backtick-quoted identifiers turned into double-quoted ones, so the common subset (comparisons,
// AND/OR/NOT, IN, BETWEEN, LIKE, IS [NOT] NULL, arithmetic, length/lower/upper, ...) means the
// same in both. An expression the engine cannot evaluate fails the write rather than passing it.
//
// Protocol: a table with CHECK constraints needs writer version 3, or the `checkConstraints`
// writer feature on a writer version 7 table. AddConstraint upgrades the protocol (keeping the
// reader version) when needed.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "neuralake/common/result.h"
#include "neuralake/delta/actions.h"
#include "neuralake/delta/schema.h"
#include "neuralake/delta/table.h"
#include "neuralake/delta/transaction.h"
#include "neuralake/engine/engine.h"
#include "neuralake/engine/parquet_write.h"

namespace neuralake::delta {

inline constexpr std::string_view kConstraintPropertyPrefix = "delta.constraints.";

struct CheckConstraint {
  std::string name;        // as in the property key, after the prefix (Spark stores it lowercased)
  std::string expression;  // Spark SQL, as stored
};

// Column invariants (the legacy `invariants` writer feature, writer version 2): the
// `delta.invariants` metadata of fields, `{"expression": {"expression": "<SQL>"}}`, each as a
// constraint named "invariant on <column path>". Enforced like CHECK constraints. Corrupt when
// the metadata is not of that shape.
Result<std::vector<CheckConstraint>> InvariantsOf(const Schema& schema);

// A constraint name as stored (Spark lowercases it): "Positive_Id" -> "positive_id".
std::string ConstraintName(std::string_view name);

// The CHECK constraints of a table configuration, ordered by name.
std::vector<CheckConstraint> CheckConstraintsOf(const std::map<std::string, std::string>& config);

// A Spark SQL constraint expression as engine SQL: `quoted` identifiers become "quoted" ones
// (string literals are left alone).
std::string ConstraintSql(std::string_view expression);

// The rows of `source` (whose columns are described by `source_schema`), as they would be written
// to a table with schema `target` (columns matched by name, cast to the table types, missing ones
// NULL), checked against `constraints` and the NOT NULL fields of `target`. Invalid on the first
// violated constraint, one line: the constraint, its expression, how many rows violate it and an
// example row. `check_top_level_not_null` false leaves top-level NOT NULL columns to the caller
// (the writer checks those from the written files' null counts, for free).
Status CheckRowsSatisfyConstraints(engine::Engine& engine, const engine::WriteSource& source,
                                   const Schema& source_schema, const Schema& target,
                                   const std::vector<CheckConstraint>& constraints,
                                   bool check_top_level_not_null = true);

// True when `target` has a non-nullable field nested in a struct (top-level fields excluded).
bool HasNestedNotNull(const Schema& target);

// `protocol` able to write CHECK constraints: writer version raised to 3 (legacy protocols) or the
// `checkConstraints` writer feature added (writer version 7); nullopt when it already is.
std::optional<Protocol> ProtocolWithCheckConstraints(const Protocol& protocol);

struct ConstraintChange {
  int64_t version = -1;       // the committed version
  bool committed = false;     // false: DropConstraint with if_exists found nothing
  bool protocol_upgraded = false;
  int64_t rows_checked = 0;   // AddConstraint: rows of the table validated
};

// Adds CHECK constraint `name` (stored lowercased) after checking that every row of the latest
// version satisfies it; Invalid when one exists with that name (in any case), when the expression is not
// boolean, or naming the violation (as CheckRowsSatisfyConstraints). Commits protocol (when
// upgraded) and metaData with operation "ADD CONSTRAINT"; a concurrent data change conflicts.
Result<ConstraintChange> AddConstraint(DeltaTable& table, std::string_view name,
                                       std::string_view expression,
                                       const CommitOptions& commit = {});
// Drops CHECK constraint `name` (case-insensitive: delta-rs keeps the case it was given). NotFound when absent unless `if_exists`.
Result<ConstraintChange> DropConstraint(DeltaTable& table, std::string_view name, bool if_exists,
                                        const CommitOptions& commit = {});

}  // namespace neuralake::delta
