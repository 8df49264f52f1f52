#include "neuralake/cli/catalog_check.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>
#include <optional>
#include <vector>

#include "neuralake/catalog/catalog_file.h"
#include "neuralake/catalog/provider.h"
#include "neuralake/delta/table.h"
#include "neuralake/engine/scan.h"
#include "neuralake/sql/delta_provider.h"
#include "neuralake/sql/query_service.h"

namespace neuralake::cli {
namespace {

// What the check found about one table.
struct TableReport {
  const catalog::TableDefinition* table = nullptr;
  std::vector<std::string> problems;  // any: the table is broken
  std::vector<std::string> warnings;
  std::string summary;                // "12 columns, version 7" for a good table
};

std::string Upper(const std::string& text) {
  std::string out;
  for (char c : text) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// A type's normal form: the engine's spelling of the parsed type ("int" and "INTEGER" agree,
// "TEXT" is VARCHAR); a type the engine cannot parse compares as its upper-cased text.
std::string NormalType(const std::string& type) {
  auto parsed = engine::ParseColumnType(type);
  return parsed.ok() ? engine::ColumnTypeSql(*parsed) : Upper(type);
}

std::string Plural(size_t count, const std::string& noun) {
  return std::to_string(count) + " " + noun + (count == 1 ? "" : "s");
}

// "1d", "90m", "2271d": exact when a unit divides it, else the largest unit that fits twice.
std::string Duration(int64_t seconds) {
  if (seconds > 0 && seconds % 86400 == 0) return std::to_string(seconds / 86400) + "d";
  if (seconds > 0 && seconds % 3600 == 0) return std::to_string(seconds / 3600) + "h";
  if (seconds > 0 && seconds % 60 == 0) return std::to_string(seconds / 60) + "m";
  if (seconds >= 2 * 86400) return std::to_string(seconds / 86400) + "d";
  if (seconds >= 2 * 3600) return std::to_string(seconds / 3600) + "h";
  if (seconds >= 2 * 60) return std::to_string(seconds / 60) + "m";
  return std::to_string(seconds) + "s";
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const catalog::DescribedColumn* FindColumn(const catalog::TableDescription& description,
                                           const std::string& name) {
  for (const auto& column : description.columns) {
    if (column.name == name) return &column;
  }
  return nullptr;
}

// The declared schema against the data's columns: a declared column missing from the data, of
// another type, or declared a partition column when it is not, breaks the table. Columns of the
// data that are not declared are fine (a declared schema may list only the columns it promises).
void CompareSchema(const catalog::TableDefinition& table, const catalog::TableDescription& data,
                   TableReport& report) {
  for (const auto& declared : table.schema) {
    const auto* column = FindColumn(data, declared.name);
    if (column == nullptr) {
      std::string hint;
      for (const auto& other : data.columns) {
        if (Upper(other.name) == Upper(declared.name)) hint = " (the data has '" + other.name + "')";
      }
      report.problems.push_back("declared column '" + declared.name + "' is not in the data" +
                                hint);
      continue;
    }
    if (NormalType(declared.type) != NormalType(column->type)) {
      report.problems.push_back("column '" + declared.name + "' is declared " + declared.type +
                                " but the data has " + column->type);
    }
    if (declared.partition && !column->partition) {
      report.problems.push_back("column '" + declared.name +
                                "' is declared a partition column but is not one in the data");
    }
  }
}

// Unique columns, the dedupe order and example filters must name columns of the table; each
// filter must parse, apply to its column's type, and its values must convert to that type.
void CheckMetadataColumns(const sql::QueryService& service, const catalog::TableDefinition& table,
                          const catalog::TableDescription& data, TableReport& report) {
  const catalog::TableMetadata& meta = table.metadata;
  for (const auto& name : meta.unique_columns) {
    if (!FindColumn(data, name)) {
      report.problems.push_back("unique column '" + name + "' is not a column of the table");
    }
  }
  if (!meta.dedupe_order_by.empty() && !FindColumn(data, meta.dedupe_order_by)) {
    report.problems.push_back("dedupe order_by column '" + meta.dedupe_order_by +
                              "' is not a column of the table");
  }
  for (size_t list = 0; list < meta.example_filters.size(); ++list) {
    for (const auto& example : meta.example_filters[list]) {
      std::string where = "example filter " + std::to_string(list + 1) + " (" + example.column +
                          " " + example.op + ")";
      const auto* column = FindColumn(data, example.column);
      if (column == nullptr) {
        report.problems.push_back(where + ": '" + example.column + "' is not a column of the table");
        continue;
      }
      std::vector<engine::QueryParam> values(example.values.begin(), example.values.end());
      auto filter = engine::ScanFilter::Make(example.column, example.op, values);
      if (!filter.ok()) {
        report.problems.push_back(where + ": " + filter.status().message());
        continue;
      }
      auto type = engine::ParseColumnType(column->type);
      if (!type.ok()) continue;  // a type typed scans do not carry: compared as text
      Status applies = engine::CheckFilter(*filter, *type);
      if (!applies.ok()) {
        report.problems.push_back(where + ": " + applies.message());
        continue;
      }
      using Op = engine::ScanFilter::Op;
      if (filter->op == Op::kContains || filter->op == Op::kStartsWith ||
          filter->op == Op::kEndsWith || !engine::FilterOpTakesValue(filter->op)) {
        continue;  // text or no value
      }
      bool element = filter->op == Op::kIncludes || filter->op == Op::kIncludesAny ||
                     filter->op == Op::kIncludesAll;
      std::string target = engine::ColumnTypeSql(element ? type->children[0] : *type);
      for (const auto& value : example.values) {
        sql::QueryRequest request;
        request.params = {value};
        auto cast = service.Query("SELECT CAST($1 AS " + target + ")", request);
        if (!cast.ok()) {
          report.problems.push_back(where + ": value '" + value + "' is not a " + target);
        }
      }
    }
  }
}

// How old the newest data is, when the kind tells: a Delta table's newest commit, a Parquet
// table's newest file. std::nullopt for other kinds; an error when it cannot be read.
Result<std::optional<int64_t>> NewestDataMs(const GlobalOptions& global,
                                            const sql::QueryService& service,
                                            const catalog::TableDefinition& table) {
  if (table.kind == catalog::TableKind::kDelta) {
    delta::TableOptions options;
    NL_ASSIGN_OR_RETURN(options.storage, catalog::TableStorage(table, global.storage));
    NL_ASSIGN_OR_RETURN(auto opened, delta::DeltaTable::Open(table.uri, options));
    NL_ASSIGN_OR_RETURN(auto history, opened->log().History(1));
    if (history.empty()) return std::optional<int64_t>();
    return std::optional<int64_t>(history.front().timestamp_ms);
  }
  if (table.kind == catalog::TableKind::kParquet) {
    NL_ASSIGN_OR_RETURN(auto plan,
                        service.Resolve({table.QualifiedName(), std::nullopt, std::nullopt}));
    int64_t newest = 0;
    for (const auto& file : plan->files) newest = std::max(newest, file.modification_time_ms);
    if (newest == 0) return std::optional<int64_t>();
    return std::optional<int64_t>(newest);
  }
  return std::optional<int64_t>();
}

void CheckFreshness(const GlobalOptions& global, const sql::QueryService& service,
                    const catalog::TableDefinition& table, TableReport& report) {
  int64_t limit = table.metadata.freshness_seconds;
  if (limit <= 0) return;
  auto newest = NewestDataMs(global, service, table);
  if (!newest.ok()) {
    report.warnings.push_back("freshness not checked: " + newest.status().message());
    return;
  }
  if (!*newest) {
    if (table.kind == catalog::TableKind::kDelta || table.kind == catalog::TableKind::kParquet) {
      report.warnings.push_back("stale: the table has no data (freshness " + Duration(limit) + ")");
    }
    return;
  }
  int64_t age = std::max<int64_t>(0, (NowMs() - **newest) / 1000);
  if (age > limit) {
    report.warnings.push_back("stale: newest data is " + Duration(age) + " old (freshness " +
                              Duration(limit) + ")");
  }
}

void CheckDeprecation(const catalog::Catalog& catalog, const catalog::TableDefinition& table,
                      TableReport& report) {
  const auto& deprecated = table.metadata.deprecated;
  if (!deprecated) return;
  std::string text = "deprecated";
  if (!deprecated->message.empty()) text += ": " + deprecated->message;
  if (!deprecated->use.empty()) text += "; use " + deprecated->use;
  report.warnings.push_back(text);
  if (!deprecated->use.empty() && !catalog.Resolve(deprecated->use).ok()) {
    report.warnings.push_back("the replacement " + deprecated->use + " is not in the catalog");
  }
}

// Parquet tables that declare data columns read as those columns; the data's own columns come
// from the same tables without the declaration (partition declarations kept: they type the path).
Result<std::map<std::string, Result<catalog::TableDescription>>> ParquetFileColumns(
    const GlobalOptions& global, const std::vector<const catalog::TableDefinition*>& tables) {
  catalog::Catalog undeclared;
  for (const auto* table : tables) {
    catalog::TableDefinition copy = *table;
    std::erase_if(copy.schema, [](const catalog::DeclaredColumn& column) { return !column.partition; });
    copy.metadata = {};  // reads of the file columns need no dedupe
    undeclared.Database(copy.database).AddTable(std::move(copy));
  }
  std::map<std::string, Result<catalog::TableDescription>> out;
  if (tables.empty()) return out;
  sql::QueryServiceOptions options;
  options.storage = global.storage;
  NL_ASSIGN_OR_RETURN(auto service, sql::QueryService::Make(std::move(undeclared), options));
  for (const auto* table : tables) {
    out.emplace(table->QualifiedName(), service->Describe(table->QualifiedName()));
  }
  return out;
}

TableReport CheckTable(const GlobalOptions& global, const sql::QueryService& service,
                       const catalog::TableDefinition& table,
                       const std::map<std::string, Result<catalog::TableDescription>>& file_columns) {
  TableReport report;
  report.table = &table;
  auto description = service.Describe(table.QualifiedName());
  if (!description.ok()) {
    report.problems.push_back(description.status().message());
    return report;
  }
  // Rows from elsewhere (a function, a PostgreSQL table) are produced only when read: read one.
  if (table.kind == catalog::TableKind::kFunction || table.kind == catalog::TableKind::kPostgres) {
    sql::ScanSpec one;
    one.limit = 1;
    auto read = service.Scan(table.QualifiedName(), one).Count();
    if (!read.ok()) {
      report.problems.push_back(read.status().message());
      return report;
    }
  }
  auto files = file_columns.find(table.QualifiedName());
  if (files == file_columns.end()) {
    CompareSchema(table, *description, report);
  } else if (files->second.ok()) {
    CompareSchema(table, *files->second, report);
  } else if (description->files.value_or(1) > 0) {
    report.warnings.push_back("declared schema not compared with the files: " +
                              files->second.status().message());
  }
  CheckMetadataColumns(service, table, *description, report);
  CheckFreshness(global, service, table, report);
  CheckDeprecation(service.catalog(), table, report);
  report.summary = Plural(description->columns.size(), "column");
  if (description->version) report.summary += ", version " + std::to_string(*description->version);
  if (description->files) report.summary += ", " + Plural(*description->files, "file");
  if (description->rows) report.summary += ", " + Plural(*description->rows, "row");
  return report;
}

// The catalog without the tables whose provider cannot even be made (an unknown function, bad
// storage settings): those are reported broken, the rest are still checked.
catalog::Catalog WithoutUnbuildable(const catalog::Catalog& catalog, const GlobalOptions& global,
                                    std::map<std::string, std::string>& unbuildable) {
  catalog::ProviderRegistry registry = sql::BuiltinProviders();
  catalog::ProviderContext context;
  context.storage = global.storage;
  catalog::Catalog kept;
  for (const auto* table : catalog.AllTables()) {
    auto provider = registry.Make(*table, context);
    if (!provider.ok()) {
      unbuildable[table->QualifiedName()] = provider.status().message();
    } else {
      kept.Database(table->database).AddTable(*table);
    }
  }
  return kept;
}

void Print(const std::vector<TableReport>& reports, std::ostream& out) {
  size_t name_width = 0, kind_width = 0;
  for (const auto& report : reports) {
    name_width = std::max(name_width, report.table->QualifiedName().size());
    kind_width = std::max(kind_width, catalog::TableKindName(report.table->kind).size());
  }
  for (const auto& report : reports) {
    std::string name = report.table->QualifiedName();
    std::string kind(catalog::TableKindName(report.table->kind));
    bool ok = report.problems.empty();
    out << (ok ? "ok   " : "FAIL ") << name << std::string(name_width - name.size() + 2, ' ') << kind
        << std::string(kind_width - kind.size() + 2, ' ');
    if (ok) {
      out << report.summary << "\n";
    } else {
      out << report.problems.front() << "\n";
      for (size_t i = 1; i < report.problems.size(); ++i) {
        out << "     error: " << report.problems[i] << "\n";
      }
    }
    for (const auto& warning : report.warnings) out << "     warning: " << warning << "\n";
  }
}

}  // namespace

Status CheckCatalog(const GlobalOptions& global, const std::string& catalog_path, std::ostream& out) {
  NL_ASSIGN_OR_RETURN(catalog::Catalog loaded, catalog::LoadCatalogFile(catalog_path));
  std::vector<const catalog::TableDefinition*> all = loaded.AllTables();
  std::map<std::string, std::string> unbuildable;
  catalog::Catalog buildable = WithoutUnbuildable(loaded, global, unbuildable);

  sql::QueryServiceOptions options;
  options.storage = global.storage;
  NL_ASSIGN_OR_RETURN(auto service, sql::QueryService::Make(std::move(buildable), options));

  std::vector<const catalog::TableDefinition*> declared_parquet;
  for (const auto* table : service->catalog().AllTables()) {
    bool declares_data = std::any_of(table->schema.begin(), table->schema.end(),
                                     [](const auto& column) { return !column.partition; });
    if (table->kind == catalog::TableKind::kParquet && declares_data) {
      declared_parquet.push_back(table);
    }
  }
  NL_ASSIGN_OR_RETURN(auto file_columns, ParquetFileColumns(global, declared_parquet));

  std::vector<TableReport> reports;
  for (const auto* table : all) {
    auto failed = unbuildable.find(table->QualifiedName());
    if (failed != unbuildable.end()) {
      TableReport report;
      report.table = table;
      report.problems.push_back(failed->second);
      reports.push_back(std::move(report));
      continue;
    }
    auto resolved = service->catalog().Resolve(table->QualifiedName());
    if (!resolved.ok()) return resolved.status();
    reports.push_back(CheckTable(global, *service, **resolved, file_columns));
  }
  Print(reports, out);

  std::vector<std::string> broken;
  size_t warnings = 0;
  for (const auto& report : reports) {
    if (!report.problems.empty()) broken.push_back(report.table->QualifiedName());
    warnings += report.warnings.size();
  }
  out << Plural(reports.size(), "table") << ": " << reports.size() - broken.size() << " ok, "
      << broken.size() << " broken, " << Plural(warnings, "warning") << "\n";
  if (broken.empty()) return Status::OK();
  std::string names;
  for (const auto& name : broken) names += (names.empty() ? "" : ", ") + name;
  return Status::Invalid("catalog check: " + Plural(broken.size(), "broken table") + ": " + names);
}

}  // namespace neuralake::cli
