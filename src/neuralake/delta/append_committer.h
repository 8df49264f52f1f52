// AppendCommitter: the one "commit, then checkpoint when due" step of every writer.
//
// The writer (append/overwrite/delete), the generator, TPC-H and ingestion each build a
// Transaction (adds, txn(appId, version) for exactly-once, operation and metrics) and hand it to
// AppendCommitter::Commit. Commit runs Transaction::Commit (optimistic retry against commuting
// concurrent commits, Conflict otherwise; idempotent skip for an already applied txn) and, after a
// successful commit, writes a checkpoint when the new version is due (delta.checkpointInterval).
// A failed checkpoint does not undo the commit: it is reported in CommitResult::post_commit_status.
//
// Thread safety: as DeltaTable's (checkpoints of one table may be written from many threads).
#pragma once

#include <memory>

#include "neuralake/common/result.h"
#include "neuralake/delta/transaction.h"

namespace neuralake::delta {

class DeltaTable;

class AppendCommitter {
 public:
  // `table` is borrowed and must outlive the committer.
  explicit AppendCommitter(DeltaTable* table, bool checkpoint_when_due = true)
      : table_(table), checkpoint_when_due_(checkpoint_when_due) {}

  // `base` with the checkpoint step chained after its own after_commit (if any).
  CommitOptions Options(CommitOptions base = {}) const;

  // Commits `transaction` with Options(base).
  Result<CommitResult> Commit(Transaction& transaction, CommitOptions base = {}) const;

 private:
  DeltaTable* table_;
  bool checkpoint_when_due_;
};

}  // namespace neuralake::delta
