// DeltaLog: reading one table's `_delta_log/` through an ObjectStore.
//
// Knows the file naming of the log (20-digit zero-padded versions, classic, multi-part and
// UUID-named V2 checkpoints with their `_sidecars/`, `_last_checkpoint`), lists and reads commits,
// and builds Snapshots at the latest version, at a version or at a timestamp by handing the
// actions to LogReplay (snapshot.h).
// Checkpoint Parquet decoding is not done here: the caller passes a CheckpointReader (normally
// ReadCheckpointActions from checkpoint.h, which uses the engine), so the log logic is testable
// with a memory store and a fake reader. JSON V2 checkpoints are parsed here; the sidecar files a
// V2 checkpoint names are read through the same CheckpointReader.
//
// Thread safety: a DeltaLog only borrows the store and holds no mutable state; concurrent calls
// are fine if the store and the reader allow them.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "neuralake/common/result.h"
#include "neuralake/delta/actions.h"
#include "neuralake/delta/snapshot.h"
#include "neuralake/storage/object_store.h"

namespace neuralake::delta {

inline constexpr std::string_view kLogPrefix = "_delta_log/";
inline constexpr std::string_view kLastCheckpointKey = "_delta_log/_last_checkpoint";

std::string VersionString(int64_t version);  // 20-digit zero-padded
std::string CommitKey(int64_t version);      // "_delta_log/00000000000000000007.json"
std::string CheckpointKey(int64_t version);  // "_delta_log/<v>.checkpoint.parquet"
std::string CheckpointPartKey(int64_t version, int part, int parts);
inline constexpr std::string_view kSidecarPrefix = "_delta_log/_sidecars/";
// The key of the sidecar file a V2 checkpoint's `sidecar.path` names (a file name, a path
// relative to `_delta_log/_sidecars/` or an absolute URI into that folder; URI-encoded).
// Corrupt when the path does not lead into `_delta_log/_sidecars/`.
Result<std::string> SidecarKey(std::string_view sidecar_path);
// The sidecar file (key, size, modification time) a V2 checkpoint's `sidecar` action names.
// Corrupt when the action has no path or the path is not a sidecar's (SidecarKey).
Result<storage::ObjectInfo> SidecarFile(const nlohmann::json& sidecar);

// What a key below `_delta_log/` is.
struct LogFileName {
  enum class Kind { kCommit, kCheckpoint, kCheckpointPart, kUuidCheckpoint, kOther };
  Kind kind = Kind::kOther;
  int64_t version = -1;
  int part = 0;   // multi-part checkpoints: 1-based part number
  int parts = 0;  // and part count
};
LogFileName ParseLogFileName(std::string_view key);

// Contents of `_delta_log/_last_checkpoint`.
struct LastCheckpoint {
  int64_t version = -1;
  int64_t size = 0;                 // actions in the checkpoint
  std::optional<int64_t> parts;     // multi-part checkpoints
  std::optional<int64_t> size_in_bytes;
  std::optional<int64_t> num_of_add_files;
};
Result<LastCheckpoint> ParseLastCheckpoint(std::string_view text);
std::string SerializeLastCheckpoint(const LastCheckpoint& last);

// The files of one checkpoint (one for classic and UUID-named V2 checkpoints, all parts in order
// for multi-part). A checkpoint file whose key ends in ".json" is a JSON V2 checkpoint; every
// other one is Parquet. For V2 checkpoints these are the top-level files; their sidecars are read
// as a further CheckpointFiles of the `_delta_log/_sidecars/` files.
struct CheckpointFiles {
  int64_t version = -1;
  std::vector<storage::ObjectInfo> files;
};

// A listing of `_delta_log/` (possibly only from some version on).
struct LogListing {
  std::map<int64_t, storage::ObjectInfo> commits;
  // Complete checkpoints only, one per version: classic first, then UUID-named V2, then
  // multi-part (the protocol lets a reader pick any of several checkpoints of one version).
  std::map<int64_t, CheckpointFiles> checkpoints;
  // Multi-part checkpoints with missing parts: version -> the keys that are missing.
  std::map<int64_t, std::vector<std::string>> incomplete_checkpoints;

