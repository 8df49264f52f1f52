#include "neuralake/delta/vacuum.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <unordered_set>

#include "neuralake/delta/deletion_vector.h"
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

int64_t HoursToMs(double hours) { return static_cast<int64_t>(hours * 3600.0 * 1000.0); }

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
  // vacuumProtocolCheck: VACUUM deletes files, so it must also understand every writer feature.
  if (snapshot->protocol.HasWriterFeature("vacuumProtocolCheck")) {
    NL_RETURN_NOT_OK(
        CheckWriteSupported(snapshot->protocol, snapshot->metadata, snapshot->schema));
  }
  if (options.after_snapshot) options.after_snapshot();
  const int64_t now = NowMs();
  const double grace_hours = std::max(options.retention_hours, kUntrackedFileGraceHours);
  const int64_t removed_cutoff = now - HoursToMs(options.retention_hours);
  const int64_t untracked_cutoff = now - HoursToMs(grace_hours);

  // Files are compared by the URI a reader would open, so that an absolute path in the log naming
  // a file below the table root protects that file too.
  auto uri_of = [&table](const std::string& path) { return table.DataFileUri(path); };
  // A data file and the deletion-vector file below the table root that its action names.
  auto insert_uris = [&](std::unordered_set<std::string>& set, const std::string& path,
                         const std::optional<DeletionVectorDescriptor>& dv) {
    set.insert(uri_of(path));
    if (!dv || dv->storage_type == "i") return;
    auto location = LocateDeletionVector(*dv, table.uri());
    if (location.ok() && location->in_table) set.insert(uri_of(location->path));
  };
  std::unordered_set<std::string> referenced;   // active, or removed inside the window
  std::unordered_set<std::string> tombstoned;   // removed before the window
  for (const AddFile& file : snapshot->files) {
    insert_uris(referenced, file.path, file.deletion_vector);
  }
  for (const RemoveFile& tombstone : snapshot->tombstones) {
    // A file removed inside the window is still needed by the versions before its removal.
    if (tombstone.deletion_timestamp.value_or(0) >= removed_cutoff) {
      insert_uris(referenced, tombstone.path, tombstone.deletion_vector);
    } else {
      insert_uris(tombstoned, tombstone.path, tombstone.deletion_vector);
    }
  }

  VacuumResult result;
  result.version = snapshot->version;
  result.files_referenced = static_cast<int64_t>(referenced.size());
  result.untracked_grace_hours = grace_hours;
  NL_ASSIGN_OR_RETURN(auto objects, table.store().List(""));
  std::vector<const storage::ObjectInfo*> candidates;
  for (const auto& object : objects) {
    if (IsProtected(object.key)) continue;
    ++result.files_scanned;
    std::string uri = uri_of(object.key);
    if (referenced.count(uri) > 0) continue;
    if (object.modified_ms >= removed_cutoff) continue;  // written inside the window
    if (tombstoned.count(uri) == 0 && object.modified_ms >= untracked_cutoff) {
      ++result.untracked_kept;  // an upload that may be committed any moment
      continue;
    }
    candidates.push_back(&object);
  }
  if (!candidates.empty()) {
    // Commits that landed since the snapshot was loaded: what they made active stays.
    NL_ASSIGN_OR_RETURN(auto latest, table.log().Update(snapshot));
    std::unordered_set<std::string> active;
    if (latest != snapshot) {
      for (const AddFile& file : latest->files) {
        insert_uris(active, file.path, file.deletion_vector);
      }
    }
    for (const storage::ObjectInfo* object : candidates) {
      if (active.count(uri_of(object->key)) > 0) continue;
      result.deleted.push_back(object->key);
      result.bytes += object->size;
    }
  }
  if (!options.dry_run) {
    for (const std::string& path : result.deleted) {
      NL_RETURN_NOT_OK(table.store().Delete(path).WithContext("vacuum"));
    }
  }
  return result;
}

}  // namespace neuralake::delta
