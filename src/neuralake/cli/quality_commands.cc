// `neuralake check db.table [--catalog FILE] [--version N] [--format table|json]
//                           [--quality-uri URI]`
//
// Evaluates the table's catalog expectations on the table (at a version for Delta tables), prints
// one line per expectation (ok / FAIL / WARN / DROP), appends the results to the `_quality` table
// and exits 1 when a `fail` expectation is violated (warn never fails; drop, on a stored table,
// reports its violations without failing). Also the checks `table append` runs (AppendChecked).
#include "neuralake/cli/quality_commands.h"

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include <CLI/CLI.hpp>

#include "neuralake/catalog/catalog_file.h"
#include "neuralake/delta/table.h"
#include "neuralake/quality/enforce.h"
#include "neuralake/quality/expectations.h"
#include "neuralake/quality/results_table.h"
#include "neuralake/sql/query_service.h"

namespace neuralake::cli {
namespace {

using catalog::Expectation;

struct CheckFlags {
  std::string table;
  std::string catalog;
  std::optional<int64_t> version;
  std::string format = "table";
  std::string quality_uri;
};

std::string Normalized(std::string uri) {
  if (uri.rfind("file://", 0) == 0) uri = uri.substr(7);
  while (uri.size() > 1 && uri.back() == '/') uri.pop_back();
  return uri;
}

bool NeedsReferences(const std::vector<Expectation>& expectations) {
  for (const auto& expectation : expectations) {
    if (expectation.type == "foreign_key") return true;
  }
  return false;
}

Result<std::unique_ptr<sql::QueryService>> ServiceFor(const GlobalOptions& global,
                                                      catalog::Catalog catalog) {
  sql::QueryServiceOptions options;
  options.storage = global.storage;
  options.timeout_ms = 0;  // a check reads the whole table
  return sql::QueryService::Make(std::move(catalog), options);
}

// Where results go: the flag, else beside the table, else beside the catalog file.
std::string QualityUriFor(const std::string& flag, const std::string& table_uri,
                          const std::string& catalog_path) {
  if (!flag.empty()) return flag;
  if (!table_uri.empty()) return quality::DefaultQualityUri(table_uri);
  auto directory = std::filesystem::absolute(catalog_path).parent_path();
  return (directory / "_quality").string();
}

void RecordResults(const GlobalOptions& global, const std::string& quality_uri,
                   const quality::ResultsRecord& record, std::ostream& err) {
  delta::TableOptions options;
  options.storage = global.storage;
  Status status = quality::AppendResults(quality_uri, options, record);
  if (!status.ok()) {
    err << "warning: could not record the results in " << quality_uri << ": " << status.ToString()
        << "\n";
  }
}

Status CheckCommand(const GlobalOptions& global, const CheckFlags& flags, std::ostream& out,
                    std::ostream& err) {
  if (flags.format != "table" && flags.format != "json") {
    return Status::Invalid("--format must be table or json, got '" + flags.format + "'");
  }
  NL_ASSIGN_OR_RETURN(catalog::Catalog catalog, catalog::LoadCatalogFile(flags.catalog));
  NL_ASSIGN_OR_RETURN(const catalog::TableDefinition* found, catalog.Resolve(flags.table));
  catalog::TableDefinition definition = *found;
  NL_ASSIGN_OR_RETURN(auto service, ServiceFor(global, std::move(catalog)));
  catalog::TableAt at;
  at.version = flags.version;
  NL_ASSIGN_OR_RETURN(auto relation, service->RelationOf(definition.QualifiedName(), at));
  NL_ASSIGN_OR_RETURN(auto description, service->Describe(definition.QualifiedName(), at));

  quality::CheckTarget target;
  const sql::QueryService* reader = service.get();
  target.run = [reader](const std::string& sql, const std::vector<engine::QueryParam>& params,
                        engine::CellEncoding cells) -> Result<engine::Table> {
    sql::QueryRequest request;
    request.params = params;
    request.cells = cells;
    NL_ASSIGN_OR_RETURN(auto outcome, reader->Query(sql, request));
    return std::move(outcome.table);
  };
  target.relation = relation.first;
  for (const auto& column : description.columns) target.columns.push_back({column.name, column.type});
  target.references = [reader](const Expectation& expectation) -> Result<std::string> {
    NL_ASSIGN_OR_RETURN(auto referenced,
                        reader->RelationOf(expectation.references_table, catalog::TableAt{}));
    std::string column = expectation.references_column.empty() ? expectation.column
                                                               : expectation.references_column;
    return "(SELECT DISTINCT CAST(" + engine::Engine::QuoteIdentifier(column) +
           " AS VARCHAR) AS __nl_key FROM " + referenced.first + ")";
  };
  if (definition.kind == catalog::TableKind::kDelta ||
      definition.kind == catalog::TableKind::kMaterializedView) {
    delta::TableOptions table_options;
    table_options.storage = global.storage;
    NL_ASSIGN_OR_RETURN(auto table, delta::DeltaTable::Open(definition.uri, table_options));
    NL_ASSIGN_OR_RETURN(auto snapshot, table->LoadSnapshot(description.version));
    target.last_commit_ms = snapshot->VersionTimestamp();
  }
  NL_ASSIGN_OR_RETURN(auto results, quality::Evaluate(target, definition.expectations));

  std::string quality_uri = QualityUriFor(flags.quality_uri, definition.uri,
                                          catalog::CatalogFilePath(flags.catalog));
  std::string failure = quality::FailureMessage(results);
  if (flags.format == "json") {
    out << "{\"table\": " << engine::JsonString(definition.QualifiedName()) << ", \"version\": "
        << (description.version ? std::to_string(*description.version) : "null")
        << ", \"quality_uri\": " << engine::JsonString(quality_uri)
        << ", \"failed\": " << (failure.empty() ? "false" : "true")
        << ",\n \"results\": " << quality::ResultsJson(results) << "}\n";
  } else {
    out << definition.QualifiedName();
    if (description.version) out << " version " << *description.version;
    out << ": " << results.size() << " expectation" << (results.size() == 1 ? "" : "s") << "\n";
    for (const auto& result : results) out << quality::FormatResult(result) << "\n";
  }
  out.flush();
  RecordResults(global, quality_uri,
                {definition.QualifiedName(), description.version, "check", results}, err);
  if (!failure.empty()) return Status::Invalid("check failed: " + failure);
  return Status::OK();
}

// The catalog table (with expectations) whose uri is `uri`, from --catalog or $NEURALAKE_CATALOG;
// nullopt when neither names a catalog or no such table declares expectations.
Result<std::optional<std::pair<catalog::Catalog, catalog::TableDefinition>>> CatalogTableAt(
    const std::string& catalog_flag, const std::string& uri) {
  const char* env = std::getenv("NEURALAKE_CATALOG");
  using Found = std::optional<std::pair<catalog::Catalog, catalog::TableDefinition>>;
  if (catalog_flag.empty() && (env == nullptr || *env == '\0')) return Found();
  NL_ASSIGN_OR_RETURN(catalog::Catalog catalog, catalog::LoadCatalogFile(catalog_flag));
  for (const auto* definition : catalog.AllTables()) {
    if (!definition->uri.empty() && Normalized(definition->uri) == Normalized(uri)) {
      if (definition->expectations.empty()) return Found();
      catalog::TableDefinition copy = *definition;
      return Found(std::make_pair(std::move(catalog), std::move(copy)));
    }
  }
  return Found();
}

}  // namespace

Result<std::optional<delta::WriteResult>> AppendChecked(const GlobalOptions& global,
                                                        delta::DeltaTable& table,
                                                        const delta::DataSource& source,
                                                        const delta::WriteOptions& options,
                                                        const QualityFlags& flags,
                                                        std::ostream& out, std::ostream& err) {
  NL_ASSIGN_OR_RETURN(auto found, CatalogTableAt(flags.catalog, table.uri()));
  if (!found) return std::optional<delta::WriteResult>();
  catalog::TableDefinition definition = std::move(found->second);
  std::unique_ptr<sql::QueryService> service;
  if (NeedsReferences(definition.expectations)) {
    NL_ASSIGN_OR_RETURN(service, ServiceFor(global, std::move(found->first)));
  }
  quality::EnforceOptions enforce;
  enforce.write = options;
  enforce.quarantine_uri = flags.quarantine_uri.empty()
                               ? quality::DefaultQuarantineUri(table.uri())
                               : flags.quarantine_uri;
  enforce.references = service.get();
  enforce.storage = global.storage;
  NL_ASSIGN_OR_RETURN(auto outcome, quality::AppendWithExpectations(
                                        table, source, definition.expectations, enforce));
  std::optional<int64_t> version;
  if (outcome.written && (outcome.written->committed || outcome.written->skipped)) {
    version = outcome.written->version;
  }
  RecordResults(global, QualityUriFor(flags.quality_uri, table.uri(), ""),
                {definition.QualifiedName(), version, "append", outcome.results}, err);
  if (outcome.failure) return Status::Invalid(*outcome.failure);
  for (const auto& result : outcome.results) {
    if (result.violations > 0 && result.action == Expectation::Action::kWarn) {
      err << "warning: expectation " << quality::FormatResult(result).substr(5) << "\n";
    }
  }
  if (outcome.quarantine) {
    std::string names;
    for (const auto& result : outcome.results) {
      if (result.action == Expectation::Action::kDrop && result.violations > 0) {
        names += (names.empty() ? "" : ", ") + result.name;
      }
    }
    out << (outcome.quarantine->skipped ? "already quarantined " : "quarantined ")
        << outcome.dropped_rows << " row" << (outcome.dropped_rows == 1 ? "" : "s")
        << " violating " << names << ": " << enforce.quarantine_uri << " version "
        << outcome.quarantine->version << "\n";
  }
  return std::optional<delta::WriteResult>(*outcome.written);
}

Result<std::function<Result<ingest::RowsVerdict>(const engine::ColumnBatch&)>> IngestQualityGate(
    const GlobalOptions& global, const std::string& table_uri, const QualityFlags& flags,
    std::ostream& err) {
  using Gate = std::function<Result<ingest::RowsVerdict>(const engine::ColumnBatch&)>;
  NL_ASSIGN_OR_RETURN(auto found, CatalogTableAt(flags.catalog, table_uri));
  if (!found) return Gate();
  struct State {
    GlobalOptions global;
    catalog::TableDefinition definition;
    std::unique_ptr<sql::QueryService> service;
    std::unique_ptr<engine::Engine> engine;
    std::string quality_uri;
  };
  auto state = std::make_shared<State>();
  state->global = global;
  state->definition = std::move(found->second);
  if (NeedsReferences(state->definition.expectations)) {
    NL_ASSIGN_OR_RETURN(state->service, ServiceFor(global, std::move(found->first)));
  }
  engine::EngineOptions engine_options;
  engine_options.storage = global.storage;
  engine_options.threads = 1;
  NL_ASSIGN_OR_RETURN(state->engine, engine::Engine::Make(engine_options));
  state->quality_uri = QualityUriFor(flags.quality_uri, table_uri, "");
  std::ostream* log = &err;
  return Gate([state, log](const engine::ColumnBatch& rows) -> Result<ingest::RowsVerdict> {
    NL_ASSIGN_OR_RETURN(auto check,
                        quality::CheckBatch(*state->engine, rows, state->definition.expectations,
                                            state->service.get()));
    RecordResults(state->global, state->quality_uri,
                  {state->definition.QualifiedName(), std::nullopt, "ingest", check.results},
                  *log);
    for (const auto& result : check.results) {
      if (result.violations > 0 && result.action == Expectation::Action::kWarn) {
        *log << "warning: expectation " << quality::FormatResult(result).substr(5) << "\n";
      }
    }
    ingest::RowsVerdict verdict;
    verdict.failure = check.failure;
    verdict.dropped_by = std::move(check.dropped_by);
    return verdict;
  });
}

std::function<Status(const catalog::TableDefinition&, const std::string&, mv::RefreshMode)>
MvQualityHook(const GlobalOptions& global, std::ostream& err) {
  std::ostream* log = &err;
  return [global, log](const catalog::TableDefinition& view, const std::string& parquet_path,
                       mv::RefreshMode mode) -> Status {
    std::vector<Expectation> expectations;
    for (const auto& expectation : view.expectations) {
      if (expectation.type == "foreign_key") {
        *log << "warning: expectation " << expectation.name
             << " (foreign_key) is not checked on refresh; run neuralake check\n";
      } else {
        expectations.push_back(expectation);
      }
    }
    if (expectations.empty()) return Status::OK();
    engine::EngineOptions options;
    options.storage = global.storage;
    NL_ASSIGN_OR_RETURN(auto engine, engine::Engine::Make(options));
    auto source = engine::WriteSource::FromFiles(parquet_path, engine::FileFormat::kParquet);
    NL_ASSIGN_OR_RETURN(auto results, quality::CheckSource(*engine, source, expectations, nullptr));
    RecordResults(global, QualityUriFor("", view.uri, ""),
                  {view.QualifiedName(), std::nullopt, "refresh", results}, *log);
    std::string failure = quality::FailureMessage(results);
    if (!failure.empty()) {
      return Status::Invalid(failure + " in the " + std::string(mv::RefreshModeName(mode)) +
                             " refresh of " + view.QualifiedName() + "; nothing committed");
    }
    for (const auto& result : results) {
      if (result.violations > 0 && result.action != Expectation::Action::kFail) {
        *log << "warning: expectation " << quality::FormatResult(result).substr(5) << "\n";
      }
    }
    return Status::OK();
  };
}

void AddQualityCommands(CLI::App& app, CommandContext& context) {
  auto flags = std::make_shared<CheckFlags>();
  CLI::App* check = app.add_subcommand(
      "check", "Evaluate a catalog table's data-quality expectations (exit 1 when a fail one is "
               "violated)");
  check->add_option("table", flags->table, "catalog table, db.table")->required();
  check->add_option("--catalog", flags->catalog,
                    "catalog YAML (default: $NEURALAKE_CATALOG, else ./catalog.yaml)");
  check->add_option("--version", flags->version, "check this version (Delta tables)");
  check->add_option("--format", flags->format, "table (default) or json");
  check->add_option("--quality-uri", flags->quality_uri,
                    "results table (default: <parent of the table uri>/_quality)");
  check->callback([&context, flags] {
    context.action = [&context, flags] {
      return CheckCommand(context.options, *flags, *context.out, *context.err);
    };
  });
}

}  // namespace neuralake::cli
