// Internal to row-level DML (dml.cc, dml_merge.cc, dml_apply.cc): the table as one statement reads
// it, the positions it removes, and the step that turns them into files and one commit.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "neuralake/common/result.h"
#include "neuralake/delta/deletion_vector.h"
#include "neuralake/delta/dml.h"
#include "neuralake/engine/engine.h"
#include "neuralake/engine/lake_scan.h"
#include "neuralake/engine/sql_expressions.h"

namespace neuralake::delta::dml_internal {

// The latest snapshot registered as a scan plan with row positions.
struct DmlScan {
  std::shared_ptr<const Snapshot> snapshot;
  std::shared_ptr<const engine::LakeSnapshot> plan;
  std::unique_ptr<engine::RegisteredScanPlan> registered;
  std::unordered_map<std::string, size_t> file_by_uri;  // data file URI -> index in files

  // SQL relation: the table's columns plus __nl_file / __nl_row (engine/lake_scan.h).
  const std::string& WithPositions() const { return registered->RelationWithPositions(); }
  // SQL relation: the table's columns.
  const std::string& Rows() const { return registered->Relation(); }
};

Result<DmlScan> OpenScan(DeltaTable& table);

// Newly deleted row positions by index into DmlScan::snapshot->files.
using Positions = std::map<size_t, DeletionVector>;

// Runs `sql` (selecting __nl_file and __nl_row, in that order) and collects the positions.
Result<Positions> CollectPositions(engine::Engine& engine, const DmlScan& scan,
                                   const std::string& sql);

// The table's columns (logical names, DuckDB types) as the scan plan has them.
const std::vector<engine::LakeColumn>& Columns(const DmlScan& scan);
// The column of the table named `name` (case-insensitive), or nullptr.
const engine::LakeColumn* FindColumn(const DmlScan& scan, const std::string& name);

// Invalid when a value of DuckDB type `value_type` does not fit a column of `column_type`
// (numbers, strings, booleans, temporal values and nested values do not mix; NULL fits anything).
Status CheckAssignable(const std::string& column, const std::string& column_type,
                       const std::string& value_type, const std::string& what);

// A column or table name quoted for the engine's SQL.
inline std::string Q(std::string_view name) { return engine::Engine::QuoteIdentifier(name); }

// The table column each assignment sets (a `t.` qualifier allowed) -> its value SQL, checked:
// the column exists, is set once, and the value's type fits it (types from binding
// `SELECT <values> FROM <from> LIMIT 0`; no rows read). Errors are Invalid naming `what`.
Result<std::map<std::string, std::string>> ResolveAssignments(
    engine::Engine& engine, const DmlScan& scan,
    const std::vector<engine::SqlAssignment>& assignments, const std::string& from,
    const std::string& what);

// An engine table name unique in this process (for the materialized changes).
std::string TempTableName();

// An engine table with a TempTableName(), dropped when this goes out of scope.
class TempTable {
 public:
  explicit TempTable(engine::Engine& engine) : engine_(engine), name_(TempTableName()) {}
  ~TempTable() { (void)engine_.DropTable(name_); }
  TempTable(const TempTable&) = delete;
  TempTable& operator=(const TempTable&) = delete;
  const std::string& name() const { return name_; }
  std::string Quoted() const { return engine::Engine::QuoteIdentifier(name_); }

 private:
  engine::Engine& engine_;
  std::string name_;
};

struct Changes {
  Positions deleted;
  // Files removed whole without reading them (a DELETE on partition columns only).
  std::vector<size_t> whole_files;
  // A SELECT of the table's columns, in order, of the rows to add (updates, inserts), or empty.
  std::string new_rows_sql;
  int64_t rows_deleted = 0;
  int64_t rows_updated = 0;
  int64_t rows_inserted = 0;
  std::string operation;  // DELETE / UPDATE / MERGE
  nlohmann::json parameters = nlohmann::json::object();
};

// Step 2 of dml.h: files, DV file and one commit.
Result<DmlResult> ApplyChanges(DeltaTable& table, engine::Engine& engine, const DmlScan& scan,
                               Changes changes, const DmlOptions& options);

}  // namespace neuralake::delta::dml_internal
