#include "neuralake/ingest/ingestor.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <future>
#include <iomanip>
#include <mutex>
#include <ostream>
#include <set>
#include <sstream>
#include <thread>

#include "neuralake/delta/append_committer.h"
#include "neuralake/delta/table.h"
#include "neuralake/delta/transaction.h"
#include "neuralake/delta/writer.h"
#include "neuralake/ingest/decoder.h"
#include "neuralake/ingest/kafka_consumer.h"

namespace neuralake::ingest {

using engine::ColumnBatch;
using engine::ColumnKind;

namespace {
std::string AppIdPrefix(const std::string& group, const std::string& topic) {
  return "neuralake-ingest/" + group + "/" + topic + "/";
}
}  // namespace

std::string AppIdFor(const std::string& group, const std::string& topic, int32_t partition) {
  return AppIdPrefix(group, topic) + std::to_string(partition);
}

namespace {

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// Keeps the rows of `batch` whose mask entry is true.
ColumnBatch FilterRows(const ColumnBatch& batch, const std::vector<bool>& keep) {
  ColumnBatch out;
  for (const auto& column : batch.columns) {
    engine::ColumnData data;
    data.name = column.name;
    data.kind = column.kind;
    for (size_t row = 0; row < keep.size(); ++row) {
      if (!keep[row]) continue;
      switch (column.kind) {
        case ColumnKind::kDouble: data.doubles.push_back(column.doubles[row]); break;
        case ColumnKind::kString: data.strings.push_back(column.strings[row]); break;
        default: data.ints.push_back(column.ints[row]); break;
      }
      if (!column.valid.empty()) data.valid.push_back(column.valid[row]);
    }
    out.columns.push_back(std::move(data));
  }
  out.num_rows = static_cast<int64_t>(std::count(keep.begin(), keep.end(), true));
  return out;
}

// The payload as valid UTF-8: invalid bytes become the text "\xNN".
std::string SafeText(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  size_t i = 0;
  while (i < bytes.size()) {
    unsigned char c = static_cast<unsigned char>(bytes[i]);
    size_t length = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool valid = length > 0 && i + length <= bytes.size();
    for (size_t k = 1; valid && k < length; ++k) {
      valid = (static_cast<unsigned char>(bytes[i + k]) & 0xC0) == 0x80;
    }
    if (valid && c != 0) {
      out.append(bytes.substr(i, length));
      i += length;
    } else {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\x%02x", c);
      out += escaped;
      ++i;
    }
  }
  return out;
}

const RecordSchema& DeadLetterSchema() {
  static const RecordSchema schema = {
      {"payload", ColumnKind::kString},       {"error", ColumnKind::kString},
      {"topic", ColumnKind::kString},         {kPartitionColumn, ColumnKind::kInt32},
      {kOffsetColumn, ColumnKind::kInt64},    {kTimestampColumn, ColumnKind::kTimestampMicros},
      {kIngestedAtColumn, ColumnKind::kTimestampMicros}};
  return schema;
}

// One Delta table being fed: its handle, latest snapshot and the rows waiting for a commit, with
// the (partition, offset) of every row so that already-committed rows can be dropped.
class Target {
 public:
  Target(std::string uri, std::string app_prefix, storage::StorageOptions storage,
         std::shared_ptr<storage::ObjectStore> store = nullptr)
      : uri_(std::move(uri)),
        app_prefix_(std::move(app_prefix)),
        storage_(std::move(storage)),
        store_(std::move(store)) {}

