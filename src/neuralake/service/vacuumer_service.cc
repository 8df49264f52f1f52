#include "neuralake/service/vacuumer_service.h"

namespace neuralake::service {

VacuumerService::VacuumerService(delta::DeltaTable& table, VacuumerOptions options,
                                 Listener listener)
    : table_(table), options_(std::move(options)), listener_(std::move(listener)) {}

Result<int64_t> VacuumerService::Run(const StopFlag& stop) {
  if (options_.interval_ms < 0 || options_.iterations < 0) {
    return Status::Invalid("vacuumer: interval and iterations must not be negative");
  }
  const delta::VacuumOptions& vacuum = options_.vacuum;
  if (vacuum.retention_hours < delta::kMinimumRetentionHours && !vacuum.force_retention) {
    // Refuse before looping, with the message Vacuum itself gives (a dry run deletes nothing).
    delta::VacuumOptions refused;
    refused.retention_hours = vacuum.retention_hours;
    refused.dry_run = true;
    NL_RETURN_NOT_OK(delta::Vacuum(table_, refused).status());
  }
  int64_t round = 0;
  while (!stop.stopped()) {
    ++round;
    Result<delta::VacuumResult> result = delta::Vacuum(table_, vacuum);
    if (listener_) listener_(round, result);
    if (options_.iterations > 0 && round >= options_.iterations) break;
    stop.WaitFor(options_.interval_ms);
  }
  return round;
}

}  // namespace neuralake::service
