// VACUUM: deletes data files that no table version inside the retention window needs.
//
// A file may go when (a) no version of the table from the last `retention` is referencing it:
// it is neither active in the latest snapshot nor a tombstone (remove action) deleted within the
// window, and (b) its object is itself older than the window, which protects files that a running
// writer has uploaded but not yet committed. Orphans of failed writers therefore go once they are
// older than the window. Files and folders whose names start with '_' or '.' (the log, hidden
// files) are never touched. A retention under the safety limit (7 days) is refused unless forced.
//
// Thread safety: safe beside writers and optimizers (it only deletes files nothing in the window
// references); readers of versions older than the window may lose files, as in Delta.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "neuralake/common/result.h"
#include "neuralake/delta/table.h"

namespace neuralake::delta {

inline constexpr double kMinimumRetentionHours = 168;

struct VacuumOptions {
  double retention_hours = kMinimumRetentionHours;
  bool force_retention = false;  // allow retention_hours < kMinimumRetentionHours
  bool dry_run = false;
};

struct VacuumResult {
  std::vector<std::string> deleted;  // paths relative to the table root (or would be, dry run)
  int64_t bytes = 0;
  int64_t files_scanned = 0;
  int64_t files_referenced = 0;
  int64_t version = -1;
};

Result<VacuumResult> Vacuum(DeltaTable& table, const VacuumOptions& options);

}  // namespace neuralake::delta
