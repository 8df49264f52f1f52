#include "neuralake/server/table_query.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "neuralake/common/time.h"

namespace neuralake::server {
namespace {

using ColumnType = engine::ColumnType;
using Id = ColumnType::Id;

std::string Quote(std::string_view name) { return engine::Engine::QuoteIdentifier(name); }

bool IsDecimalText(std::string_view text) {
  size_t i = 0;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
  size_t digits = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i, ++digits;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i, ++digits;
  }
  return digits > 0 && i == text.size();
}

// The bound form of `text` as a value of `type`, or nullopt with `why` set. engine::FiltersSql
// casts the bound value to the column's type, so dates, timestamps and decimals are bound as their
// canonical text and integers, floats and booleans as themselves.
std::optional<engine::QueryParam> TypedValue(const std::string& text, const ColumnType& type,
                                             std::string* why) {
  switch (type.id) {
    case Id::kInt8:
    case Id::kInt16:
    case Id::kInt32:
    case Id::kInt64: {
      int64_t value = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (ec == std::errc() && end == text.data() + text.size()) return value;
      *why = ec == std::errc::result_out_of_range ? "an integer in range" : "an integer";
      return std::nullopt;
    }
    case Id::kFloat:
    case Id::kDouble: {
      if (text == "NaN" || text == "nan") return std::nan("");
      if (text == "Infinity" || text == "inf") return HUGE_VAL;
      if (text == "-Infinity" || text == "-inf") return -HUGE_VAL;
      char* end = nullptr;
      double value = std::strtod(text.c_str(), &end);
      if (!text.empty() && end == text.c_str() + text.size() && std::isfinite(value)) return value;
      *why = "a number";
      return std::nullopt;
    }
    case Id::kDecimal:
      if (IsDecimalText(text)) return text;
      *why = "a decimal number";
      return std::nullopt;
    case Id::kBoolean:
      if (text == "true" || text == "1") return true;
      if (text == "false" || text == "0") return false;
      *why = "true or false";
      return std::nullopt;
    case Id::kDate: {
      unsigned y = 0, m = 0, d = 0;
      char tail = 0;
      if (text.size() == 10 && std::sscanf(text.c_str(), "%4u-%2u-%2u%c", &y, &m, &d, &tail) == 3 &&
          m >= 1 && m <= 12 && d >= 1 && d <= 31) {
        return text;
      }
      *why = "a date YYYY-MM-DD";
      return std::nullopt;
    }
    case Id::kTimestamp:
    case Id::kTimestampNtz: {
      auto micros = ParseUtcTimestampMicros(text);
      if (!micros) {
        *why = "an ISO-8601 timestamp (2026-01-01T00:00:00Z)";
        return std::nullopt;
      }
      std::string canonical = FormatSqlMicros(*micros);
      if (type.id == Id::kTimestamp) canonical += "+00";
      return canonical;
    }
    case Id::kString:
    case Id::kBinary:
      return text;
    case Id::kStruct:
    case Id::kList:
    case Id::kMap:
      *why = "a scalar column (this one is " + engine::ColumnTypeSql(type) + ")";
      return std::nullopt;
  }
  return std::nullopt;
}

std::vector<std::string> SplitComma(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t comma = text.find(',', start);
    out.push_back(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

Status Fail(RequestError* error, int status, std::string code, std::string message) {
  if (error) *error = {status, code, message};
  return Status::Invalid(std::move(message));
}

const ColumnType* FindColumn(const engine::TypedColumns& columns, const std::string& name) {
  for (const auto& [column, type] : columns) {
    if (column == name) return &type;
  }
  return nullptr;
}

std::string ColumnList(const engine::TypedColumns& columns) {
  std::string out;
  for (size_t i = 0; i < columns.size() && i < 20; ++i) out += (i ? ", " : "") + columns[i].first;
  if (columns.size() > 20) out += ", ...";
  return out;
}

Status UnknownColumn(RequestError* error, const std::string& name,
                     const engine::TypedColumns& columns, std::string_view where) {
  return Fail(error, 400, "UnknownColumn",
              "unknown column '" + name + "' in " + std::string(where) + " (columns: " +
                  ColumnList(columns) + ")");
}

Result<int64_t> ParseCount(const std::string& name, const std::string& text, int64_t min,
                           RequestError* error) {
  std::optional<int64_t> value = ParseInteger(text);
  if (!value || *value < min) {
    return Fail(error, 400, "BadRequest",
                name + " must be an integer >= " + std::to_string(min) + ", got '" + text + "'");
  }
  return *value;
}

// The operator spelled `name` in the HTTP API (eq, notin, includes_any, ...): engine::ParseFilterOp
// restricted to the API's own spellings, so the query-string surface stays what docs/api.md lists.
std::optional<engine::ScanFilter::Op> ApiFilterOp(const std::string& name) {
  auto op = engine::ParseFilterOp(name);
  if (!op.ok() || engine::FilterOpApiName(*op) != name) return std::nullopt;
  return *op;
}

Status ParseFilter(const std::string& name, const std::string& value,
                   const engine::TypedColumns& columns, TableQuery& out, RequestError* error) {
  std::string column = name;
  std::string op_name = "eq";
  size_t split = name.rfind("__");
  if (split != std::string::npos && split > 0) {
    column = name.substr(0, split);
    op_name = name.substr(split + 2);
  }
  const ColumnType* type = FindColumn(columns, column);
  if (!type) {
    // "a__b" might be a column whose name holds "__".
    type = FindColumn(columns, name);
    if (!type) return UnknownColumn(error, column, columns, "filter '" + name + "'");
    column = name;
    op_name = "eq";
  }
  auto op = ApiFilterOp(op_name);
  if (!op) {
    std::string known;
    for (const auto& spelling : FilterOperators()) known += (known.empty() ? "" : " ") + spelling;
    return Fail(error, 400, "UnknownOperator",
                "unknown filter operator '" + op_name + "' in '" + name + "' (operators: " + known +
                    ")");
  }
  engine::ScanFilter filter;
  filter.column = column;
  filter.op = *op;
  std::vector<std::string> texts;
  if (!engine::FilterOpTakesValue(*op)) {
    if (!value.empty() && value != "1" && value != "true") {
      return Fail(error, 400, "BadRequest", "'" + name + "' takes no value (or 1/true)");
    }
  } else {
    texts = engine::FilterOpTakesList(*op) ? SplitComma(value) : std::vector<std::string>{value};
    // The operator against the column's type first (contains on a number, includes on a scalar),
    // with the values as text; their types are checked below.
    for (const auto& text : texts) filter.values.emplace_back(text);
    if (!engine::FilterOpTakesList(*op)) filter.value = texts[0];
  }
  if (Status applies = engine::CheckFilter(filter, *type); !applies.ok()) {
    return Fail(error, 400, "BadRequest", "filter '" + name + "': " + applies.message());
  }
  bool on_elements = *op == engine::ScanFilter::Op::kIncludes ||
                     *op == engine::ScanFilter::Op::kIncludesAny ||
                     *op == engine::ScanFilter::Op::kIncludesAll;
  const ColumnType& value_type = on_elements ? type->children[0] : *type;
  std::vector<engine::QueryParam> typed;
  for (const auto& text : texts) {
    std::string why;
    auto parsed = TypedValue(text, value_type, &why);
    if (!parsed) {
      return Fail(error, 422, "InvalidValue",
                  "filter '" + name + "': '" + text + "' is not " + why + " (column '" + column +
                      "' is " + engine::ColumnTypeSql(*type) + ")");
    }
    typed.push_back(std::move(*parsed));
  }
  filter.values.clear();
  filter.value = std::monostate{};
  if (engine::FilterOpTakesList(*op)) {
    filter.values = std::move(typed);
  } else if (!typed.empty()) {
    filter.value = std::move(typed[0]);
  }
  out.filters.push_back(std::move(filter));
  return Status::OK();
}

}  // namespace

std::optional<int64_t> ParseInteger(std::string_view text) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

const std::vector<std::string>& FilterOperators() {
  static const std::vector<std::string> names = [] {
    using Op = engine::ScanFilter::Op;
    std::vector<std::string> out;
    for (int op = static_cast<int>(Op::kEqual); op <= static_cast<int>(Op::kIncludesAll); ++op) {
      out.emplace_back(engine::FilterOpApiName(static_cast<Op>(op)));
    }
    return out;
  }();
  return names;
}

std::string NextToken(std::optional<int64_t> version, int64_t offset) {
  return (version ? std::to_string(*version) + "." : std::string()) + std::to_string(offset);
}

std::optional<PageToken> ParseNextToken(const std::string& token) {
  PageToken out;
  size_t dot = token.find('.');
  std::string_view offset = token;
  if (dot != std::string::npos) {
    out.version = ParseInteger(std::string_view(token).substr(0, dot));
    if (!out.version || *out.version < 0) return std::nullopt;
    offset = std::string_view(token).substr(dot + 1);
  }
  std::optional<int64_t> parsed = ParseInteger(offset);
  if (!parsed || *parsed < 0 || offset.empty() || offset[0] == '-') return std::nullopt;
  out.offset = *parsed;
  return out;
}

Result<TableQuery> ParseTableQuery(const std::vector<std::pair<std::string, std::string>>& query,
                                   const engine::TypedColumns& columns, int64_t max_size,
                                   RequestError* error) {
  TableQuery out;
  for (const auto& [name, value] : query) {
    if (name.empty()) continue;
    if (name[0] == '\x01') return Fail(error, 400, "BadRequest", "malformed query string");
    if (name[0] != '_') {
      NL_RETURN_NOT_OK(ParseFilter(name, value, columns, out, error));
    } else if (name == "_columns") {
      for (const auto& column : SplitComma(value)) {
        if (!FindColumn(columns, column)) return UnknownColumn(error, column, columns, "_columns");
        out.columns.push_back(column);
      }
    } else if (name == "_sort") {
      for (auto column : SplitComma(value)) {
        bool descending = !column.empty() && column[0] == '-';
        if (descending) column.erase(0, 1);
        if (!FindColumn(columns, column)) return UnknownColumn(error, column, columns, "_sort");
        out.sort.emplace_back(column, descending);
      }
    } else if (name == "_size") {
      NL_ASSIGN_OR_RETURN(out.size, ParseCount("_size", value, 1, error));
      if (out.size > max_size) {
        return Fail(error, 400, "BadRequest",
                    "_size " + value + " is larger than the server's limit " +
                        std::to_string(max_size));
      }
    } else if (name == "_next") {
      auto token = ParseNextToken(value);
      if (!token) return Fail(error, 400, "BadRequest", "malformed _next token '" + value + "'");
      if (token->version) out.version = token->version;
      out.offset = token->offset;
    } else if (name == "_version") {
      NL_ASSIGN_OR_RETURN(int64_t version, ParseCount("_version", value, 0, error));
      if (out.version && *out.version != version) {
        return Fail(error, 400, "BadRequest", "_version disagrees with the _next token");
      }
      out.version = version;
    } else if (name == "_timestamp") {
      if (!ParseUtcTimestampMicros(value)) {
        return Fail(error, 400, "BadRequest",
                    "_timestamp '" + value + "' is not an ISO-8601 timestamp");
      }
      out.timestamp = value;
    } else if (name == "_format") {
      out.format = value;
    } else if (name == "_shape") {
      if (value != "objects" && value != "arrays") {
        return Fail(error, 400, "BadRequest", "_shape must be objects or arrays, got '" + value + "'");
      }
      out.shape = value;
    } else {
      return Fail(error, 400, "BadRequest",
                  "unknown parameter '" + name +
                      "' (reserved: _columns _sort _size _next _version _timestamp _format _shape)");
    }
  }
  if (out.timestamp && out.version) {
    return Fail(error, 400, "BadRequest", "give _version or _timestamp, not both");
  }
  return out;
}

Result<BuiltQuery> BuildTableSql(const std::string& relation, const TableQuery& query,
                                 const engine::TypedColumns& columns, int64_t limit, bool paged) {
  BuiltQuery out;
  std::string select;
  if (query.columns.empty()) {
    select = "*";
  } else {
    for (const auto& column : query.columns) select += (select.empty() ? "" : ", ") + Quote(column);
  }
  out.sql = "SELECT " + select + " FROM " + relation;
  NL_ASSIGN_OR_RETURN(std::string where,
                      engine::FiltersSql(query.filters, {}, columns, out.params));
  if (!where.empty()) out.sql += " WHERE " + where;
  // A total order: the asked columns first, then every other column.
  std::string order;
  std::set<std::string> used;
  for (const auto& [column, descending] : query.sort) {
    order += (order.empty() ? "" : ", ") + Quote(column) + (descending ? " DESC" : " ASC") +
             (descending ? " NULLS LAST" : " NULLS FIRST");
    used.insert(column);
  }
  for (const auto& [column, type] : columns) {
    // Only pages need the total order; a stream of every row keeps the scan's order (no sort).
    if (!paged) break;
    if (used.count(column)) continue;
    order += (order.empty() ? "" : ", ") + Quote(column) + " ASC NULLS FIRST";
  }
  if (!order.empty()) out.sql += " ORDER BY " + order;
  out.sql += " LIMIT " + std::to_string(limit) + " OFFSET " + std::to_string(query.offset);
  return out;
}

}  // namespace neuralake::server
