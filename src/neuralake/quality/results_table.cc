#include "neuralake/quality/results_table.h"

#include <chrono>

#include "neuralake/delta/scan_plan.h"
#include "neuralake/delta/writer.h"
#include "neuralake/engine/lake_scan.h"
#include "neuralake/engine/column_batch.h"

namespace neuralake::quality {
namespace {

using engine::ColumnData;
using engine::ColumnKind;

ColumnData Column(std::string name, ColumnKind kind) {
  ColumnData column;
  column.name = std::move(name);
  column.kind = kind;
  return column;
}

engine::ColumnBatch BatchOf(const ResultsRecord& record) {
  engine::ColumnBatch batch;
  auto& columns = batch.columns;
  columns = {Column("table", ColumnKind::kString),        Column("version", ColumnKind::kInt64),
             Column("operation", ColumnKind::kString),    Column("expectation", ColumnKind::kString),
             Column("type", ColumnKind::kString),         Column("action", ColumnKind::kString),
             Column("rows_checked", ColumnKind::kInt64),  Column("violations", ColumnKind::kInt64),
             Column("passed", ColumnKind::kBool),         Column("sample", ColumnKind::kString),
             Column("seconds", ColumnKind::kDouble),
             Column("checked_at", ColumnKind::kTimestampMicros)};
  int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  for (const auto& result : record.results) {
    columns[0].strings.push_back(record.table);
    columns[1].ints.push_back(record.version.value_or(0));
    columns[1].valid.push_back(record.version ? 1 : 0);
    columns[2].strings.push_back(record.operation);
    columns[3].strings.push_back(result.name);
    columns[4].strings.push_back(result.type);
    columns[5].strings.push_back(std::string(catalog::ExpectationActionName(result.action)));
    columns[6].ints.push_back(result.rows_checked);
    columns[7].ints.push_back(result.violations);
    columns[8].ints.push_back(result.passed ? 1 : 0);
    columns[9].strings.push_back(result.sample);
    columns[10].doubles.push_back(result.seconds);
    columns[11].ints.push_back(now_us);
  }
  batch.num_rows = static_cast<int64_t>(record.results.size());
  return batch;
}

}  // namespace

std::string DefaultQualityUri(const std::string& table_uri) {
  std::string uri = table_uri;
  while (uri.size() > 1 && uri.back() == '/') uri.pop_back();
  size_t slash = uri.rfind('/');
  size_t scheme = uri.find("://");
  if (slash == std::string::npos) return "_quality";
  if (scheme != std::string::npos && slash < scheme + 3) return uri + "/_quality";  // a bucket
  if (slash == scheme + 2) return uri + "/_quality";
  return uri.substr(0, slash) + "/_quality";
}

Status AppendResults(const std::string& quality_uri, const delta::TableOptions& options,
                     const ResultsRecord& record) {
  if (record.results.empty()) return Status::OK();
  engine::ColumnBatch batch = BatchOf(record);
  auto source = delta::DataSource::FromBatches({&batch});
  source.description = "data-quality results";
  NL_ASSIGN_OR_RETURN(auto table, delta::DeltaTable::Open(quality_uri, options));
  NL_ASSIGN_OR_RETURN(bool exists, table->Exists());
  if (!exists) {
    delta::CreateTableOptions create;
    create.source = source;
    create.name = "_quality";
    create.description = "neuralake data-quality results (docs/quality.md)";
    auto created = delta::CreateTable(*table, create);
    if (created.ok()) return Status::OK();
    if (created.status().code() != StatusCode::kConflict) return created.status();
    // Another writer created it first: append below.
  }
  return delta::Append(*table, source).status();
}

Result<std::string> LatestResultsJson(const std::string& quality_uri,
                                      const delta::TableOptions& options,
                                      const std::string& table) {
  NL_ASSIGN_OR_RETURN(auto results, delta::DeltaTable::Open(quality_uri, options));
  NL_ASSIGN_OR_RETURN(bool exists, results->Exists());
  if (!exists) return std::string("[]");
  NL_ASSIGN_OR_RETURN(auto snapshot, results->LoadSnapshot());
  NL_ASSIGN_OR_RETURN(auto plan, delta::BuildScanPlan(*results, *snapshot));
  engine::RegisteredScanPlan registered(std::move(plan));
  NL_ASSIGN_OR_RETURN(engine::Engine * engine, results->GetEngine());
  engine::QueryOptions query;
  query.params = {engine::QueryParam(table)};
  query.cells = engine::CellEncoding::kJson;
  NL_ASSIGN_OR_RETURN(
      auto outcome,
      engine->RunQuery("SELECT * EXCLUDE (sample, __nl_rank), CAST(sample AS JSON) AS sample FROM "
                       "(SELECT *, row_number() OVER (PARTITION BY expectation ORDER BY "
                       "checked_at DESC) AS __nl_rank FROM " +
                           registered.Relation() +
                           " WHERE \"table\" = $1) AS r WHERE __nl_rank = 1 ORDER BY expectation",
                       query));
  auto names = engine::UniqueColumnNames(outcome.table.columns);
  std::string json = "[";
  for (size_t row = 0; row < outcome.table.rows.size(); ++row) {
    std::string line = engine::JsonObjectLine(names, outcome.table.rows[row]);
    while (!line.empty() && line.back() == '\n') line.pop_back();
    json += (row == 0 ? "" : ", ") + line;
  }
  return json + "]";
}

}  // namespace neuralake::quality
