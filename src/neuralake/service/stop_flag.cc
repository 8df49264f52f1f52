#include "neuralake/service/stop_flag.h"

#include <chrono>
#include <csignal>
#include <thread>

namespace neuralake::service {
namespace {

std::atomic<StopFlag*> g_signal_target{nullptr};
static_assert(std::atomic<StopFlag*>::is_always_lock_free);

void StopOnSignal(int) {
  StopFlag* flag = g_signal_target.load();
  if (flag != nullptr) flag->Stop();
}

}  // namespace

bool StopFlag::WaitFor(int64_t ms) const {
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (!stopped()) {
    auto now = std::chrono::steady_clock::now();
    if (now >= until) break;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        until - now, std::chrono::milliseconds(20)));
  }
  return stopped();
}

ScopedStopSignals::ScopedStopSignals(StopFlag& flag)
    : previous_target_(g_signal_target.exchange(&flag)),
      previous_interrupt_(std::signal(SIGINT, StopOnSignal)),
      previous_terminate_(std::signal(SIGTERM, StopOnSignal)) {}

ScopedStopSignals::~ScopedStopSignals() {
  std::signal(SIGINT, previous_interrupt_ == SIG_ERR ? SIG_DFL : previous_interrupt_);
  std::signal(SIGTERM, previous_terminate_ == SIG_ERR ? SIG_DFL : previous_terminate_);
  g_signal_target.store(previous_target_);
}

}  // namespace neuralake::service