  Status Open(const std::optional<RecordSchema>& create_with) {
    if (!table_) {
      delta::TableOptions options;
      options.storage = storage_;
      if (store_ != nullptr) {
        NL_ASSIGN_OR_RETURN(table_, delta::DeltaTable::Open(store_, uri_, options));
      } else {
        NL_ASSIGN_OR_RETURN(table_, delta::DeltaTable::Open(uri_, options));
      }
    }
    NL_ASSIGN_OR_RETURN(bool exists, table_->Exists());
    if (!exists) {
      if (!create_with) {
        return Status::NotFound("table " + uri_ +
                                " does not exist; give --schema (a generator schema name or a "
                                "spec file) to create it");
      }
      delta::CreateTableOptions create;
      create.schema = DeltaSchemaFromRecord(*create_with);
      create.description = "Bronze table fed by neuralake ingest";
      auto created = delta::CreateTable(*table_, create);
      if (!created.ok()) {
        // Another ingest process may have created it first: that is fine.
        NL_ASSIGN_OR_RETURN(bool now_exists, table_->Exists());
        if (!now_exists) return created.status();
      }
    }
    NL_ASSIGN_OR_RETURN(auto loaded, table_->LoadSnapshot());
    NL_ASSIGN_OR_RETURN(schema_, RecordSchemaFromDelta(loaded->schema));
    Publish(std::move(loaded));
    return Status::OK();
  }

  bool opened() { return Current() != nullptr; }
  int64_t version() {
    auto current = Current();
    return current ? current->version : -1;
  }
  const RecordSchema& schema() const { return schema_; }
  delta::DeltaTable& table() { return *table_; }
  const std::string& uri() const { return uri_; }

  // Safe to call while a flush job commits on another thread.
  std::optional<int64_t> RecordedOffset(int32_t partition) {
    std::shared_ptr<const delta::Snapshot> snapshot = Current();
    if (!snapshot) return std::nullopt;
    return snapshot->AppTransactionVersion(app_prefix_ + std::to_string(partition));
  }

  Status Refresh() {
    NL_ASSIGN_OR_RETURN(auto updated, table_->log().Update(Current()));
    Publish(std::move(updated));
    return Status::OK();
  }

  // Adds nullable columns (schema evolution) in a metadata-only commit.
  Status AddColumns(const RecordSchema& columns) {
    NL_RETURN_NOT_OK(Refresh());
    auto current = Current();
    delta::Schema schema = current->schema;
    for (const auto& column : columns) {
      if (schema.Find(column.name) != nullptr) continue;
      delta::Schema one = DeltaSchemaFromRecord({column});
      schema.fields.push_back(one.fields[0]);
    }
    delta::Metadata metadata = current->metadata;
    metadata.schema_string = delta::SerializeSchema(schema);
    delta::Transaction transaction(&table_->log(), current);
    transaction.SetOperation("ADD COLUMNS", {{"source", "neuralake ingest schema evolution"}});
    transaction.AddAction(metadata);
    NL_ASSIGN_OR_RETURN(auto committed, transaction.Commit());
    Publish(committed.snapshot);
    NL_ASSIGN_OR_RETURN(schema_, RecordSchemaFromDelta(committed.snapshot->schema));
    return Status::OK();
  }

