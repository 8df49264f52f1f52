// RefresherService: the long-running `neuralake refresher` loop. Every round it refreshes each
// materialized view of the catalog whose refresh interval (refresh.interval, seconds) has
// elapsed since this service last refreshed it (views without an interval: every round), then
// waits `poll_ms`. A failed refresh is reported and retried when next due; it never stops the
// loop. Stops between refreshes when the StopFlag is set (SIGTERM via ScopedStopSignals): a
// refresh in progress finishes or, killed, commits nothing (refresh.h).
//
// Thread safety: one Run at a time per service; the flag may be set from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>

#include "neuralake/catalog/catalog.h"
#include "neuralake/common/result.h"
#include "neuralake/mv/refresh.h"
#include "neuralake/service/stop_flag.h"

namespace neuralake::mv {

struct RefresherOptions {
  int64_t poll_ms = 10'000;  // pause between rounds
  int64_t iterations = 0;    // stop after this many rounds; 0 = until stopped
  RefreshOptions refresh;
};

class RefresherService {
 public:
  using Report = std::function<void(const std::string& view, const Result<RefreshResult>&)>;

  // `catalog` is borrowed and must outlive the service.
  RefresherService(const catalog::Catalog& catalog, RefresherOptions options, Report report)
      : catalog_(catalog), options_(std::move(options)), report_(std::move(report)) {}

  // Runs rounds until stopped or `iterations` rounds ran; returns the number of refreshes run.
  Result<int64_t> Run(const service::StopFlag& stop);

 private:
  bool Due(const catalog::TableDefinition& view, std::chrono::steady_clock::time_point now) const;

  const catalog::Catalog& catalog_;
  RefresherOptions options_;
  Report report_;
  std::map<std::string, std::chrono::steady_clock::time_point> last_run_;
};

}  // namespace neuralake::mv
