// source_scan('<table>'): the DuckDB table function over engine::SourceTable (source.h).
//
// Bind resolves the table through the LakeScanOptions' source_resolver and declares its columns.
// pushdown_complex_filter turns the query's filters it can express into ScanFilters for the
// source (a weaker condition is always safe: every filter stays in DuckDB's plan and is tested
// again), projection pushdown names the columns the query needs, and the scan pulls batches from
// the source's stream, converting each typed Column into DuckDB vectors 2,048 rows at a time.
#include "neuralake/engine/source_scan.h"

#include "duckdb.hpp"
#include "duckdb/catalog/catalog.hpp"
#include "duckdb/function/table_function.hpp"
#include "duckdb/parser/parsed_data/create_table_function_info.hpp"
#include "duckdb/planner/expression/list.hpp"
#include "duckdb/planner/operator/logical_get.hpp"
#include "neuralake/engine/source.h"

namespace neuralake::engine {
namespace {

using duckdb::idx_t;

struct SourceFunctionInfo : public duckdb::TableFunctionInfo {
  explicit SourceFunctionInfo(SourceResolver resolver) : resolver(std::move(resolver)) {}
  SourceResolver resolver;
};

struct SourceBindData : public duckdb::TableFunctionData {
  std::shared_ptr<const SourceTable> source;
  std::vector<ScanFilter> filters;                 // pushed: all hold
  std::vector<std::vector<ScanFilter>> any_of;     // pushed: one OR of AND lists

  duckdb::unique_ptr<duckdb::FunctionData> Copy() const override {
    auto copy = duckdb::make_uniq<SourceBindData>();
    copy->source = source;
    copy->filters = filters;
    copy->any_of = any_of;
    return std::move(copy);
  }
  bool Equals(const duckdb::FunctionData& other) const override {
    const auto& data = other.Cast<SourceBindData>();
    return source == data.source && filters.size() == data.filters.size() &&
           any_of.size() == data.any_of.size();
  }
};

// ---- filters: DuckDB expressions -> ScanFilters ----

std::optional<QueryParam> ParamOf(const duckdb::Value& value) {
  if (value.IsNull()) return std::nullopt;
  const auto& type = value.type();
  switch (type.id()) {
    case duckdb::LogicalTypeId::BOOLEAN: return QueryParam(value.GetValue<bool>());
    case duckdb::LogicalTypeId::TINYINT:
    case duckdb::LogicalTypeId::SMALLINT:
    case duckdb::LogicalTypeId::INTEGER:
    case duckdb::LogicalTypeId::BIGINT:
    case duckdb::LogicalTypeId::UTINYINT:
    case duckdb::LogicalTypeId::USMALLINT:
    case duckdb::LogicalTypeId::UINTEGER:
      return QueryParam(value.GetValue<int64_t>());
    case duckdb::LogicalTypeId::FLOAT:
    case duckdb::LogicalTypeId::DOUBLE:
      return QueryParam(value.GetValue<double>());
    case duckdb::LogicalTypeId::VARCHAR: return QueryParam(value.GetValue<std::string>());
    case duckdb::LogicalTypeId::DATE:
    case duckdb::LogicalTypeId::TIMESTAMP:
    case duckdb::LogicalTypeId::TIMESTAMP_TZ:
    case duckdb::LogicalTypeId::DECIMAL:
    case duckdb::LogicalTypeId::HUGEINT:
    case duckdb::LogicalTypeId::UBIGINT:
      return QueryParam(value.ToString());  // the source casts the text to the column's type
    default:
      return std::nullopt;
  }
}

class FilterConverter {
 public:
  FilterConverter(const duckdb::LogicalGet& get, const SourceTable& source)
      : get_(get), source_(source) {}

  // The column an expression names, when it is a plain reference to one of this scan's columns.
  std::optional<std::string> ColumnOf(const duckdb::Expression& expression) const {
    if (expression.GetExpressionClass() != duckdb::ExpressionClass::BOUND_COLUMN_REF) {
      return std::nullopt;
    }
    const auto& ref = expression.Cast<duckdb::BoundColumnRefExpression>();
    if (ref.binding.table_index != get_.table_index) return std::nullopt;
    const auto& ids = get_.GetColumnIds();
    if (ref.binding.column_index >= ids.size()) return std::nullopt;
    const auto& index = ids[ref.binding.column_index];
    if (index.IsRowIdColumn()) return std::nullopt;
    idx_t primary = index.GetPrimaryIndex();
    if (primary >= source_.columns.size() || index.HasChildren()) return std::nullopt;
    return source_.columns[primary].first;
  }