  // Commits `batch` (rows tagged by `positions`) with one txn per partition. Rows at or below the
  // table's recorded offset for their partition are dropped first (counted in `dropped`).
  // `consumed` lists offsets of the same batch that produced no row here (dead letters): they
  // advance the txn too, so that the table's offsets cover every message consumed. Returns the
  // committed version, or nullopt when there was nothing new to commit.
  Result<std::optional<int64_t>> Commit(
      const ColumnBatch& batch, const std::vector<std::pair<int32_t, int64_t>>& positions,
      const std::vector<std::pair<int32_t, int64_t>>& consumed, const std::string& operation,
      int64_t* dropped) {
    for (int attempt = 1;; ++attempt) {
      NL_RETURN_NOT_OK(Refresh());
      std::vector<bool> keep(positions.size(), true);
      std::map<int32_t, int64_t> last;
      int64_t kept = 0;
      std::map<int32_t, std::optional<int64_t>> recorded_by_partition;
      for (const auto* list : {&positions, &consumed}) {
        for (const auto& position : *list) {
          if (!recorded_by_partition.count(position.first)) {
            recorded_by_partition[position.first] = RecordedOffset(position.first);
          }
        }
      }
      auto is_new = [&](int32_t partition, int64_t offset) {
        const auto& recorded = recorded_by_partition[partition];
        if (recorded && offset <= *recorded) return false;
        auto it = last.find(partition);
        if (it == last.end() || it->second < offset) last[partition] = offset;
        return true;
      };
      for (size_t row = 0; row < positions.size(); ++row) {
        if (is_new(positions[row].first, positions[row].second)) {
          ++kept;
        } else {
          keep[row] = false;
        }
      }
      for (const auto& [partition, offset] : consumed) is_new(partition, offset);
      *dropped = static_cast<int64_t>(positions.size()) - kept;
      auto current = Current();
      if (last.empty()) return std::optional<int64_t>();
      delta::Transaction transaction(&table_->log(), current);
      transaction.SetOperation(operation, {{"outputMode", "Append"}});
      if (kept > 0) {
        ColumnBatch rows = kept == static_cast<int64_t>(positions.size()) ? ColumnBatch()
                                                                          : FilterRows(batch, keep);
        const ColumnBatch& source = rows.columns.empty() ? batch : rows;
        auto adds = delta::WriteFiles(*table_, *current, delta::DataSource::FromBatches({&source}),
                                      int64_t{1} << 62);
        if (!adds.ok()) return adds.status();
        for (auto& add : *adds) transaction.AddAction(std::move(add));
      }
      int64_t now_ms = NowMicros() / 1000;
      for (const auto& [partition, offset] : last) {
        transaction.AddAction(
            delta::SetTransaction{app_prefix_ + std::to_string(partition), offset, now_ms});
      }
      auto committed = delta::AppendCommitter(table_.get()).Commit(transaction);
      if (committed.ok()) {
        Publish(committed->snapshot);
        return std::optional<int64_t>(committed->version);
      }
      // A rival committed the same partition (rebalance race): re-check offsets and retry.
      if (!committed.status().IsConflict() || attempt >= 10) return committed.status();
    }
  }

 private:
  std::string uri_;
  std::string app_prefix_;
  storage::StorageOptions storage_;
  std::shared_ptr<storage::ObjectStore> store_;
  std::shared_ptr<const delta::Snapshot> Current() {
    std::lock_guard<std::mutex> lock(mutex_);
    return snapshot_;
  }
  void Publish(std::shared_ptr<const delta::Snapshot> snapshot) {
    std::lock_guard<std::mutex> lock(mutex_);
    snapshot_ = std::move(snapshot);
  }

  std::unique_ptr<delta::DeltaTable> table_;
  std::mutex mutex_;
  std::shared_ptr<const delta::Snapshot> snapshot_;  // written by one thread at a time
  RecordSchema schema_;
};

class Ingestor final : public RebalanceListener {
 public:
  Ingestor(const IngestOptions& options, Consumer& consumer)
      : options_(options),
        consumer_(consumer),
        data_(options.table_uri, AppIdPrefix(options.group, options.topic), options.storage,
              options.table_store),
        dead_(options.dead_letter_uri.empty() ? options.table_uri + "_dead_letters"
                                              : options.dead_letter_uri,
              AppIdPrefix(options.group, options.topic) + "dlq/", options.storage),
        quarantine_(options.quarantine_uri.empty() ? options.table_uri + "_quarantine"
                                                   : options.quarantine_uri,
                    AppIdPrefix(options.group, options.topic) + "quarantine/", options.storage) {}

  ~Ingestor() override {
    if (inflight_.valid()) inflight_.wait();
  }

