// IngestService: the Kafka -> Delta ingest loop (ingest::RunIngest) behind the same run/stop API
// as the writer, compactor and vacuumer services, so a process (the CLI, a server) starts and
// stops all of them alike. Status lines and events go to IngestOptions::log.
//
// Thread safety: one Run at a time; the StopFlag may be set from any thread or a signal handler.
#pragma once

#include "neuralake/common/result.h"
#include "neuralake/ingest/ingestor.h"
#include "neuralake/service/stop_flag.h"

namespace neuralake::service {

class IngestService {
 public:
  // options.stop is ignored: Run's flag stops the loop.
  explicit IngestService(ingest::IngestOptions options) : options_(std::move(options)) {}

  // Consumes until `stop` (or, with stop_at_end, until caught up); commits what it has buffered
  // before returning.
  Result<ingest::IngestSummary> Run(const StopFlag& stop) {
    ingest::IngestOptions options = options_;
    options.stop = stop.atomic();
    return ingest::RunIngest(options);
  }

 private:
  ingest::IngestOptions options_;
};

}  // namespace neuralake::service
