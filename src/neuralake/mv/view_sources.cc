#include "neuralake/mv/view_sources.h"

#include <map>

#include "neuralake/catalog/provider.h"
#include "neuralake/engine/engine.h"

namespace neuralake::mv {
namespace {

bool Versioned(catalog::TableKind kind) {
  return kind == catalog::TableKind::kDelta || kind == catalog::TableKind::kMaterializedView;
}

// The catalog tables `sql` reads, views expanded (a view is not a source; what it reads is).
Status CollectSources(const catalog::Catalog& catalog, const std::string& sql, int depth,
                      std::map<std::string, const catalog::TableDefinition*>& out,
                      std::vector<const catalog::TableDefinition*>* direct) {
  if (depth > 16) return Status::Invalid("views nest more than 16 deep");
  NL_ASSIGN_OR_RETURN(auto names, engine::TableNamesInQuery(sql));
  for (const auto& [schema, table] : names) {
    std::string name = schema.empty() ? table : schema + "." + table;
    NL_ASSIGN_OR_RETURN(const catalog::TableDefinition* definition, catalog.Resolve(name));
    if (direct) direct->push_back(definition);
    if (definition->kind == catalog::TableKind::kView) {
      NL_RETURN_NOT_OK(
          CollectSources(catalog, definition->options.at("sql"), depth + 1, out, nullptr));
    } else {
      out[definition->QualifiedName()] = definition;
    }
  }
  return Status::OK();
}

Result<std::unique_ptr<delta::DeltaTable>> OpenDelta(const catalog::TableDefinition& definition,
                                                     const storage::StorageOptions& storage) {
  delta::TableOptions options;
  NL_ASSIGN_OR_RETURN(options.storage, catalog::TableStorage(definition, storage));
  return delta::DeltaTable::Open(definition.uri, options);
}

std::optional<LastRefresh> FindLastRefresh(const delta::DeltaTable& table) {
  auto history = table.log().History(100);
  if (!history.ok()) return std::nullopt;
  for (const auto& record : *history) {
    if (!record.info || record.info->Operation() != kRefreshOperation) continue;
    LastRefresh last;
    last.version = record.version;
    last.timestamp_ms = record.timestamp_ms;
    const auto& parameters = record.info->fields.value("operationParameters", nlohmann::json());
    if (parameters.is_object()) {
      last.mode = parameters.value("mode", "");
      last.reason = parameters.value("reason", "");
      last.sql = parameters.value("sql", "");
    }
    return last;
  }
  return std::nullopt;
}

}  // namespace

Result<ViewState> OpenView(const catalog::Catalog& catalog, std::string_view view,
                           const storage::StorageOptions& storage) {
  ViewState state;
  state.catalog = &catalog;
  NL_ASSIGN_OR_RETURN(state.definition, catalog.Resolve(view));
  const auto& definition = *state.definition;
  if (definition.kind != catalog::TableKind::kMaterializedView) {
    return Status::Invalid("table " + definition.QualifiedName() + " is a " +
                           std::string(catalog::TableKindName(definition.kind)) +
                           " table, not a materialized view");
  }
  auto sql = definition.options.find("sql");
  if (sql == definition.options.end() || sql->second.empty()) {
    return Status::Invalid("materialized view " + definition.QualifiedName() + " has no sql");
  }
  std::map<std::string, const catalog::TableDefinition*> sources;
  std::vector<const catalog::TableDefinition*> direct;
  NL_RETURN_NOT_OK(CollectSources(catalog, sql->second, 0, sources, &direct)
                       .WithContext("materialized view " + definition.QualifiedName()));
  if (sources.count(definition.QualifiedName())) {
    return Status::Invalid("materialized view " + definition.QualifiedName() + " reads itself");
  }
  if (sources.empty()) {
    return Status::Invalid("materialized view " + definition.QualifiedName() +
                           " reads no catalog table");
  }
  state.direct_single_source = direct.size() == 1 && Versioned(direct[0]->kind);

  NL_ASSIGN_OR_RETURN(state.table, OpenDelta(definition, storage));
  auto snapshot = state.table->LoadSnapshot();
  if (snapshot.ok()) {
    state.snapshot = *snapshot;
    state.last_refresh = FindLastRefresh(*state.table);
  } else if (!snapshot.status().IsNotFound()) {
    return snapshot.status().WithContext("materialized view " + definition.QualifiedName());
  }

  for (const auto& [name, source_definition] : sources) {
    OpenedSource source;
    source.definition = source_definition;
    source.version.table = name;
    source.version.kind = std::string(catalog::TableKindName(source_definition->kind));
    if (Versioned(source_definition->kind)) {
      NL_ASSIGN_OR_RETURN(source.table, OpenDelta(*source_definition, storage));
      auto latest = source.table->LoadSnapshot();
      if (!latest.ok()) return latest.status().WithContext("source " + name);
      source.snapshot = *latest;
      source.version.current = source.snapshot->version;
      if (state.snapshot) {
        source.version.recorded = state.snapshot->AppTransactionVersion(SourceAppId(name));
      }
    }
    state.sources.push_back(std::move(source));
  }
  return state;
}

}  // namespace neuralake::mv