  Result<IngestSummary> Run() {
    start_ = std::chrono::steady_clock::now();
    std::optional<RecordSchema> declared;
    if (!options_.schema.empty()) {
      NL_ASSIGN_OR_RETURN(RecordSchema payload, RecordSchemaFromDataset(options_.schema));
      declared = WithKafkaColumns(std::move(payload));
    }
    NL_RETURN_NOT_OK(Retrying("opening table " + options_.table_uri,
                              [&] { return data_.Open(declared); }));
    summary_.last_version = data_.version();
    builder_ = std::make_unique<BatchBuilder>(data_.schema(), options_.renames,
                                              options_.evolve_schema);
    NL_RETURN_NOT_OK(consumer_.Subscribe(options_.topic, this));
    Log() << "ingest: topic " << options_.topic << " -> " << options_.table_uri << " (group "
          << options_.group << ", flush every " << options_.max_latency_s << " s / "
          << options_.max_messages << " messages / " << options_.max_bytes << " bytes)\n";

    auto last_status = std::chrono::steady_clock::now();
    while (!Stopping()) {
      auto event = consumer_.Poll(std::chrono::milliseconds(100));
      if (!event.ok()) return PollError(event.status());
      NL_RETURN_NOT_OK(Handle(*event));
      // With --stop-at-end, a batch that reaches the end of every owned partition is flushed at
      // once: nothing more is coming, so waiting for the latency trigger would only delay exit.
      bool caught_up = options_.stop_at_end && !assigned_.empty() &&
                       std::all_of(assigned_.begin(), assigned_.end(),
                                   [&](int32_t p) { return at_end_.count(p) > 0; });
      bool due = pending_messages_ > 0 &&
                 (pending_messages_ >= options_.max_messages ||
                  pending_bytes_ >= options_.max_bytes ||
                  Seconds(batch_started_) >= options_.max_latency_s || caught_up);
      if (inflight_.valid() &&
          inflight_.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
        NL_RETURN_NOT_OK(Collect());
      }
      if (due) NL_RETURN_NOT_OK(Flush("flush"));
      if (options_.status_interval_s > 0 && Seconds(last_status) >= options_.status_interval_s) {
        StatusLine();
        last_status = std::chrono::steady_clock::now();
      }
      if (caught_up && pending_messages_ == 0 && !inflight_.valid()) {
        Log() << "ingest: caught up on every owned partition\n";
        break;
      }
    }
    NL_RETURN_NOT_OK(Flush("shutdown", /*wait=*/true));
    summary_.seconds = Seconds(start_);
    StatusLine();  // while the partitions are still owned: their final lag
    Status closed = consumer_.Close();  // revokes (nothing left to commit) and leaves the group
    if (!closed.ok()) Log() << "ingest: leaving the group: " << closed.ToString() << "\n";
    return summary_;
  }

 private:
  std::ostream& Log() {
    static std::ostringstream sink;
    return options_.log != nullptr ? *options_.log : sink;
  }
  bool Stopping() const { return options_.stop != nullptr && options_.stop->load(); }

  // Retries `step` with exponential backoff (0.5 s .. 30 s) on errors that may pass (I/O,
  // unavailable services); gives up on the others or when stopping.
  Status Retrying(const std::string& what, const std::function<Status()>& step) {
    double delay = 0.5;
    for (int attempt = 1;; ++attempt) {
      Status status = step();
      if (status.ok()) return status;
      bool transient = status.code() == StatusCode::kIOError ||
                       status.code() == StatusCode::kConflict;
      if (!transient || Stopping()) return status.WithContext(what);
      Log() << "ingest: " << what << " failed (attempt " << attempt << "): " << status.ToString()
            << "; retrying in " << delay << " s\n";
      std::this_thread::sleep_for(std::chrono::duration<double>(delay));
      delay = std::min(delay * 2, 30.0);
    }
  }

  // A fatal consumer error, with a hint when it is the static-membership fence.
  Status PollError(const Status& error) const {
    if (options_.member.empty() || error.code() != StatusCode::kInvalid ||
        error.message().rfind("kafka: ", 0) != 0) {
      return error;
    }
    return Status(error.code(), error.message() + " (does another ingest process use --member " +
                                    options_.member + "?)");
  }

