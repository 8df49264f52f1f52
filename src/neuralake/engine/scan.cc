#include "neuralake/engine/scan.h"

#include <algorithm>

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

// The SELECT of `request` over `relation`, its filter values in `params` ($1, $2, ...).
Result<std::string> ScanSelect(const std::string& relation, const TypedColumns& columns,
                               const ScanRequest& request, std::vector<QueryParam>& params) {
  std::string projection;
  for (const std::string& name : request.columns) {
    bool known = std::any_of(columns.begin(), columns.end(),
                             [&](const auto& column) { return column.first == name; });
    if (!known) return Status::Invalid("unknown column '" + name + "' in the scan of " + relation);
    projection += (projection.empty() ? "" : ", ") + Engine::QuoteIdentifier(name);
  }
  NL_ASSIGN_OR_RETURN(std::string where,
                      FiltersSql(request.filters, request.any_of, columns, params));
  std::string sql = "SELECT " + (projection.empty() ? std::string("*") : projection) + " FROM " +
                    relation + (where.empty() ? "" : " WHERE " + where);
  if (request.limit >= 0) sql += " LIMIT " + std::to_string(request.limit);
  return sql;
}

}  // namespace

Result<ScanOutcome> ScanBatches(Engine& engine, std::shared_ptr<const LakeSnapshot> plan,
                                const ScanRequest& request, const BatchSink& sink) {
  if (!plan) return Status::Invalid("no scan plan");
  NL_ASSIGN_OR_RETURN(TypedColumns columns, PlanColumns(*plan));
  auto replace_all = [](std::string text, const std::string& from, const std::string& to) {
    for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
      text.replace(at, from.size(), to);
    }
    return text;
  };
  RegisteredScanPlan registered(plan);
  auto outcome = ScanRelation(engine, registered.Relation(), columns, request, sink);
  if (!outcome.ok()) {
    // Name the table, not the registered plan's internal relation.
    return Status(outcome.status().code(),
                  replace_all(outcome.status().message(), registered.Relation(), plan->table));
  }
  return outcome;
}

Result<ScanOutcome> ScanRelation(Engine& engine, const std::string& relation,
                                 const TypedColumns& columns, const ScanRequest& request,
                                 const BatchSink& sink) {
  ScanOutcome outcome;
  Status sink_status;
  Status status = Guarded([&]() -> Status {
    std::vector<QueryParam> params;
    NL_ASSIGN_OR_RETURN(std::string sql, ScanSelect(relation, columns, request, params));
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

Result<ColumnType> ParseColumnType(const std::string& sql_type) {
  Result<ColumnType> parsed = Status::Invalid("");
  Status status = Guarded([&]() -> Status {
    parsed = ColumnTypeOf("", duckdb::TransformStringToLogicalType(sql_type));
    return Status::OK();
  });
  if (!status.ok()) return Status::Invalid("cannot parse type '" + sql_type + "': " + status.message());
  if (!parsed.ok()) {
    return Status::Unsupported("type " + sql_type + " is not one typed scans carry");
  }
  return parsed;
}

Result<TypedColumns> PlanColumns(const LakeSnapshot& plan) {
  TypedColumns columns;
  for (const auto& column : plan.columns) {
    auto type = ParseColumnType(column.type);
    if (type.ok()) {
      columns.emplace_back(column.name, std::move(*type));
    } else if (type.status().code() == StatusCode::kUnsupported) {
      // A type typed scans do not carry (TIME, UUID, ...) fails only when the scan returns it;
      // filters compare it with its text.
      columns.emplace_back(column.name, ColumnType::Of(ColumnType::Id::kString));
    } else {
      return type.status().WithContext(plan.table + ": column " + column.name);
    }
  }
  return columns;
}

}  // namespace neuralake::engine
