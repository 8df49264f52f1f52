#include "neuralake/sql/query_service.h"

#include <algorithm>
#include <chrono>
#include <cctype>

#include "neuralake/common/json.h"
#include "neuralake/common/time.h"

#include "neuralake/delta/scan_plan.h"
#include "neuralake/delta/schema.h"
#include "neuralake/delta/snapshot.h"
#include "neuralake/delta/table.h"

namespace neuralake::sql {

// ---- snapshot cache ----

class QueryService::Cache {
 public:
  struct Entry {
    std::mutex mutex;
    std::unique_ptr<delta::DeltaTable> table;
    std::shared_ptr<const delta::Snapshot> latest;
    std::shared_ptr<const engine::LakeSnapshot> latest_lake;
    std::map<int64_t, std::shared_ptr<const engine::LakeSnapshot>> versions;
    std::chrono::steady_clock::time_point checked;  // when the log was last listed
  };

  std::shared_ptr<Entry> Get(const std::string& uri) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& entry = entries_[uri];
    if (!entry) entry = std::make_shared<Entry>();
    return entry;
  }

  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Entry>> entries_;
  CacheStats stats;
};

QueryService::QueryService(catalog::Catalog catalog, QueryServiceOptions options)
    : catalog_(std::move(catalog)), options_(std::move(options)), cache_(std::make_unique<Cache>()) {}

QueryService::~QueryService() = default;

Result<std::unique_ptr<QueryService>> QueryService::Make(catalog::Catalog catalog,
                                                         const QueryServiceOptions& options) {
  std::unique_ptr<QueryService> service(new QueryService(std::move(catalog), options));
  QueryService* self = service.get();

  engine::EngineOptions engine_options;
  engine_options.storage = options.storage;
  engine_options.threads = options.threads;
  engine_options.memory_limit = options.memory_limit;
  engine_options.store_opener = options.store_opener;
  engine_options.restricted = options.restricted;
  engine_options.cache_remote_files = options.cache_remote_files;
  engine::LakeScanOptions lake;
  lake.prune_files = options.prune_files;
  lake.resolver = [self](const engine::LakeScanRequest& request) { return self->Resolve(request); };
  lake.lookup = [self](const std::string& schema,
                       const std::string& table) -> std::optional<std::string> {
    std::string name = schema.empty() ? table : schema + "." + table;
    auto resolved = self->catalog_.Resolve(name);
    if (!resolved.ok()) return std::nullopt;
    return (*resolved)->QualifiedName();
  };
  engine_options.lake = lake;
  for (const auto* definition : service->catalog_.AllTables()) {
    if (definition->kind != catalog::TableKind::kDelta) continue;
    NL_ASSIGN_OR_RETURN(auto table, delta::DeltaTable::Open(definition->uri, {options.storage}));
    engine_options.allowed_directories.push_back(table->DataRoot());
  }
  NL_ASSIGN_OR_RETURN(service->engine_, engine::Engine::Make(engine_options));
  return service;
}

CacheStats QueryService::cache_stats() const {
  std::lock_guard<std::mutex> lock(cache_->mutex_);
  return cache_->stats;
}

