#include "neuralake/service/compactor_service.h"

namespace neuralake::service {

CompactorService::CompactorService(delta::DeltaTable& table, CompactorOptions options,
                                   Listener listener)
    : table_(table), options_(std::move(options)), listener_(std::move(listener)) {}

Result<int64_t> CompactorService::Run(const StopFlag& stop) {
  if (options_.interval_ms < 0 || options_.iterations < 0) {
    return Status::Invalid("compactor: interval and iterations must not be negative");
  }
  int64_t round = 0;
  while (!stop.stopped()) {
    ++round;
    Result<delta::OptimizeResult> result = delta::Optimize(table_, options_.optimize);
    if (listener_) listener_(round, result);
    if (options_.iterations > 0 && round >= options_.iterations) break;
    stop.WaitFor(options_.interval_ms);
  }
  return round;
}

}  // namespace neuralake::service
