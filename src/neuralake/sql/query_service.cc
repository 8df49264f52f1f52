#include "neuralake/sql/query_service.h"

#include <algorithm>
#include <functional>
#include <set>

#include "neuralake/sql/delta_provider.h"
#include "neuralake/storage/location.h"
#include "neuralake/storage/object_store_factory.h"

namespace neuralake::sql {
namespace {

// Column types as the typed boundary carries them; a type it does not carry (TIME, UUID, ...)
// reads as text in filters and fails only when a scan returns it.
engine::TypedColumns TypedColumnsOf(const std::vector<catalog::DescribedColumn>& columns) {
  engine::TypedColumns typed;
  for (const auto& column : columns) {
    auto type = engine::ParseColumnType(column.type);
    typed.emplace_back(column.name,
                       type.ok() ? *type : engine::ColumnType::Of(engine::ColumnType::Id::kString));
  }
  return typed;
}

// A table whose provider could not be made: every read returns why.
class BrokenProvider final : public catalog::TableProvider {
 public:
  BrokenProvider(catalog::TableDefinition definition, Status error)
      : definition_(std::move(definition)), error_(std::move(error)) {}

  const catalog::TableDefinition& definition() const override { return definition_; }
  Result<std::shared_ptr<const engine::LakeSnapshot>> Plan(const catalog::TableAt&) override {
    return error_;
  }
  Result<std::shared_ptr<const engine::SourceTable>> Source() override { return error_; }
  Result<catalog::TableDescription> Describe(const catalog::TableAt&) override { return error_; }

 private:
  const catalog::TableDefinition definition_;
  const Status error_;
};

std::string QuotedName(const catalog::TableDefinition& definition) {
  return engine::Engine::QuoteIdentifier(definition.database) + "." +
         engine::Engine::QuoteIdentifier(definition.name);
}

}  // namespace

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

  // Engine services some providers need; they run once the engines exist.
  self->provider_context_.describe_query =
      [self](const std::string& sql) -> Result<engine::TypedColumns> {
    engine::QueryOptions query_options;
    query_options.select_only = true;
    query_options.max_rows = 1;
    NL_ASSIGN_OR_RETURN(auto outcome, self->engine_->RunQuery(
                                          "SELECT * FROM (" + sql + ") AS described LIMIT 0",
                                          query_options));
    std::vector<catalog::DescribedColumn> columns;
    for (const auto& column : outcome.table.columns) columns.push_back({column.name, column.type});
    return TypedColumnsOf(columns);
  };
  self->provider_context_.parquet_schema =
      [self](const std::string& uri) -> Result<engine::TypedColumns> {
    std::lock_guard<std::mutex> lock(self->metadata_mutex_);
    if (!self->metadata_engine_) {
      engine::EngineOptions metadata_options;
      metadata_options.storage = self->options_.storage;
      metadata_options.threads = 1;
      NL_ASSIGN_OR_RETURN(metadata_options.store_opener, self->StoreOpener());
      NL_ASSIGN_OR_RETURN(self->metadata_engine_, engine::Engine::Make(metadata_options));
    }
    NL_ASSIGN_OR_RETURN(auto table, self->metadata_engine_->Query(
                                        "DESCRIBE SELECT * FROM read_parquet(" +
                                        engine::Engine::QuoteLiteral(uri) +
                                        ", hive_partitioning = false)"));
    std::vector<catalog::DescribedColumn> columns;
    for (const auto& row : table.rows) {
      if (row.size() >= 2 && row[0] && row[1]) columns.push_back({*row[0], *row[1]});
    }
    return TypedColumnsOf(columns);
  };

