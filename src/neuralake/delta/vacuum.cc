#include "neuralake/delta/vacuum.h"

#include <chrono>
#include <cmath>
#include <unordered_set>

#include "neuralake/delta/transaction.h"

namespace neuralake::delta {
namespace {

// Paths below the table root that VACUUM must never consider: the log and anything hidden.
bool IsProtected(const std::string& key) {
  size_t start = 0;
  while (start < key.size()) {
    size_t slash = key.find('/', start);
    std::string_view part(key.data() + start,
                          (slash == std::string::npos ? key.size() : slash) - start);
    if (!part.empty() && (part.front() == '_' || part.front() == '.')) return true;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return false;
}

}  // namespace

Result<VacuumResult> Vacuum(DeltaTable& table, const VacuumOptions& options) {
  if (!(options.retention_hours >= 0) || !std::isfinite(options.retention_hours)) {
    return Status::Invalid("retention must be a non-negative number of hours");
  }
  if (options.retention_hours < kMinimumRetentionHours && !options.force_retention) {
    return Status::Invalid(
        "retention of " + std::to_string(options.retention_hours) +
        " hours is below the safety limit of 168 hours (7 days): readers and writers inside "
        "that window could lose files; pass --force-retention to override");
  }
  NL_ASSIGN_OR_RETURN(bool exists, table.Exists());
  if (!exists) {
    return Status::NotFound("'" + table.uri() + "' is not a Delta table (no _delta_log/)");
  }
  NL_ASSIGN_OR_RETURN(auto snapshot, table.LoadSnapshot());
  int64_t cutoff = NowMs() - static_cast<int64_t>(options.retention_hours * 3600.0 * 1000.0);

  std::unordered_set<std::string> referenced;
  for (const AddFile& file : snapshot->files) referenced.insert(file.path);
  for (const RemoveFile& tombstone : snapshot->tombstones) {
    // A file removed inside the window is still needed by the versions before its removal.
    if (tombstone.deletion_timestamp.value_or(0) >= cutoff) referenced.insert(tombstone.path);
  }

  VacuumResult result;
  result.version = snapshot->version;
  result.files_referenced = static_cast<int64_t>(referenced.size());
  NL_ASSIGN_OR_RETURN(auto objects, table.store().List(""));
  for (const auto& object : objects) {
    if (IsProtected(object.key)) continue;
    ++result.files_scanned;
    if (referenced.count(object.key) > 0) continue;
    if (object.modified_ms >= cutoff) continue;  // may belong to a writer that has not committed
    result.deleted.push_back(object.key);
    result.bytes += object.size;
  }
  if (!options.dry_run) {
    for (const std::string& path : result.deleted) {
      NL_RETURN_NOT_OK(table.store().Delete(path).WithContext("vacuum"));
    }
  }
  return result;
}

}  // namespace neuralake::delta
