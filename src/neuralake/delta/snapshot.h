// Snapshot: the state of a Delta table at one version, and the pure log replay that builds it.
//
// A Snapshot is what a reader or writer works from: protocol, metadata (and parsed schema), the
// active data files, the latest txn version per application, the tombstones (removes) kept for
// vacuum and the domain metadata. It is immutable once built and shared as
// std::shared_ptr<const Snapshot> between threads.
//
// LogReplay applies the protocol's action reconciliation rules ("Action Reconciliation" in
// PROTOCOL.md) to actions handed to it: an optional checkpoint first, then JSON commits in version
// order. It does no I/O (see log.h for listing and reading), so it is tested on literal actions.
//
// The protocol checks (CheckReadSupported / CheckWriteSupported) decide whether this
// implementation may read or write a table, naming the first unsupported feature.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "neuralake/common/result.h"
#include "neuralake/delta/actions.h"
#include "neuralake/delta/schema.h"

namespace neuralake::delta {

// Well-known table properties.
inline constexpr std::string_view kCheckpointIntervalProperty = "delta.checkpointInterval";
inline constexpr std::string_view kLogRetentionProperty = "delta.logRetentionDuration";
inline constexpr std::string_view kDeletedFileRetentionProperty =
    "delta.deletedFileRetentionDuration";
inline constexpr std::string_view kTargetFileSizeProperty = "delta.targetFileSize";
inline constexpr std::string_view kAppendOnlyProperty = "delta.appendOnly";
inline constexpr std::string_view kColumnMappingModeProperty = "delta.columnMapping.mode";
inline constexpr std::string_view kInCommitTimestampsProperty = "delta.enableInCommitTimestamps";

enum class ColumnMappingMode { kNone, kName, kId };

struct Snapshot {
  std::string table_uri;
  int64_t version = -1;
  Protocol protocol;
  Metadata metadata;
  Schema schema;
  std::vector<AddFile> files;  // active logical files, sorted by path
  std::map<std::string, SetTransaction> app_transactions;
  std::vector<RemoveFile> tombstones;  // sorted by path
  std::map<std::string, DomainMetadata> domains;  // live (non-removed) domains
  // Commit timestamps (ms) of the versions replayed from JSON commits: inCommitTimestamp, else
  // commitInfo.timestamp, else the commit file's modification time.
  std::map<int64_t, int64_t> commit_timestamps;
  std::optional<int64_t> checkpoint_version;  // the checkpoint this snapshot was loaded from

  // The latest txn version recorded for `app_id`, if any.
  std::optional<int64_t> AppTransactionVersion(std::string_view app_id) const;
  int64_t TotalBytes() const;
  std::optional<std::string> Property(std::string_view key) const;
  // delta.checkpointInterval (default 100).
  int64_t CheckpointInterval() const;
  ColumnMappingMode column_mapping_mode() const;
  const std::vector<std::string>& partition_columns() const { return metadata.partition_columns; }
  // Timestamp of this version, when known (see commit_timestamps).
  std::optional<int64_t> VersionTimestamp() const;
};

class LogReplay {
 public:
  LogReplay() = default;
  // Continues from an existing snapshot (to apply newer commits without re-reading the log).
  explicit LogReplay(const Snapshot& base);

  // Applies a checkpoint's actions. Must come before any commit.
  Status ApplyCheckpoint(int64_t version, const std::vector<Action>& actions);
  // Applies one commit; versions must increase by one (after a checkpoint or from 0).
  Status ApplyCommit(int64_t version, const std::vector<Action>& actions,
                     int64_t file_modified_ms);

  int64_t version() const { return version_; }

  // The reconciled state. Corrupt when no protocol or metaData action was seen or the schema
  // does not parse.
  Result<Snapshot> Finish(std::string table_uri) const;

 private:
  void Apply(const Action& action);

  int64_t version_ = -1;
  std::optional<int64_t> checkpoint_version_;
  std::optional<Protocol> protocol_;
  std::optional<Metadata> metadata_;
  std::string metadata_source_;  // where metadata_ was read, for errors: a commit or checkpoint
  std::unordered_map<std::string, AddFile> files_;
  std::unordered_map<std::string, RemoveFile> tombstones_;
  std::map<std::string, SetTransaction> app_transactions_;
  std::map<std::string, DomainMetadata> domains_;
  std::map<int64_t, int64_t> commit_timestamps_;
};

// Whether neuralake can read a table with this protocol and metadata. Unsupported names the
// first missing feature ("table requires reader feature 'deletionVectors' which neuralake does
// not support").
Status CheckReadSupported(const Protocol& protocol, const Metadata& metadata);
// Whether neuralake can write it (implies CheckReadSupported); also refuses tables whose active
// features we cannot honour (column mapping, invariants, CHECK constraints, generated or
// identity columns).
Status CheckWriteSupported(const Protocol& protocol, const Metadata& metadata,
                           const Schema& schema);

// Reader features this implementation supports (for diagnostics and docs).
const std::vector<std::string>& SupportedReaderFeatures();
const std::vector<std::string>& SupportedWriterFeatures();

}  // namespace neuralake::delta