  engine::EngineOptions engine_options;
  engine_options.storage = options.storage;
  engine_options.threads = options.threads;
  engine_options.memory_limit = options.memory_limit;
  NL_ASSIGN_OR_RETURN(engine_options.store_opener, self->StoreOpener());
  engine_options.restricted = options.restricted;
  engine_options.cache_remote_files = options.cache_remote_files;
  engine::LakeScanOptions lake;
  lake.prune_files = options.prune_files;
  lake.resolver = [self](const engine::LakeScanRequest& request) { return self->Resolve(request); };
  lake.lookup = [self](const std::string& schema, const std::string& table) {
    return self->Lookup(schema, table);
  };
  lake.source_resolver =
      [self](const std::string& table) -> Result<std::shared_ptr<const engine::SourceTable>> {
    NL_ASSIGN_OR_RETURN(catalog::TableProvider * provider, self->ProviderFor(table));
    return provider->Source();
  };
  engine_options.lake = lake;
  // A provider for every table of a registered kind; the engine may read their locations only.
  // A table whose provider cannot be made (an unknown function, a bad argument, an unreachable
  // store) fails each read of that table with its error; the other tables stay readable.
  for (const auto* definition : service->catalog_.AllTables()) {
    if (!service->registry_.Supports(definition->kind)) continue;
    auto provider = service->registry_.Make(*definition, service->provider_context_);
    if (!provider.ok()) {
      service->providers_[definition->QualifiedName()] =
          std::make_unique<BrokenProvider>(*definition, provider.status());
      continue;
    }
    auto locations = (*provider)->Locations();
    if (!locations.ok()) {
      service->providers_[definition->QualifiedName()] = std::make_unique<BrokenProvider>(
          *definition, locations.status().WithContext("table " + definition->QualifiedName()));
      continue;
    }
    for (auto& location : *locations) {
      engine_options.allowed_directories.push_back(std::move(location));
    }
    service->providers_[definition->QualifiedName()] = std::move(*provider);
  }
  NL_RETURN_NOT_OK(service->CheckViewCycles());
  for (const auto* definition : service->catalog_.AllTables()) {
    if (definition->metadata.deprecated) service->any_deprecated_ = true;
  }
  NL_ASSIGN_OR_RETURN(service->engine_, engine::Engine::Make(engine_options));
  return service;
}

Result<decltype(engine::EngineOptions::store_opener)> QueryService::StoreOpener() const {
  // Tables with their own storage settings: the engine opens their bucket with those.
  std::map<std::string, storage::StorageOptions> by_root;
  for (const auto* definition : catalog_.AllTables()) {
    if (definition->storage.empty() || definition->uri.empty()) continue;
    auto location = storage::ParseLocation(definition->uri);
    if (!location.ok()) continue;  // the provider reports a bad uri
    NL_ASSIGN_OR_RETURN(auto table_options, catalog::TableStorage(*definition, options_.storage));
    by_root.emplace(location->scheme + "://" + location->bucket, std::move(table_options));
  }
  auto fallback = options_.store_opener;
  if (by_root.empty()) return fallback;
  storage::StorageOptions defaults = options_.storage;
  return decltype(engine::EngineOptions::store_opener)(
      [by_root, fallback, defaults](const storage::Location& root)
          -> Result<std::shared_ptr<storage::ObjectStore>> {
        auto it = by_root.find(root.scheme + "://" + root.bucket);
        if (it == by_root.end() && fallback) return fallback(root);
        NL_ASSIGN_OR_RETURN(auto store, storage::OpenObjectStore(
                                            root, it == by_root.end() ? defaults : it->second));
        return std::shared_ptr<storage::ObjectStore>(std::move(store));
      });
}

std::optional<engine::CatalogRef> QueryService::Lookup(const std::string& schema,
                                                       const std::string& table) const {
  std::string name = schema.empty() ? table : schema + "." + table;
  auto resolved = catalog_.Resolve(name);
  if (!resolved.ok()) return std::nullopt;
  const catalog::TableDefinition& definition = **resolved;
  engine::CatalogRef ref;
  ref.qualified = definition.QualifiedName();
  auto it = providers_.find(ref.qualified);
  // Kinds without a provider bind as lake scans, whose resolver reports them as unsupported.
  auto binding = it == providers_.end() ? catalog::TableProvider::BindingKind::kLake
                                        : it->second->Binding();
  std::string base;  // the table's own relation, for dedupe
  switch (binding) {
    case catalog::TableProvider::BindingKind::kLake:
      ref.kind = engine::CatalogRef::Kind::kLake;
      base = "lake_scan(" + engine::Engine::QuoteLiteral(ref.qualified) + ")";
      break;
    case catalog::TableProvider::BindingKind::kSource:
      ref.kind = engine::CatalogRef::Kind::kSource;
      base = "source_scan(" + engine::Engine::QuoteLiteral(ref.qualified) + ")";
      break;
    case catalog::TableProvider::BindingKind::kView: {
      auto sql = it->second->ViewSql();
      if (!sql.ok()) return std::nullopt;
      ref.kind = engine::CatalogRef::Kind::kView;
      ref.view_sql = *sql;
      base = "(" + *sql + ")";
      break;
    }
  }
  const auto& meta = definition.metadata;
  if (!meta.dedupe_order_by.empty() && !meta.unique_columns.empty()) {
    // Keep-last dedupe: the newest row (greatest order_by) of each key.
    std::string keys;
    for (const auto& column : meta.unique_columns) {
      keys += (keys.empty() ? "" : ", ") + engine::Engine::QuoteIdentifier(column);
    }
    ref.kind = engine::CatalogRef::Kind::kView;
    ref.view_sql = "SELECT * FROM " + base + " AS deduped QUALIFY row_number() OVER (PARTITION BY " +
                   keys + " ORDER BY " + engine::Engine::QuoteIdentifier(meta.dedupe_order_by) +
                   " DESC NULLS LAST) = 1";
  }
  return ref;
}