  // RebalanceListener: starts every assigned partition right after the offset the table
  // recorded for it (the beginning when it has none). On failure the consumer assigns nothing and
  // Run returns the error, leaving the group.
  Status OnAssign(std::vector<PartitionOffset>& partitions) override {
    NL_RETURN_NOT_OK(Collect());
    NL_RETURN_NOT_OK(Retrying("reading the table's offsets", [&] { return data_.Refresh(); }));
    std::ostringstream text;
    for (PartitionOffset& partition : partitions) {
      auto recorded = data_.RecordedOffset(partition.partition);
      partition.offset = recorded ? *recorded + 1 : kOffsetBeginning;
      assigned_.insert(partition.partition);
      at_end_.erase(partition.partition);
      last_offset_.erase(partition.partition);
      text << " " << partition.partition << "@"
           << (recorded ? std::to_string(*recorded + 1) : std::string("beginning"));
    }
    if (!partitions.empty()) {
      Log() << "ingest: assigned partitions" << text.str() << " (offsets from the Delta table)\n";
    }
    return Status::OK();
  }

  // RebalanceListener: revoked (or lost): commits what is buffered before another member takes
  // the partitions; the table's offsets make that safe even when they were lost and another
  // member already started. The partitions are no longer ours even when the commit failed.
  Status OnRevoke(const std::vector<int32_t>& partitions, bool lost) override {
    Status flushed = Flush("rebalance", /*wait=*/true);
    std::ostringstream text;
    for (int32_t partition : partitions) {
      assigned_.erase(partition);
      at_end_.erase(partition);
      text << " " << partition;
    }
    if (!partitions.empty()) {
      Log() << "ingest: released partitions" << text.str()
            << (lost ? " (lost: session timed out)" : "") << "\n";
    }
    return flushed;
  }

  Status Handle(const ConsumerEvent& event) {
    switch (event.kind) {
      case ConsumerEvent::Kind::kNone: return Status::OK();
      case ConsumerEvent::Kind::kPartitionEnd:
        at_end_.insert(event.message.partition);
        return Status::OK();
      case ConsumerEvent::Kind::kTopicMissing:
        if (!warned_topic_) {
          Log() << "ingest: topic " << options_.topic << " does not exist yet; waiting\n";
          warned_topic_ = true;
        }
        return Status::OK();
      case ConsumerEvent::Kind::kWarning:
        Log() << "ingest: kafka: " << event.text << "\n";
        return Status::OK();
      case ConsumerEvent::Kind::kMessage: break;
    }
    const ConsumerMessage& message = event.message;
    // Only partitions this member owns, each offset once (a message fetched before a revocation
    // or delivered again is left to the table's offsets and the current owner).
    if (assigned_.count(message.partition) == 0) return Status::OK();
    auto last = last_offset_.find(message.partition);
    if (last != last_offset_.end() && message.offset <= last->second) return Status::OK();
    last_offset_[message.partition] = message.offset;
    at_end_.erase(message.partition);
    if (pending_messages_ == 0) batch_started_ = std::chrono::steady_clock::now();
    MessageMeta meta;
    meta.partition = message.partition;
    meta.offset = message.offset;
    meta.timestamp_us = message.timestamp_ms > 0 ? message.timestamp_ms * 1000 : 0;
    std::string_view payload = message.payload;
    Status decoded = builder_->Append(payload, meta);
    if (decoded.ok()) {
      positions_.push_back({message.partition, message.offset});
    } else {
      AppendDeadLetter(payload, decoded.message(), meta);
      dead_positions_.push_back({message.partition, message.offset});
    }
    ++pending_messages_;
    pending_bytes_ += static_cast<int64_t>(payload.size());
    summary_.messages++;
    summary_.bytes += static_cast<int64_t>(payload.size());
    high_water_[message.partition] = message.offset;
    return Status::OK();
  }

  // Dead letters are built column by column (the payload may not even be text).
  void AppendDeadLetter(std::string_view payload, const std::string& error,
                        const MessageMeta& meta) {
    if (dead_rows_.columns.empty()) {
      for (const auto& column : DeadLetterSchema()) {
        engine::ColumnData data;
        data.name = column.name;
        data.kind = column.kind;
        dead_rows_.columns.push_back(std::move(data));
      }
    }
    auto& c = dead_rows_.columns;
    c[0].strings.push_back(SafeText(payload));
    c[1].strings.push_back(error);
    c[2].strings.push_back(options_.topic);
    c[3].ints.push_back(meta.partition);
    c[4].ints.push_back(meta.offset);
    c[5].ints.push_back(meta.timestamp_us);
    c[6].ints.push_back(0);  // _ingested_at, set at flush
    ++dead_rows_.num_rows;
  }

