// VACUUM: deletes data files that no table version inside the retention window needs.
//
// Every object below the table root (except the log and hidden paths) is one of three kinds in
// the snapshot VACUUM loads (a deletion-vector file below the root counts as named by every add or
// remove whose vector it holds, so it lives as long as the longest-lived of them):
//  - active: named by an add action of the latest version. Never deleted.
//  - tombstone: named by a remove action the snapshot still keeps. Deleted once the removal is
//    older than the retention window (versions before the removal need it until then).
//  - untracked: named by neither. That is an upload of a writer or a compactor that has not
//    committed yet (it may be committed a moment after VACUUM loaded its snapshot), or an orphan
//    of a writer that crashed. Deleted only when the object itself is older than
//    max(retention, kUntrackedFileGraceHours): the grace period is a hard floor that no option
//    (not even a forced retention of 0) lowers, so that an in-flight write survives.
// Just before deleting, VACUUM reloads the latest snapshot and keeps anything active there (a file
// re-added by a commit that landed during the listing). Files and folders whose names start with
// '_' or '.' (the log, hidden files) are never touched. A retention under the safety limit
// (7 days) is refused unless forced.
//
// Guarantee: whatever the options, the files of the latest version stay readable, provided that
// no write takes longer than the grace period between its first upload and its commit (OPTIMIZE
// commits at least every 10 minutes; see optimize.h). Readers of versions older than the window
// may lose files, as in Delta.
//
// Thread safety: safe beside writers, optimizers and other vacuums.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "neuralake/common/result.h"
#include "neuralake/delta/table.h"

namespace neuralake::delta {

inline constexpr double kMinimumRetentionHours = 168;
// Untracked files younger than this are never deleted, whatever the retention (see above).
inline constexpr double kUntrackedFileGraceHours = 1;

struct VacuumOptions {
  double retention_hours = kMinimumRetentionHours;
  bool force_retention = false;  // allow retention_hours < kMinimumRetentionHours
  bool dry_run = false;
  // Test hook (a sync point): called after the snapshot is loaded, before the store is listed.
  // Tests commit rival writes or compactions from it.
  std::function<void()> after_snapshot;
};

struct VacuumResult {
  std::vector<std::string> deleted;  // paths relative to the table root (or would be, dry run)
  int64_t bytes = 0;
  int64_t files_scanned = 0;
  int64_t files_referenced = 0;      // active files and tombstones inside the window
  int64_t untracked_kept = 0;        // untracked files kept as younger than the grace period
  double untracked_grace_hours = 0;  // max(retention, kUntrackedFileGraceHours)
  int64_t version = -1;
};

Result<VacuumResult> Vacuum(DeltaTable& table, const VacuumOptions& options);

}  // namespace neuralake::delta