Status QueryService::CheckViewCycles() const {
  // Edges: view -> the catalog tables its SELECT names.
  std::map<std::string, std::vector<std::string>> edges;
  for (const auto& [name, provider] : providers_) {
    if (provider->Binding() != catalog::TableProvider::BindingKind::kView) continue;
    NL_ASSIGN_OR_RETURN(std::string sql, provider->ViewSql());
    auto names = engine::TableNamesInQuery(sql);
    if (!names.ok()) return names.status().WithContext("view " + name);
    for (const auto& [schema, table] : *names) {
      auto resolved = catalog_.Resolve(schema.empty() ? table : schema + "." + table);
      if (resolved.ok()) edges[name].push_back((*resolved)->QualifiedName());
    }
  }
  std::map<std::string, int> state;  // 1: on the path, 2: done
  std::vector<std::string> path;
  std::function<Status(const std::string&)> visit = [&](const std::string& node) -> Status {
    state[node] = 1;
    path.push_back(node);
    for (const auto& next : edges[node]) {
      if (state[next] == 1) {
        std::string cycle;
        auto start = std::find(path.begin(), path.end(), next);
        for (auto it = start; it != path.end(); ++it) cycle += *it + " -> ";
        return Status::Invalid("view cycle: " + cycle + next);
      }
      if (state[next] == 0) NL_RETURN_NOT_OK(visit(next));
    }
    path.pop_back();
    state[node] = 2;
    return Status::OK();
  };
  for (const auto& [name, targets] : edges) {
    if (state[name] == 0) NL_RETURN_NOT_OK(visit(name));
  }
  return Status::OK();
}

void QueryService::AddDeprecations(std::string_view sql, std::vector<std::string>& out,
                                   std::vector<std::string>& seen) const {
  auto names = engine::TableNamesInQuery(sql);
  if (!names.ok()) return;
  for (const auto& [schema, table] : *names) {
    auto resolved = catalog_.Resolve(schema.empty() ? table : schema + "." + table);
    if (!resolved.ok()) continue;
    const catalog::TableDefinition& definition = **resolved;
    std::string name = definition.QualifiedName();
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) continue;
    seen.push_back(name);
    if (const auto& deprecated = definition.metadata.deprecated) {
      std::string warning = "table " + name + " is deprecated";
      if (!deprecated->message.empty()) warning += ": " + deprecated->message;
      if (!deprecated->use.empty()) warning += "; use " + deprecated->use;
      out.push_back(std::move(warning));
    }
    if (definition.kind == catalog::TableKind::kView) {
      auto view = definition.options.find("sql");
      if (view != definition.options.end()) AddDeprecations(view->second, out, seen);
    }
  }
}

std::vector<std::string> QueryService::Deprecations(std::string_view sql) const {
  std::vector<std::string> out, seen;
  // Parsing every query for names only pays off when some table is deprecated.
  if (!any_deprecated_) return out;
  AddDeprecations(sql, out, seen);
  return out;
}

Result<engine::QueryOutcome> QueryService::WithWarnings(std::string_view sql,
                                                        Result<engine::QueryOutcome> outcome) const {
  if (outcome.ok()) outcome->warnings = Deprecations(sql);
  return outcome;
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
  if (provider->Binding() != catalog::TableProvider::BindingKind::kLake) {
    if (request.version || request.timestamp) return catalog::NotVersioned(provider->definition());
    return Status::Invalid("table " + provider->definition().QualifiedName() + " is a " +
                           std::string(catalog::TableKindName(provider->definition().kind)) +
                           " table; read it by its name, not through lake_scan");
  }
  return provider->Plan({request.version, request.timestamp});
}

Result<catalog::TableDescription> QueryService::Describe(std::string_view table,
                                                         const catalog::TableAt& at) const {
  NL_ASSIGN_OR_RETURN(catalog::TableProvider * provider, ProviderFor(table));
  return provider->Describe(at);
}

