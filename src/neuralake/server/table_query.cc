#include "neuralake/server/table_query.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>

#include "neuralake/common/time.h"

namespace neuralake::server {
namespace {

enum class ValueKind { kInteger, kFloat, kDecimal, kBoolean, kString, kDate, kTimestamp,
                       kTimestampTz, kList, kOther };

bool StartsWith(const std::string& text, std::string_view prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

ValueKind KindOf(const std::string& type) {
  if (type.size() > 2 && type.compare(type.size() - 2, 2, "[]") == 0) return ValueKind::kList;
  static const std::set<std::string> integers = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT",
                                                 "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                                                 "UBIGINT", "UHUGEINT"};
  if (integers.count(type)) return ValueKind::kInteger;
  if (type == "DOUBLE" || type == "FLOAT") return ValueKind::kFloat;
  if (StartsWith(type, "DECIMAL")) return ValueKind::kDecimal;
  if (type == "BOOLEAN") return ValueKind::kBoolean;
  if (type == "VARCHAR") return ValueKind::kString;
  if (type == "DATE") return ValueKind::kDate;
  if (type == "TIMESTAMP WITH TIME ZONE") return ValueKind::kTimestampTz;
  if (StartsWith(type, "TIMESTAMP")) return ValueKind::kTimestamp;
  return ValueKind::kOther;
}

std::string ElementType(const std::string& list_type) {
  return list_type.substr(0, list_type.size() - 2);
}

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

// The bound form of `text` as a value of `type`, or nullopt with `why` set.
std::optional<engine::QueryParam> TypedValue(const std::string& text, const std::string& type,
                                             std::string* why) {
  switch (KindOf(type)) {
    case ValueKind::kInteger: {
      if (type == "HUGEINT" || type == "UHUGEINT" || type == "UBIGINT") {
        if (IsDecimalText(text) && text.find('.') == std::string::npos) return text;
        *why = "an integer";
        return std::nullopt;
      }
      int64_t value = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (ec == std::errc() && end == text.data() + text.size()) return value;
      *why = ec == std::errc::result_out_of_range ? "an integer in range" : "an integer";
      return std::nullopt;
    }
    case ValueKind::kFloat: {
      if (text == "NaN" || text == "nan") return std::nan("");
      if (text == "Infinity" || text == "inf") return HUGE_VAL;
      if (text == "-Infinity" || text == "-inf") return -HUGE_VAL;
      char* end = nullptr;
      double value = std::strtod(text.c_str(), &end);
      if (!text.empty() && end == text.c_str() + text.size() && std::isfinite(value)) return value;
      *why = "a number";
      return std::nullopt;
    }
    case ValueKind::kDecimal:
      if (IsDecimalText(text)) return text;
      *why = "a decimal number";
      return std::nullopt;
    case ValueKind::kBoolean:
      if (text == "true" || text == "1") return true;
      if (text == "false" || text == "0") return false;
      *why = "true or false";
      return std::nullopt;
    case ValueKind::kDate: {
      unsigned y = 0, m = 0, d = 0;
      char tail = 0;
      if (text.size() == 10 && std::sscanf(text.c_str(), "%4u-%2u-%2u%c", &y, &m, &d, &tail) == 3 &&
          m >= 1 && m <= 12 && d >= 1 && d <= 31) {
        return text;
      }
      *why = "a date YYYY-MM-DD";
      return std::nullopt;
    }
    case ValueKind::kTimestamp:
    case ValueKind::kTimestampTz: {
      auto micros = ParseUtcTimestampMicros(text);
      if (!micros) {
        *why = "an ISO-8601 timestamp (2026-01-01T00:00:00Z)";
        return std::nullopt;
      }
      std::string canonical = FormatSqlMicros(*micros);
      if (KindOf(type) == ValueKind::kTimestampTz) canonical += "+00";
      return canonical;
    }
    case ValueKind::kString:
      return text;
    case ValueKind::kList:
    case ValueKind::kOther:
      *why = "a scalar column (this one is " + type + ")";
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

struct OpInfo {
  bool multi = false;       // comma-separated values
  bool no_value = false;    // isnull / notnull
  bool list_only = false;   // includes*
  bool string_only = false; // contains / startswith / endswith
};

const std::map<std::string, OpInfo>& Ops() {
  static const std::map<std::string, OpInfo> ops = {
      {"eq", {}}, {"ne", {}}, {"lt", {}}, {"lte", {}}, {"gt", {}}, {"gte", {}},
      {"in", {true}}, {"notin", {true}},
      {"contains", {false, false, false, true}}, {"startswith", {false, false, false, true}},
      {"endswith", {false, false, false, true}},
      {"isnull", {false, true}}, {"notnull", {false, true}},
      {"includes", {false, false, true}}, {"includes_any", {true, false, true}},
      {"includes_all", {true, false, true}},
  };
  return ops;
}

const engine::ColumnInfo* FindColumn(const std::vector<engine::ColumnInfo>& columns,
                                     const std::string& name) {
  for (const auto& column : columns) {
    if (column.name == name) return &column;
  }
  return nullptr;
}

std::string ColumnList(const std::vector<engine::ColumnInfo>& columns) {
  std::string out;
  for (size_t i = 0; i < columns.size() && i < 20; ++i) out += (i ? ", " : "") + columns[i].name;
  if (columns.size() > 20) out += ", ...";
  return out;
}

Status UnknownColumn(RequestError* error, const std::string& name,
                     const std::vector<engine::ColumnInfo>& columns, std::string_view where) {
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

Status ParseFilter(const std::string& name, const std::string& value,
                   const std::vector<engine::ColumnInfo>& columns, TableQuery& out,
                   RequestError* error) {
  std::string column = name;
  std::string op = "eq";
  size_t split = name.rfind("__");
  if (split != std::string::npos && split > 0) {
    column = name.substr(0, split);
    op = name.substr(split + 2);
  }
  const engine::ColumnInfo* info = FindColumn(columns, column);
  if (!info) {
    // "a__b" might be a column whose name holds "__".
    info = FindColumn(columns, name);
    if (info) {
      column = name;
      op = "eq";
    } else {
      return UnknownColumn(error, column, columns, "filter '" + name + "'");
    }
  }
  auto found = Ops().find(op);
  if (found == Ops().end()) {
    std::string known;
    for (const auto& [op_name, ignored] : Ops()) known += (known.empty() ? "" : " ") + op_name;
    return Fail(error, 400, "UnknownOperator",
                "unknown filter operator '" + op + "' in '" + name + "' (operators: " + known + ")");
  }
  const OpInfo& op_info = found->second;
  ValueKind kind = KindOf(info->type);
  if (op_info.list_only && kind != ValueKind::kList) {
    return Fail(error, 400, "BadRequest",
                "operator '" + op + "' needs a list column; '" + column + "' is " + info->type);
  }
  if (op_info.string_only && kind != ValueKind::kString) {
    return Fail(error, 400, "BadRequest",
                "operator '" + op + "' needs a string column; '" + column + "' is " + info->type);
  }
  Filter filter{column, op, {}};
  if (op_info.no_value) {
    if (!value.empty() && value != "1" && value != "true") {
      return Fail(error, 400, "BadRequest", "'" + name + "' takes no value (or 1/true)");
    }
  } else {
    filter.values = op_info.multi ? SplitComma(value) : std::vector<std::string>{value};
    std::string value_type = op_info.list_only ? ElementType(info->type) : info->type;
    for (const auto& text : filter.values) {
      std::string why;
      if (!TypedValue(text, value_type, &why)) {
        return Fail(error, 422, "InvalidValue",
                    "filter '" + name + "': '" + text + "' is not " + why + " (column '" + column +
                        "' is " + info->type + ")");
      }
    }
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
    std::vector<std::string> out;
    for (const auto& [name, ignored] : Ops()) out.push_back(name);
    return out;
  }();
  return names;
}

std::string NextToken(int64_t version, int64_t offset) {
  return std::to_string(version) + "." + std::to_string(offset);
}

std::optional<std::pair<int64_t, int64_t>> ParseNextToken(const std::string& token) {
  size_t dot = token.find('.');
  if (dot == std::string::npos) return std::nullopt;
  int64_t version = 0;
  int64_t offset = 0;
  auto [end1, ec1] = std::from_chars(token.data(), token.data() + dot, version);
  auto [end2, ec2] = std::from_chars(token.data() + dot + 1, token.data() + token.size(), offset);
  if (ec1 != std::errc() || end1 != token.data() + dot || ec2 != std::errc() ||
      end2 != token.data() + token.size() || version < 0 || offset < 0) {
    return std::nullopt;
  }
  return std::make_pair(version, offset);
}

Result<TableQuery> ParseTableQuery(const std::vector<std::pair<std::string, std::string>>& query,
                                   const std::vector<engine::ColumnInfo>& columns,
                                   int64_t max_size, RequestError* error) {
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
      out.version = token->first;
      out.offset = token->second;
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

BuiltQuery BuildTableSql(const std::string& table, int64_t version, const TableQuery& query,
                         const std::vector<engine::ColumnInfo>& columns, int64_t limit,
                         bool paged) {
  BuiltQuery out;
  auto bind = [&](const std::string& text, const std::string& type) {
    std::string why;
    out.params.push_back(*TypedValue(text, type, &why));
    // The type text comes from the table's schema, never from the request.
    return "CAST($" + std::to_string(out.params.size()) + " AS " + type + ")";
  };
  std::string select;
  if (query.columns.empty()) {
    select = "*";
  } else {
    for (const auto& column : query.columns) select += (select.empty() ? "" : ", ") + Quote(column);
  }
  out.sql = "SELECT " + select + " FROM lake_scan(" + engine::Engine::QuoteLiteral(table) +
            ", version => " + std::to_string(version) + ")";
  std::vector<std::string> where;
  for (const auto& filter : query.filters) {
    const engine::ColumnInfo* info = FindColumn(columns, filter.column);
    std::string column = Quote(filter.column);
    const std::string& op = filter.op;
    std::string element = KindOf(info->type) == ValueKind::kList ? ElementType(info->type) : "";
    static const std::map<std::string, std::string> comparisons = {
        {"eq", "="}, {"ne", "<>"}, {"lt", "<"}, {"lte", "<="}, {"gt", ">"}, {"gte", ">="}};
    if (auto found = comparisons.find(op); found != comparisons.end()) {
      where.push_back(column + " " + found->second + " " + bind(filter.values[0], info->type));
    } else if (op == "in" || op == "notin") {
      std::string list;
      for (const auto& value : filter.values) list += (list.empty() ? "" : ", ") + bind(value, info->type);
      where.push_back(column + (op == "in" ? " IN (" : " NOT IN (") + list + ")");
    } else if (op == "contains") {
      where.push_back("contains(" + column + ", " + bind(filter.values[0], info->type) + ")");
    } else if (op == "startswith") {
      where.push_back("starts_with(" + column + ", " + bind(filter.values[0], info->type) + ")");
    } else if (op == "endswith") {
      where.push_back("ends_with(" + column + ", " + bind(filter.values[0], info->type) + ")");
    } else if (op == "isnull") {
      where.push_back(column + " IS NULL");
    } else if (op == "notnull") {
      where.push_back(column + " IS NOT NULL");
    } else if (op == "includes") {
      where.push_back("list_contains(" + column + ", " + bind(filter.values[0], element) + ")");
    } else if (op == "includes_any" || op == "includes_all") {
      std::string list;
      for (const auto& value : filter.values) list += (list.empty() ? "" : ", ") + bind(value, element);
      where.push_back(std::string(op == "includes_any" ? "list_has_any(" : "list_has_all(") +
                      column + ", [" + list + "])");
    }
  }
  for (size_t i = 0; i < where.size(); ++i) out.sql += (i ? " AND " : " WHERE ") + where[i];
  // A total order: the asked columns first, then every other column.
  std::string order;
  std::set<std::string> used;
  for (const auto& [column, descending] : query.sort) {
    order += (order.empty() ? "" : ", ") + Quote(column) + (descending ? " DESC" : " ASC") +
             (descending ? " NULLS LAST" : " NULLS FIRST");
    used.insert(column);
  }
  for (const auto& column : columns) {
    // Only pages need the total order; a stream of every row keeps the scan's order (no sort).
    if (!paged) break;
    if (used.count(column.name)) continue;
    order += (order.empty() ? "" : ", ") + Quote(column.name) + " ASC NULLS FIRST";
  }
  if (!order.empty()) out.sql += " ORDER BY " + order;
  out.sql += " LIMIT " + std::to_string(limit) + " OFFSET " + std::to_string(query.offset);
  return out;
}

}  // namespace neuralake::server
