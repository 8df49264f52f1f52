// Transaction: one optimistic commit to a Delta table.
//
// A writer first writes its immutable data files, then builds a Transaction on the snapshot it
// read, records what it read (nothing for a blind append, some partitions or the whole table for
// an overwrite or delete) and the actions it wants to commit, and calls Commit(). Commit writes
// `_delta_log/<read version + 1>.json` with PutIfAbsent. If another writer won that version, the
// winning commits are checked against what this transaction read and changed (the rules are in
// CheckWinningCommit below and docs/delta.md); if they do not conflict the commit is retried at
// the next free version (bounded attempts, jittered backoff), otherwise Commit returns Conflict
// and nothing of this transaction is visible.
//
// A transaction that carries txn(appId, version) is idempotent: if the snapshot already records a
// version >= that for the appId, Commit skips the write and reports `skipped`.
//
// Thread safety: a Transaction is used by one thread. Many transactions (in many threads or
// processes) may commit to one table concurrently; that is the point.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "neuralake/common/result.h"
#include "neuralake/delta/actions.h"
#include "neuralake/delta/log.h"
#include "neuralake/delta/snapshot.h"

namespace neuralake::delta {

// "neuralake/<version>", recorded as commitInfo.engineInfo.
std::string EngineInfo();
// A random (version 4) UUID in canonical text form.
std::string NewUuid();
// Milliseconds since the Unix epoch.
int64_t NowMs();

// What a transaction read, for conflict detection against concurrent commits.
struct ReadSet {
  bool whole_table = false;
  // Partitions read: a concurrent data-changing add whose partition values satisfy this conflicts.
  std::function<bool(const PartitionValues&)> partition_predicate;
  std::string predicate_text;  // for messages, e.g. "city = 'paris'"
  std::set<std::string> files;  // paths of files read; a concurrent remove of one conflicts

  bool IsBlind() const { return !whole_table && !partition_predicate && files.empty(); }
};

// What a transaction changes (derived from its actions).
struct WriteSet {
  std::set<std::string> removed_files;
  std::set<std::string> app_ids;
  std::set<std::string> domains;
  bool changes_metadata = false;
  bool changes_protocol = false;
};
WriteSet WriteSetOf(const std::vector<Action>& actions);

// Delta's conflict rules for one winning commit (version `winning_version`, its actions) against a
// transaction that read `read` and writes `write`. OK when they commute; Conflict otherwise, with a
// message naming the winning version and the file, partition or appId involved.
//  - a concurrent protocol or metaData change always conflicts;
//  - a concurrent txn for one of our appIds conflicts;
//  - a concurrent remove of a file we read or remove conflicts, as does any concurrent remove when
//    we read the whole table;
//  - a concurrent data-changing add conflicts when we read the whole table or the add's partition
//    satisfies our partition predicate (blind appends read nothing, so appends commute).
Status CheckWinningCommit(const ReadSet& read, const WriteSet& write, int64_t winning_version,
                          const std::vector<Action>& winning);

struct CommitOptions {
  int max_attempts = 20;
  int64_t backoff_base_ms = 2;
  int64_t backoff_max_ms = 250;
  // Test hook (a sync point): called before each commit attempt with the version about to be
  // attempted, after the data files were written. Tests use it to commit a rival transaction.
  std::function<void(int64_t attempt_version)> before_commit;
  // Called after a successful commit with the new snapshot (used to write checkpoints). Its
  // failure does not undo the commit; it is reported in CommitResult::post_commit_status.
  std::function<Status(const std::shared_ptr<const Snapshot>&)> after_commit;
};

struct CommitResult {
  int64_t version = -1;     // the version committed (or, when skipped, the snapshot's version)
  bool skipped = false;     // idempotent write already recorded: nothing was committed
  int attempts = 0;
  std::shared_ptr<const Snapshot> snapshot;  // the table state right after this commit
  Status post_commit_status;                 // outcome of CommitOptions::after_commit
};

class Transaction {
 public:
  // A transaction on an existing table, reading `read_snapshot`. `log` is borrowed.
  Transaction(const DeltaLog* log, std::shared_ptr<const Snapshot> read_snapshot);
  // A transaction creating a table (commits version 0; needs protocol and metaData actions).
  explicit Transaction(const DeltaLog* log);