Result<std::pair<std::string, engine::TypedColumns>> QueryService::RelationOf(
    std::string_view table, const catalog::TableAt& at) const {
  NL_ASSIGN_OR_RETURN(catalog::TableProvider * provider, ProviderFor(table));
  const catalog::TableDefinition& definition = provider->definition();
  NL_ASSIGN_OR_RETURN(auto description, provider->Describe(at));
  std::string relation;
  if (at.Latest()) {
    relation = QuotedName(definition);
  } else if (provider->Binding() == catalog::TableProvider::BindingKind::kLake &&
             description.version) {
    // The version Describe resolved (a timestamp pins to the version it named).
    relation = "lake_scan(" + engine::Engine::QuoteLiteral(definition.QualifiedName()) +
               ", version => " + std::to_string(*description.version) + ")";
  } else {
    return catalog::NotVersioned(definition);
  }
  return std::make_pair(relation, TypedColumnsOf(description.columns));
}

Result<engine::ScanOutcome> QueryService::Scan(std::string_view table, const catalog::TableAt& at,
                                               const engine::ScanRequest& request,
                                               const engine::BatchSink& sink) const {
  NL_ASSIGN_OR_RETURN(auto relation, RelationOf(table, at));
  return engine::ScanRelation(*engine_, relation.first, relation.second, request, sink);
}

Relation QueryService::Scan(std::string_view table, ScanSpec spec) const {
  return Relation(this, std::string(table), std::move(spec));
}

Result<engine::ScanOutcome> Relation::Stream(const engine::BatchSink& sink) const {
  engine::ScanRequest request;
  request.columns = spec_.columns;
  request.filters = spec_.filters;
  request.any_of = spec_.any_of;
  request.limit = spec_.limit;
  return service_->Scan(table_, spec_.at, request, sink);
}

Result<std::vector<engine::RecordBatch>> Relation::Collect() const {
  std::vector<engine::RecordBatch> batches;
  NL_RETURN_NOT_OK(Stream([&](const engine::RecordBatch& batch) {
                     batches.push_back(batch);
                     return Status::OK();
                   }).status());
  return batches;
}

Result<int64_t> Relation::Count() const {
  NL_ASSIGN_OR_RETURN(auto relation, service_->RelationOf(table_, spec_.at));
  std::vector<engine::QueryParam> params;
  NL_ASSIGN_OR_RETURN(std::string where,
                      engine::FiltersSql(spec_.filters, spec_.any_of, relation.second, params));
  std::string sql = "SELECT count(*) FROM (SELECT 1 FROM " + relation.first +
                    (where.empty() ? "" : " WHERE " + where) +
                    (spec_.limit >= 0 ? " LIMIT " + std::to_string(spec_.limit) : "") + ") AS counted";
  QueryRequest request;
  request.params = std::move(params);
  request.cells = engine::CellEncoding::kText;
  NL_ASSIGN_OR_RETURN(auto outcome, service_->Query(sql, request));
  if (outcome.table.rows.size() != 1 || !outcome.table.rows[0][0]) {
    return Status::Internal("count returned no row");
  }
  return std::stoll(*outcome.table.rows[0][0]);
}

Result<engine::QueryOutcome> QueryService::Query(std::string_view sql,
                                                 engine::CellEncoding cells) const {
  engine::QueryOptions query_options;
  query_options.cells = cells;
  query_options.select_only = options_.restricted;
  query_options.timeout_ms = options_.timeout_ms;
  query_options.max_rows = options_.max_rows;
  return WithWarnings(sql, engine_->RunQuery(sql, query_options));
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
  return WithWarnings(sql, engine_->RunQuery(sql, OptionsFor(request)));
}

Result<engine::QueryOutcome> QueryService::Stream(std::string_view sql, const QueryRequest& request,
                                                  const engine::Engine::RowSink& on_rows) const {
  return WithWarnings(sql, engine_->StreamQuery(sql, OptionsFor(request), on_rows));
}

Result<engine::QueryOutcome> QueryService::Export(std::string_view sql, const std::string& target,
                                                  const std::string& format) const {
  engine::QueryOptions query_options;
  query_options.select_only = options_.restricted;
  query_options.timeout_ms = options_.timeout_ms;
  query_options.max_rows = options_.max_rows;
  return WithWarnings(sql, engine_->ExportQuery(sql, query_options, target, format));
}

}  // namespace neuralake::sql