  static std::optional<QueryParam> ConstantOf(const duckdb::Expression& expression) {
    if (expression.GetExpressionClass() == duckdb::ExpressionClass::BOUND_CONSTANT) {
      return ParamOf(expression.Cast<duckdb::BoundConstantExpression>().value);
    }
    if (expression.GetExpressionClass() == duckdb::ExpressionClass::BOUND_PARAMETER) {
      const auto& parameter = expression.Cast<duckdb::BoundParameterExpression>();
      if (parameter.parameter_data) return ParamOf(parameter.parameter_data->GetValue());
    }
    return std::nullopt;
  }

  // The AND list `expression` implies (a weaker condition when parts cannot be expressed), or
  // nullopt when nothing can be said. ORs are returned in `disjunction` (only at the top).
  bool Convert(const duckdb::Expression& expression, std::vector<ScanFilter>& out) const {
    using duckdb::ExpressionClass;
    switch (expression.GetExpressionClass()) {
      case ExpressionClass::BOUND_COMPARISON: return Comparison(expression, out);
      case ExpressionClass::BOUND_BETWEEN: {
        const auto& between = expression.Cast<duckdb::BoundBetweenExpression>();
        auto column = ColumnOf(*between.input);
        auto lower = ConstantOf(*between.lower);
        auto upper = ConstantOf(*between.upper);
        if (!column || !lower || !upper) return false;
        out.push_back({*column, between.lower_inclusive ? ScanFilter::Op::kGreaterOrEqual
                                                         : ScanFilter::Op::kGreater, *lower, {}});
        out.push_back({*column, between.upper_inclusive ? ScanFilter::Op::kLessOrEqual
                                                         : ScanFilter::Op::kLess, *upper, {}});
        return true;
      }
      case ExpressionClass::BOUND_OPERATOR: return Operator(expression, out);
      case ExpressionClass::BOUND_FUNCTION: return Function(expression, out);
      case ExpressionClass::BOUND_CONJUNCTION: {
        const auto& conjunction = expression.Cast<duckdb::BoundConjunctionExpression>();
        if (conjunction.GetExpressionType() != duckdb::ExpressionType::CONJUNCTION_AND) return false;
        bool any = false;
        for (const auto& child : conjunction.children) any = Convert(*child, out) || any;
        return any;
      }
      default: return false;
    }
  }

  // An OR whose every branch converts, as an OR of AND lists.
  bool ConvertOr(const duckdb::Expression& expression,
                 std::vector<std::vector<ScanFilter>>& out) const {
    if (expression.GetExpressionClass() != duckdb::ExpressionClass::BOUND_CONJUNCTION ||
        expression.GetExpressionType() != duckdb::ExpressionType::CONJUNCTION_OR) {
      return false;
    }
    std::vector<std::vector<ScanFilter>> branches;
    for (const auto& child : expression.Cast<duckdb::BoundConjunctionExpression>().children) {
      if (!ConvertOr(*child, branches)) {
        std::vector<ScanFilter> branch;
        if (!Convert(*child, branch)) return false;  // a branch we cannot bound: no pushdown
        branches.push_back(std::move(branch));
      }
    }
    for (auto& branch : branches) out.push_back(std::move(branch));
    return true;
  }

 private:
  bool Comparison(const duckdb::Expression& expression, std::vector<ScanFilter>& out) const {
    const auto& comparison = expression.Cast<duckdb::BoundComparisonExpression>();
    auto type = comparison.GetExpressionType();
    auto column = ColumnOf(*comparison.left);
    auto value = ConstantOf(*comparison.right);
    if (!column || !value) {
      column = ColumnOf(*comparison.right);
      value = ConstantOf(*comparison.left);
      type = duckdb::FlipComparisonExpression(type);
    }
    if (!column || !value) return false;
    ScanFilter::Op op;
    switch (type) {
      case duckdb::ExpressionType::COMPARE_EQUAL: op = ScanFilter::Op::kEqual; break;
      case duckdb::ExpressionType::COMPARE_NOTEQUAL: op = ScanFilter::Op::kNotEqual; break;
      case duckdb::ExpressionType::COMPARE_LESSTHAN: op = ScanFilter::Op::kLess; break;
      case duckdb::ExpressionType::COMPARE_LESSTHANOREQUALTO: op = ScanFilter::Op::kLessOrEqual; break;
      case duckdb::ExpressionType::COMPARE_GREATERTHAN: op = ScanFilter::Op::kGreater; break;
      case duckdb::ExpressionType::COMPARE_GREATERTHANOREQUALTO:
        op = ScanFilter::Op::kGreaterOrEqual;
        break;
      default: return false;
    }
    out.push_back({*column, op, *value, {}});
    return true;
  }