  const std::shared_ptr<const Snapshot>& read_snapshot() const { return read_snapshot_; }

  void SetOperation(std::string operation, nlohmann::json parameters = nlohmann::json::object());
  // Extra commitInfo fields (e.g. operationMetrics).
  void SetCommitInfoField(const std::string& key, nlohmann::json value);

  void AddAction(Action action);
  void AddActions(std::vector<Action> actions);
  // Records txn(app_id, version) for idempotent writes.
  void SetAppTransaction(std::string app_id, int64_t version);

  ReadSet& read_set() { return read_; }
  void ReadWholeTable() { read_.whole_table = true; }
  void ReadPartitions(std::function<bool(const PartitionValues&)> predicate, std::string text);
  void ReadFile(const std::string& path) { read_.files.insert(path); }

  // True when the read snapshot already records txn(app_id) >= the version set above.
  bool AlreadyApplied() const;

  // Commits (see the file comment). Errors: Conflict (nothing of this transaction is in the
  // table), Invalid / Unsupported (refused before any attempt), or IOError / other store errors
  // when the outcome could not be established (the commit may or may not have landed; data files
  // must then be left for vacuum, not deleted).
  Result<CommitResult> Commit(const CommitOptions& options = {});

 private:
  nlohmann::json BuildCommitInfo(int64_t now_ms, std::optional<int64_t> in_commit_timestamp) const;
  Result<std::optional<int64_t>> InCommitTimestampFor(const Snapshot* base, int64_t now_ms) const;

  // The steps of Commit().
  // Refuses before any attempt: a creation without protocol and metaData, a protocol, table
  // feature or schema this writer does not support, a data-changing remove on an append-only table.
  Status CheckCommittable(const std::vector<Action>& actions) const;
  // commitInfo (first) followed by `actions`: what one attempt writes.
  std::vector<Action> CommitContent(const std::vector<Action>& actions, int64_t now_ms,
                                    std::optional<int64_t> in_commit_timestamp) const;
  // Writes `content` as `version` with put-if-absent. Returns the actions of this transaction's
  // commit at `version` (`content`, or what landed when the store reported a failure although the
  // write was applied), nullopt when another writer has that version, or an error when the outcome
  // is unknown.
  Result<std::optional<std::vector<Action>>> PutCommit(int64_t version,
                                                       std::vector<Action> content) const;
  struct WinnersChecked {
    int64_t next_version = 0;  // the first free version after the winners
    // This transaction's own commit, found at `next_version` among the winners (its success was
    // not reported to us); `replay` then holds the state before it.
    std::optional<std::vector<Action>> own_commit;
  };
  // After losing `from_version`: checks each winning commit from there on against what this
  // transaction read and writes (CheckWinningCommit; Conflict when one does not commute) and
  // applies it to `replay`.
  Result<WinnersChecked> CheckWinners(const WriteSet& write, int64_t from_version,
                                      LogReplay* replay) const;
  // Completes a commit of `committed` that landed at `version` on top of the state `before`: the
  // new snapshot, then CommitOptions::after_commit.
  Result<CommitResult> FinishCommit(const CommitOptions& options, CommitResult result,
                                    int64_t version, const std::vector<Action>& committed,
                                    LogReplay before, int64_t now_ms) const;

  const DeltaLog* log_;
  std::shared_ptr<const Snapshot> read_snapshot_;
  std::string operation_ = "WRITE";
  nlohmann::json operation_parameters_ = nlohmann::json::object();
  nlohmann::json extra_commit_info_ = nlohmann::json::object();
  std::vector<Action> actions_;
  std::optional<SetTransaction> app_transaction_;
  ReadSet read_;
  // Identifies this transaction's commit (commitInfo.txnId), so that a commit of ours that landed
  // although the store reported a failure (a lost response, a client-side retry) is recognized.
  std::string txn_id_ = NewUuid();
};

}  // namespace neuralake::delta
