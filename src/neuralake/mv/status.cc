// StatusOf and MaterializedViews (refresh.h).
#include "neuralake/mv/refresh.h"
#include "neuralake/mv/view_sources.h"

namespace neuralake::mv {

std::vector<std::string> MaterializedViews(const catalog::Catalog& catalog) {
  std::vector<std::string> views;
  for (const auto* table : catalog.AllTables()) {
    if (table->kind == catalog::TableKind::kMaterializedView) {
      views.push_back(table->QualifiedName());
    }
  }
  return views;
}

Result<ViewStatus> StatusOf(const catalog::Catalog& catalog, std::string_view view,
                            const storage::StorageOptions& storage) {
  NL_ASSIGN_OR_RETURN(ViewState state, OpenView(catalog, view, storage));
  ViewStatus status;
  status.view = state.definition->QualifiedName();
  status.uri = state.definition->uri;
  if (auto interval = state.definition->options.find("refresh_interval");
      interval != state.definition->options.end() && !interval->second.empty()) {
    try {
      status.interval_seconds = std::stoll(interval->second);
    } catch (const std::exception&) {
      return Status::Invalid("materialized view " + status.view + ": refresh_interval '" +
                             interval->second + "' is not a number of seconds");
    }
  }
  if (state.snapshot) status.version = state.snapshot->version;
  status.refreshed = state.last_refresh.has_value();
  if (state.last_refresh) {
    status.last_refresh_ms = state.last_refresh->timestamp_ms;
    status.last_mode = state.last_refresh->mode;
    status.last_reason = state.last_refresh->reason;
  }
  status.stale = !status.refreshed;
  for (const auto& source : state.sources) {
    status.sources.push_back(source.version);
    const auto& version = source.version;
    if (!version.current || !version.recorded) {
      status.stale = true;
      continue;
    }
    if (*version.current != *version.recorded) status.stale = true;
    status.commits_behind += std::max<int64_t>(0, *version.current - *version.recorded);
  }
  if (state.last_refresh && state.last_refresh->sql != state.definition->options.at("sql")) {
    status.stale = true;
  }
  return status;
}

}  // namespace neuralake::mv
