#include "neuralake/delta/transaction.h"

#include <chrono>
#include <cstdio>
#include <random>
#include <thread>

#include "neuralake/common/uuid.h"

namespace neuralake::delta {
namespace {

std::mt19937_64& Random() {
  thread_local std::mt19937_64 generator(std::random_device{}() ^
                                         static_cast<uint64_t>(
                                             std::chrono::steady_clock::now()
                                                 .time_since_epoch()
                                                 .count()));
  return generator;
}

std::string PartitionText(const PartitionValues& values) {
  if (values.empty()) return "the table";
  std::string out = "partition ";
  bool first = true;
  for (const auto& [key, value] : values) {
    if (!first) out += "/";
    first = false;
    out += key + "=" + value.value_or("null");
  }
  return out;
}

std::string WinnerText(int64_t version, const std::vector<Action>& actions) {
  std::string operation;
  for (const auto& action : actions) {
    if (const auto* info = std::get_if<CommitInfo>(&action)) operation = info->Operation();
  }
  std::string text = "version " + std::to_string(version);
  if (!operation.empty()) text += " (" + operation + ")";
  return text;
}

bool HasTxnId(const std::vector<Action>& actions, const std::string& txn_id) {
  for (const auto& action : actions) {
    const auto* info = std::get_if<CommitInfo>(&action);
    if (info == nullptr || !info->fields.is_object()) continue;
    auto it = info->fields.find("txnId");
    if (it != info->fields.end() && it->is_string() && it->get<std::string>() == txn_id) {
      return true;
    }
  }
  return false;
}

const Metadata* LastMetadata(const std::vector<Action>& actions) {
  const Metadata* found = nullptr;
  for (const auto& action : actions) {
    if (const auto* metadata = std::get_if<Metadata>(&action)) found = metadata;
  }
  return found;
}

const Protocol* LastProtocol(const std::vector<Action>& actions) {
  const Protocol* found = nullptr;
  for (const auto& action : actions) {
    if (const auto* protocol = std::get_if<Protocol>(&action)) found = protocol;
  }
  return found;
}

// Jittered exponential backoff before retry `attempt + 1`, so that a crowd of writers spreads out.
void SleepBeforeRetry(const CommitOptions& options, int attempt) {
  int64_t cap = std::min(options.backoff_max_ms, options.backoff_base_ms << std::min(attempt, 10));
  if (cap > 0) {
    std::uniform_int_distribution<int64_t> jitter(0, cap);
    std::this_thread::sleep_for(std::chrono::milliseconds(jitter(Random())));
  }
}

}  // namespace

std::string EngineInfo() { return "neuralake/0.1.0"; }

std::string NewUuid() {
  std::uniform_int_distribution<uint64_t> dist;
  uint64_t high = dist(Random());
  uint64_t low = dist(Random());
  return FormatUuidV4(high, low);
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

WriteSet WriteSetOf(const std::vector<Action>& actions) {
  WriteSet write;
  for (const auto& action : actions) {
    if (const auto* remove = std::get_if<RemoveFile>(&action)) {
      write.removed_files.insert(remove->path);
    } else if (const auto* txn = std::get_if<SetTransaction>(&action)) {
      write.app_ids.insert(txn->app_id);
    } else if (const auto* domain = std::get_if<DomainMetadata>(&action)) {
      write.domains.insert(domain->domain);
    } else if (std::holds_alternative<Metadata>(action)) {
      write.changes_metadata = true;
    } else if (std::holds_alternative<Protocol>(action)) {
      write.changes_protocol = true;
    }
  }
  return write;
}

Status CheckWinningCommit(const ReadSet& read, const WriteSet& write, int64_t winning_version,
                          const std::vector<Action>& winning) {
  auto conflict = [&](const std::string& what) {
    return Status::Conflict("concurrent commit: " + WinnerText(winning_version, winning) + " " +
                            what + "; re-run the operation on the new table version");
  };
  for (const auto& action : winning) {
    if (std::holds_alternative<Protocol>(action)) {
      return conflict("changed the table protocol");
    }
    if (std::holds_alternative<Metadata>(action)) {
      return conflict("changed the table metadata (schema, partitioning or properties)");
    }
    if (const auto* txn = std::get_if<SetTransaction>(&action)) {
      if (write.app_ids.count(txn->app_id) > 0) {
        return conflict("committed a transaction for the same application id '" + txn->app_id +
                        "' (version " + std::to_string(txn->version) + ")");
      }
    } else if (const auto* domain = std::get_if<DomainMetadata>(&action)) {
      if (write.domains.count(domain->domain) > 0) {
        return conflict("changed the same metadata domain '" + domain->domain + "'");
      }
    } else if (const auto* remove = std::get_if<RemoveFile>(&action)) {
      if (write.removed_files.count(remove->path) > 0) {
        return conflict("removed file '" + remove->path + "', which this transaction also removes");
      }
      if (read.files.count(remove->path) > 0 || read.whole_table) {
        return conflict("removed file '" + remove->path + "', which this transaction read");
      }
      if (read.partition_predicate && remove->partition_values &&
          read.partition_predicate(*remove->partition_values)) {
        return conflict("removed file '" + remove->path + "' from " +
                        PartitionText(*remove->partition_values) +
                        ", which this transaction read");
      }
    } else if (const auto* add = std::get_if<AddFile>(&action)) {
      if (!add->data_change) continue;  // a rearrangement (compaction) adds no new data
      if (read.whole_table) {
        return conflict("added file '" + add->path + "' to the table, which this transaction read");
      }
      if (read.partition_predicate && read.partition_predicate(add->partition_values)) {
        std::string where = read.predicate_text.empty() ? "" : " (" + read.predicate_text + ")";
        return conflict("added file '" + add->path + "' to " + PartitionText(add->partition_values) +
                        ", which this transaction read" + where);
      }
    }
  }
  return Status::OK();
}

Transaction::Transaction(const DeltaLog* log, std::shared_ptr<const Snapshot> read_snapshot)
    : log_(log), read_snapshot_(std::move(read_snapshot)) {}

Transaction::Transaction(const DeltaLog* log) : log_(log) {}

void Transaction::SetOperation(std::string operation, nlohmann::json parameters) {
  operation_ = std::move(operation);
  operation_parameters_ = std::move(parameters);
}

void Transaction::SetCommitInfoField(const std::string& key, nlohmann::json value) {
  extra_commit_info_[key] = std::move(value);
}

void Transaction::AddAction(Action action) { actions_.push_back(std::move(action)); }

void Transaction::AddActions(std::vector<Action> actions) {
  for (auto& action : actions) actions_.push_back(std::move(action));
}

void Transaction::SetAppTransaction(std::string app_id, int64_t version) {
  app_transaction_ = SetTransaction{std::move(app_id), version, NowMs()};
}

void Transaction::ReadPartitions(std::function<bool(const PartitionValues&)> predicate,
                                 std::string text) {
  read_.partition_predicate = std::move(predicate);
  read_.predicate_text = std::move(text);
}

bool Transaction::AlreadyApplied() const {
  if (!app_transaction_ || !read_snapshot_) return false;
  auto recorded = read_snapshot_->AppTransactionVersion(app_transaction_->app_id);
  return recorded && *recorded >= app_transaction_->version;
}

nlohmann::json Transaction::BuildCommitInfo(int64_t now_ms,
                                            std::optional<int64_t> in_commit_timestamp) const {
  nlohmann::json info = nlohmann::json::object();
  if (in_commit_timestamp) info["inCommitTimestamp"] = *in_commit_timestamp;
  info["timestamp"] = now_ms;
  info["operation"] = operation_;
  // Spark and delta-rs record parameter values as strings.
  nlohmann::json parameters = nlohmann::json::object();
  for (auto it = operation_parameters_.begin(); it != operation_parameters_.end(); ++it) {
    parameters[it.key()] = it.value().is_string() ? it.value() : nlohmann::json(it.value().dump());
  }
  info["operationParameters"] = parameters;
  if (read_snapshot_) info["readVersion"] = read_snapshot_->version;
  info["isolationLevel"] = "Serializable";
  bool blind = read_.IsBlind() && WriteSetOf(actions_).removed_files.empty() &&
               LastMetadata(actions_) == nullptr;
  info["isBlindAppend"] = blind;
  for (auto it = extra_commit_info_.begin(); it != extra_commit_info_.end(); ++it) {
    info[it.key()] = it.value();
  }
  info["engineInfo"] = EngineInfo();
  info["txnId"] = txn_id_;
  return info;
}

Result<std::optional<int64_t>> Transaction::InCommitTimestampFor(const Snapshot* base,
                                                                 int64_t now_ms) const {
  const Metadata* metadata = LastMetadata(actions_);
  if (metadata == nullptr && base != nullptr) metadata = &base->metadata;
  if (metadata == nullptr) return std::optional<int64_t>();
  auto it = metadata->configuration.find(std::string(kInCommitTimestampsProperty));
  if (it == metadata->configuration.end() || it->second != "true") {
    return std::optional<int64_t>();
  }
  int64_t previous = -1;
  if (base != nullptr) {
    if (auto known = base->VersionTimestamp()) {
      previous = *known;
    } else {
      NL_ASSIGN_OR_RETURN(auto actions, log_->ReadCommit(base->version));
      for (const auto& action : actions) {
        if (const auto* info = std::get_if<CommitInfo>(&action)) {
          previous = info->InCommitTimestamp().value_or(info->Timestamp().value_or(-1));
        }
      }
    }
  }
  return std::optional<int64_t>(std::max(now_ms, previous + 1));
}

Status Transaction::CheckCommittable(const std::vector<Action>& actions) const {
  // What the committed table must satisfy: the protocol and metadata after this commit.
  const Protocol* new_protocol = LastProtocol(actions);
  const Metadata* new_metadata = LastMetadata(actions);
  if (!read_snapshot_) {
    if (new_protocol == nullptr || new_metadata == nullptr) {
      return Status::Invalid("creating a table needs protocol and metaData actions");
    }
  }
  const Protocol& protocol = new_protocol ? *new_protocol : read_snapshot_->protocol;
  const Metadata& metadata = new_metadata ? *new_metadata : read_snapshot_->metadata;
  Schema parsed;
  const Schema* schema = nullptr;
  if (new_metadata != nullptr) {
    auto result_schema = ParseSchema(new_metadata->schema_string);
    if (!result_schema.ok()) return result_schema.status();
    parsed = std::move(result_schema).value();
    schema = &parsed;
  } else {
    schema = &read_snapshot_->schema;
  }
  NL_RETURN_NOT_OK(CheckWriteSupported(protocol, metadata, *schema));
  if (!read_snapshot_) return Status::OK();
  NL_RETURN_NOT_OK(CheckWriteSupported(read_snapshot_->protocol, read_snapshot_->metadata,
                                       read_snapshot_->schema));
  auto append_only = read_snapshot_->Property(kAppendOnlyProperty);
  if (append_only && *append_only == "true") {
    for (const auto& action : actions) {
      const auto* remove = std::get_if<RemoveFile>(&action);
      if (remove != nullptr && remove->data_change) {
        return Status::Invalid("table '" + log_->table_uri() +
                               "' is append-only (delta.appendOnly=true): data cannot be "
                               "removed or overwritten");
      }
    }
  }
  return Status::OK();
}

std::vector<Action> Transaction::CommitContent(const std::vector<Action>& actions, int64_t now_ms,
                                               std::optional<int64_t> in_commit_timestamp) const {
  CommitInfo info;
  info.fields = BuildCommitInfo(now_ms, in_commit_timestamp);
  std::vector<Action> content;
  content.reserve(actions.size() + 1);
  content.push_back(info);  // first, as in-commit timestamps require
  for (const auto& action : actions) content.push_back(action);
  return content;
}

Result<std::optional<std::vector<Action>>> Transaction::PutCommit(
    int64_t version, std::vector<Action> content) const {
  std::string key = CommitKey(version);
  Status put = log_->store()->PutIfAbsent(key, SerializeCommit(content));
  if (put.ok()) return std::optional<std::vector<Action>>(std::move(content));
  if (!put.IsConflict()) {
    // The outcome is unknown (the request may have been applied): look before giving up.
    auto landed = log_->ReadCommit(version);
    if (!landed.ok()) {
      return Status(put.code(), "committing " + key + ": " + put.message() +
                                    " (the commit may or may not have been applied)");
    }
    if (HasTxnId(*landed, txn_id_)) {
      return std::optional<std::vector<Action>>(std::move(landed).value());
    }
  }
  return std::optional<std::vector<Action>>();  // another writer has that version
}

Result<Transaction::WinnersChecked> Transaction::CheckWinners(const WriteSet& write,
                                                              int64_t from_version,
                                                              LogReplay* replay) const {
  WinnersChecked checked;
  checked.next_version = from_version;
  while (true) {
    auto winning = log_->ReadCommit(checked.next_version);
    if (!winning.ok()) {
      if (winning.status().IsNotFound()) break;
      return winning.status();
    }
    if (HasTxnId(*winning, txn_id_)) {
      // Our own commit, applied by an attempt whose success was not reported to us (e.g. a
      // store-level retry of a put-if-absent whose first response was lost).
      checked.own_commit = std::move(winning).value();
      return checked;
    }
    NL_RETURN_NOT_OK(CheckWinningCommit(read_, write, checked.next_version, *winning));
    NL_RETURN_NOT_OK(replay->ApplyCommit(checked.next_version, *winning, NowMs()));
    ++checked.next_version;
  }
  return checked;
}

Result<CommitResult> Transaction::FinishCommit(const CommitOptions& options, CommitResult result,
                                               int64_t version,
                                               const std::vector<Action>& committed,
                                               LogReplay before, int64_t now_ms) const {
  NL_RETURN_NOT_OK(before.ApplyCommit(version, committed, now_ms));
  NL_ASSIGN_OR_RETURN(Snapshot snapshot, before.Finish(log_->table_uri()));
  result.version = version;
  result.snapshot = std::make_shared<Snapshot>(std::move(snapshot));
  if (options.after_commit) result.post_commit_status = options.after_commit(result.snapshot);
  return result;
}

Result<CommitResult> Transaction::Commit(const CommitOptions& options) {
  CommitResult result;
  if (AlreadyApplied()) {
    result.skipped = true;
    result.version = read_snapshot_->version;
    result.snapshot = read_snapshot_;
    return result;
  }
  std::vector<Action> actions = actions_;
  if (app_transaction_) actions.push_back(*app_transaction_);
  WriteSet write = WriteSetOf(actions);
  NL_RETURN_NOT_OK(CheckCommittable(actions));

  std::shared_ptr<const Snapshot> base = read_snapshot_;
  int64_t attempt_version = read_snapshot_ ? read_snapshot_->version + 1 : 0;
  int max_attempts = std::max(1, options.max_attempts);
  for (int attempt = 1; attempt <= max_attempts; ++attempt) {
    result.attempts = attempt;
    if (options.before_commit) options.before_commit(attempt_version);
    int64_t now = NowMs();
    NL_ASSIGN_OR_RETURN(std::optional<int64_t> ict, InCommitTimestampFor(base.get(), now));
    NL_ASSIGN_OR_RETURN(std::optional<std::vector<Action>> landed,
                        PutCommit(attempt_version, CommitContent(actions, now, ict)));
    if (landed) {
      return FinishCommit(options, result, attempt_version, *landed,
                          base ? LogReplay(*base) : LogReplay(), now);
    }
    if (!read_snapshot_) {
      auto existing = log_->ReadCommit(0);
      if (existing.ok() && HasTxnId(*existing, txn_id_)) {
        return FinishCommit(options, result, 0, *existing, LogReplay(), now);
      }
      return Status::Conflict("table '" + log_->table_uri() +
                              "' was created concurrently by another writer");
    }
    // Someone else won `attempt_version`: check every winning commit, then retry after them.
    LogReplay replay(*base);
    NL_ASSIGN_OR_RETURN(WinnersChecked checked, CheckWinners(write, attempt_version, &replay));
    if (checked.own_commit) {
      return FinishCommit(options, result, checked.next_version, *checked.own_commit,
                          std::move(replay), now);
    }
    NL_ASSIGN_OR_RETURN(Snapshot rebased, replay.Finish(log_->table_uri()));
    base = std::make_shared<Snapshot>(std::move(rebased));
    attempt_version = checked.next_version;
    SleepBeforeRetry(options, attempt);
  }
  return Status::Conflict("gave up committing to '" + log_->table_uri() + "' after " +
                          std::to_string(max_attempts) +
                          " attempts: other writers kept winning the next version");
}

}  // namespace neuralake::delta