  bool Operator(const duckdb::Expression& expression, std::vector<ScanFilter>& out) const {
    const auto& operation = expression.Cast<duckdb::BoundOperatorExpression>();
    if (operation.children.empty()) return false;
    auto column = ColumnOf(*operation.children[0]);
    if (!column) return false;
    switch (operation.GetExpressionType()) {
      case duckdb::ExpressionType::OPERATOR_IS_NULL:
        out.push_back({*column, ScanFilter::Op::kIsNull, {}, {}});
        return true;
      case duckdb::ExpressionType::OPERATOR_IS_NOT_NULL:
        out.push_back({*column, ScanFilter::Op::kIsNotNull, {}, {}});
        return true;
      case duckdb::ExpressionType::COMPARE_IN:
      case duckdb::ExpressionType::COMPARE_NOT_IN: {
        ScanFilter filter{*column,
                          operation.GetExpressionType() == duckdb::ExpressionType::COMPARE_IN
                              ? ScanFilter::Op::kIn
                              : ScanFilter::Op::kNotIn,
                          {}, {}};
        for (size_t i = 1; i < operation.children.size(); ++i) {
          auto value = ConstantOf(*operation.children[i]);
          if (!value) return false;
          filter.values.push_back(*value);
        }
        out.push_back(std::move(filter));
        return true;
      }
      default: return false;
    }
  }

  bool Function(const duckdb::Expression& expression, std::vector<ScanFilter>& out) const {
    const auto& function = expression.Cast<duckdb::BoundFunctionExpression>();
    if (function.children.size() != 2) return false;
    const std::string& name = function.function.name;
    auto column = ColumnOf(*function.children[0]);
    if (!column) return false;
    std::optional<ScanFilter::Op> op;
    if (name == "contains") op = ScanFilter::Op::kContains;
    if (name == "prefix" || name == "starts_with") op = ScanFilter::Op::kStartsWith;
    if (name == "suffix" || name == "ends_with") op = ScanFilter::Op::kEndsWith;
    if (name == "list_contains" || name == "list_has" || name == "array_contains" ||
        name == "array_has") {
      op = ScanFilter::Op::kIncludes;
    }
    if (name == "list_has_any" || name == "array_has_any") op = ScanFilter::Op::kIncludesAny;
    if (name == "list_has_all" || name == "array_has_all") op = ScanFilter::Op::kIncludesAll;
    if (!op) return false;
    // contains() also takes lists and maps; only text columns mean substring containment.
    bool text_column = function.children[0]->return_type.id() == duckdb::LogicalTypeId::VARCHAR;
    bool string_op = *op == ScanFilter::Op::kContains || *op == ScanFilter::Op::kStartsWith ||
                     *op == ScanFilter::Op::kEndsWith;
    if (string_op && !text_column) return false;
    if (*op == ScanFilter::Op::kIncludesAny || *op == ScanFilter::Op::kIncludesAll) {
      if (function.children[1]->GetExpressionClass() != duckdb::ExpressionClass::BOUND_CONSTANT) {
        return false;
      }
      const auto& list = function.children[1]->Cast<duckdb::BoundConstantExpression>().value;
      if (list.IsNull() || list.type().id() != duckdb::LogicalTypeId::LIST) return false;
      ScanFilter filter{*column, *op, {}, {}};
      for (const auto& element : duckdb::ListValue::GetChildren(list)) {
        auto value = ParamOf(element);
        if (!value) return false;
        filter.values.push_back(*value);
      }
      if (filter.values.empty()) return false;
      out.push_back(std::move(filter));
      return true;
    }
    auto value = ConstantOf(*function.children[1]);
    if (!value) return false;
    out.push_back({*column, *op, *value, {}});
    return true;
  }

