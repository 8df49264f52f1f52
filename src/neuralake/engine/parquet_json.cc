#include "neuralake/engine/parquet_json.h"

#include <atomic>
#include <cstdint>
#include <optional>
#include <random>

#include "neuralake/storage/object_store_factory.h"

namespace neuralake::engine {
namespace {

// A process-wide memory namespace where JsonLinesToParquet stages its input and output.
constexpr const char* kStagingNamespace = "neuralake-engine-staging";

// A name no other staging file of this process has.
std::string UniqueStagingName() {
  static const uint64_t process_id = std::random_device{}();
  static std::atomic<uint64_t> counter{0};
  return std::to_string(process_id) + "-" + std::to_string(counter.fetch_add(1));
}

// `read_parquet([...])` over `uris`, columns unified by name, no hive partition columns.
std::string ReadParquetSql(const std::vector<std::string>& uris) {
  std::string list;
  for (const auto& uri : uris) {
    if (!list.empty()) list += ", ";
    list += Engine::QuoteLiteral(uri);
  }
  return "read_parquet([" + list + "], union_by_name = true, hive_partitioning = false)";
}

// Runs `sql` and hands its rows to `on_rows` one engine chunk (at most 2,048 rows) at a time,
// cells in DuckDB's text rendering.
Status RunToSink(Engine& engine, const std::string& sql, const ParquetRowSink& on_rows) {
  QueryOptions options;
  options.cells = CellEncoding::kText;
  auto outcome = engine.StreamQuery(
      sql, options, [&](const std::vector<ColumnInfo>&, const Table& rows) -> Status {
        if (rows.rows.empty()) return Status::OK();
        return on_rows(rows);
      });
  return outcome.status();
}

// The top-level field names of a DuckDB STRUCT type as DuckDB prints it:
// `STRUCT(a BIGINT, "b c" STRUCT(x VARCHAR), ...)`. Names may be double-quoted (quotes doubled
// inside); types may nest parentheses and quoted names. nullopt when `type` is not a STRUCT.
std::optional<std::vector<std::string>> StructFieldNames(std::string_view type) {
  constexpr std::string_view kPrefix = "STRUCT(";
  if (type.substr(0, kPrefix.size()) != kPrefix || type.empty() || type.back() != ')') {
    return std::nullopt;
  }
  std::vector<std::string> names;
  size_t i = kPrefix.size();
  const size_t end = type.size() - 1;  // the closing parenthesis
  while (i < end) {
    while (i < end && type[i] == ' ') ++i;
    std::string name;
    if (i < end && type[i] == '"') {
      for (++i; i < end; ++i) {
        if (type[i] == '"') {
          if (i + 1 < end && type[i + 1] == '"') {
            name += '"';
            ++i;
          } else {
            ++i;
            break;
          }
        } else {
          name += type[i];
        }
      }
    } else {
      while (i < end && type[i] != ' ' && type[i] != ',') name += type[i++];
    }
    if (name.empty()) return std::nullopt;
    names.push_back(std::move(name));
    // Skip the field's type up to the next top-level comma.
    int depth = 0;
    bool quoted = false;
    for (; i < end; ++i) {
      char c = type[i];
      if (quoted) {
        if (c == '"') quoted = false;
      } else if (c == '"') {
        quoted = true;
      } else if (c == '(') {
        ++depth;
      } else if (c == ')') {
        --depth;
      } else if (c == ',' && depth == 0) {
        ++i;
        break;
      }
    }
  }
  return names;
}

// The fields of struct column `column` of the unified schema of `uris`; nullopt when there is no
// such column or it is not a struct.
Result<std::optional<std::vector<std::string>>> StructColumnFields(
    Engine& engine, const std::vector<std::string>& uris, const std::string& column) {
  NL_ASSIGN_OR_RETURN(Table schema,
                      engine.Query("DESCRIBE SELECT * FROM " + ReadParquetSql(uris)));
  int name_index = schema.ColumnIndex("column_name");
  int type_index = schema.ColumnIndex("column_type");
  if (name_index < 0 || type_index < 0) return Status::Internal("unexpected DESCRIBE result");
  for (const auto& row : schema.rows) {
    if (row[name_index] && *row[name_index] == column && row[type_index]) {
      return StructFieldNames(*row[type_index]);
    }
  }
  return std::optional<std::vector<std::string>>();
}

}  // namespace

Result<std::string> JsonLinesToParquet(Engine& engine, std::string_view json_lines,
                                       const std::vector<ParquetField>& columns,
                                       std::string_view label) {
  if (columns.empty()) return Status::Invalid("a Parquet file needs at least one column");
  NL_ASSIGN_OR_RETURN(auto staging, storage::MakeMemoryObjectStore(kStagingNamespace, ""));
  std::string name = std::string(label) + "-" + UniqueStagingName();
  std::string json_key = name + ".json";
  std::string parquet_key = name + ".parquet";
  std::string root = std::string("memory://") + kStagingNamespace + "/";
  NL_RETURN_NOT_OK(staging->Put(json_key, json_lines));

  std::string types;
  std::string select;
  for (const auto& column : columns) {
    if (!types.empty()) {
      types += ", ";
      select += ", ";
    }
    types += Engine::QuoteIdentifier(column.name) + ": " +
             Engine::QuoteLiteral(ColumnTypeSql(column.type));
    select += Engine::QuoteIdentifier(column.name);
  }
  std::string sql = "COPY (SELECT " + select + " FROM read_json(" +
                    Engine::QuoteLiteral(root + json_key) +
                    ", format = 'newline_delimited', columns = {" + types + "})) TO " +
                    Engine::QuoteLiteral(root + parquet_key) + " (FORMAT parquet)";
  Status copied = engine.Execute(sql);
  (void)staging->Delete(json_key);
  if (!copied.ok()) {
    (void)staging->Delete(parquet_key);
    return copied;
  }
  auto bytes = staging->Get(parquet_key);
  (void)staging->Delete(parquet_key);
  return bytes;
}

Status ReadParquetRowsAsJson(Engine& engine, const std::vector<std::string>& uris,
                             std::string_view skip_when_set, const ParquetRowSink& on_rows) {
  if (uris.empty()) return Status::OK();
  std::string sql = "SELECT to_json(parquet_row) FROM " + ReadParquetSql(uris) + " AS parquet_row";
  if (!skip_when_set.empty()) {
    sql += " WHERE parquet_row." + Engine::QuoteIdentifier(skip_when_set) + " IS NULL";
  }
  return RunToSink(engine, sql, on_rows);
}

Status ReadParquetStructFields(Engine& engine, const std::vector<std::string>& uris,
                               const StructColumnRead& read, const ParquetRowSink& on_rows) {
  if (uris.empty()) return Status::OK();
  NL_ASSIGN_OR_RETURN(auto present, StructColumnFields(engine, uris, read.column));
  if (!present) {
    return Status::NotFound("the Parquet files have no struct column '" + read.column + "'");
  }
  auto has = [&](const std::string& field) {
    for (const auto& name : *present) {
      if (name == field) return true;
    }
    return false;
  };
  std::string column = Engine::QuoteIdentifier(read.column);
  auto extract = [&](const std::string& field) {
    return "struct_extract(" + column + ", " + Engine::QuoteLiteral(field) + ")";
  };
  std::string select;
  for (const auto& field : read.fields) {
    if (!select.empty()) select += ", ";
    if (!has(field.name)) {
      if (field.required) {
        return Status::Invalid("the Parquet files have no field '" + field.name +
                               "' in column '" + read.column + "'");
      }
      select += "NULL";
    } else {
      select += field.as_json ? "to_json(" + extract(field.name) + ")" : extract(field.name);
    }
  }
  if (!read.whole_as_json_when_set.empty()) {
    std::string any_set = "false";
    for (const auto& field : read.whole_as_json_when_set) {
      if (has(field)) any_set += " OR " + extract(field) + " IS NOT NULL";
    }
    if (!select.empty()) select += ", ";
    select += "CASE WHEN " + any_set + " THEN to_json(" + column + ") END";
  }
  if (select.empty()) return Status::Invalid("nothing to read from column '" + read.column + "'");
  std::string sql = "SELECT " + select + " FROM " + ReadParquetSql(uris) + " WHERE " + column +
                    " IS NOT NULL";
  return RunToSink(engine, sql, on_rows);
}

}  // namespace neuralake::engine
