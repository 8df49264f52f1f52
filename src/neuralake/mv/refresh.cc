// Refresh (refresh.h): decide the mode, evaluate the SQL on a pinned service, commit once.
#include "neuralake/mv/refresh.h"

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <thread>

#include "neuralake/delta/scan_plan.h"
#include "neuralake/delta/snapshot.h"
#include "neuralake/delta/table.h"
#include "neuralake/delta/transaction.h"
#include "neuralake/delta/writer.h"
#include "neuralake/engine/engine.h"
#include "neuralake/engine/query_shape.h"
#include "neuralake/mv/pinned_service.h"
#include "neuralake/mv/source_changes.h"
#include "neuralake/mv/view_sources.h"

namespace neuralake::mv {
namespace {

using nlohmann::json;

// A private local directory for the refresh's intermediate Parquet files, removed afterwards.
class ScratchDirectory {
 public:
  ScratchDirectory()
      : path_(std::filesystem::temp_directory_path() / ("neuralake-mv-" + delta::NewUuid())) {
    std::filesystem::create_directories(path_);
  }
  ~ScratchDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// What the refresh will do, decided before anything is read.
struct Decision {
  RefreshMode mode = RefreshMode::kFull;
  std::string reason;
  engine::QueryShape shape;
  const OpenedSource* incremental_source = nullptr;  // incremental: the one source
  std::vector<delta::AddFile> added;                 // its appended files
};

std::string QuotedName(const catalog::TableDefinition& definition) {
  auto quote = [](const std::string& name) {
    std::string out = "\"";
    for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
  };
  return quote(definition.database) + "." + quote(definition.name);
}

std::string QuoteIdentifier(const std::string& name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string QuoteLiteral(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

Result<Decision> Decide(const ViewState& state, const std::string& sql, bool full) {
  Decision decision;
  auto full_because = [&decision](std::string reason) {
    decision.mode = RefreshMode::kFull;
    decision.reason = std::move(reason);
    return decision;
  };
  if (!state.snapshot) return full_because("first refresh");
  if (!state.last_refresh) return full_because("no refresh recorded in the view's table");
  if (state.last_refresh->sql != sql) return full_because("the view's SQL changed");
  for (const auto& source : state.sources) {
    if (!source.table) {
      return full_because("source " + source.version.table + " is a " + source.version.kind +
                          " table without versions");
    }
    if (!source.version.recorded) {
      return full_because("source " + source.version.table + " has no recorded version");
    }
  }
  bool changed = false;
  for (const auto& source : state.sources) {
    changed = changed || *source.version.recorded != *source.version.current;
  }
  if (!changed && !full) {
    decision.mode = RefreshMode::kNoop;
    decision.reason = "no source changed since the last refresh";
    return decision;
  }
  if (full) return full_because("full refresh requested");
  if (state.definition->options.count("refresh_mode") &&
      state.definition->options.at("refresh_mode") == "full") {
    return full_because("refresh mode is full");
  }
  NL_ASSIGN_OR_RETURN(decision.shape, engine::AnalyzeQueryShape(sql));
  if (decision.shape.kind == engine::QueryShape::Kind::kOther) {
    return full_because(decision.shape.reason);
  }
  if (state.sources.size() != 1 || !state.direct_single_source) {
    return full_because("query reads " + std::to_string(state.sources.size()) +
                        " tables (through views)");
  }
  const OpenedSource& source = state.sources[0];
  NL_ASSIGN_OR_RETURN(auto changes, ChangesSince(*source.table, *source.snapshot,
                                                 *source.version.recorded, source.version.table));
  if (!changes.append_only) return full_because(changes.reason);
  decision.mode = RefreshMode::kIncremental;
  decision.reason = "source " + source.version.table + " only had appends since version " +
                    std::to_string(*source.version.recorded) + " (" +
                    std::to_string(changes.added.size()) + " new files)";
  decision.incremental_source = &source;
  decision.added = std::move(changes.added);
  return decision;
}

// The SELECT merging the stored aggregates of the view with the partial ones in `partial`.
Result<std::string> MergeSql(const engine::QueryShape& shape, const delta::Snapshot& stored,
                             const catalog::TableDefinition& view, const std::string& partial) {
  const auto& fields = stored.schema.fields;
  if (fields.size() != shape.columns.size()) {
    return Status::Invalid("materialized view " + view.QualifiedName() + " stores " +
                           std::to_string(fields.size()) + " columns; its query selects " +
                           std::to_string(shape.columns.size()));
  }
  std::string select, group_by;
  for (size_t i = 0; i < fields.size(); ++i) {
    std::string column = QuoteIdentifier(fields[i].name);
    std::string expression;
    switch (shape.columns[i].kind) {
      case engine::ShapeColumn::Kind::kKey:
        expression = column;
        group_by += (group_by.empty() ? "" : ", ") + column;
        break;
      case engine::ShapeColumn::Kind::kSum: expression = "sum(" + column + ")"; break;
      case engine::ShapeColumn::Kind::kCount:
        expression = "CAST(sum(" + column + ") AS BIGINT)";
        break;
      case engine::ShapeColumn::Kind::kMin: expression = "min(" + column + ")"; break;
      case engine::ShapeColumn::Kind::kMax: expression = "max(" + column + ")"; break;
      case engine::ShapeColumn::Kind::kAvg: {
        std::string count = QuoteIdentifier(fields[shape.columns[i].count_index].name);
        expression = "sum(" + column + " * " + count + ") / nullif(sum(CASE WHEN " + column +
                     " IS NULL THEN 0 ELSE " + count + " END), 0)";
        break;
      }
    }
    select += (select.empty() ? "" : ", ") + expression + " AS " + column;
  }
  std::string sql = "SELECT " + select + " FROM (SELECT * FROM " + QuotedName(view) +
                    " UNION ALL BY NAME SELECT * FROM read_parquet(" + QuoteLiteral(partial) +
                    "))";
  if (!group_by.empty()) sql += " GROUP BY " + group_by;
  return sql;
}

// Evaluates the refresh's rows into `rows_path`: the whole content (full, aggregate merge) or the
// appended rows (incremental projection). Returns the row count.
Result<int64_t> ComputeRows(const ViewState& state, const Decision& decision,
                            const std::string& sql, const RefreshOptions& options,
                            const ScratchDirectory& scratch, const std::string& rows_path) {
  PinnedPlans pinned;
  for (const auto& source : state.sources) {
    if (!source.table) continue;
    const std::vector<delta::AddFile>* files =
        &source == decision.incremental_source ? &decision.added : nullptr;
    NL_ASSIGN_OR_RETURN(pinned[source.version.table],
                        delta::BuildScanPlan(*source.table, *source.snapshot,
                                             source.version.table, files));
  }
  bool merge = decision.mode == RefreshMode::kIncremental &&
               decision.shape.kind == engine::QueryShape::Kind::kAggregate;
  if (merge) {
    NL_ASSIGN_OR_RETURN(pinned[state.definition->QualifiedName()],
                        delta::BuildScanPlan(*state.table, *state.snapshot,
                                             state.definition->QualifiedName()));
  }
  sql::QueryServiceOptions service_options;
  service_options.storage = options.storage;
  NL_ASSIGN_OR_RETURN(auto service, MakePinnedService(*state.catalog, std::move(pinned),
                                                      service_options));
  if (!merge) {
    NL_ASSIGN_OR_RETURN(auto outcome, service->Export(sql, rows_path, "parquet"));
    return outcome.row_count;
  }
  std::string partial = scratch.File("partial.parquet");
  NL_RETURN_NOT_OK(service->Export(sql, partial, "parquet").status());
  NL_ASSIGN_OR_RETURN(std::string merge_sql,
                      MergeSql(decision.shape, *state.snapshot, *state.definition, partial));
  NL_ASSIGN_OR_RETURN(auto outcome, service->Export(merge_sql, rows_path, "parquet"));
  return outcome.row_count;
}

// Creates the view's Delta table with the columns of `rows_path` (no rows; the refresh commit
// follows) and returns its snapshot.
Result<std::shared_ptr<const delta::Snapshot>> CreateViewTable(ViewState& state,
                                                               const std::string& rows_path) {
  delta::CreateTableOptions create;
  create.source = delta::DataSource::FromQuery("SELECT * FROM read_parquet(" +
                                               QuoteLiteral(rows_path) + ") LIMIT 0");
  create.partition_columns = state.definition->partition_by;
  create.name = state.definition->QualifiedName();
  if (!state.definition->description().empty()) {
    create.description = state.definition->description();
  }
  NL_ASSIGN_OR_RETURN(auto created, delta::CreateTable(*state.table, create));
  return created.snapshot;
}

Status CommitRefresh(ViewState& state, const Decision& decision, const std::string& sql,
                     const std::string& rows_path, const RefreshOptions& options,
                     RefreshResult& result) {
  bool replace = decision.mode == RefreshMode::kFull ||
                 decision.shape.kind == engine::QueryShape::Kind::kAggregate;
  bool has_rows = decision.mode == RefreshMode::kFull || !decision.added.empty();
  std::vector<delta::AddFile> adds;
  if (has_rows) {
    NL_ASSIGN_OR_RETURN(auto source, delta::DataSource::FromFile(rows_path));
    NL_ASSIGN_OR_RETURN(adds, delta::WriteFiles(*state.table, *state.snapshot, source));
  }
  delta::Transaction txn(&state.table->log(), state.snapshot);
  json sources = json::object();
  for (const auto& source : state.sources) {
    if (source.version.current) sources[source.version.table] = *source.version.current;
  }
  json parameters = {{"mode", std::string(RefreshModeName(decision.mode))},
                     {"reason", decision.reason},
                     {"sql", sql},
                     {"sources", sources.dump()}};
  txn.SetOperation(std::string(kRefreshOperation), parameters);
  txn.SetCommitInfoField("mvSources", sources);
  int64_t now = delta::NowMs();
  if (replace && has_rows) {
    txn.ReadWholeTable();
    for (const auto& file : state.snapshot->files) {
      txn.ReadFile(file.path);
      txn.AddAction(delta::RemoveFor(file, now));
      ++result.files_removed;
    }
  }
  for (auto& add : adds) {
    result.rows_added += delta::NumRecords(add);
    ++result.files_added;
    txn.AddAction(std::move(add));
  }
  for (const auto& source : state.sources) {
    if (!source.version.current) continue;
    txn.AddAction(delta::SetTransaction{SourceAppId(source.version.table),
                                        *source.version.current, now});
  }
  if (options.pause_before_commit_ms > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(options.pause_before_commit_ms));
  }
  NL_ASSIGN_OR_RETURN(auto committed, txn.Commit());
  result.committed = true;
  result.version = committed.version;
  return Status::OK();
}

}  // namespace

std::string SourceAppId(const std::string& source) { return "mv:" + source; }

std::string_view RefreshModeName(RefreshMode mode) {
  switch (mode) {
    case RefreshMode::kNoop: return "noop";
    case RefreshMode::kFull: return "full";
    case RefreshMode::kIncremental: return "incremental";
  }
  return "?";
}

Result<RefreshResult> Refresh(const catalog::Catalog& catalog, std::string_view view,
                              const RefreshOptions& options) {
  auto started = std::chrono::steady_clock::now();
  NL_ASSIGN_OR_RETURN(ViewState state, OpenView(catalog, view, options.storage));
  const std::string& sql = state.definition->options.at("sql");
  RefreshResult result;
  result.view = state.definition->QualifiedName();
  for (const auto& source : state.sources) result.sources.push_back(source.version);
  NL_ASSIGN_OR_RETURN(Decision decision, Decide(state, sql, options.full));
  result.mode = decision.mode;
  result.reason = decision.reason;
  if (state.snapshot) result.version = state.snapshot->version;
  auto finish = [&]() {
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
                         .count();
    return result;
  };
  if (decision.mode == RefreshMode::kNoop) return finish();

  ScratchDirectory scratch;
  std::string rows_path = scratch.File("rows.parquet");
  bool compute = decision.mode == RefreshMode::kFull || !decision.added.empty();
  if (compute) {
    NL_ASSIGN_OR_RETURN(result.rows_computed,
                        ComputeRows(state, decision, sql, options, scratch, rows_path));
    if (options.check_rows) {
      NL_RETURN_NOT_OK(options.check_rows(*state.definition, rows_path, decision.mode));
    }
  }
  if (!state.snapshot) {
    NL_ASSIGN_OR_RETURN(state.snapshot, CreateViewTable(state, rows_path));
  }
  NL_RETURN_NOT_OK(CommitRefresh(state, decision, sql, rows_path, options, result));
  return finish();
}

}  // namespace neuralake::mv
