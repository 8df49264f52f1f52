#include "neuralake/quality/enforce.h"

#include <atomic>

#include "neuralake/engine/column_batch.h"
#include "neuralake/engine/parquet_write.h"
#include "neuralake/sql/query_service.h"

namespace neuralake::quality {
namespace {

using catalog::Expectation;
using engine::Engine;

std::string Q(std::string_view name) { return Engine::QuoteIdentifier(name); }

std::string UniqueName(const char* prefix) {
  static std::atomic<int64_t> counter{0};
  return std::string(prefix) + std::to_string(counter.fetch_add(1));
}

QueryRunner EngineRunner(Engine& engine) {
  return [&engine](const std::string& sql, const std::vector<engine::QueryParam>& params,
                   engine::CellEncoding cells) -> Result<engine::Table> {
    engine::QueryOptions options;
    options.params = params;
    options.cells = cells;
    NL_ASSIGN_OR_RETURN(auto outcome, engine.RunQuery(sql, options));
    return std::move(outcome.table);
  };
}

// Temporary tables of one enforced write, dropped when it ends.
class StagedTables {
 public:
  explicit StagedTables(Engine& engine) : engine_(engine) {}
  ~StagedTables() {
    for (const auto& name : names_) (void)engine_.DropTable(name);
  }
  void Add(std::string name) { names_.push_back(std::move(name)); }

