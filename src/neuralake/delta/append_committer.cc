#include "neuralake/delta/append_committer.h"

#include <utility>

#include "neuralake/delta/checkpoint.h"

namespace neuralake::delta {

CommitOptions AppendCommitter::Options(CommitOptions base) const {
  if (!checkpoint_when_due_) return base;
  auto previous = std::move(base.after_commit);
  DeltaTable* table = table_;
  base.after_commit = [previous, table](const std::shared_ptr<const Snapshot>& snapshot) {
    if (previous) NL_RETURN_NOT_OK(previous(snapshot));
    return CheckpointIfDue(*table, *snapshot);
  };
  return base;
}

Result<CommitResult> AppendCommitter::Commit(Transaction& transaction, CommitOptions base) const {
  return transaction.Commit(Options(std::move(base)));
}

}  // namespace neuralake::delta