Result<std::shared_ptr<const engine::LakeSnapshot>> QueryService::Resolve(
    const engine::LakeScanRequest& request) const {
  NL_ASSIGN_OR_RETURN(const catalog::TableDefinition* definition, catalog_.Resolve(request.table));
  if (definition->kind != catalog::TableKind::kDelta) {
    return Status::Unsupported("table " + definition->QualifiedName() + " is a " +
                               std::string(catalog::TableKindName(definition->kind)) +
                               " table; SQL reads Delta tables for now");
  }
  auto entry = cache_->Get(definition->uri);
  std::lock_guard<std::mutex> lock(entry->mutex);
  auto count = [&](int64_t CacheStats::*field) {
    std::lock_guard<std::mutex> stats_lock(cache_->mutex_);
    ++(cache_->stats.*field);
  };
  if (!entry->table) {
    delta::TableOptions table_options;
    table_options.storage = options_.storage;
    NL_ASSIGN_OR_RETURN(entry->table, delta::DeltaTable::Open(definition->uri, table_options));
  }
  delta::DeltaTable& table = *entry->table;
  auto context = [&](Status status) {
    return status.WithContext("table " + definition->QualifiedName() + " (" + definition->uri + ")");
  };

  if (request.version || request.timestamp) {
    std::optional<int64_t> version = request.version;
    if (!version) {
      NL_ASSIGN_OR_RETURN(int64_t ms, ParseTimestampMs(*request.timestamp));
      auto at = table.log().VersionAtTimestamp(ms);
      if (!at.ok()) return context(at.status());
      version = *at;
    }
    if (auto it = entry->versions.find(*version); it != entry->versions.end()) return it->second;
    // The latest snapshot pinned by version (the API pins the version it resolved a moment ago).
    if (entry->latest_lake && entry->latest_lake->version == *version) return entry->latest_lake;
    auto snapshot = table.LoadSnapshot(version);
    if (!snapshot.ok()) return context(snapshot.status());
    count(&CacheStats::full_loads);
    NL_ASSIGN_OR_RETURN(auto lake,
                        delta::BuildScanPlan(table, **snapshot, definition->QualifiedName()));
    if (entry->versions.size() >= 16) entry->versions.erase(entry->versions.begin());
    entry->versions[*version] = lake;
    return lake;
  }

  auto now = std::chrono::steady_clock::now();
  if (entry->latest && options_.refresh_interval_ms > 0 &&
      now - entry->checked < std::chrono::milliseconds(options_.refresh_interval_ms)) {
    count(&CacheStats::fresh);
    return entry->latest_lake;
  }
  entry->checked = now;
  if (entry->latest) {
    auto updated = table.log().Update(entry->latest);
    if (!updated.ok()) return context(updated.status());
    if (*updated == entry->latest) {
      count(&CacheStats::unchanged);
      return entry->latest_lake;
    }
    Status supported = delta::CheckReadSupported((*updated)->protocol, (*updated)->metadata);
    if (!supported.ok()) return context(supported);
    count(&CacheStats::refreshes);
    entry->latest = *updated;
  } else {
    auto snapshot = table.LoadSnapshot();
    if (!snapshot.ok()) return context(snapshot.status());
    count(&CacheStats::full_loads);
    entry->latest = *snapshot;
  }
  NL_ASSIGN_OR_RETURN(entry->latest_lake, delta::BuildScanPlan(table, *entry->latest,
                                                              definition->QualifiedName()));
  return entry->latest_lake;
}

Result<engine::QueryOutcome> QueryService::Query(std::string_view sql,
                                                 engine::CellEncoding cells) const {
  engine::QueryOptions query_options;
  query_options.cells = cells;
  query_options.select_only = options_.restricted;
  query_options.timeout_ms = options_.timeout_ms;
  query_options.max_rows = options_.max_rows;
  return engine_->RunQuery(sql, query_options);
}

engine::QueryOptions QueryService::OptionsFor(const QueryRequest& request) const {
  engine::QueryOptions query_options;
  query_options.cells = request.cells;
  query_options.select_only = options_.restricted;
  query_options.params = request.params;
  auto tighter = [](int64_t service, int64_t asked) {
    if (asked <= 0) return service;
    return service <= 0 ? asked : std::min(service, asked);
  };
  query_options.timeout_ms = tighter(options_.timeout_ms, request.timeout_ms);
  query_options.max_rows = tighter(options_.max_rows, request.max_rows);
  return query_options;
}

Result<engine::QueryOutcome> QueryService::Query(std::string_view sql,
                                                 const QueryRequest& request) const {
  return engine_->RunQuery(sql, OptionsFor(request));
}

Result<engine::QueryOutcome> QueryService::Stream(std::string_view sql, const QueryRequest& request,
                                                  const engine::Engine::RowSink& on_rows) const {
  return engine_->StreamQuery(sql, OptionsFor(request), on_rows);
}

Result<engine::QueryOutcome> QueryService::Export(std::string_view sql, const std::string& target,
                                                  const std::string& format) const {
  engine::QueryOptions query_options;
  query_options.select_only = options_.restricted;
  query_options.timeout_ms = options_.timeout_ms;
  query_options.max_rows = options_.max_rows;
  return engine_->ExportQuery(sql, query_options, target, format);
}

}  // namespace neuralake::sql
