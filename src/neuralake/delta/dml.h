// Row-level DML: DELETE, UPDATE and MERGE by any predicate.
//
// Every operation has the same two steps:
//  1. Find: one engine query over the table's scan plan with row positions
//     (lake_scan(..., __nl_positions => true), engine/lake_scan.h) gives the positions of the rows
//     the operation removes, per data file, and (UPDATE, MERGE) the rows it writes: updated rows
//     and inserted rows, materialized once in the engine so positions and new rows agree.
//  2. Apply, in one of two modes:
//     - deletion vectors (the table has `delta.enableDeletionVectors=true` and the
//       deletionVectors table feature): each touched file's old vector and new positions are
//       united and written, for the whole commit, into one DV file
//       (`deletion_vector_<uuid>.bin`, deletion_vector.h); the commit removes the file with its old
//       vector and adds it back with the new one (stats kept, `tightBounds: false`). A file whose
//       rows are all deleted is removed.
//     - copy-on-write (other tables, or DmlMode::kCopyOnWrite): each touched file's surviving rows
//       are rewritten through the same scan path (its plan carries the united vector) and the old
//       file is removed.
//     New rows (updates, inserts) are written as new files in both modes; CHECK constraints and
//     NOT NULL fields are enforced on everything written. Then one commit (transaction.h): it
//     reads the touched files, so a concurrent commit that removed one of them is a Conflict,
//     while concurrent appends commute.
// A DELETE whose predicate names partition columns only removes whole files (no scan).
//
// Predicates, SET lists and MERGE conditions are SQL over the table's columns (MERGE: `t.` for the
// target, `s.` for the source), parsed by DuckDB's parser before anything runs
// (engine/sql_expressions.h). A NULL predicate result selects nothing, as in SQL.
//
// Failure leaves the table unchanged: nothing is committed; data and DV files written before a
// failed commit are deleted again (or left for VACUUM when the outcome is unknown).
//
// Thread safety: as writer.h; many processes may change one table, serialized by optimistic
// commits.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "neuralake/common/result.h"
#include "neuralake/delta/table.h"
#include "neuralake/delta/transaction.h"
#include "neuralake/delta/writer.h"

namespace neuralake::delta {

enum class DmlMode {
  kAuto,             // deletion vectors when the table has them enabled, else copy-on-write
  kCopyOnWrite,      // rewrite touched files
  kDeletionVectors,  // Invalid on a table without deletion vectors enabled
};

struct DmlOptions {
  DmlMode mode = DmlMode::kAuto;
  std::optional<int64_t> target_file_size;  // of files written (as WriteOptions)
  std::optional<std::string> app_id;         // idempotent: txn(app_id, app_version)
  int64_t app_version = 0;
  CommitOptions commit;
  bool checkpoint_when_due = true;
  // Test hook: called after every data and DV file is written, before the commit (kill -9 tests).
  std::function<void()> before_commit;
};

struct DmlResult {
  int64_t version = -1;  // committed version (the unchanged version when nothing was committed)
  bool committed = false;
  bool skipped = false;  // idempotent write already applied
  std::string mode;      // "deletion-vectors", "copy-on-write" or "metadata-only"
  int64_t rows_deleted = 0;
  int64_t rows_updated = 0;
  int64_t rows_inserted = 0;
  int64_t rows_copied = 0;       // copy-on-write: unchanged rows rewritten
  int64_t files_removed = 0;     // data files no longer in the table
  int64_t files_added = 0;       // new data files
  int64_t deletion_vectors = 0;  // files that got a new deletion vector
  int64_t files_touched = 0;     // data files the operation changed
  Status post_commit_status;
  std::shared_ptr<const Snapshot> snapshot;
};

// DELETE FROM table WHERE predicate.
Result<DmlResult> DeleteRows(DeltaTable& table, const std::string& predicate,
                             const DmlOptions& options = {});

// UPDATE table SET <set_list> [WHERE predicate]; `set_list` is "col = expr, ...". Unknown columns
// and values whose type does not fit the column (a string into a number, ...) are Invalid.
Result<DmlResult> UpdateRows(DeltaTable& table, const std::string& set_list,
                             const std::optional<std::string>& predicate,
                             const DmlOptions& options = {});

struct MergeSpec {
  DataSource source;  // the source rows, named `s` in conditions and expressions
  std::string on;     // e.g. "t.id = s.id"
  // WHEN MATCHED [AND delete_condition] THEN DELETE: evaluated before the update clause.
  bool matched_delete = false;
  std::optional<std::string> matched_delete_condition;
  // WHEN MATCHED THEN UPDATE SET <matched_update> ("col = s.col, ...") or SET * (by name).
  std::optional<std::string> matched_update;
  bool matched_update_all = false;
  bool not_matched_insert_all = false;         // WHEN NOT MATCHED THEN INSERT * (by name)
  bool not_matched_by_source_delete = false;   // WHEN NOT MATCHED BY SOURCE THEN DELETE
};

// MERGE INTO table t USING source s ON <on> ... A target row matched by more than one source row
// is an error (nothing written) unless the only matched clause is an unconditional delete, as in
// Delta (DELTA_MULTIPLE_SOURCE_ROW_MATCHING_TARGET_ROW_IN_MERGE).
Result<DmlResult> MergeRows(DeltaTable& table, const MergeSpec& spec,
                            const DmlOptions& options = {});

// Whether DML on this snapshot writes deletion vectors under DmlMode::kAuto.
bool DeletionVectorsEnabled(const Snapshot& snapshot);

}  // namespace neuralake::delta
