// CompactorService: OPTIMIZE every interval, the compactor of the writer/compactor/vacuumer pattern.
//
// Each round runs delta::Optimize (a dataChange=false rewrite of small files, safe beside writers)
// and reports its outcome; a failed round (store unreachable, a conflict storm) is reported and the
// next round tried. Runs until stopped or `iterations` rounds are done.
//
// Ownership: the table is borrowed and must outlive the service. Thread safety: one Run at a time;
// the StopFlag may be set from any thread or a signal handler.
#pragma once

#include <cstdint>
#include <functional>

#include "neuralake/common/result.h"
#include "neuralake/delta/optimize.h"
#include "neuralake/delta/table.h"
#include "neuralake/service/stop_flag.h"

namespace neuralake::service {

struct CompactorOptions {
  delta::OptimizeOptions optimize;
  int64_t interval_ms = 10'000;  // pause between rounds
  int64_t iterations = 0;        // stop after this many rounds (0: until stopped)
};

class CompactorService {
 public:
  // Called after each round (numbered from 1) with its result or error.
  using Listener = std::function<void(int64_t round, const Result<delta::OptimizeResult>&)>;

  CompactorService(delta::DeltaTable& table, CompactorOptions options, Listener listener);

  // Rounds until `stop` or options.iterations; returns the number of rounds run. Round failures
  // are reported, not returned.
  Result<int64_t> Run(const StopFlag& stop);

 private:
  delta::DeltaTable& table_;
  CompactorOptions options_;
  Listener listener_;
};

}  // namespace neuralake::service
