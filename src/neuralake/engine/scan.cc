#include "neuralake/engine/scan.h"

#include "duckdb.hpp"
#include "neuralake/engine/engine_impl.h"
#include "neuralake/engine/lake_scan_duckdb.h"

namespace neuralake::engine {

int RecordBatch::ColumnIndex(std::string_view name) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

namespace {

using duckdb::LogicalTypeId;
using duckdb::idx_t;

Result<ColumnType> ColumnTypeOf(const std::string& column, const duckdb::LogicalType& type) {
  using Id = ColumnType::Id;
  switch (type.id()) {
    case LogicalTypeId::BOOLEAN: return ColumnType::Of(Id::kBoolean);
    case LogicalTypeId::TINYINT: return ColumnType::Of(Id::kInt8);
    case LogicalTypeId::SMALLINT: return ColumnType::Of(Id::kInt16);
    case LogicalTypeId::INTEGER: return ColumnType::Of(Id::kInt32);
    case LogicalTypeId::BIGINT: return ColumnType::Of(Id::kInt64);
    case LogicalTypeId::FLOAT: return ColumnType::Of(Id::kFloat);
    case LogicalTypeId::DOUBLE: return ColumnType::Of(Id::kDouble);
    case LogicalTypeId::VARCHAR: return ColumnType::Of(Id::kString);
    case LogicalTypeId::BLOB: return ColumnType::Of(Id::kBinary);
    case LogicalTypeId::DATE: return ColumnType::Of(Id::kDate);
    case LogicalTypeId::TIMESTAMP_TZ: return ColumnType::Of(Id::kTimestamp);
    case LogicalTypeId::TIMESTAMP: return ColumnType::Of(Id::kTimestampNtz);
    case LogicalTypeId::DECIMAL:
      return ColumnType::Decimal(duckdb::DecimalType::GetWidth(type),
                                 duckdb::DecimalType::GetScale(type));
    case LogicalTypeId::STRUCT: {
      std::vector<std::string> names;
      std::vector<ColumnType> types;
      for (const auto& [name, child] : duckdb::StructType::GetChildTypes(type)) {
        NL_ASSIGN_OR_RETURN(ColumnType field, ColumnTypeOf(column, child));
        names.push_back(name);
        types.push_back(std::move(field));
      }
      return ColumnType::Struct(std::move(names), std::move(types));
    }
    case LogicalTypeId::LIST: {
      NL_ASSIGN_OR_RETURN(ColumnType element,
                          ColumnTypeOf(column, duckdb::ListType::GetChildType(type)));
      return ColumnType::List(std::move(element));
    }
    case LogicalTypeId::MAP: {
      NL_ASSIGN_OR_RETURN(ColumnType key, ColumnTypeOf(column, duckdb::MapType::KeyType(type)));
      NL_ASSIGN_OR_RETURN(ColumnType value,
                          ColumnTypeOf(column, duckdb::MapType::ValueType(type)));
      return ColumnType::Map(std::move(key), std::move(value));
    }
    default:
      return Status::Unsupported("column " + column + " has type " + type.ToString() +
                                 ", which typed scans do not carry");
  }
}

// An empty column of `type` with the children its type calls for.
Column EmptyColumn(std::string name, const ColumnType& type) {
  Column column;
  column.name = std::move(name);
  column.type = type;
  if (type.id == ColumnType::Id::kList || type.id == ColumnType::Id::kMap) column.offsets = {0};
  for (size_t i = 0; i < type.children.size(); ++i) {
    std::string child_name = type.id == ColumnType::Id::kStruct ? type.field_names[i]
                             : type.id == ColumnType::Id::kList ? "element"
                             : i == 0                          ? "key"
                                                               : "value";
    column.children.push_back(EmptyColumn(std::move(child_name), type.children[i]));
  }
  return column;
}

void AppendValidity(Column& out, bool valid) {
  if (!valid && out.valid.empty()) {
    out.valid.assign(static_cast<size_t>(out.length), 1);
    out.valid.push_back(0);
  } else if (!out.valid.empty()) {
    out.valid.push_back(valid ? 1 : 0);
  }
  ++out.length;
}

template <typename T, typename Convert>
void AppendScalars(Column& out, duckdb::Vector& vector, idx_t size, const std::vector<idx_t>& rows,
                   Convert convert) {
  duckdb::UnifiedVectorFormat format;
  vector.ToUnifiedFormat(size, format);
  const T* data = duckdb::UnifiedVectorFormat::GetData<T>(format);
  for (idx_t row : rows) {
    idx_t index = format.sel->get_index(row);
    bool valid = format.validity.RowIsValid(index);
    convert(valid ? &data[index] : nullptr);
    AppendValidity(out, valid);
  }
}

void AppendRows(Column& out, duckdb::Vector& vector, idx_t size, const std::vector<idx_t>& rows);

// Lists and maps: each row's entries appended to the children, in row order.
void AppendEntries(Column& out, duckdb::Vector& vector, idx_t size,
                   const std::vector<idx_t>& rows) {
  vector.Flatten(size);
  const auto* entries = duckdb::FlatVector::GetData<duckdb::list_entry_t>(vector);
  const auto& validity = duckdb::FlatVector::Validity(vector);
  std::vector<idx_t> child_rows;
  for (idx_t row : rows) {
    bool valid = validity.RowIsValid(row);
    if (valid) {
      for (idx_t i = 0; i < entries[row].length; ++i) {
        child_rows.push_back(entries[row].offset + i);
      }
    }
    out.offsets.push_back(out.offsets.back() + (valid ? static_cast<int64_t>(entries[row].length)
                                                      : 0));
    AppendValidity(out, valid);
  }
  duckdb::Vector& child = duckdb::ListVector::GetEntry(vector);
  idx_t child_size = duckdb::ListVector::GetListSize(vector);
  if (out.type.id == ColumnType::Id::kList) {
    AppendRows(out.children[0], child, child_size, child_rows);
    return;
  }
  child.Flatten(child_size);  // a map's entries: STRUCT(key, value)
  auto& key_value = duckdb::StructVector::GetEntries(child);
  AppendRows(out.children[0], *key_value[0], child_size, child_rows);
  AppendRows(out.children[1], *key_value[1], child_size, child_rows);
}

// Appends rows `rows` (indexes into the first `size` rows of `vector`) to `out`.
void AppendRows(Column& out, duckdb::Vector& vector, idx_t size, const std::vector<idx_t>& rows) {
  using Id = ColumnType::Id;
  auto ints = [&out](auto* value) { out.ints.push_back(value ? static_cast<int64_t>(*value) : 0); };
  switch (out.type.id) {
    case Id::kBoolean: return AppendScalars<bool>(out, vector, size, rows, ints);
    case Id::kInt8: return AppendScalars<int8_t>(out, vector, size, rows, ints);
    case Id::kInt16: return AppendScalars<int16_t>(out, vector, size, rows, ints);
    case Id::kInt32: return AppendScalars<int32_t>(out, vector, size, rows, ints);
    case Id::kInt64: return AppendScalars<int64_t>(out, vector, size, rows, ints);
    case Id::kFloat:
      return AppendScalars<float>(out, vector, size, rows, [&out](const float* value) {
        out.doubles.push_back(value ? static_cast<double>(*value) : 0);
      });
    case Id::kDouble:
      return AppendScalars<double>(out, vector, size, rows, [&out](const double* value) {
        out.doubles.push_back(value ? *value : 0);
      });
    case Id::kDate:
      return AppendScalars<duckdb::date_t>(out, vector, size, rows,
                                           [&out](const duckdb::date_t* value) {
                                             out.ints.push_back(value ? value->days : 0);
                                           });
    case Id::kTimestamp:
    case Id::kTimestampNtz:
      return AppendScalars<duckdb::timestamp_t>(out, vector, size, rows,
                                                [&out](const duckdb::timestamp_t* value) {
                                                  out.ints.push_back(value ? value->value : 0);
                                                });
    case Id::kString:
    case Id::kBinary:
      return AppendScalars<duckdb::string_t>(out, vector, size, rows,
                                             [&out](const duckdb::string_t* value) {
                                               out.strings.push_back(value ? value->GetString()
                                                                           : std::string());
                                             });
    case Id::kDecimal: {
      auto decimals = [&out](auto* value) {
        out.decimals.push_back(value ? static_cast<__int128>(*value) : 0);
      };
      switch (vector.GetType().InternalType()) {
        case duckdb::PhysicalType::INT16:
          return AppendScalars<int16_t>(out, vector, size, rows, decimals);
        case duckdb::PhysicalType::INT32:
          return AppendScalars<int32_t>(out, vector, size, rows, decimals);
        case duckdb::PhysicalType::INT64:
          return AppendScalars<int64_t>(out, vector, size, rows, decimals);
        default:
          return AppendScalars<duckdb::hugeint_t>(
              out, vector, size, rows, [&out](const duckdb::hugeint_t* value) {
                out.decimals.push_back(
                    value ? static_cast<__int128>(
                                (static_cast<unsigned __int128>(value->upper) << 64) | value->lower)
                          : 0);
              });
      }
    }
    case Id::kStruct: {
      vector.Flatten(size);
      const auto& validity = duckdb::FlatVector::Validity(vector);
      for (idx_t row : rows) AppendValidity(out, validity.RowIsValid(row));
      auto& fields = duckdb::StructVector::GetEntries(vector);
      for (size_t i = 0; i < out.children.size(); ++i) {
        AppendRows(out.children[i], *fields[i], size, rows);
      }
      return;
    }
    case Id::kList:
    case Id::kMap:
      return AppendEntries(out, vector, size, rows);
  }
}

const char* OperatorSql(ScanFilter::Op op) {
  switch (op) {
    case ScanFilter::Op::kEqual: return " = ";
    case ScanFilter::Op::kNotEqual: return " <> ";
    case ScanFilter::Op::kLess: return " < ";
    case ScanFilter::Op::kLessOrEqual: return " <= ";
    case ScanFilter::Op::kGreater: return " > ";
    case ScanFilter::Op::kGreaterOrEqual: return " >= ";
    case ScanFilter::Op::kIsNull: return " IS NULL";
    case ScanFilter::Op::kIsNotNull: return " IS NOT NULL";
  }
  return "";
}

const LakeColumn* FindColumn(const LakeSnapshot& plan, const std::string& name) {
  for (const auto& column : plan.columns) {
    if (column.name == name) return &column;
  }
  return nullptr;
}

// Throws DuckDB's error for a type it cannot parse (callers run under Guarded).
bool IsNestedType(const std::string& type) {
  return duckdb::TransformStringToLogicalType(type).IsNested();
}

// The SELECT of `request` over `relation`, its filter values in `params` ($1, $2, ...).
// Throws DuckDB errors (runs under Guarded).
Result<std::string> ScanSelect(const LakeSnapshot& plan, const std::string& relation,
                               const ScanRequest& request, std::vector<QueryParam>& params) {
  std::string projection;
  for (const std::string& name : request.columns) {
    if (FindColumn(plan, name) == nullptr) {
      return Status::Invalid("unknown column '" + name + "' in the scan of " + plan.table);
    }
    projection += (projection.empty() ? "" : ", ") + Engine::QuoteIdentifier(name);
  }
  std::string where;
  for (const ScanFilter& filter : request.filters) {
    const LakeColumn* column = FindColumn(plan, filter.column);
    if (column == nullptr) {
      return Status::Invalid("unknown column '" + filter.column + "' in a filter of the scan of " +
                             plan.table);
    }
    std::string condition = Engine::QuoteIdentifier(column->name) + OperatorSql(filter.op);
    if (filter.op != ScanFilter::Op::kIsNull && filter.op != ScanFilter::Op::kIsNotNull) {
      if (std::holds_alternative<std::monostate>(filter.value)) {
        return Status::Invalid("the filter on column '" + filter.column +
                               "' compares with NULL (use kIsNull / kIsNotNull)");
      }
      if (IsNestedType(column->type)) {
        return Status::Invalid("the filter on column '" + filter.column +
                               "' compares a nested value; only NULL tests apply to it");
      }
      params.push_back(filter.value);
      condition += "CAST($" + std::to_string(params.size()) + " AS " + column->type + ")";
    }
    where += (where.empty() ? " WHERE " : " AND ") + condition;
  }
  std::string sql = "SELECT " + (projection.empty() ? std::string("*") : projection) + " FROM " +
                    relation + where;
  if (request.limit >= 0) sql += " LIMIT " + std::to_string(request.limit);
  return sql;
}

}  // namespace

Result<ScanOutcome> ScanBatches(Engine& engine, std::shared_ptr<const LakeSnapshot> plan,
                                const ScanRequest& request, const BatchSink& sink) {
  if (!plan) return Status::Invalid("no scan plan");
  RegisteredScanPlan registered(plan);
  ScanOutcome outcome;
  Status sink_status;
  Status status = Guarded([&]() -> Status {
    std::vector<QueryParam> params;
    NL_ASSIGN_OR_RETURN(std::string sql,
                        ScanSelect(*plan, registered.Relation(), request, params));
    duckdb::Connection connection(*Engine::Impl::Of(engine).db);
    TakeScanReports(*connection.context);
    duckdb::vector<duckdb::Value> values;
    for (const QueryParam& param : params) values.push_back(ToDuckValue(param));
    auto pending = connection.PendingQuery(sql, values, /*allow_stream_result=*/true);
    if (pending->HasError()) return FromDuckDBError(pending->GetErrorObject());
    auto result = pending->Execute();
    if (result->HasError()) return FromDuckDBError(result->GetErrorObject());
    std::vector<ColumnType> types;
    for (size_t i = 0; i < result->types.size(); ++i) {
      NL_ASSIGN_OR_RETURN(ColumnType type, ColumnTypeOf(result->names[i], result->types[i]));
      types.push_back(std::move(type));
    }
    std::vector<idx_t> rows;
    while (true) {
      auto chunk = result->Fetch();
      if (result->HasError()) return FromDuckDBError(result->GetErrorObject());
      if (!chunk || chunk->size() == 0) break;
      idx_t size = chunk->size();
      rows.resize(size);
      for (idx_t i = 0; i < size; ++i) rows[i] = i;
      RecordBatch batch;
      batch.num_rows = static_cast<int64_t>(size);
      for (idx_t c = 0; c < chunk->ColumnCount(); ++c) {
        batch.columns.push_back(EmptyColumn(result->names[c], types[c]));
        AppendRows(batch.columns.back(), chunk->data[c], size, rows);
      }
      outcome.rows += batch.num_rows;
      ++outcome.batches;
      sink_status = sink(batch);
      if (!sink_status.ok()) break;  // destroying the streaming result ends the query
    }
    outcome.scans = TakeScanReports(*connection.context);
    return Status::OK();
  });
  if (!sink_status.ok()) return sink_status;
  if (!status.ok()) return status;
  return outcome;
}

}  // namespace neuralake::engine