  // One flush: the rows and dead letters of a batch, written and committed off the consuming
  // thread so that Kafka keeps being read while DuckDB writes Parquet (at most one in flight).
  struct FlushJob {
    ColumnBatch rows;
    ColumnBatch dead;
    std::vector<std::pair<int32_t, int64_t>> positions;
    std::vector<std::pair<int32_t, int64_t>> dead_positions;
    ColumnBatch quarantine;  // rows dropped by data-quality expectations (+ _expectation)
    std::vector<std::pair<int32_t, int64_t>> quarantine_positions;
    std::map<int32_t, int64_t> high_water;
    int64_t messages = 0;
    std::string reason;
    std::chrono::steady_clock::time_point started;
    // Outcome.
    std::optional<int64_t> version;
    int64_t dropped = 0;
    int64_t dead_dropped = 0;
    int64_t quarantine_dropped = 0;
  };

  // The data-quality gate: a failure stops here (nothing of the batch committed); dropped rows
  // move from job.rows to job.quarantine.
  Status CheckRows(FlushJob& job) {
    if (!options_.check_rows || job.rows.num_rows == 0) return Status::OK();
    NL_ASSIGN_OR_RETURN(RowsVerdict verdict, options_.check_rows(job.rows));
    if (!verdict.failure.empty()) {
      return Status::Invalid("data quality: " + verdict.failure +
                             "; nothing of this batch committed");
    }
    std::vector<bool> keep(static_cast<size_t>(job.rows.num_rows), true);
    bool any = false;
    for (size_t row = 0; row < keep.size() && row < verdict.dropped_by.size(); ++row) {
      if (!verdict.dropped_by[row].empty()) keep[row] = false, any = true;
    }
    if (!any) return Status::OK();
    std::vector<bool> drop(keep.size());
    std::vector<std::pair<int32_t, int64_t>> kept_positions;
    engine::ColumnData reasons;
    reasons.name = "_expectation";
    reasons.kind = ColumnKind::kString;
    for (size_t row = 0; row < keep.size(); ++row) {
      drop[row] = !keep[row];
      if (keep[row]) {
        kept_positions.push_back(job.positions[row]);
      } else {
        job.quarantine_positions.push_back(job.positions[row]);
        reasons.strings.push_back(verdict.dropped_by[row]);
      }
    }
    job.quarantine = FilterRows(job.rows, drop);
    job.quarantine.columns.push_back(std::move(reasons));
    job.rows = FilterRows(job.rows, keep);
    job.positions = std::move(kept_positions);
    return Status::OK();
  }

  RecordSchema QuarantineSchema() const {
    RecordSchema schema = data_.schema();
    schema.push_back({"_expectation", ColumnKind::kString});
    return schema;
  }

  Status RunJob(FlushJob& job) {
    NL_RETURN_NOT_OK(CheckRows(job));
    if (job.quarantine.num_rows > 0) {
      NL_RETURN_NOT_OK(Retrying("writing quarantined rows to " + quarantine_.uri(), [&]() -> Status {
        if (!quarantine_.opened()) NL_RETURN_NOT_OK(quarantine_.Open(QuarantineSchema()));
        return quarantine_.Commit(job.quarantine, job.quarantine_positions, {}, "STREAMING UPDATE",
                                  &job.quarantine_dropped).status();
      }));
    }
    if (job.dead.num_rows > 0) {
      NL_RETURN_NOT_OK(Retrying("writing dead letters to " + dead_.uri(), [&]() -> Status {
        if (!dead_.opened()) NL_RETURN_NOT_OK(dead_.Open(DeadLetterSchema()));
        return dead_.Commit(job.dead, job.dead_positions, {}, "STREAMING UPDATE",
                            &job.dead_dropped).status();
      }));
    }
    // The data table's txn covers every consumed offset, dead letters included: it is where a
    // restarted consumer resumes.
    NL_RETURN_NOT_OK(Retrying("committing to " + data_.uri(), [&]() -> Status {
      std::vector<std::pair<int32_t, int64_t>> consumed = job.dead_positions;
      consumed.insert(consumed.end(), job.quarantine_positions.begin(),
                      job.quarantine_positions.end());
      NL_ASSIGN_OR_RETURN(job.version, data_.Commit(job.rows, job.positions, consumed,
                                                    "STREAMING UPDATE", &job.dropped));
      return Status::OK();
    }));
    return Status::OK();
  }

