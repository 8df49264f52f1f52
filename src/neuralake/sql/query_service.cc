#include "neuralake/sql/query_service.h"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "neuralake/common/json.h"
#include "neuralake/common/time.h"

#include "neuralake/delta/schema.h"
#include "neuralake/delta/snapshot.h"
#include "neuralake/delta/table.h"

namespace neuralake::sql {

using nlohmann::json;

namespace {

std::string PhysicalName(const delta::StructField& field, delta::ColumnMappingMode mode) {
  if (mode != delta::ColumnMappingMode::kNone && field.metadata.is_object()) {
    auto it = field.metadata.find("delta.columnMapping.physicalName");
    if (it != field.metadata.end() && it->is_string()) return it->get<std::string>();
  }
  return field.name;
}

std::optional<std::string> StatText(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number()) return value.dump();
  return std::nullopt;
}

}  // namespace

// ---- snapshot cache ----

class QueryService::Cache {
 public:
  struct Entry {
    std::mutex mutex;
    std::unique_ptr<delta::DeltaTable> table;
    std::shared_ptr<const delta::Snapshot> latest;
    std::shared_ptr<const engine::LakeSnapshot> latest_lake;
    std::map<int64_t, std::shared_ptr<const engine::LakeSnapshot>> versions;
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

namespace {

Result<std::shared_ptr<const engine::LakeSnapshot>> ToLakeSnapshot(
    const catalog::TableDefinition& definition, const delta::DeltaTable& table,
    const delta::Snapshot& snapshot) {
  auto lake = std::make_shared<engine::LakeSnapshot>();
  lake->table = definition.QualifiedName();
  lake->version = snapshot.version;
  delta::ColumnMappingMode mode = snapshot.column_mapping_mode();
  const auto& partition_columns = snapshot.partition_columns();
  std::map<std::string, std::string> physical_to_logical;
  for (const auto& field : snapshot.schema.fields) {
    engine::LakeColumn column;
    column.name = field.name;
    NL_ASSIGN_OR_RETURN(column.type, delta::DataTypeToDuckDb(field.type));
    column.partition = std::find(partition_columns.begin(), partition_columns.end(), field.name) !=
                       partition_columns.end();
    std::string physical = PhysicalName(field, mode);
    if (physical != field.name) column.physical_name = physical;
    if (mode != delta::ColumnMappingMode::kNone) {
      NL_ASSIGN_OR_RETURN(std::string physical_type,
                          delta::DataTypeToDuckDb(delta::PhysicalDataType(field.type)));
      if (physical_type != column.type) column.physical_type = physical_type;
    }
    physical_to_logical[physical] = field.name;
    lake->columns.push_back(std::move(column));
  }
  lake->files.reserve(snapshot.files.size());
  for (const auto& add : snapshot.files) {
    if (add.deletion_vector) {
      return Status::Unsupported("table " + definition.QualifiedName() + " file '" + add.path +
                                 "' has a deletion vector, which neuralake cannot apply yet");
    }
    engine::LakeFile file;
    file.uri = table.DataFileUri(add.path);
    file.size_bytes = add.size;
    file.modification_time_ms = add.modification_time;
    for (const auto& [key, value] : add.partition_values) {
      auto logical = physical_to_logical.find(key);
      file.partition_values[logical == physical_to_logical.end() ? key : logical->second] = value;
    }
    if (add.stats && !add.stats->empty()) {
      auto parsed = ParseJson(*add.stats);
      json stats = parsed.ok() ? std::move(parsed).value() : json();
      if (stats.is_object()) {
        if (auto it = stats.find("numRecords"); it != stats.end() && it->is_number_integer()) {
          file.num_records = it->get<int64_t>();
        }
        auto section = [&](const char* name) -> const json* {
          auto it = stats.find(name);
          return it != stats.end() && it->is_object() ? &*it : nullptr;
        };
        const json* mins = section("minValues");
        const json* maxs = section("maxValues");
        const json* nulls = section("nullCount");
        for (const auto& [physical, logical] : physical_to_logical) {
          engine::LakeColumnStats column;
          if (mins) {
            if (auto it = mins->find(physical); it != mins->end()) column.min = StatText(*it);
          }
          if (maxs) {
            if (auto it = maxs->find(physical); it != maxs->end()) column.max = StatText(*it);
          }
          if (nulls) {
            if (auto it = nulls->find(physical); it != nulls->end() && it->is_number_integer()) {
              column.null_count = it->get<int64_t>();
            }
          }
          if (column.min || column.max || column.null_count) file.stats[logical] = column;
        }
      }
    }
    lake->files.push_back(std::move(file));
  }
  return std::shared_ptr<const engine::LakeSnapshot>(std::move(lake));
}

}  // namespace

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
    auto snapshot = table.LoadSnapshot(version);
    if (!snapshot.ok()) return context(snapshot.status());
    count(&CacheStats::full_loads);
    NL_ASSIGN_OR_RETURN(auto lake, ToLakeSnapshot(*definition, table, **snapshot));
    if (entry->versions.size() >= 16) entry->versions.erase(entry->versions.begin());
    entry->versions[*version] = lake;
    return lake;
  }

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
  NL_ASSIGN_OR_RETURN(entry->latest_lake, ToLakeSnapshot(*definition, table, *entry->latest));
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

Result<engine::QueryOutcome> QueryService::Export(std::string_view sql, const std::string& target,
                                                  const std::string& format) const {
  engine::QueryOptions query_options;
  query_options.select_only = options_.restricted;
  query_options.timeout_ms = options_.timeout_ms;
  query_options.max_rows = options_.max_rows;
  return engine_->ExportQuery(sql, query_options, target, format);
}

}  // namespace neuralake::sql
