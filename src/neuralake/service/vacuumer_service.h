// VacuumerService: VACUUM every interval, the vacuumer of the writer/compactor/vacuumer pattern.
//
// Each round runs delta::Vacuum (deletes files no version inside the retention window references,
// and untracked files older than the grace period) and reports its outcome; a failed round is
// reported and the next one tried. A retention under delta::kMinimumRetentionHours without
// force_retention is refused before the first round. Runs until stopped or `iterations` rounds.
//
// Ownership: the table is borrowed and must outlive the service. Thread safety: one Run at a time;
// the StopFlag may be set from any thread or a signal handler.
#pragma once

#include <cstdint>
#include <functional>

#include "neuralake/common/result.h"
#include "neuralake/delta/table.h"
#include "neuralake/delta/vacuum.h"
#include "neuralake/service/stop_flag.h"

namespace neuralake::service {

struct VacuumerOptions {
  delta::VacuumOptions vacuum;
  int64_t interval_ms = 60'000;  // pause between rounds
  int64_t iterations = 0;        // stop after this many rounds (0: until stopped)
};

class VacuumerService {
 public:
  // Called after each round (numbered from 1) with its result or error.
  using Listener = std::function<void(int64_t round, const Result<delta::VacuumResult>&)>;

  VacuumerService(delta::DeltaTable& table, VacuumerOptions options, Listener listener);

  // Rounds until `stop` or options.iterations; returns the number of rounds run. Invalid (before
  // any round) for a retention delta::Vacuum refuses; round failures are reported, not returned.
  Result<int64_t> Run(const StopFlag& stop);

 private:
  delta::DeltaTable& table_;
  VacuumerOptions options_;
  Listener listener_;
};

}  // namespace neuralake::service
