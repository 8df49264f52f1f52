#include "neuralake/engine/result_encoding.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <vector>

#include "duckdb/common/types/value.hpp"
#include "neuralake/common/time.h"

namespace neuralake::engine {

// ---- the typed renderer: JSON and CSV cells ----

namespace {

void AppendHex4(unsigned value, std::string& out) {
  static const char* kHex = "0123456789abcdef";
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(value >> shift) & 0xF];
}

// Length of the valid UTF-8 sequence at text[i], or 0 when it is not one.
size_t Utf8SequenceLength(std::string_view text, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char lead = byte(i);
  size_t length;
  uint32_t code;
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    code = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    code = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    code = lead & 0x07;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    code = (code << 6) | (byte(i + k) & 0x3F);
  }
  if ((length == 3 && (code < 0x800 || (code >= 0xD800 && code <= 0xDFFF))) ||
      (length == 4 && (code < 0x10000 || code > 0x10FFFF))) {
    return 0;
  }
  return length;
}

void AppendJsonString(std::string_view text, std::string& out) {
  out += '"';
  for (size_t i = 0; i < text.size();) {
    char c = text[i];
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (byte < 0x20 || byte == 0x7F) {
            AppendHex4(byte, out);
          } else {
            out += c;
          }
      }
      ++i;
      continue;
    }
    size_t length = Utf8SequenceLength(text, i);
    if (length == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD for a byte that starts no valid sequence
      ++i;
    } else {
      out.append(text.data() + i, length);
      i += length;
    }
  }
  out += '"';
}

void AppendBase64(std::string_view bytes, std::string& out) {
  static const char* kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t i = 0;
  auto at = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(bytes[k])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t group = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
    for (int shift = 18; shift >= 0; shift -= 6) out += kAlphabet[(group >> shift) & 0x3F];
  }
  size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t group = at(i) << 16;
    if (rest == 2) group |= at(i + 1) << 8;
    out += kAlphabet[(group >> 18) & 0x3F];
    out += kAlphabet[(group >> 12) & 0x3F];
    out += rest == 2 ? kAlphabet[(group >> 6) & 0x3F] : '=';
    out += '=';
  }
}