 private:
  Engine& engine_;
  std::vector<std::string> names_;
};

// A foreign key's referenced keys, read through the catalog and loaded into the table's engine.
ReferenceResolver LoadedReferences(const sql::QueryService* service, Engine& engine,
                                   StagedTables& staged) {
  if (service == nullptr) return nullptr;
  return [service, &engine, &staged](const Expectation& expectation) -> Result<std::string> {
    NL_ASSIGN_OR_RETURN(auto relation,
                        service->RelationOf(expectation.references_table, catalog::TableAt{}));
    std::string column = expectation.references_column.empty() ? expectation.column
                                                               : expectation.references_column;
    sql::QueryRequest request;
    request.cells = engine::CellEncoding::kText;
    NL_ASSIGN_OR_RETURN(auto keys, service->Query("SELECT DISTINCT CAST(" + Q(column) +
                                                      " AS VARCHAR) FROM " + relation.first,
                                                  request));
    engine::ColumnBatch batch;
    engine::ColumnData data;
    data.name = "__nl_key";
    data.kind = engine::ColumnKind::kString;
    for (const auto& row : keys.table.rows) {
      data.strings.push_back(row.at(0).value_or(""));
      data.valid.push_back(row.at(0) ? 1 : 0);
    }
    batch.columns.push_back(std::move(data));
    batch.num_rows = static_cast<int64_t>(keys.table.rows.size());
    std::string name = UniqueName("__nl_quality_keys_");
    NL_RETURN_NOT_OK(engine.LoadBatches(name, {&batch}));
    staged.Add(name);
    return Q(name);
  };
}

// Stages the source rows with `__nl_failed`: the names of the drop expectations each violates.
Result<std::string> StageWithFailures(Engine& engine, const std::string& relation,
                                      const CheckTarget& target,
                                      const std::vector<const Expectation*>& drops,
                                      StagedTables& staged) {
  std::vector<engine::QueryParam> params;
  std::string names;
  for (const Expectation* expectation : drops) {
    std::string reference;
    if (expectation->type == "foreign_key") {
      NL_ASSIGN_OR_RETURN(reference, target.references
                                         ? target.references(*expectation)
                                         : Result<std::string>(Status::Unsupported(
                                               "foreign_key needs a catalog")));
    }
    NL_ASSIGN_OR_RETURN(std::string violation,
                        ViolationSql(*expectation, target.columns, reference, params));
    params.emplace_back(expectation->name);
    names += ", CASE WHEN " + violation + " THEN $" + std::to_string(params.size()) + " END";
  }
  std::string name = UniqueName("__nl_quality_rows_");
  engine::QueryOptions options;
  options.params = std::move(params);
  NL_RETURN_NOT_OK(engine
                       .RunQuery("CREATE TABLE " + Q(name) +
                                     " AS SELECT *, concat_ws(','" + names +
                                     ") AS __nl_failed FROM " + relation + " AS __nl_rows",
                                 options)
                       .status());
  staged.Add(name);
  return name;
}

Result<delta::WriteResult> WriteQuarantine(Engine& engine, const std::string& staged_table,
                                           const std::string& uri, const EnforceOptions& options,
                                           const std::string& description) {
  delta::TableOptions table_options;
  table_options.engine = &engine;
  table_options.storage = options.storage;
  NL_ASSIGN_OR_RETURN(auto quarantine, delta::DeltaTable::Open(uri, table_options));
  auto source = delta::DataSource::FromQuery("SELECT * EXCLUDE (__nl_failed), __nl_failed AS "
                                             "_expectation FROM " +
                                             Q(staged_table) + " WHERE __nl_failed <> ''");
  source.description = "rows of " + description + " dropped by expectations";
  delta::WriteOptions write = options.write;
  write.schema_mode = delta::SchemaMode::kMerge;
  write.target_file_size.reset();
  NL_ASSIGN_OR_RETURN(bool exists, quarantine->Exists());
  if (!exists) {
    delta::CreateTableOptions create;
    create.source = source;
    create.write = write;
    create.description = "rows dropped by data-quality expectations (docs/quality.md)";
    return delta::CreateTable(*quarantine, create);
  }
  return delta::Append(*quarantine, source, write);
}

}  // namespace

std::string DefaultQuarantineUri(const std::string& table_uri) {
  std::string uri = table_uri;
  while (uri.size() > 1 && uri.back() == '/') uri.pop_back();
  return uri + "_quarantine";
}

Result<EnforcedWrite> AppendWithExpectations(delta::DeltaTable& table,
                                             const delta::DataSource& untyped,
                                             const std::vector<Expectation>& expectations,
                                             const EnforceOptions& options) {
  EnforcedWrite outcome;
  if (expectations.empty()) {
    NL_ASSIGN_OR_RETURN(outcome.written, delta::Append(table, untyped, options.write));
    return outcome;
  }
  // The rows are checked and split as the append will read them (CSV/JSON columns typed from the
  // table): the staged split is a query, which Append would not retype.
  NL_ASSIGN_OR_RETURN(delta::DataSource source, delta::TypedForTable(table, untyped));
  NL_ASSIGN_OR_RETURN(Engine * engine, table.GetEngine());
  StagedTables staged(*engine);
  std::optional<std::string> staged_rows;
  NL_RETURN_NOT_OK(engine::WithSourceRelation(
      *engine, source.rows, [&](const std::string& relation) -> Status {
        CheckTarget target;
        target.run = EngineRunner(*engine);
        target.relation = relation;
        target.new_rows = true;
        target.references = LoadedReferences(options.references, *engine, staged);
        NL_ASSIGN_OR_RETURN(auto described,
                            target.run("SELECT * FROM " + relation + " AS __nl_rows LIMIT 0", {},
                                       engine::CellEncoding::kText));
        target.columns = described.columns;
        NL_ASSIGN_OR_RETURN(outcome.results, Evaluate(target, expectations));
        std::string failure = FailureMessage(outcome.results);
        if (!failure.empty()) {
          outcome.failure = failure + "; nothing committed";
          return Status::OK();
        }
        std::vector<const Expectation*> drops;
        for (size_t i = 0; i < expectations.size(); ++i) {
          if (expectations[i].on_violation == Expectation::Action::kDrop &&
              CanDrop(expectations[i].type) && outcome.results[i].violations > 0) {
            drops.push_back(&expectations[i]);
          }
        }
        if (drops.empty()) return Status::OK();
        NL_ASSIGN_OR_RETURN(staged_rows,
                            StageWithFailures(*engine, relation, target, drops, staged));
        return Status::OK();
      }));
  if (outcome.failure) return outcome;
  if (!staged_rows) {
    NL_ASSIGN_OR_RETURN(outcome.written, delta::Append(table, source, options.write));
    return outcome;
  }
  if (options.quarantine_uri.empty()) {
    return Status::Invalid("drop expectations need a quarantine table location");
  }
  NL_ASSIGN_OR_RETURN(outcome.quarantine, WriteQuarantine(*engine, *staged_rows,
                                                          options.quarantine_uri, options,
                                                          source.description));
  outcome.dropped_rows = outcome.quarantine->rows_added;
  if (outcome.quarantine->skipped) {
    NL_ASSIGN_OR_RETURN(auto counted, engine->Query("SELECT count(*) FROM " + Q(*staged_rows) +
                                                    " WHERE __nl_failed <> ''"));
    outcome.dropped_rows = std::stoll(counted.rows.at(0).at(0).value_or("0"));
  }
  auto good = delta::DataSource::FromQuery("SELECT * EXCLUDE (__nl_failed) FROM " +
                                           Q(*staged_rows) + " WHERE __nl_failed = ''");
  good.description = source.description + " (rows passing the drop expectations)";
  auto written = delta::Append(table, good, options.write);
  if (!written.ok()) {
    // The quarantine commit stands (rows are never lost); say so instead of leaving it silent.
    return written.status().WithContext(
        std::to_string(outcome.dropped_rows) + " dropped rows were committed to the quarantine " +
        options.quarantine_uri + " at version " + std::to_string(outcome.quarantine->version) +
        "; the table is unchanged");
  }
  outcome.written = std::move(written).value();
  return outcome;
}

Result<std::vector<ExpectationResult>> CheckSource(
    Engine& engine, const engine::WriteSource& source, const std::vector<Expectation>& expectations,
    const sql::QueryService* references) {
  std::vector<ExpectationResult> results;
  StagedTables staged(engine);
  NL_RETURN_NOT_OK(engine::WithSourceRelation(
      engine, source, [&](const std::string& relation) -> Status {
        CheckTarget target;
        target.run = EngineRunner(engine);
        target.relation = relation;
        target.new_rows = true;
        target.references = LoadedReferences(references, engine, staged);
        NL_ASSIGN_OR_RETURN(auto described,
                            target.run("SELECT * FROM " + relation + " AS __nl_rows LIMIT 0", {},
                                       engine::CellEncoding::kText));
        target.columns = described.columns;
        NL_ASSIGN_OR_RETURN(results, Evaluate(target, expectations));
        return Status::OK();
      }));
  return results;
}

Result<BatchCheck> CheckBatch(Engine& engine, const engine::ColumnBatch& rows,
                              const std::vector<Expectation>& expectations,
                              const sql::QueryService* references) {
  BatchCheck check;
  check.dropped_by.assign(static_cast<size_t>(rows.num_rows), "");
  // The rows plus their position, so that per-row verdicts map back to the batch.
  engine::ColumnBatch numbered = rows;
  engine::ColumnData position;
  position.name = "__nl_row";
  position.kind = engine::ColumnKind::kInt64;
  for (int64_t row = 0; row < rows.num_rows; ++row) position.ints.push_back(row);
  numbered.columns.push_back(std::move(position));
  StagedTables staged(engine);
  std::string name = UniqueName("__nl_quality_batch_");
  NL_RETURN_NOT_OK(engine.LoadBatches(name, {&numbered}));
  staged.Add(name);
  std::string relation = "(SELECT * EXCLUDE (__nl_row) FROM " + Q(name) + ")";
  CheckTarget target;
  target.run = EngineRunner(engine);
  target.relation = relation;
  target.new_rows = true;
  target.references = LoadedReferences(references, engine, staged);
  NL_ASSIGN_OR_RETURN(auto described, target.run("SELECT * FROM " + relation + " AS r LIMIT 0",
                                                 {}, engine::CellEncoding::kText));
  target.columns = described.columns;
  NL_ASSIGN_OR_RETURN(check.results, Evaluate(target, expectations));
  check.failure = FailureMessage(check.results);
  if (!check.failure.empty()) return check;
  std::vector<engine::QueryParam> params;
  std::string names;
  for (size_t i = 0; i < expectations.size(); ++i) {
    const Expectation& expectation = expectations[i];
    if (expectation.on_violation != Expectation::Action::kDrop || !CanDrop(expectation.type) ||
        check.results[i].violations == 0) {
      continue;
    }
    std::string reference;
    if (expectation.type == "foreign_key") {
      NL_ASSIGN_OR_RETURN(reference, target.references
                                         ? target.references(expectation)
                                         : Result<std::string>(Status::Unsupported(
                                               "foreign_key needs a catalog")));
    }
    NL_ASSIGN_OR_RETURN(std::string violation,
                        ViolationSql(expectation, target.columns, reference, params));
    params.emplace_back(expectation.name);
    names += ", CASE WHEN " + violation + " THEN $" + std::to_string(params.size()) + " END";
  }
  if (names.empty()) return check;
  NL_ASSIGN_OR_RETURN(auto failed,
                      target.run("SELECT __nl_row, __nl_failed FROM (SELECT __nl_row, "
                                 "concat_ws(','" + names + ") AS __nl_failed FROM " + Q(name) +
                                 ") AS f WHERE __nl_failed <> ''",
                                 params, engine::CellEncoding::kText));
  for (const auto& row : failed.rows) {
    size_t index = static_cast<size_t>(std::stoll(row.at(0).value_or("0")));
    if (index < check.dropped_by.size()) check.dropped_by[index] = row.at(1).value_or("");
  }
  return check;
}

}  // namespace neuralake::quality
