#include "neuralake/catalog/provider.h"

#include <algorithm>

namespace neuralake::catalog {

TableDescription DescribePlan(const engine::LakeSnapshot& plan) {
  TableDescription description;
  description.table = plan.table;
  if (plan.version >= 0) description.version = plan.version;
  for (const auto& column : plan.columns) {
    description.columns.push_back({column.name, column.type, column.partition});
    if (column.partition) description.partitions.push_back(column.name);
  }
  int64_t rows = 0, bytes = 0;
  bool rows_known = true;
  for (const auto& file : plan.files) {
    bytes += file.size_bytes;
    if (file.num_records < 0) rows_known = false;
    rows += std::max<int64_t>(file.num_records, 0);
  }
  description.files = static_cast<int64_t>(plan.files.size());
  description.bytes = bytes;
  if (rows_known) description.rows = rows;
  return description;
}

Result<TableDescription> TableProvider::Describe(const TableAt& at) {
  NL_ASSIGN_OR_RETURN(auto plan, Plan(at));
  TableDescription description = DescribePlan(*plan);
  description.table = definition().QualifiedName();
  description.kind = std::string(TableKindName(definition().kind));
  return description;
}

Result<engine::ScanOutcome> TableProvider::Scan(engine::Engine& engine, const TableAt& at,
                                                const engine::ScanRequest& request,
                                                const engine::BatchSink& sink) {
  NL_ASSIGN_OR_RETURN(auto plan, Plan(at));
  return engine::ScanBatches(engine, std::move(plan), request, sink);
}

Status NoProviderFor(const TableDefinition& definition) {
  std::string kind(TableKindName(definition.kind));
  return Status::Unsupported("table " + definition.QualifiedName() + " is a " + kind +
                             " table; no provider reads " + kind + " tables yet");
}

ProviderRegistry& ProviderRegistry::Register(TableKind kind, ProviderFactory factory) {
  factories_[kind] = std::move(factory);
  return *this;
}

Result<std::unique_ptr<TableProvider>> ProviderRegistry::Make(
    const TableDefinition& definition, const ProviderContext& context) const {
  auto it = factories_.find(definition.kind);
  if (it == factories_.end()) return NoProviderFor(definition);
  auto provider = it->second(definition, context);
  if (!provider.ok()) {
    return provider.status().WithContext("table " + definition.QualifiedName());
  }
  return provider;
}

}  // namespace neuralake::catalog