// Shortest round-trip text of a finite float/double, or NaN/Infinity/-Infinity.
template <typename Float>
std::string FloatText(Float value, bool* special) {
  *special = !std::isfinite(value);
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  if (value == 0 && std::signbit(value)) return "-0.0";  // "-0" would read back as the integer 0
  char buffer[64];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

int64_t FloorDiv(int64_t value, int64_t divisor) {
  int64_t quotient = value / divisor;
  return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient;
}

void AppendDigits(int64_t value, int width, std::string& out) {
  std::string digits = std::to_string(value);
  if (static_cast<int>(digits.size()) < width) out.append(width - digits.size(), '0');
  out += digits;
}

// Days since 1970-01-01 as an ISO-8601 date (proleptic Gregorian; astronomical years, 4 digits,
// a sign outside 0000-9999).
void AppendCivilDate(int64_t days, std::string& out) {
  CivilDate date = CivilFromDays(days);
  int64_t year = date.year;
  int64_t month = date.month;
  int64_t day = date.day;
  if (year < 0) {
    out += '-';
    AppendDigits(-year, 4, out);
  } else {
    if (year > 9999) out += '+';
    AppendDigits(year, 4, out);
  }
  out += '-';
  AppendDigits(month, 2, out);
  out += '-';
  AppendDigits(day, 2, out);
}

// `units` since the epoch (units_per_second of 1, 1e3, 1e6 or 1e9) as YYYY-MM-DDTHH:MM:SS[.f]
// with `digits` fraction digits, and "Z" when `utc`.
std::string TimestampText(int64_t units, int64_t units_per_second, int digits, bool utc) {
  if (units == std::numeric_limits<int64_t>::max()) return "infinity";
  if (units == -std::numeric_limits<int64_t>::max()) return "-infinity";
  int64_t seconds = FloorDiv(units, units_per_second);
  int64_t fraction = units - seconds * units_per_second;
  int64_t days = FloorDiv(seconds, 86400);
  int64_t second_of_day = seconds - days * 86400;
  std::string out;
  AppendCivilDate(days, out);
  out += 'T';
  AppendDigits(second_of_day / 3600, 2, out);
  out += ':';
  AppendDigits(second_of_day / 60 % 60, 2, out);
  out += ':';
  AppendDigits(second_of_day % 60, 2, out);
  if (digits > 0) {
    out += '.';
    AppendDigits(fraction, digits, out);
  }
  if (utc) out += 'Z';
  return out;
}

bool IsNested(const duckdb::LogicalType& type) {
  switch (type.id()) {
    case duckdb::LogicalTypeId::STRUCT:
    case duckdb::LogicalTypeId::LIST:
    case duckdb::LogicalTypeId::MAP:
    case duckdb::LogicalTypeId::ARRAY:
    case duckdb::LogicalTypeId::UNION:
      return true;
    default:
      return false;
  }
}

// A non-NULL scalar (not VARCHAR, BLOB or nested) as text; `quoted` says whether its JSON
// encoding is a string (true) or a bare number/boolean (false).
std::string ScalarText(const duckdb::Value& value, bool* quoted) {
  using Id = duckdb::LogicalTypeId;
  *quoted = false;
  switch (value.type().id()) {
    case Id::BOOLEAN:
      return duckdb::BooleanValue::Get(value) ? "true" : "false";
    case Id::TINYINT:
    case Id::SMALLINT:
    case Id::INTEGER:
    case Id::BIGINT:
    case Id::HUGEINT:
    case Id::UTINYINT:
    case Id::USMALLINT:
    case Id::UINTEGER:
    case Id::UBIGINT:
    case Id::UHUGEINT:
    case Id::BIGNUM:
    case Id::DECIMAL:
      return value.ToString();  // exact decimal text
    case Id::FLOAT:
      return FloatText(duckdb::FloatValue::Get(value), quoted);
    case Id::DOUBLE:
      return FloatText(duckdb::DoubleValue::Get(value), quoted);
    case Id::DATE: {
      *quoted = true;
      int32_t days = duckdb::DateValue::Get(value).days;
      if (days == std::numeric_limits<int32_t>::max()) return "infinity";
      if (days == -std::numeric_limits<int32_t>::max()) return "-infinity";
      std::string out;
      AppendCivilDate(days, out);
      return out;
    }
    case Id::TIMESTAMP:
      *quoted = true;
      return TimestampText(duckdb::TimestampValue::Get(value).value, 1'000'000, 6, false);
    case Id::TIMESTAMP_TZ:
      *quoted = true;
      return TimestampText(duckdb::TimestampTZValue::Get(value).value, 1'000'000, 6, true);
    case Id::TIMESTAMP_NS:
      *quoted = true;
      return TimestampText(duckdb::TimestampNSValue::Get(value).value, 1'000'000'000, 9, false);
    case Id::TIMESTAMP_MS:
      *quoted = true;
      return TimestampText(duckdb::TimestampMSValue::Get(value).value, 1'000, 3, false);
    case Id::TIMESTAMP_SEC:
      *quoted = true;
      return TimestampText(duckdb::TimestampSValue::Get(value).value, 1, 0, false);
    default:
      *quoted = true;
      return value.ToString();
  }
}

void AppendJsonValue(const duckdb::Value& value, std::string& out) {
  using Id = duckdb::LogicalTypeId;
  if (value.IsNull()) {
    out += "null";
    return;
  }
  const duckdb::LogicalType& type = value.type();
  switch (type.id()) {
    case Id::VARCHAR:
      if (type.IsJSONType()) {
        // Valid JSON already; a raw line break can only be whitespace there.
        for (char c : duckdb::StringValue::Get(value)) out += (c == '\n' || c == '\r') ? ' ' : c;
      } else {
        AppendJsonString(duckdb::StringValue::Get(value), out);
      }
      return;
    case Id::BLOB:
      out += '"';
      AppendBase64(duckdb::StringValue::Get(value), out);
      out += '"';
      return;
    case Id::STRUCT: {
      const auto& children = duckdb::StructValue::GetChildren(value);
      out += '{';
      for (size_t i = 0; i < children.size(); ++i) {
        if (i > 0) out += ',';
        AppendJsonString(duckdb::StructType::GetChildName(type, i), out);
        out += ':';
        AppendJsonValue(children[i], out);
      }
      out += '}';
      return;
    }
    case Id::LIST:
    case Id::ARRAY: {
      const auto& children = type.id() == Id::LIST ? duckdb::ListValue::GetChildren(value)
                                                   : duckdb::ArrayValue::GetChildren(value);
      out += '[';
      for (size_t i = 0; i < children.size(); ++i) {
        if (i > 0) out += ',';
        AppendJsonValue(children[i], out);
      }
      out += ']';
      return;
    }
    case Id::MAP: {
      out += '{';
      bool first = true;
      for (const auto& entry : duckdb::MapValue::GetChildren(value)) {
        const auto& pair = duckdb::StructValue::GetChildren(entry);
        if (!first) out += ',';
        first = false;
        const duckdb::Value& key = pair[0];
        if (key.type().id() == Id::VARCHAR && !key.IsNull()) {
          AppendJsonString(duckdb::StringValue::Get(key), out);
        } else {
          std::string key_json;
          AppendJsonValue(key, key_json);
          // A string key's text without its quotes; any other key's JSON text as the name.
          if (key_json.size() >= 2 && key_json.front() == '"') {
            out += key_json;
          } else {
            AppendJsonString(key_json, out);
          }
        }
        out += ':';
        AppendJsonValue(pair[1], out);
      }
      out += '}';
      return;
    }
    case Id::UNION:
      AppendJsonValue(duckdb::UnionValue::GetValue(value), out);
      return;
    default: {
      bool quoted = false;
      std::string text = ScalarText(value, &quoted);
      if (quoted) {
        AppendJsonString(text, out);
      } else {
        out += text;
      }
    }
  }
}

}  // namespace

std::optional<std::string> CellText(const duckdb::Value& value, CellEncoding encoding) {
  if (value.IsNull()) return std::nullopt;
  switch (encoding) {
    case CellEncoding::kText:
      return value.ToString();
    case CellEncoding::kJson: {
      std::string out;
      AppendJsonValue(value, out);
      return out;
    }
    case CellEncoding::kCsv: {
      const duckdb::LogicalType& type = value.type();
      if (IsNested(type)) {
        std::string out;
        AppendJsonValue(value, out);
        return out;
      }
      if (type.id() == duckdb::LogicalTypeId::VARCHAR) return duckdb::StringValue::Get(value);
      if (type.id() == duckdb::LogicalTypeId::BLOB) return value.ToString();
      bool quoted = false;
      return ScalarText(value, &quoted);
    }
  }
  return value.ToString();
}

void AppendRows(Table& table, duckdb::DataChunk& chunk, duckdb::idx_t count,
                CellEncoding encoding) {
  for (duckdb::idx_t row = 0; row < count; ++row) {
    std::vector<std::optional<std::string>> cells;
    cells.reserve(chunk.ColumnCount());
    for (duckdb::idx_t column = 0; column < chunk.ColumnCount(); ++column) {
      cells.push_back(CellText(chunk.GetValue(column, row), encoding));
    }
    table.rows.push_back(std::move(cells));
  }
}

std::string JsonString(std::string_view text) {
  std::string out;
  AppendJsonString(text, out);
  return out;
}

std::string CsvField(const std::optional<std::string>& cell) {
  if (!cell) return "";
  const std::string& text = *cell;
  bool quote = text.empty() || text.find_first_of(",\"\r\n") != std::string::npos ||
               text.front() == ' ' || text.back() == ' ';
  if (!quote) return text;
  std::string out = "\"";
  for (char c : text) {
    out += c;
    if (c == '"') out += '"';
  }
  return out + "\"";
}

std::string CsvLine(const std::vector<std::optional<std::string>>& cells) {
  std::string line;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) line += ',';
    line += CsvField(cells[i]);
  }
  return line + "\n";
}

std::vector<std::string> UniqueColumnNames(const std::vector<ColumnInfo>& columns) {
  std::vector<std::string> names;
  std::map<std::string, int> seen;
  for (const auto& column : columns) {
    std::string name = column.name;
    while (seen.count(name) > 0) name = column.name + "_" + std::to_string(seen[column.name]++);
    seen[name] = std::max(seen[name], 1);
    names.push_back(std::move(name));
  }
  return names;
}

std::string JsonObjectLine(const std::vector<std::string>& names,
                           const std::vector<std::optional<std::string>>& cells) {
  std::string line = "{";
  for (size_t i = 0; i < names.size() && i < cells.size(); ++i) {
    if (i > 0) line += ',';
    AppendJsonString(names[i], line);
    line += ':';
    line += cells[i] ? *cells[i] : "null";
  }
  return line + "}\n";
}

}  // namespace neuralake::engine
