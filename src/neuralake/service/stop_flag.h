// Stopping long-running services: a StopFlag a controller sets and a service polls, and the one
// signal helper that turns SIGINT / SIGTERM into a stop for every long-running command.
//
// A service (writer_service.h, compactor_service.h, vacuumer_service.h, ingest_service.h) runs in
// the caller's thread until its flag is stopped or its own limit is reached; it finishes the step
// it is in (a commit, an OPTIMIZE or VACUUM round) and returns. One flag may stop several services.
//
// Thread safety: Stop() and stopped() may be called from any thread and from a signal handler
// (a lock-free atomic store and load). ScopedStopSignals is for the main thread of a process.
#pragma once

#include <atomic>
#include <cstdint>

namespace neuralake::service {

class StopFlag {
 public:
  StopFlag() = default;
  StopFlag(const StopFlag&) = delete;
  StopFlag& operator=(const StopFlag&) = delete;

  void Stop() noexcept { stopped_.store(true, std::memory_order_release); }
  bool stopped() const noexcept { return stopped_.load(std::memory_order_acquire); }

  // Waits up to `ms` milliseconds, returning early (within ~20 ms) once stopped. Returns
  // stopped().
  bool WaitFor(int64_t ms) const;

  // For APIs that poll a plain atomic (ingest::IngestOptions::stop, ingest::ProduceOptions::stop).
  const std::atomic<bool>* atomic() const noexcept { return &stopped_; }

 private:
  static_assert(std::atomic<bool>::is_always_lock_free);
  std::atomic<bool> stopped_{false};
};

// While alive, SIGINT and SIGTERM stop `flag` (the handler does nothing else); the previous
// handlers come back on destruction. At most one is alive at a time in a process (the CLI runs one
// command); a second one replaces the first's target until it is destroyed.
class ScopedStopSignals {
 public:
  explicit ScopedStopSignals(StopFlag& flag);
  ~ScopedStopSignals();
  ScopedStopSignals(const ScopedStopSignals&) = delete;
  ScopedStopSignals& operator=(const ScopedStopSignals&) = delete;

 private:
  StopFlag* previous_target_;
  void (*previous_interrupt_)(int);
  void (*previous_terminate_)(int);
};

}  // namespace neuralake::service