  const duckdb::LogicalGet& get_;
  const SourceTable& source_;
};

bool SameParam(const QueryParam& a, const QueryParam& b) { return a == b; }

bool SameFilter(const ScanFilter& a, const ScanFilter& b) {
  return a.column == b.column && a.op == b.op && SameParam(a.value, b.value) &&
         a.values.size() == b.values.size() &&
         std::equal(a.values.begin(), a.values.end(), b.values.begin(), SameParam);
}

// The optimizer may offer the same filters more than once.
void AddFilter(std::vector<ScanFilter>& filters, ScanFilter filter) {
  for (const auto& existing : filters) {
    if (SameFilter(existing, filter)) return;
  }
  filters.push_back(std::move(filter));
}

void PushdownFilters(duckdb::ClientContext&, duckdb::LogicalGet& get,
                     duckdb::FunctionData* bind_data,
                     duckdb::vector<duckdb::unique_ptr<duckdb::Expression>>& filters) {
  auto& data = bind_data->Cast<SourceBindData>();
  FilterConverter converter(get, *data.source);
  // Filters stay in `filters`: DuckDB tests them again, so anything pushed only narrows the read.
  for (const auto& filter : filters) {
    try {
      std::vector<ScanFilter> conjunction;
      if (converter.Convert(*filter, conjunction)) {
        for (auto& item : conjunction) AddFilter(data.filters, std::move(item));
        continue;
      }
      std::vector<std::vector<ScanFilter>> disjunction;
      if (data.any_of.empty() && converter.ConvertOr(*filter, disjunction)) {
        data.any_of = std::move(disjunction);
      }
    } catch (const std::exception&) {
      // Not expressible: the source reads more rows and DuckDB filters them.
    }
  }
}

// ---- bind / init / scan ----

duckdb::unique_ptr<duckdb::FunctionData> SourceBind(duckdb::ClientContext&,
                                                    duckdb::TableFunctionBindInput& input,
                                                    duckdb::vector<duckdb::LogicalType>& types,
                                                    duckdb::vector<std::string>& names) {
  if (input.inputs.size() != 1 || input.inputs[0].IsNull()) {
    throw duckdb::BinderException("source_scan takes one catalog table name");
  }
  const auto& info = input.info->Cast<SourceFunctionInfo>();
  if (!info.resolver) throw duckdb::BinderException("source_scan: no source tables here");
  auto resolved = info.resolver(input.inputs[0].ToString());
  if (!resolved.ok()) throw duckdb::BinderException("%s", resolved.status().ToString());
  auto data = duckdb::make_uniq<SourceBindData>();
  data->source = *resolved;
  for (const auto& [name, type] : data->source->columns) {
    names.push_back(name);
    types.push_back(duckdb::TransformStringToLogicalType(ColumnTypeSql(type)));
  }
  return std::move(data);
}

struct SourceState : public duckdb::GlobalTableFunctionState {
  std::unique_ptr<BatchStream> stream;
  RecordBatch batch;
  int64_t offset = 0;                 // next row of `batch` to emit
  std::vector<int> batch_column;      // per output column: index into batch.columns, -1 = virtual
  bool checked = false;               // the first batch's columns were checked
  bool done = false;

