#include "neuralake/catalog/provider.h"

#include <algorithm>
#include <cstdlib>

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
    if (file.LiveRecords() < 0) rows_known = false;
    rows += std::max<int64_t>(file.LiveRecords(), 0);
  }
  description.files = static_cast<int64_t>(plan.files.size());
  description.bytes = bytes;
  if (rows_known) description.rows = rows;
  return description;
}

Result<std::shared_ptr<const engine::LakeSnapshot>> TableProvider::Plan(const TableAt&) {
  return Status::Unsupported("table " + definition().QualifiedName() + " is a " +
                             std::string(TableKindName(definition().kind)) +
                             " table; it has no data files to plan");
}

Result<std::shared_ptr<const engine::SourceTable>> TableProvider::Source() {
  return Status::Unsupported("table " + definition().QualifiedName() + " is a " +
                             std::string(TableKindName(definition().kind)) +
                             " table, not a source");
}

Result<std::string> TableProvider::ViewSql() {
  return Status::Unsupported("table " + definition().QualifiedName() + " is not a view");
}

Result<TableDescription> TableProvider::Describe(const TableAt& at) {
  TableDescription description;
  if (Binding() == BindingKind::kSource) {
    if (!at.Latest()) return NotVersioned(definition());
    NL_ASSIGN_OR_RETURN(auto source, Source());
    for (const auto& [name, type] : source->columns) {
      description.columns.push_back({name, engine::ColumnTypeSql(type), false});
    }
  } else {
    NL_ASSIGN_OR_RETURN(auto plan, Plan(at));
    description = DescribePlan(*plan);
  }
  description.table = definition().QualifiedName();
  description.kind = std::string(TableKindName(definition().kind));
  return description;
}

Result<storage::StorageOptions> TableStorage(const TableDefinition& definition,
                                             const storage::StorageOptions& base) {
  storage::StorageOptions options = base;
  auto fail = [&](const std::string& why) {
    return Status::Invalid("table " + definition.QualifiedName() + ": storage: " + why);
  };
  for (const auto& [key, value] : definition.storage) {
    if (key == "endpoint") {
      options.s3.endpoint = value;
    } else if (key == "region") {
      options.s3.region = value;
    } else if (key == "path_style") {
      if (value != "true" && value != "false") return fail("path_style must be true or false");
      options.s3.path_style = value == "true";
    } else if (key == "access_key_env" || key == "secret_key_env" || key == "session_token_env") {
      const char* set = std::getenv(value.c_str());
      if (set == nullptr) return fail(key + " names " + value + ", which is not set");
      std::string& target = key == "access_key_env"   ? options.s3.access_key
                            : key == "secret_key_env" ? options.s3.secret_key
                                                      : options.s3.session_token;
      target = set;
    } else {
      return fail("unknown key '" + key +
                  "' (known: endpoint, region, path_style, access_key_env, secret_key_env, "
                  "session_token_env)");
    }
  }
  return options;
}

Status NotVersioned(const TableDefinition& definition) {
  return Status::Invalid("table " + definition.QualifiedName() + " is a " +
                         std::string(TableKindName(definition.kind)) +
                         " table; it has no versions to read (time travel reads delta tables)");
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
