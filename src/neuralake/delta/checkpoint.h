// Checkpoints and log cleanup.
//
// A checkpoint is the table state at one version as one Parquet file,
// `_delta_log/<version>.checkpoint.parquet`, with the Spark-compatible V1 schema: one nullable
// struct column per action type (txn, add, remove, metaData, protocol[, domainMetadata]) and one
// action per row; add.partitionValues and the other string maps are MAP<string,string>, add.stats
// is the JSON statistics string. The schema is described as engine::ColumnType and the file is
// encoded and decoded by the engine (engine/parquet_json.h: JSON action lines in; add fields as
// typed cells and other rows as JSON out). Reading accepts classic and multi-part checkpoints
// written by Spark, delta-rs or us.
//
// Tables with the v2Checkpoint feature (delta.checkpointPolicy=v2, as Spark writes them) get the
// same classic V1-spec checkpoint: PROTOCOL.md allows a classic V1 checkpoint on every table and
// forbids only multi-part ones there, and every V2-aware reader (Spark, delta-rs, us) reads it.
// We read every kind: V2 UUID-named JSON/Parquet checkpoints and their `_delta_log/_sidecars/`
// are resolved by DeltaLog::ReadCheckpoint (log.h), with this file's Parquet decoding.
//
// After a checkpoint, `_delta_log/_last_checkpoint` points to it. Log cleanup deletes JSON commits
// and checkpoints older than `delta.logRetentionDuration` (default 30 days), but only below a
// checkpoint that is itself old enough, so every retained version stays reconstructable; V2
// sidecars older than the cutoff that no retained checkpoint names are deleted with them.
//
// Thread safety: free functions; concurrent checkpoints of the same version write identical
// content (the protocol allows the last writer to win).
#pragma once

#include <cstdint>
#include <vector>

#include "neuralake/common/result.h"
#include "neuralake/delta/actions.h"
#include "neuralake/delta/log.h"
#include "neuralake/delta/snapshot.h"
#include "neuralake/engine/engine.h"
#include "neuralake/engine/parquet_json.h"

namespace neuralake::delta {

class DeltaTable;

// The Parquet columns of the checkpoints we write (Spark's V1 schema; a domainMetadata column when
// `with_domains`). Tests build V2 checkpoints and sidecars from it.
std::vector<engine::ParquetField> CheckpointSchema(bool with_domains);

// The actions stored in Parquet checkpoint files (all parts of a multi-part checkpoint in order,
// a UUID-named V2 checkpoint or sidecar files); see log.h's CheckpointReader.
Result<std::vector<Action>> ReadCheckpointActions(engine::Engine& engine, const DeltaTable& table,
                                                  const CheckpointFiles& files);

// The actions a checkpoint of `snapshot` contains: protocol, metaData, txns, live domain
// metadata, every active add (dataChange=false) and the tombstones not yet expired at `now_ms`
// (delta.deletedFileRetentionDuration, default 7 days).
std::vector<Action> CheckpointActions(const Snapshot& snapshot, int64_t now_ms);

// Writes the classic checkpoint of `snapshot` and then `_last_checkpoint` (unless that already
// points to a newer version). Returns what `_last_checkpoint` now says about this checkpoint.
Result<LastCheckpoint> WriteCheckpoint(DeltaTable& table, const Snapshot& snapshot);

struct CleanupResult {
  int64_t deleted_files = 0;
  std::optional<int64_t> retained_from_version;  // the checkpoint everything older was cut at
};

// Metadata cleanup (PROTOCOL.md "Metadata Cleanup"): with cutoff = now - retention, finds the
// newest checkpoint not newer than the newest commit older than the cutoff and deletes every
// commit, checkpoint and checksum file of an older version. Does nothing when there is no such
// checkpoint.
Result<CleanupResult> CleanupLog(DeltaTable& table, const Snapshot& latest, int64_t now_ms);

// After a commit: writes a checkpoint when `snapshot.version` is a positive multiple of
// delta.checkpointInterval, then cleans up the log.
Status CheckpointIfDue(DeltaTable& table, const Snapshot& snapshot);

}  // namespace neuralake::delta
