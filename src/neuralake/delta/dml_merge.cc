// MERGE (dml.h): one join of the target's rows (with positions) and the source, materialized in
// the engine as the changes table
//   __nl_file, __nl_row   the target row (NULL for an insert)
//   __nl_kind             1 update, 2 delete (matched), 3 delete (not matched by source), 4 insert
//   <table columns>       the new row (updates and inserts)
// from which the positions to remove, the rows to add and the duplicate-match check all read.

#include <map>

#include "neuralake/delta/dml.h"
#include "neuralake/delta/dml_internal.h"
#include "neuralake/delta/writer_internal.h"
#include "neuralake/engine/parquet_write.h"
#include "neuralake/engine/sql_expressions.h"

namespace neuralake::delta {
namespace {

using engine::Engine;
using nlohmann::json;
using namespace dml_internal;

constexpr int kUpdate = 1;
constexpr int kDeleteMatched = 2;
constexpr int kDeleteBySource = 3;
constexpr int kInsert = 4;
// A matched row no clause changes (a conditional delete's other rows): kept for the duplicate
// check only.
constexpr int kMatchedNoAction = 5;

struct ParsedMerge {
  std::string on;
  std::optional<std::string> delete_condition;  // set when the delete clause has one
  std::vector<engine::SqlAssignment> assignments;
  bool update = false;
};

Result<ParsedMerge> ParseMerge(const MergeSpec& spec) {
  ParsedMerge parsed;
  parsed.update = spec.matched_update.has_value() || spec.matched_update_all;
  if (!spec.matched_delete && !parsed.update && !spec.not_matched_insert_all &&
      !spec.not_matched_by_source_delete) {
    return Status::Invalid(
        "MERGE needs at least one clause: --when-matched-update, --when-matched-update-all, "
        "--when-matched-delete, --when-not-matched-insert-all or "
        "--when-not-matched-by-source-delete");
  }
  if (spec.matched_update && spec.matched_update_all) {
    return Status::Invalid("give --when-matched-update or --when-matched-update-all, not both");
  }
  if (spec.matched_delete_condition && !spec.matched_delete) {
    return Status::Invalid("--condition belongs to --when-matched-delete");
  }
  if (spec.matched_delete && !spec.matched_delete_condition && parsed.update) {
    return Status::Invalid("an unconditional --when-matched-delete leaves no matched row to "
                           "update; give the delete a --condition");
  }
  NL_ASSIGN_OR_RETURN(parsed.on, engine::ParseScalarExpression(spec.on, "--on condition"));
  if (spec.matched_delete_condition) {
    NL_ASSIGN_OR_RETURN(parsed.delete_condition,
                        engine::ParseScalarExpression(*spec.matched_delete_condition,
                                                      "--condition"));
  }
  if (spec.matched_update) {
    NL_ASSIGN_OR_RETURN(parsed.assignments,
                        engine::ParseAssignments(*spec.matched_update, "--when-matched-update"));
  }
  return parsed;
}

const engine::ColumnInfo* FindSourceColumn(const std::vector<engine::ColumnInfo>& columns,
                                           const std::string& name) {
  std::string lower = write_internal::Lower(name);
  for (const auto& column : columns) {
    if (write_internal::Lower(column.name) == lower) return &column;
  }
  return nullptr;
}

// The value of each table column for an updated row and for an inserted row (SQL over t and s).
struct ColumnValues {
  std::vector<std::string> update;
  std::vector<std::string> insert;
};

Result<ColumnValues> BuildValues(Engine& engine, const DmlScan& scan, const MergeSpec& spec,
                                 const ParsedMerge& parsed, const std::string& source,
                                 const std::vector<engine::ColumnInfo>& source_columns) {
  std::map<std::string, std::string> assigned;
  if (!parsed.assignments.empty()) {
    NL_ASSIGN_OR_RETURN(assigned, ResolveAssignments(engine, scan, parsed.assignments,
                                                     scan.Rows() + " AS t, " + source + " AS s",
                                                     "--when-matched-update"));
  }
  ColumnValues values;
  for (const auto& column : Columns(scan)) {
    std::string cast_to = " AS " + column.type + ")";
    const engine::ColumnInfo* from_source = FindSourceColumn(source_columns, column.name);
    auto by_name = [&](const char* clause) -> Result<std::string> {
      if (from_source == nullptr) {
        return Status::Invalid(std::string(clause) + ": the source has no column '" +
                               column.name + "'");
      }
      NL_RETURN_NOT_OK(CheckAssignable(column.name, column.type, from_source->type, clause));
      return "CAST(s." + Q(from_source->name) + cast_to;
    };
    std::string update = "NULL";
    if (parsed.update) {
      if (spec.matched_update_all) {
        NL_ASSIGN_OR_RETURN(update, by_name("--when-matched-update-all"));
      } else if (auto it = assigned.find(column.name); it != assigned.end()) {
        update = "CAST((" + it->second + ")" + cast_to;
      } else {
        update = "t." + Q(column.name);
      }
    }
    std::string insert = "NULL";
    if (spec.not_matched_insert_all) {
      NL_ASSIGN_OR_RETURN(insert, by_name("--when-not-matched-insert-all"));
    }
    values.update.push_back(update);
    values.insert.push_back(insert);
  }
  return values;
}

// CREATE TABLE <changes> AS ... (see the file comment).
std::string ChangesSql(const DmlScan& scan, const MergeSpec& spec, const ParsedMerge& parsed,
                       const ColumnValues& values, const std::string& source,
                       const std::string& changes) {
  std::string file = std::string("t.") + engine::kPositionFileColumn;
  std::string matched_delete;
  if (spec.matched_delete) {
    matched_delete = " WHEN " + parsed.delete_condition.value_or("true") + " THEN " +
                     std::to_string(kDeleteMatched);
  }
  std::string kind = "CASE WHEN " + file + " IS NULL THEN " + std::to_string(kInsert) +
                     " WHEN s.__nl_present IS NULL THEN " + std::to_string(kDeleteBySource) +
                     matched_delete +
                     (parsed.update ? " ELSE " + std::to_string(kUpdate)
                      : parsed.delete_condition ? " ELSE " + std::to_string(kMatchedNoAction)
                                                : std::string()) +
                     " END";
  std::string select = file + " AS " + engine::kPositionFileColumn + ", t." +
                       engine::kPositionRowColumn + " AS " + engine::kPositionRowColumn + ", " +
                       kind + " AS __nl_kind";
  const auto& columns = Columns(scan);
  for (size_t i = 0; i < columns.size(); ++i) {
    // Update values only for rows the update clause takes (not deleted ones).
    std::string guard = " WHEN s.__nl_present IS NULL THEN NULL";
    if (spec.matched_delete) {
      guard += " WHEN " + parsed.delete_condition.value_or("true") + " THEN NULL";
    }
    select += ", CASE WHEN " + file + " IS NULL THEN " + values.insert[i] + guard + " ELSE " +
              values.update[i] + " END AS " + Q(columns[i].name);
  }
  bool keep_target = spec.not_matched_by_source_delete;
  bool keep_source = spec.not_matched_insert_all;
  std::string join = keep_target && keep_source ? " FULL OUTER JOIN "
                     : keep_target              ? " LEFT JOIN "
                     : keep_source              ? " RIGHT JOIN "
                                                : " JOIN ";
  return "CREATE TABLE " + Q(changes) + " AS SELECT * FROM (SELECT " + select + " FROM " +
         scan.WithPositions() + " AS t" + join + "(SELECT *, true AS __nl_present FROM " +
         source + ") AS s ON (" + parsed.on + ")) WHERE __nl_kind IS NOT NULL";
}

Result<int64_t> CountOf(Engine& engine, const std::string& sql) {
  NL_ASSIGN_OR_RETURN(engine::Table table, engine.Query(sql));
  if (table.rows.empty() || table.rows[0].empty() || !table.rows[0][0]) return int64_t{0};
  return std::stoll(*table.rows[0][0]);
}

// One pass over the changes table's target rows: the positions to remove (kinds 1-3; a target
// row matched twice by an unconditional delete is one deletion), the update and delete counts,
// and (`check_repeats`) Delta's refusal of a target row matched by more than one source row.
Status CollectMergePositions(Engine& engine, const DmlScan& scan, const std::string& from,
                             bool check_repeats, dml_internal::Changes* changes) {
  Positions matched;  // kinds 1, 2 and 5, for the repeat check
  int64_t repeated = 0;
  auto sink = [&](const std::vector<engine::ColumnInfo>&, const engine::Table& rows) -> Status {
    for (const auto& row : rows.rows) {
      if (row.size() < 3 || !row[0] || !row[1] || !row[2]) {
        return Status::Internal("MERGE: a changed row without a position");
      }
      auto found = scan.file_by_uri.find(*row[0]);
      if (found == scan.file_by_uri.end()) {
        return Status::Internal("a row came from '" + *row[0] + "', not a file of the table");
      }
      uint64_t position = std::stoull(*row[1]);
      int kind = std::stoi(*row[2]);
      if (check_repeats && kind != kDeleteBySource) {
        DeletionVector& seen = matched[found->second];
        if (seen.Contains(position)) ++repeated;
        seen.Add(position);
      }
      if (kind == kMatchedNoAction) continue;
      if (kind == kUpdate) ++changes->rows_updated;
      changes->deleted[found->second].Add(position);
    }
    return Status::OK();
  };
  std::string sql = "SELECT " + std::string(engine::kPositionFileColumn) + ", " +
                    engine::kPositionRowColumn + ", __nl_kind" + from +
                    " WHERE __nl_kind IN (1, 2, 3, 5)";
  NL_RETURN_NOT_OK(engine.StreamQuery(sql, {}, sink).status());
  if (repeated > 0) {
    return Status::Invalid(
        "MERGE: target rows matched more than one source row (" + std::to_string(repeated) +
        " extra matches), so an update or delete would change them in possibly conflicting "
        "ways (Delta: DELTA_MULTIPLE_SOURCE_ROW_MATCHING_TARGET_ROW_IN_MERGE); de-duplicate the "
        "source on the ON keys");
  }
  int64_t removed = 0;
  for (const auto& [index, rows] : changes->deleted) {
    removed += static_cast<int64_t>(rows.Cardinality());
  }
  changes->rows_deleted = removed - changes->rows_updated;
  return Status::OK();
}

}  // namespace

Result<DmlResult> MergeRows(DeltaTable& table, const MergeSpec& spec, const DmlOptions& options) {
  NL_ASSIGN_OR_RETURN(ParsedMerge parsed, ParseMerge(spec));
  NL_ASSIGN_OR_RETURN(Engine * engine, table.GetEngine());
  NL_ASSIGN_OR_RETURN(DmlScan scan, OpenScan(table));
  TempTable changed(*engine);
  const std::string& changes_table = changed.name();

  Status built = engine::WithSourceRelation(
      *engine, spec.source.rows, [&](const std::string& relation) -> Status {
        std::string source = "(SELECT * FROM " + relation + ")";
        auto described = engine->Query("SELECT * FROM " + source + " LIMIT 0");
        if (!described.ok()) return described.status().WithContext("MERGE source");
        NL_ASSIGN_OR_RETURN(ColumnValues values, BuildValues(*engine, scan, spec, parsed, source,
                                                             described->columns));
        Status created =
            engine->Execute(ChangesSql(scan, spec, parsed, values, source, changes_table));
        if (!created.ok()) return Status::Invalid("MERGE: " + created.message());
        return Status::OK();
      });
  NL_RETURN_NOT_OK(built);

  std::string from = " FROM " + Q(changes_table);
  dml_internal::Changes changes;
  changes.operation = "MERGE";
  changes.parameters = {{"predicate", json(std::vector<std::string>{parsed.on}).dump()}};
  bool check_repeats = parsed.update || parsed.delete_condition.has_value();
  NL_RETURN_NOT_OK(CollectMergePositions(*engine, scan, from, check_repeats, &changes));
  NL_ASSIGN_OR_RETURN(changes.rows_inserted,
                      CountOf(*engine, "SELECT count(*)" + from + " WHERE __nl_kind = 4"));
  if (changes.rows_updated + changes.rows_inserted > 0) {
    std::string columns;
    for (const auto& column : Columns(scan)) {
      columns += (columns.empty() ? "" : ", ") + Q(column.name);
    }
    changes.new_rows_sql = "SELECT " + columns + from + " WHERE __nl_kind IN (1, 4)";
  }
  return ApplyChanges(table, *engine, scan, std::move(changes), options);
}

}  // namespace neuralake::delta