  // Waits for the flush in flight, if any, and accounts for it.
  Status Collect() {
    if (!inflight_.valid()) return Status::OK();
    Status status = inflight_.get();
    std::unique_ptr<FlushJob> job = std::move(inflight_job_);
    NL_RETURN_NOT_OK(status);
    summary_.dead_letters += job->dead.num_rows - job->dead_dropped;
    summary_.quarantined += job->quarantine.num_rows - job->quarantine_dropped;
    summary_.rows += job->rows.num_rows - job->dropped;
    summary_.dropped_duplicates += job->dropped + job->dead_dropped;
    if (job->version) {
      summary_.last_version = *job->version;
      summary_.commits++;
    }
    CommitKafkaOffsets(job->high_water);
    last_batch_seconds_ = Seconds(job->started);
    last_batch_messages_ = job->messages;
    if (options_.status_interval_s <= 0 || job->reason != "flush") {
      Log() << "ingest: " << job->reason << ": committed " << (job->rows.num_rows - job->dropped)
            << " rows"
            << (job->dead.num_rows
                    ? ", " + std::to_string(job->dead.num_rows - job->dead_dropped) +
                          " dead letters"
                    : "")
            << (job->quarantine.num_rows
                    ? ", " + std::to_string(job->quarantine.num_rows - job->quarantine_dropped) +
                          " quarantined"
                    : "")
            << (job->dropped ? ", dropped " + std::to_string(job->dropped) + " already committed"
                             : "")
            << " at version " << summary_.last_version << "\n";
    }
    return Status::OK();
  }

  // Hands the buffered batch to a flush job. With `wait`, returns only when everything buffered
  // is committed (rebalance, shutdown).
  Status Flush(const char* reason, bool wait = false) {
    NL_RETURN_NOT_OK(Collect());
    if (pending_messages_ > 0) {
      if (!builder_->new_columns().empty()) {
        RecordSchema added = builder_->new_columns();
        NL_RETURN_NOT_OK(Retrying("adding columns", [&] { return data_.AddColumns(added); }));
        builder_->AcknowledgeNewColumns();
        Log() << "ingest: schema evolved, " << added.size() << " new column(s)\n";
      }
      auto job = std::make_unique<FlushJob>();
      job->started = std::chrono::steady_clock::now();
      int64_t now = NowMicros();
      job->rows = builder_->Take(now);
      job->dead = std::move(dead_rows_);
      dead_rows_ = ColumnBatch();
      if (job->dead.num_rows > 0) {
        for (auto& value : job->dead.columns[6].ints) value = now;
      }
      job->positions = std::move(positions_);
      job->dead_positions = std::move(dead_positions_);
      job->high_water = std::move(high_water_);
      job->messages = pending_messages_;
      job->reason = reason;
      positions_.clear();
      dead_positions_.clear();
      high_water_.clear();
      pending_messages_ = 0;
      pending_bytes_ = 0;
      FlushJob* raw = job.get();
      inflight_job_ = std::move(job);
      inflight_ = std::async(std::launch::async, [this, raw] { return RunJob(*raw); });
    }
    if (wait) return Collect();
    return Status::OK();
  }

