// The Filter API's operators and their DuckDB SQL (scan.h).
#include <algorithm>
#include <cctype>

#include "neuralake/engine/scan.h"

namespace neuralake::engine {
namespace {

using Op = ScanFilter::Op;

struct OpSpelling {
  Op op;
  std::string_view name;      // datarepo's
  std::string_view api_name;  // the HTTP API's
};

constexpr OpSpelling kOps[] = {
    {Op::kEqual, "=", "eq"},
    {Op::kNotEqual, "!=", "ne"},
    {Op::kLess, "<", "lt"},
    {Op::kLessOrEqual, "<=", "lte"},
    {Op::kGreater, ">", "gt"},
    {Op::kGreaterOrEqual, ">=", "gte"},
    {Op::kIn, "in", "in"},
    {Op::kNotIn, "not in", "notin"},
    {Op::kContains, "contains", "contains"},
    {Op::kStartsWith, "starts with", "startswith"},
    {Op::kEndsWith, "ends with", "endswith"},
    {Op::kIncludes, "includes", "includes"},
    {Op::kIncludesAny, "includes any", "includes_any"},
    {Op::kIncludesAll, "includes all", "includes_all"},
    {Op::kIsNull, "is null", "isnull"},
    {Op::kIsNotNull, "is not null", "notnull"},
};

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool IsString(const ColumnType& type) { return type.id == ColumnType::Id::kString; }
bool IsList(const ColumnType& type) { return type.id == ColumnType::Id::kList; }

std::string Describe(const ScanFilter& filter) {
  return "filter '" + filter.column + " " + std::string(FilterOpName(filter.op)) + "'";
}

bool IsNullParam(const QueryParam& value) { return std::holds_alternative<std::monostate>(value); }

}  // namespace

Result<Op> ParseFilterOp(std::string_view name) {
  std::string lower = Lower(name);
  // "not_in", "is_null" and "==" read as their usual spellings too.
  std::replace(lower.begin(), lower.end(), '_', ' ');
  if (lower == "==") lower = "=";
  if (lower == "<>") lower = "!=";
  for (const auto& spelling : kOps) {
    std::string api(spelling.api_name);
    std::replace(api.begin(), api.end(), '_', ' ');
    if (lower == spelling.name || lower == api) return spelling.op;
  }
  if (lower == "not null") return Op::kIsNotNull;
  std::string known;
  for (const auto& spelling : kOps) known += (known.empty() ? "'" : ", '") + std::string(spelling.name) + "'";
  return Status::Invalid("unknown filter operator '" + std::string(name) + "' (known: " + known +
                         ")");
}

std::string_view FilterOpName(Op op) {
  for (const auto& spelling : kOps) {
    if (spelling.op == op) return spelling.name;
  }
  return "?";
}

std::string_view FilterOpApiName(Op op) {
  for (const auto& spelling : kOps) {
    if (spelling.op == op) return spelling.api_name;
  }
  return "?";
}

bool FilterOpTakesList(Op op) {
  return op == Op::kIn || op == Op::kNotIn || op == Op::kIncludesAny || op == Op::kIncludesAll;
}

bool FilterOpTakesValue(Op op) { return op != Op::kIsNull && op != Op::kIsNotNull; }

Result<ScanFilter> ScanFilter::Make(std::string column, std::string_view op,
                                    std::vector<QueryParam> values) {
  ScanFilter filter;
  filter.column = std::move(column);
  NL_ASSIGN_OR_RETURN(filter.op, ParseFilterOp(op));
  if (FilterOpTakesList(filter.op)) {
    filter.values = std::move(values);
  } else if (FilterOpTakesValue(filter.op)) {
    if (values.size() != 1) {
      return Status::Invalid(Describe(filter) + " takes one value, got " +
                             std::to_string(values.size()));
    }
    filter.value = std::move(values[0]);
  } else if (!values.empty()) {
    return Status::Invalid(Describe(filter) + " takes no value");
  }
  return filter;
}

Status CheckFilter(const ScanFilter& filter, const ColumnType& type) {
  Op op = filter.op;
  std::string type_sql = ColumnTypeSql(type);
  if (!FilterOpTakesValue(op)) return Status::OK();
  if (FilterOpTakesList(op)) {
    if (filter.values.empty()) return Status::Invalid(Describe(filter) + " has no values");
    for (const auto& value : filter.values) {
      if (IsNullParam(value)) {
        return Status::Invalid(Describe(filter) + " lists NULL (use 'is null')");
      }
    }
  } else if (IsNullParam(filter.value)) {
    return Status::Invalid(Describe(filter) + " compares with NULL (use 'is null' / 'is not null')");
  }
  switch (op) {
    case Op::kContains:
    case Op::kStartsWith:
    case Op::kEndsWith:
      if (!IsString(type)) {
        return Status::Invalid(Describe(filter) + ": '" + std::string(FilterOpName(op)) +
                               "' applies to text columns; " + filter.column + " is " + type_sql);
      }
      return Status::OK();
    case Op::kIncludes:
    case Op::kIncludesAny:
    case Op::kIncludesAll:
      if (!IsList(type) || type.children.empty() || type.children[0].IsNested()) {
        return Status::Invalid(Describe(filter) + ": '" + std::string(FilterOpName(op)) +
                               "' applies to lists of scalars; " + filter.column + " is " +
                               type_sql);
      }
      return Status::OK();
    default:
      if (type.IsNested()) {
        return Status::Invalid(Describe(filter) + " compares a nested value (" + type_sql +
                               "); only 'is null' / 'is not null' apply to it");
      }
      return Status::OK();
  }
}

namespace {

const char* ComparisonSql(Op op) {
  switch (op) {
    case Op::kEqual: return " = ";
    case Op::kNotEqual: return " <> ";
    case Op::kLess: return " < ";
    case Op::kLessOrEqual: return " <= ";
    case Op::kGreater: return " > ";
    case Op::kGreaterOrEqual: return " >= ";
    default: return nullptr;
  }
}

Result<std::string> FilterSql(const ScanFilter& filter, const TypedColumns& columns,
                              std::vector<QueryParam>& params) {
  const ColumnType* type = nullptr;
  for (const auto& [name, column_type] : columns) {
    if (name == filter.column) type = &column_type;
  }
  if (type == nullptr) {
    std::string known;
    for (const auto& [name, column_type] : columns) known += (known.empty() ? "" : ", ") + name;
    return Status::Invalid("unknown column '" + filter.column + "' in a filter (columns: " +
                           known + ")");
  }
  NL_RETURN_NOT_OK(CheckFilter(filter, *type));
  std::string column = Engine::QuoteIdentifier(filter.column);
  auto bind = [&params](const QueryParam& value, const ColumnType& as) {
    params.push_back(value);
    return "CAST($" + std::to_string(params.size()) + " AS " + ColumnTypeSql(as) + ")";
  };
  auto bind_all = [&](const ColumnType& as) {
    std::string list;
    for (const auto& value : filter.values) list += (list.empty() ? "" : ", ") + bind(value, as);
    return list;
  };
  ColumnType text = ColumnType::Of(ColumnType::Id::kString);
  switch (filter.op) {
    case Op::kIsNull: return column + " IS NULL";
    case Op::kIsNotNull: return column + " IS NOT NULL";
    case Op::kIn: return column + " IN (" + bind_all(*type) + ")";
    case Op::kNotIn: return column + " NOT IN (" + bind_all(*type) + ")";
    case Op::kContains: return "contains(" + column + ", " + bind(filter.value, text) + ")";
    case Op::kStartsWith: return "starts_with(" + column + ", " + bind(filter.value, text) + ")";
    case Op::kEndsWith: return "suffix(" + column + ", " + bind(filter.value, text) + ")";
    case Op::kIncludes:
      return "list_contains(" + column + ", " + bind(filter.value, type->children[0]) + ")";
    case Op::kIncludesAny:
      return "list_has_any(" + column + ", [" + bind_all(type->children[0]) + "])";
    case Op::kIncludesAll:
      return "list_has_all(" + column + ", [" + bind_all(type->children[0]) + "])";
    default:
      return column + ComparisonSql(filter.op) + bind(filter.value, *type);
  }
}

Result<std::string> AndSql(const std::vector<ScanFilter>& filters, const TypedColumns& columns,
                           std::vector<QueryParam>& params) {
  std::string sql;
  for (const auto& filter : filters) {
    NL_ASSIGN_OR_RETURN(std::string condition, FilterSql(filter, columns, params));
    sql += (sql.empty() ? "" : " AND ") + condition;
  }
  return sql;
}

}  // namespace

Result<std::string> FiltersSql(const std::vector<ScanFilter>& filters,
                               const std::vector<std::vector<ScanFilter>>& any_of,
                               const TypedColumns& columns, std::vector<QueryParam>& params) {
  NL_ASSIGN_OR_RETURN(std::string sql, AndSql(filters, columns, params));
  if (any_of.empty()) return sql;
  std::string alternatives;
  for (const auto& conjunction : any_of) {
    NL_ASSIGN_OR_RETURN(std::string branch, AndSql(conjunction, columns, params));
    // An empty AND list holds for every row.
    alternatives += (alternatives.empty() ? "(" : " OR (") + (branch.empty() ? "TRUE" : branch) + ")";
  }
  return sql.empty() ? alternatives : sql + " AND (" + alternatives + ")";
}

}  // namespace neuralake::engine
