// Where the rows of a write come from: DataSource and its resolution against a table's schema.

#include <cctype>

#include "neuralake/delta/writer_internal.h"

namespace neuralake::delta {
namespace write_internal {
namespace {

using engine::ColumnType;

Result<std::vector<std::pair<std::string, std::string>>> DescribeColumns(
    engine::Engine& engine, const engine::WriteSource& rows, const std::string& description) {
  auto described = engine::DescribeSource(engine, rows);
  if (!described.ok()) {
    return Status(described.status().code(),
                  "cannot read " + description + ": " + described.status().message());
  }
  std::vector<std::pair<std::string, std::string>> columns;
  for (auto& column : *described) columns.emplace_back(column.name, column.type);
  return columns;
}

// The table's type for a column, with struct fields that only the data has appended (so schema
// merge can add them and enforce mode names them), recursively.
DataType OverlayType(const DataType& table, const DataType& data) {
  using Kind = DataType::Kind;
  if (table.kind() == Kind::kStruct && data.kind() == Kind::kStruct) {
    std::vector<StructField> fields;
    for (const auto& field : table.fields()) {
      StructField overlaid = field;
      for (const auto& data_field : data.fields()) {
        if (Lower(data_field.name) == Lower(field.name)) {
          overlaid.type = OverlayType(field.type, data_field.type);
        }
      }
      fields.push_back(std::move(overlaid));
    }
    for (const auto& data_field : data.fields()) {
      bool known = false;
      for (const auto& field : table.fields()) {
        known = known || Lower(field.name) == Lower(data_field.name);
      }
      if (!known) fields.push_back(data_field);
    }
    return DataType::Struct(std::move(fields));
  }
  if (table.kind() == Kind::kArray && data.kind() == Kind::kArray) {
    return DataType::Array(OverlayType(table.element(), data.element()), table.contains_null());
  }
  if (table.kind() == Kind::kMap && data.kind() == Kind::kMap) {
    return DataType::Map(table.key(), OverlayType(table.value(), data.value()),
                         table.contains_null());
  }
  return table;
}

// CSV: the columns the table has (and the engine can type) are parsed with the table's types.
Result<std::vector<engine::SourceColumnType>> CsvColumnTypes(
    const std::vector<std::pair<std::string, std::string>>& columns, const Schema& table_schema) {
  std::vector<engine::SourceColumnType> types;
  for (const auto& [name, detected] : columns) {
    const StructField* field = table_schema.Find(name);
    if (field == nullptr) continue;
    auto type = EngineColumnType(field->type);
    if (!type.ok()) continue;  // read as detected; the schema check names it
    types.push_back({name, std::move(type).value(), field->type.ToString()});
  }
  return types;
}

// JSON: every column, typed by the table (with the data's extra struct fields) or as detected.
Result<std::vector<engine::SourceColumnType>> JsonColumnTypes(
    const std::vector<std::pair<std::string, std::string>>& columns, const Schema& table_schema) {
  std::vector<engine::SourceColumnType> types;
  for (const auto& [name, detected_type] : columns) {
    auto detected = DataTypeFromDuckDb(detected_type);
    const StructField* field = table_schema.Find(name);
    DataType type;
    if (field != nullptr) {
      type = detected.ok() ? OverlayType(field->type, *detected) : field->type;
    } else if (detected.ok()) {
      type = *detected;
    } else {
      return detected.status().WithContext("column '" + name + "'");
    }
    NL_ASSIGN_OR_RETURN(ColumnType engine_type, EngineColumnType(type));
    types.push_back({name, std::move(engine_type), type.ToString()});
  }
  return types;
}

Result<ColumnType> PrimitiveColumnType(const std::string& name) {
  using Id = ColumnType::Id;
  static const std::map<std::string, Id> kIds = {
      {"long", Id::kInt64},     {"integer", Id::kInt32},   {"short", Id::kInt16},
      {"byte", Id::kInt8},      {"float", Id::kFloat},     {"double", Id::kDouble},
      {"string", Id::kString},  {"binary", Id::kBinary},   {"boolean", Id::kBoolean},
      {"date", Id::kDate},      {"timestamp", Id::kTimestamp},
      {"timestamp_ntz", Id::kTimestampNtz},
  };
  auto it = kIds.find(name);
  if (it == kIds.end()) return Status::Unsupported("Delta type '" + name + "' is not supported");
  return ColumnType::Of(it->second);
}

}  // namespace

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsPartitionColumn(const std::vector<std::string>& partition_columns, std::string_view name) {
  std::string lower = Lower(name);
  for (const auto& column : partition_columns) {
    if (Lower(column) == lower) return true;
  }
  return false;
}

Result<ColumnType> EngineColumnType(const DataType& type) {
  switch (type.kind()) {
    case DataType::Kind::kPrimitive:
      return PrimitiveColumnType(type.name());
    case DataType::Kind::kDecimal:
      return ColumnType::Decimal(type.precision(), type.scale());
    case DataType::Kind::kStruct: {
      std::vector<std::string> names;
      std::vector<ColumnType> types;
      for (const auto& field : type.fields()) {
        names.push_back(field.name);
        NL_ASSIGN_OR_RETURN(ColumnType inner, EngineColumnType(field.type));
        types.push_back(std::move(inner));
      }
      return ColumnType::Struct(std::move(names), std::move(types));
    }
    case DataType::Kind::kArray: {
      NL_ASSIGN_OR_RETURN(ColumnType element, EngineColumnType(type.element()));
      return ColumnType::List(std::move(element));
    }
    case DataType::Kind::kMap: {
      NL_ASSIGN_OR_RETURN(ColumnType key, EngineColumnType(type.key()));
      NL_ASSIGN_OR_RETURN(ColumnType value, EngineColumnType(type.value()));
      return ColumnType::Map(std::move(key), std::move(value));
    }
  }
  return Status::Internal("unknown data type kind");
}

Result<ResolvedSource> ResolveSource(engine::Engine& engine, const DataSource& source,
                                     const Schema* table_schema) {
  NL_RETURN_NOT_OK(engine::CheckSourceNotEmpty(engine, source.rows));
  NL_ASSIGN_OR_RETURN(auto columns, DescribeColumns(engine, source.rows, source.description));
  ResolvedSource resolved{source.rows, {}};
  const engine::WriteSource& rows = source.rows;
  bool typed_files = rows.kind == engine::WriteSource::Kind::kFiles && table_schema != nullptr &&
                     rows.column_types.empty();
  if (typed_files && rows.format == engine::FileFormat::kCsv) {
    NL_ASSIGN_OR_RETURN(resolved.rows.column_types, CsvColumnTypes(columns, *table_schema));
  } else if (typed_files && rows.format == engine::FileFormat::kJson) {
    NL_ASSIGN_OR_RETURN(resolved.rows.column_types, JsonColumnTypes(columns, *table_schema));
  }
  if (!resolved.rows.column_types.empty()) {
    NL_ASSIGN_OR_RETURN(columns, DescribeColumns(engine, resolved.rows, source.description));
  }
  auto schema = SchemaFromDuckDb(columns);
  if (!schema.ok()) return schema.status().WithContext(source.description);
  resolved.schema = std::move(schema).value();
  return resolved;
}

}  // namespace write_internal

Result<DataSource> DataSource::FromFile(std::string_view path) {
  std::string lower = write_internal::Lower(path);
  if (lower.ends_with(".gz")) {
    lower.resize(lower.size() - 3);
  } else if (lower.ends_with(".zst")) {
    lower.resize(lower.size() - 4);
  }
  DataSource source;
  source.description = "'" + std::string(path) + "'";
  if (lower.ends_with(".csv") || lower.ends_with(".tsv")) {
    source.rows = engine::WriteSource::FromFiles(std::string(path), engine::FileFormat::kCsv,
                                                 lower.ends_with(".tsv") ? '\t' : ',');
  } else if (lower.ends_with(".json") || lower.ends_with(".jsonl") ||
             lower.ends_with(".ndjson")) {
    source.rows = engine::WriteSource::FromFiles(std::string(path), engine::FileFormat::kJson);
  } else if (lower.ends_with(".parquet")) {
    source.rows = engine::WriteSource::FromFiles(std::string(path), engine::FileFormat::kParquet);
  } else {
    return Status::Invalid("cannot tell the format of '" + std::string(path) +
                           "' from its extension (expected .csv, .tsv, .json, .jsonl, .ndjson "
                           "or .parquet)");
  }
  return source;
}

DataSource DataSource::FromQuery(std::string_view select_sql) {
  DataSource source;
  source.rows = engine::WriteSource::FromQuery(std::string(select_sql));
  source.description = "query";
  return source;
}

DataSource DataSource::FromBatches(std::vector<const engine::ColumnBatch*> batches) {
  DataSource source;
  source.rows = engine::WriteSource::FromBatches(std::move(batches));
  source.description = "batches";
  return source;
}

}  // namespace neuralake::delta
