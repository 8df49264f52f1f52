#include "neuralake/mv/refresher_service.h"

namespace neuralake::mv {

bool RefresherService::Due(const catalog::TableDefinition& view,
                           std::chrono::steady_clock::time_point now) const {
  auto last = last_run_.find(view.QualifiedName());
  if (last == last_run_.end()) return true;
  auto interval = view.options.find("refresh_interval");
  if (interval == view.options.end() || interval->second.empty()) return true;
  int64_t seconds = 0;
  try {
    seconds = std::stoll(interval->second);
  } catch (const std::exception&) {
    return true;
  }
  return now - last->second >= std::chrono::seconds(seconds);
}

Result<int64_t> RefresherService::Run(const service::StopFlag& stop) {
  int64_t refreshes = 0;
  for (int64_t round = 1; !stop.stopped(); ++round) {
    for (const auto& name : MaterializedViews(catalog_)) {
      if (stop.stopped()) break;
      auto definition = catalog_.Resolve(name);
      if (!definition.ok()) continue;
      auto now = std::chrono::steady_clock::now();
      if (!Due(**definition, now)) continue;
      last_run_[name] = now;
      auto result = Refresh(catalog_, name, options_.refresh);
      ++refreshes;
      if (report_) report_(name, result);
    }
    if (options_.iterations > 0 && round >= options_.iterations) break;
    if (stop.WaitFor(options_.poll_ms)) break;
  }
  return refreshes;
}

}  // namespace neuralake::mv
