#include "neuralake/sql/postgres_provider.h"

#include <mutex>

#include "neuralake/sql/postgres_source.h"

namespace neuralake::sql {
namespace {

class PostgresProvider final : public catalog::TableProvider {
 public:
  PostgresProvider(catalog::TableDefinition definition, PostgresTableOptions options)
      : definition_(std::move(definition)), options_(std::move(options)) {}

  const catalog::TableDefinition& definition() const override { return definition_; }
  BindingKind Binding() const override { return BindingKind::kSource; }

  Result<std::shared_ptr<const engine::SourceTable>> Source() override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (source_) return source_;
    NL_ASSIGN_OR_RETURN(source_, ConnectPostgresSource(options_));
    return source_;
  }

 private:
  const catalog::TableDefinition definition_;
  const PostgresTableOptions options_;
  std::mutex mutex_;
  std::shared_ptr<const engine::SourceTable> source_;  // set once described
};

}  // namespace

Result<std::unique_ptr<catalog::TableProvider>> MakePostgresProvider(
    const catalog::TableDefinition& definition, const catalog::ProviderContext& /*context*/) {
  NL_ASSIGN_OR_RETURN(PostgresTableOptions options, PostgresOptionsFrom(definition));
  return std::unique_ptr<catalog::TableProvider>(
      std::make_unique<PostgresProvider>(definition, std::move(options)));
}

}  // namespace neuralake::sql
