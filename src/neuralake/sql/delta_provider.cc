#include "neuralake/sql/delta_provider.h"

#include "neuralake/sql/parquet_provider.h"
#include "neuralake/sql/postgres_provider.h"
#include "neuralake/sql/view_provider.h"

#include <chrono>
#include <map>
#include <mutex>

#include "neuralake/common/time.h"
#include "neuralake/delta/scan_plan.h"
#include "neuralake/delta/schema.h"
#include "neuralake/delta/snapshot.h"
#include "neuralake/delta/table.h"

namespace neuralake::sql {
namespace {

class DeltaProvider final : public catalog::TableProvider {
 public:
  DeltaProvider(catalog::TableDefinition definition, catalog::ProviderContext context,
                std::unique_ptr<delta::DeltaTable> table)
      : definition_(std::move(definition)), context_(std::move(context)), table_(std::move(table)) {}

  const catalog::TableDefinition& definition() const override { return definition_; }

  Result<std::shared_ptr<const engine::LakeSnapshot>> Plan(const catalog::TableAt& at) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (at.Latest()) return Latest();
    std::optional<int64_t> version = at.version;
    if (!version) {
      NL_ASSIGN_OR_RETURN(int64_t ms, ParseTimestampMs(*at.timestamp));
      auto found = table_->log().VersionAtTimestamp(ms);
      if (!found.ok()) return Context(found.status());
      version = *found;
    }
    return AtVersion(*version);
  }

  Result<std::vector<std::string>> Locations() override {
    return std::vector<std::string>{table_->DataRoot()};
  }

 private:
  Status Context(const Status& status) const {
    if (definition_.kind == catalog::TableKind::kMaterializedView && status.IsNotFound()) {
      return Status::NotFound("materialized view " + definition_.QualifiedName() +
                              " is not refreshed yet (neuralake mv refresh " +
                              definition_.QualifiedName() + "); " + status.message());
    }
    return status.WithContext("table " + definition_.QualifiedName() + " (" + definition_.uri +
                              ")");
  }

  // Callers hold mutex_.
  Result<std::shared_ptr<const engine::LakeSnapshot>> AtVersion(int64_t version) {
    if (auto it = versions_.find(version); it != versions_.end()) return it->second;
    // The latest snapshot pinned by version (the API pins the version it resolved a moment ago).
    if (latest_plan_ && latest_plan_->version == version) return latest_plan_;
    auto snapshot = table_->LoadSnapshot(version);
    if (!snapshot.ok()) return Context(snapshot.status());
    ++context_.counters->full_loads;
    NL_ASSIGN_OR_RETURN(auto plan,
                        delta::BuildScanPlan(*table_, **snapshot, definition_.QualifiedName()));
    if (versions_.size() >= kMaxVersions) versions_.erase(versions_.begin());
    versions_[version] = plan;
    return plan;
  }

  Result<std::shared_ptr<const engine::LakeSnapshot>> Latest() {
    auto now = std::chrono::steady_clock::now();
    if (latest_ && context_.refresh_interval_ms > 0 &&
        now - checked_ < std::chrono::milliseconds(context_.refresh_interval_ms)) {
      ++context_.counters->fresh;
      return latest_plan_;
    }
    checked_ = now;
    if (latest_) {
      auto updated = table_->log().Update(latest_);
      if (!updated.ok()) return Context(updated.status());
      if (*updated == latest_) {
        ++context_.counters->unchanged;
        return latest_plan_;
      }
      Status supported = delta::CheckReadSupported((*updated)->protocol, (*updated)->metadata);
      if (!supported.ok()) return Context(supported);
      ++context_.counters->refreshes;
      latest_ = *updated;
    } else {
      auto snapshot = table_->LoadSnapshot();
      if (!snapshot.ok()) return Context(snapshot.status());
      ++context_.counters->full_loads;
      latest_ = *snapshot;
    }
    NL_ASSIGN_OR_RETURN(latest_plan_,
                        delta::BuildScanPlan(*table_, *latest_, definition_.QualifiedName()));
    return latest_plan_;
  }

  static constexpr size_t kMaxVersions = 16;

  const catalog::TableDefinition definition_;
  const catalog::ProviderContext context_;
  std::mutex mutex_;
  std::unique_ptr<delta::DeltaTable> table_;
  std::shared_ptr<const delta::Snapshot> latest_;
  std::shared_ptr<const engine::LakeSnapshot> latest_plan_;
  std::map<int64_t, std::shared_ptr<const engine::LakeSnapshot>> versions_;
  std::chrono::steady_clock::time_point checked_;  // when the log was last listed
};

}  // namespace

Result<std::unique_ptr<catalog::TableProvider>> MakeDeltaProvider(
    const catalog::TableDefinition& definition, const catalog::ProviderContext& context) {
  delta::TableOptions options;
  NL_ASSIGN_OR_RETURN(options.storage, catalog::TableStorage(definition, context.storage));
  NL_ASSIGN_OR_RETURN(auto table, delta::DeltaTable::Open(definition.uri, options));
  return std::unique_ptr<catalog::TableProvider>(
      std::make_unique<DeltaProvider>(definition, context, std::move(table)));
}

catalog::ProviderRegistry BuiltinProviders() {
  catalog::ProviderRegistry registry;
  registry.Register(catalog::TableKind::kDelta, MakeDeltaProvider);
  // A materialized view is stored as a Delta table at its uri (mv/refresh.h writes it).
  registry.Register(catalog::TableKind::kMaterializedView, MakeDeltaProvider);
  registry.Register(catalog::TableKind::kParquet, MakeParquetProvider);
  registry.Register(catalog::TableKind::kPostgres, MakePostgresProvider);
  registry.Register(catalog::TableKind::kView, MakeViewProvider);
  RegisterBuiltinFunctions();
  registry.Register(catalog::TableKind::kFunction, MakeFunctionProvider);
  return registry;
}

}  // namespace neuralake::sql