  std::optional<int64_t> LatestVersion() const;
  // The newest complete checkpoint at or below `version`.
  const CheckpointFiles* CheckpointAtOrBefore(int64_t version) const;
  // The earliest version a snapshot can be built for (0 with 0.json, else the oldest checkpoint).
  std::optional<int64_t> EarliestReconstructableVersion() const;
};

// Decodes the actions of Parquet checkpoint files (classic, multi-part, UUID-named V2 or V2
// sidecars) into actions; `sidecar` and `checkpointMetadata` rows come back as UnknownAction.
using CheckpointReader = std::function<Result<std::vector<Action>>(const CheckpointFiles&)>;

// One row of table history.
struct CommitRecord {
  int64_t version = -1;
  int64_t timestamp_ms = 0;  // as for Snapshot::commit_timestamps
  std::optional<CommitInfo> info;
};

class DeltaLog {
 public:
  // `store` is rooted at the table (keys "_delta_log/..."); `table_uri` names it in messages.
  DeltaLog(storage::ObjectStore* store, std::string table_uri, CheckpointReader reader);

  const std::string& table_uri() const { return table_uri_; }
  storage::ObjectStore* store() const { return store_; }

  // std::nullopt when there is no `_last_checkpoint`; Corrupt when it does not parse.
  Result<std::optional<LastCheckpoint>> ReadLastCheckpoint() const;

  // Lists the log; with `from_version`, only entries for versions >= from_version.
  Result<LogListing> List(std::optional<int64_t> from_version = std::nullopt) const;

  // The actions of one commit. NotFound when absent; Corrupt names the file and line.
  Result<std::vector<Action>> ReadCommit(int64_t version) const;

  // Latest version; NotFound when the location holds no Delta table.
  Result<int64_t> LatestVersion() const;

  // The snapshot at `version` (latest when nullopt). NotFound when the table or the version does
  // not exist; Invalid when the version is older than the earliest reconstructable one; Corrupt
  // for a damaged log (missing commits, `_last_checkpoint` naming a missing checkpoint part).
  // Does not check protocol support (see CheckReadSupported).
  Result<std::shared_ptr<const Snapshot>> LoadSnapshot(
      std::optional<int64_t> version = std::nullopt) const;

  // The snapshot of the latest version whose commit timestamp is <= `timestamp_ms`.
  // Invalid when the timestamp is before the earliest retained version.
  Result<std::shared_ptr<const Snapshot>> LoadSnapshotAtTimestamp(int64_t timestamp_ms) const;

  // The version the snapshot at `timestamp_ms` would have (see LoadSnapshotAtTimestamp).
  Result<int64_t> VersionAtTimestamp(int64_t timestamp_ms) const;

  // `base` advanced to the latest version (or to `version`) by replaying newer commits; returns
  // `base` itself when there is nothing newer.
  Result<std::shared_ptr<const Snapshot>> Update(std::shared_ptr<const Snapshot> base,
                                                 std::optional<int64_t> version = std::nullopt) const;

  // The actions of a checkpoint. With `resolve_sidecars`: the top-level file (JSON or Parquet),
  // then the add/remove actions of every sidecar a V2 checkpoint names, with the `sidecar` and
  // `checkpointMetadata` actions checked (Corrupt on a version mismatch or a missing sidecar,
  // naming the file) and dropped. Without it: the top-level actions as stored, `sidecar` actions
  // included (as UnknownAction).
  Result<std::vector<Action>> ReadCheckpoint(const CheckpointFiles& checkpoint,
                                             bool resolve_sidecars = true) const;

  // Commits newest first (at most `limit` when > 0), with their commitInfo.
  Result<std::vector<CommitRecord>> History(int64_t limit = 0) const;

 private:
  Result<std::shared_ptr<const Snapshot>> Build(const LogListing& listing,
                                                const CheckpointFiles* checkpoint,
                                                int64_t version) const;
  Result<int64_t> CommitTimestamp(int64_t version, const storage::ObjectInfo& info) const;
  // Reads commits [from, to] (fetched concurrently) and applies them in order.
  Status ReplayCommits(const LogListing& listing, int64_t from, int64_t to,
                       LogReplay* replay) const;

  storage::ObjectStore* store_;
  std::string table_uri_;
  CheckpointReader checkpoint_reader_;
};

}  // namespace neuralake::delta
