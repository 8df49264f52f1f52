// WriterService: the low-latency writer of the writer/compactor/vacuumer pattern as a library.
//
// Appends one generated batch per commit to a Delta table (creating it with the first batch) until
// stopped or `commits` are written. Idempotent across restarts: batch b is committed with txn
// (appId "writer:<app>", version b) and holds rows [b * rows_per_commit, (b + 1) * rows_per_commit)
// of the dataset, so a restarted writer resumes after the last batch the table recorded and never
// writes a batch twice. A failed commit is reported and the same batch retried after a pause.
//
// Ownership: the table is borrowed and must outlive the service. Thread safety: one Run at a time;
// the StopFlag may be set from any thread or a signal handler.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "neuralake/common/result.h"
#include "neuralake/delta/table.h"
#include "neuralake/delta/writer.h"
#include "neuralake/gen/dataset.h"
#include "neuralake/service/stop_flag.h"

namespace neuralake::service {

struct WriterOptions {
  std::string schema = "events";  // generator preset (gen::PresetSpec)
  std::string app = "default";    // identity: the txn appId is "writer:<app>"
  int64_t rows_per_commit = 10'000;
  int64_t interval_ms = 1000;     // pause between commits
  int64_t commits = 0;            // stop after this many commits (0: until stopped)
  uint64_t seed = 42;
};

// What the writer reports, in order: kResuming once, then kCommitted / kFailed per attempt.
struct WriterEvent {
  enum class Kind { kResuming, kCommitted, kFailed };
  Kind kind = Kind::kResuming;
  std::string app_id;
  int64_t batch = 0;             // kResuming: the next batch to write; else the batch attempted
  int64_t commits = 0;           // commits this run has written (after this one)
  int64_t version = -1;          // kCommitted
  int64_t rows = 0;              // kCommitted
  int64_t files = 0;             // kCommitted
  bool skipped = false;          // kCommitted: the table already recorded this batch
  double rows_per_second = 0;    // kCommitted: rows written by this run / its elapsed time
  Status error;                  // kFailed
};

struct WriterSummary {
  int64_t commits = 0;     // commits written by this run
  int64_t next_batch = 0;  // the batch a restart would write next
};

class WriterService {
 public:
  using Listener = std::function<void(const WriterEvent&)>;

  // Invalid for rows_per_commit <= 0, a negative interval or an unknown schema.
  static Result<std::unique_ptr<WriterService>> Make(delta::DeltaTable& table,
                                                     WriterOptions options, Listener listener);

  // Writes until `stop` or options.commits; an error is returned only when the writer cannot
  // start (table unreadable, engine failure), commit failures are reported and retried.
  Result<WriterSummary> Run(const StopFlag& stop);

 private:
  WriterService(delta::DeltaTable& table, WriterOptions options, gen::Dataset dataset,
                Listener listener);
  Result<delta::WriteResult> WriteBatch(int64_t batch, bool* table_exists);

  delta::DeltaTable& table_;
  WriterOptions options_;
  gen::Dataset dataset_;
  Listener listener_;
  std::string app_id_;
};

}  // namespace neuralake::service