  // The group's offsets follow the table's, only so that lag tools see progress.
  void CommitKafkaOffsets(const std::map<int32_t, int64_t>& high_water) {
    std::map<int32_t, int64_t> next_offsets;
    for (const auto& [partition, offset] : high_water) next_offsets[partition] = offset + 1;
    consumer_.CommitOffsets(next_offsets);
  }

  void StatusLine() {
    double elapsed = std::max(Seconds(start_), 1e-9);
    int64_t lag = 0;
    std::string per_partition;  // " [partition:lag ...]"
    for (int32_t partition : assigned_) {
      if (auto marks = consumer_.GetWatermarks(partition)) {
        auto recorded = data_.RecordedOffset(partition);
        int64_t next = recorded ? *recorded + 1 : marks->low;
        int64_t partition_lag = std::max<int64_t>(0, marks->high - next);
        lag += partition_lag;
        per_partition += (per_partition.empty() ? " [" : " ") + std::to_string(partition) + ":" +
                         std::to_string(partition_lag);
      }
    }
    if (!per_partition.empty()) per_partition += "]";
    Log() << std::fixed << std::setprecision(1) << "ingest: " << summary_.messages
          << " messages (" << summary_.messages / elapsed << " msg/s, "
          << summary_.bytes / elapsed / 1e6 << " MB/s), " << summary_.rows << " rows, "
          << summary_.dead_letters << " dead letters, " << summary_.commits
          << " commits, version " << summary_.last_version << ", "
          << (assigned_.empty() ? "owns no partitions (waiting for assignment)"
                                : "partitions " + std::to_string(assigned_.size()) + ", lag " +
                                      std::to_string(lag) + per_partition)
          << ", last batch " << last_batch_messages_
          << " msgs in " << std::setprecision(3) << last_batch_seconds_ << " s\n";
  }

  IngestOptions options_;
  Consumer& consumer_;
  Target data_;
  Target dead_;
  Target quarantine_;
  std::unique_ptr<BatchBuilder> builder_;
  ColumnBatch dead_rows_;
  std::future<Status> inflight_;
  std::unique_ptr<FlushJob> inflight_job_;
  std::vector<std::pair<int32_t, int64_t>> positions_;
  std::vector<std::pair<int32_t, int64_t>> dead_positions_;
  std::map<int32_t, int64_t> high_water_;
  std::set<int32_t> assigned_;
  std::set<int32_t> at_end_;
  std::map<int32_t, int64_t> last_offset_;  // per owned partition, the last offset handled
  int64_t pending_messages_ = 0;
  int64_t pending_bytes_ = 0;
  std::chrono::steady_clock::time_point batch_started_;
  std::chrono::steady_clock::time_point start_;
  double last_batch_seconds_ = 0;
  int64_t last_batch_messages_ = 0;
  bool warned_topic_ = false;
  IngestSummary summary_;
};

}  // namespace

namespace {

Status CheckOptions(const IngestOptions& options) {
  if (options.topic.empty()) return Status::Invalid("--topic is required");
  if (options.table_uri.empty()) return Status::Invalid("--table is required");
  if (options.max_messages <= 0 || options.max_bytes <= 0 || options.max_latency_s <= 0) {
    return Status::Invalid("--max-messages, --max-bytes and --max-latency must be positive");
  }
  return Status::OK();
}

}  // namespace

Result<IngestSummary> RunIngest(const IngestOptions& options) {
  NL_RETURN_NOT_OK(CheckOptions(options));
  KafkaConsumerOptions kafka;
  kafka.brokers = options.brokers;
  kafka.group = options.group;
  kafka.member = options.member;
  kafka.settings = options.kafka_settings;
  // Settings are checked before anything is created, so a typo leaves no table behind.
  NL_ASSIGN_OR_RETURN(std::unique_ptr<Consumer> consumer, MakeKafkaConsumer(kafka));
  return RunIngest(options, *consumer);
}

Result<IngestSummary> RunIngest(const IngestOptions& options, Consumer& consumer) {
  NL_RETURN_NOT_OK(CheckOptions(options));
  Ingestor ingestor(options, consumer);
  return ingestor.Run();
}

}  // namespace neuralake::ingest
