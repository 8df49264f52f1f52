// Kafka -> Bronze Delta table, exactly once.
//
// One ingest process is a member of a Kafka consumer group. It buffers the messages of the
// partitions it owns and flushes them — on max latency, max messages or max bytes — as one Parquet
// file per flush, committed to the Delta table in ONE commit covering all its partitions. Each
// commit carries a Delta `txn` action per partition, appId "neuralake-ingest/<group>/<topic>/<p>",
// version = the last Kafka offset it includes. The table, not Kafka, is the source of truth:
//
// - on start and on every rebalance, partitions are assigned at (txn version + 1);
// - before a commit, rows at or below the table's recorded offset are dropped (another member
//   committed them during a rebalance), and a concurrent commit with the same appId is a Delta
//   conflict, so the batch is re-checked and retried;
// - a crash between writing the Parquet file and committing leaves an orphan file (VACUUM removes
//   it) and the messages are read again from the recorded offsets.
//
// Messages that do not parse or do not fit the table schema go to a dead-letter Delta table
// (payload, error, topic, partition, offset, timestamps) with the same exactly-once bookkeeping.
// Kafka offsets are also committed to the group after each Delta commit (for lag monitoring only).
//
// Errors from Kafka or the object store are retried with backoff (up to 30 s between attempts)
// while the batch is kept; nothing is acknowledged before it is in the table.
//
// Kafka is reached through the Consumer interface (consumer.h): RunIngest(options) builds the
// librdkafka one from the options; tests pass a FakeConsumer (fake_consumer.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "neuralake/common/result.h"
#include "neuralake/engine/column_batch.h"
#include "neuralake/ingest/consumer.h"
#include "neuralake/storage/storage_options.h"

namespace neuralake::storage {
class ObjectStore;
}

namespace neuralake::ingest {

// What the data-quality gate decides about one batch: a failure (nothing of the batch may be
// committed), or per row the expectations that drop it (empty: kept).
struct RowsVerdict {
  std::string failure;
  std::vector<std::string> dropped_by;
};

struct IngestOptions {
  std::string brokers = "127.0.0.1:9092";
  std::string topic;
  std::string table_uri;
  std::string group = "neuralake-ingest";
  // A stable name of this process in the group (static membership, Kafka group.instance.id): a
  // member restarted under the same name takes its partitions back at once, without a rebalance.
  // Unique per running process; empty: dynamic membership.
  std::string member;
  // Declared schema for a table that does not exist yet: a generator preset name or a dataset
  // spec file (the Kafka columns are added). Never guessed from messages.
  std::string schema;
  std::string dead_letter_uri;          // default: <table_uri>_dead_letters
  std::map<std::string, std::string> renames;  // message field -> column
  // librdkafka consumer settings applied over ours (e.g. security.protocol, fetch sizes).
  std::map<std::string, std::string> kafka_settings;
  bool evolve_schema = false;           // add new nullable columns for unknown fields
  double max_latency_s = 1.0;
  int64_t max_messages = 100'000;
  int64_t max_bytes = 64 << 20;
  bool stop_at_end = false;             // exit once every owned partition is caught up
  double status_interval_s = 5.0;
  storage::StorageOptions storage;
  // The data table's store, rooted at table_uri (tests inject faults through it); null: opened
  // from table_uri and `storage`.
  std::shared_ptr<storage::ObjectStore> table_store;
  // Data-quality gate (optional; the CLI builds it from the catalog's expectations, quality/):
  // called once per flush with the batch's rows before anything is committed. A failure stops the
  // ingest with nothing of the batch committed (the messages are read again on restart); rows
  // with a non-empty `dropped_by` go to the quarantine table (the row plus `_expectation`) with
  // the same exactly-once bookkeeping as dead letters, and the data table's txn covers them.
  std::function<Result<RowsVerdict>(const engine::ColumnBatch& rows)> check_rows;
  std::string quarantine_uri;           // default: <table_uri>_quarantine
  std::ostream* log = nullptr;          // status lines and events
  const std::atomic<bool>* stop = nullptr;  // set by SIGTERM/SIGINT handlers
};

struct IngestSummary {
  int64_t messages = 0;
  int64_t rows = 0;
  int64_t dead_letters = 0;
  int64_t quarantined = 0;              // rows dropped by data-quality expectations
  int64_t commits = 0;
  int64_t bytes = 0;
  int64_t dropped_duplicates = 0;       // rows another member had already committed
  int64_t last_version = -1;
  double seconds = 0;
};

// The Delta txn appId of one partition.
std::string AppIdFor(const std::string& group, const std::string& topic, int32_t partition);

// Consumes with a librdkafka consumer built from `options` (brokers, group, member,
// kafka_settings).
Result<IngestSummary> RunIngest(const IngestOptions& options);

// Consumes with `consumer` (not subscribed yet; borrowed for the call, closed at the end of a
// successful run). The options' brokers, member and kafka_settings are not used.
Result<IngestSummary> RunIngest(const IngestOptions& options, Consumer& consumer);

}  // namespace neuralake::ingest
