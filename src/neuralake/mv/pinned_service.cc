#include "neuralake/mv/pinned_service.h"

#include "neuralake/sql/delta_provider.h"

namespace neuralake::mv {
namespace {

// A Delta provider whose latest state is a fixed plan.
class PinnedProvider final : public catalog::TableProvider {
 public:
  PinnedProvider(std::unique_ptr<catalog::TableProvider> inner,
                 std::shared_ptr<const engine::LakeSnapshot> plan)
      : inner_(std::move(inner)), plan_(std::move(plan)) {}

  const catalog::TableDefinition& definition() const override { return inner_->definition(); }

  Result<std::shared_ptr<const engine::LakeSnapshot>> Plan(const catalog::TableAt& at) override {
    if (at.Latest()) return plan_;
    return inner_->Plan(at);
  }

  Result<std::vector<std::string>> Locations() override { return inner_->Locations(); }

 private:
  std::unique_ptr<catalog::TableProvider> inner_;
  std::shared_ptr<const engine::LakeSnapshot> plan_;
};

}  // namespace

catalog::Catalog CopyCatalog(const catalog::Catalog& catalog) {
  catalog::Catalog copy;
  for (const auto* database : catalog.Databases()) {
    auto& target = copy.Database(database->name());
    for (const auto* table : database->Tables()) target.AddTable(*table);
  }
  return copy;
}

Result<std::unique_ptr<sql::QueryService>> MakePinnedService(const catalog::Catalog& catalog,
                                                             PinnedPlans pinned,
                                                             sql::QueryServiceOptions options) {
  auto shared = std::make_shared<const PinnedPlans>(std::move(pinned));
  auto factory = [shared](const catalog::TableDefinition& definition,
                          const catalog::ProviderContext& context)
      -> Result<std::unique_ptr<catalog::TableProvider>> {
    NL_ASSIGN_OR_RETURN(auto inner, sql::MakeDeltaProvider(definition, context));
    auto it = shared->find(definition.QualifiedName());
    if (it == shared->end()) return inner;
    return std::unique_ptr<catalog::TableProvider>(
        std::make_unique<PinnedProvider>(std::move(inner), it->second));
  };
  catalog::ProviderRegistry registry = sql::BuiltinProviders();
  registry.Register(catalog::TableKind::kDelta, factory);
  registry.Register(catalog::TableKind::kMaterializedView, factory);
  options.providers = std::move(registry);
  options.restricted = false;
  options.max_rows = 0;
  options.timeout_ms = 0;
  return sql::QueryService::Make(CopyCatalog(catalog), options);
}

}  // namespace neuralake::mv