  idx_t MaxThreads() const override { return 1; }
};

duckdb::unique_ptr<duckdb::GlobalTableFunctionState> SourceInit(
    duckdb::ClientContext&, duckdb::TableFunctionInitInput& input) {
  const auto& data = input.bind_data->Cast<SourceBindData>();
  auto state = duckdb::make_uniq<SourceState>();
  SourceRequest request;
  request.scan.filters = data.filters;
  request.scan.any_of = data.any_of;
  for (const auto& index : input.column_indexes) {
    if (index.IsVirtualColumn() || index.GetPrimaryIndex() >= data.source->columns.size()) {
      state->batch_column.push_back(-1);
      continue;
    }
    state->batch_column.push_back(static_cast<int>(request.scan.columns.size()));
    request.scan.columns.push_back(data.source->columns[index.GetPrimaryIndex()].first);
  }
  request.count_only = request.scan.columns.empty();
  auto stream = data.source->open(request);
  if (!stream.ok()) throw duckdb::IOException("%s", stream.status().ToString());
  state->stream = std::move(*stream);
  return std::move(state);
}

void CheckBatch(const SourceTable& source, const SourceState& state,
                const duckdb::vector<duckdb::LogicalType>& types) {
  size_t wanted = 0;
  for (int index : state.batch_column) wanted += index >= 0 ? 1 : 0;
  if (state.batch.columns.size() != wanted) {
    throw duckdb::InvalidInputException("%s: the source returned %d columns, %d were requested",
                                        source.table, state.batch.columns.size(), wanted);
  }
  for (size_t i = 0; i < state.batch_column.size(); ++i) {
    if (state.batch_column[i] < 0) continue;
    const Column& column = state.batch.columns[static_cast<size_t>(state.batch_column[i])];
    std::string got = ColumnTypeSql(column.type);
    if (duckdb::TransformStringToLogicalType(got) != types[i]) {
      throw duckdb::InvalidInputException("%s: the source returned column %s as %s, declared %s",
                                          source.table, column.name, got, types[i].ToString());
    }
  }
}

void SourceExecute(duckdb::ClientContext&, duckdb::TableFunctionInput& input,
                   duckdb::DataChunk& output) {
  const auto& data = input.bind_data->Cast<SourceBindData>();
  auto& state = input.global_state->Cast<SourceState>();
  while (!state.done && state.offset >= state.batch.num_rows) {
    auto next = state.stream->Next(&state.batch);
    if (!next.ok()) throw duckdb::IOException("%s", next.status().ToString());
    state.offset = 0;
    if (!*next) {
      state.done = true;
      state.stream.reset();  // ends the source's read (closes cursors, connections)
      break;
    }
    if (!state.checked) {
      duckdb::vector<duckdb::LogicalType> types;
      for (idx_t i = 0; i < output.ColumnCount(); ++i) types.push_back(output.data[i].GetType());
      CheckBatch(*data.source, state, types);
      state.checked = true;
    }
  }
  if (state.done) {
    output.SetCardinality(0);
    return;
  }
  idx_t count = static_cast<idx_t>(
      std::min<int64_t>(STANDARD_VECTOR_SIZE, state.batch.num_rows - state.offset));
  for (idx_t i = 0; i < output.ColumnCount(); ++i) {
    int index = state.batch_column[i];
    if (index < 0) {  // a virtual column (count(*) reads the empty one): no values
      output.data[i].SetVectorType(duckdb::VectorType::CONSTANT_VECTOR);
      duckdb::ConstantVector::SetNull(output.data[i], true);
      continue;
    }
    FillVector(state.batch.columns[static_cast<size_t>(index)], output.data[i],
               static_cast<idx_t>(state.offset), count);
  }
  state.offset += static_cast<int64_t>(count);
  output.SetCardinality(count);
}

}  // namespace

void RegisterSourceScan(duckdb::DuckDB& db, SourceResolver resolver) {
  duckdb::TableFunction function(kSourceFunctionName, {duckdb::LogicalType::VARCHAR},
                                 SourceExecute, SourceBind, SourceInit);
  function.projection_pushdown = true;
  function.filter_pushdown = false;
  function.pushdown_complex_filter = PushdownFilters;
  // count(*) binds the empty virtual column instead of a real one: the source reads no column.
  function.get_virtual_columns = [](duckdb::ClientContext&, duckdb::optional_ptr<duckdb::FunctionData>) {
    duckdb::virtual_column_map_t columns;
    columns.emplace(duckdb::COLUMN_IDENTIFIER_EMPTY,
                    duckdb::TableColumn("", duckdb::LogicalType::BOOLEAN));
    return columns;
  };
  function.function_info = duckdb::make_shared_ptr<SourceFunctionInfo>(std::move(resolver));
  duckdb::Connection connection(db);
  auto& context = *connection.context;
  context.RunFunctionInTransaction([&]() {
    auto& catalog = duckdb::Catalog::GetSystemCatalog(context);
    duckdb::CreateTableFunctionInfo info(std::move(function));
    info.on_conflict = duckdb::OnCreateConflict::REPLACE_ON_CONFLICT;
    catalog.CreateTableFunction(context, info);
  });
}

}  // namespace neuralake::engine
