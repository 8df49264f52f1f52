// Row-level DML, step 1 for DELETE and UPDATE (dml.h); MERGE is in dml_merge.cc, step 2 in
// dml_apply.cc.

#include "neuralake/delta/dml.h"


#include "neuralake/delta/dml_internal.h"
#include "neuralake/delta/scan_plan.h"
#include "neuralake/delta/snapshot.h"
#include "neuralake/delta/writer_internal.h"
#include "neuralake/engine/sql_expressions.h"

namespace neuralake::delta {
namespace {

using engine::Engine;
using nlohmann::json;
using namespace dml_internal;

int64_t Count(const Positions& positions) {
  int64_t total = 0;
  for (const auto& [index, rows] : positions) total += static_cast<int64_t>(rows.Cardinality());
  return total;
}

}  // namespace

bool DeletionVectorsEnabled(const Snapshot& snapshot) {
  auto property = snapshot.Property("delta.enableDeletionVectors");
  return property && write_internal::Lower(*property) == "true" &&
         snapshot.protocol.HasWriterFeature("deletionVectors");
}

Result<DmlResult> DeleteRows(DeltaTable& table, const std::string& predicate_text,
                             const DmlOptions& options) {
  NL_ASSIGN_OR_RETURN(std::string predicate,
                      engine::ParseScalarExpression(predicate_text, "--where predicate"));
  NL_ASSIGN_OR_RETURN(Engine * engine, table.GetEngine());
  NL_ASSIGN_OR_RETURN(DmlScan scan, OpenScan(table));
  Changes changes;
  changes.operation = "DELETE";
  changes.parameters = {{"predicate", json(std::vector<std::string>{predicate}).dump()}};
  // Partition columns only: whole files go, nothing is read. Otherwise (or when the predicate
  // does not evaluate on partition values) row by row.
  if (!scan.snapshot->partition_columns().empty() || predicate == "true") {
    auto whole = write_internal::FilesMatching(*engine, *scan.snapshot, predicate);
    if (whole.ok()) {
      const AddFile* first = scan.snapshot->files.data();
      for (const AddFile* file : *whole) {
        changes.whole_files.push_back(static_cast<size_t>(file - first));
        changes.rows_deleted += std::max<int64_t>(NumRecords(*file), 0);
      }
      return ApplyChanges(table, *engine, scan, std::move(changes), options);
    }
  }
  std::string sql = "SELECT " + std::string(engine::kPositionFileColumn) + ", " +
                    engine::kPositionRowColumn + " FROM " + scan.WithPositions() + " WHERE " +
                    predicate;
  auto positions = CollectPositions(*engine, scan, sql);
  if (!positions.ok()) return positions.status().WithContext("--where predicate");
  changes.deleted = std::move(positions).value();
  changes.rows_deleted = Count(changes.deleted);
  return ApplyChanges(table, *engine, scan, std::move(changes), options);
}

Result<DmlResult> UpdateRows(DeltaTable& table, const std::string& set_list,
                             const std::optional<std::string>& predicate_text,
                             const DmlOptions& options) {
  NL_ASSIGN_OR_RETURN(auto assignments, engine::ParseAssignments(set_list, "--set"));
  std::string predicate = "true";
  if (predicate_text) {
    NL_ASSIGN_OR_RETURN(predicate,
                        engine::ParseScalarExpression(*predicate_text, "--where predicate"));
  }
  NL_ASSIGN_OR_RETURN(Engine * engine, table.GetEngine());
  NL_ASSIGN_OR_RETURN(DmlScan scan, OpenScan(table));

  NL_ASSIGN_OR_RETURN(auto assigned,
                      ResolveAssignments(*engine, scan, assignments, scan.Rows(), "--set"));

  std::string select = std::string(engine::kPositionFileColumn) + ", " +
                       engine::kPositionRowColumn;
  std::string columns;
  for (const auto& column : Columns(scan)) {
    auto it = assigned.find(column.name);
    std::string value = it == assigned.end()
                            ? Q(column.name)
                            : "CAST((" + it->second + ") AS " + column.type + ")";
    select += ", " + value + " AS " + Q(column.name);
    columns += (columns.empty() ? "" : ", ") + Q(column.name);
  }
  TempTable changed(*engine);
  Status created = engine->Execute("CREATE TABLE " + Q(changed.name()) + " AS SELECT " + select +
                                   " FROM " + scan.WithPositions() + " WHERE " + predicate);
  if (!created.ok()) return created.WithContext("update");

  Changes changes;
  changes.operation = "UPDATE";
  changes.parameters = {{"predicate", json(std::vector<std::string>{predicate}).dump()}};
  NL_ASSIGN_OR_RETURN(changes.deleted,
                      CollectPositions(*engine, scan,
                                       "SELECT " + std::string(engine::kPositionFileColumn) +
                                           ", " + engine::kPositionRowColumn + " FROM " +
                                           Q(changed.name())));
  changes.rows_updated = Count(changes.deleted);
  if (changes.rows_updated > 0) {
    changes.new_rows_sql = "SELECT " + columns + " FROM " + Q(changed.name());
  }
  return ApplyChanges(table, *engine, scan, std::move(changes), options);
}

}  // namespace neuralake::delta
