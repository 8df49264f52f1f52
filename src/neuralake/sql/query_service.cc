#include "neuralake/sql/query_service.h"

#include <algorithm>

#include "neuralake/sql/delta_provider.h"

namespace neuralake::sql {

QueryService::QueryService(catalog::Catalog catalog, QueryServiceOptions options)
    : catalog_(std::move(catalog)), options_(std::move(options)) {
  registry_ = options_.providers ? *options_.providers : BuiltinProviders();
  provider_context_.storage = options_.storage;
  provider_context_.refresh_interval_ms = options_.refresh_interval_ms;
}

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
  // A provider for every table of a registered kind; the engine may read their locations only.
  for (const auto* definition : service->catalog_.AllTables()) {
    if (!service->registry_.Supports(definition->kind)) continue;
    NL_ASSIGN_OR_RETURN(auto provider,
                        service->registry_.Make(*definition, service->provider_context_));
    NL_ASSIGN_OR_RETURN(auto locations, provider->Locations());
    for (auto& location : locations) {
      engine_options.allowed_directories.push_back(std::move(location));
    }
    service->providers_[definition->QualifiedName()] = std::move(provider);
  }
  NL_ASSIGN_OR_RETURN(service->engine_, engine::Engine::Make(engine_options));
  return service;
}

CacheStats QueryService::cache_stats() const {
  const auto& counters = *provider_context_.counters;
  CacheStats stats;
  stats.full_loads = counters.full_loads.load();
  stats.refreshes = counters.refreshes.load();
  stats.unchanged = counters.unchanged.load();
  stats.fresh = counters.fresh.load();
  return stats;
}

Result<catalog::TableProvider*> QueryService::ProviderFor(std::string_view table) const {
  NL_ASSIGN_OR_RETURN(const catalog::TableDefinition* definition, catalog_.Resolve(table));
  auto it = providers_.find(definition->QualifiedName());
  // Make built a provider for every table of a registered kind.
  if (it == providers_.end()) return catalog::NoProviderFor(*definition);
  return it->second.get();
}

Result<std::shared_ptr<const engine::LakeSnapshot>> QueryService::Resolve(
    const engine::LakeScanRequest& request) const {
  NL_ASSIGN_OR_RETURN(catalog::TableProvider * provider, ProviderFor(request.table));
  return provider->Plan({request.version, request.timestamp});
}

Result<catalog::TableDescription> QueryService::Describe(std::string_view table,
                                                         const catalog::TableAt& at) const {
  NL_ASSIGN_OR_RETURN(catalog::TableProvider * provider, ProviderFor(table));
  return provider->Describe(at);
}

Result<engine::ScanOutcome> QueryService::Scan(std::string_view table, const catalog::TableAt& at,
                                               const engine::ScanRequest& request,
                                               const engine::BatchSink& sink) const {
  NL_ASSIGN_OR_RETURN(catalog::TableProvider * provider, ProviderFor(table));
  return provider->Scan(*engine_, at, request, sink);
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
