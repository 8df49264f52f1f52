// add.stats JSON for written files: the engine's per-file column statistics (typed values) as
// Delta's numRecords / minValues / maxValues / nullCount, with string prefixes and timestamp
// truncation per the protocol.
#include "neuralake/delta/stats.h"

#include <cctype>
#include <cmath>
#include <ctime>
#include <optional>

#include <nlohmann/json.hpp>

namespace neuralake::delta {
namespace {

using nlohmann::json;

constexpr size_t kStringStatsPrefix = 32;

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string PhysicalName(const StructField& field, ColumnMappingMode mode) {
  if (mode != ColumnMappingMode::kNone && field.metadata.is_object()) {
    auto it = field.metadata.find("delta.columnMapping.physicalName");
    if (it != field.metadata.end() && it->is_string()) return it->get<std::string>();
  }
  return field.name;
}

bool IsPartition(const std::vector<std::string>& partition_columns, std::string_view name) {
  std::string lower = Lower(name);
  for (const auto& column : partition_columns) {
    if (Lower(column) == lower) return true;
  }
  return false;
}

// Parses "YYYY-MM-DD HH:MM:SS[.ffffff][+HH[:MM]]" to microseconds since the epoch, applying the
// offset when present.
std::optional<int64_t> ParseTimestampMicros(const std::string& text) {
  int year, month, day, hour = 0, minute = 0, second = 0;
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%d-%d-%d%n", &year, &month, &day, &consumed) != 3) {
    return std::nullopt;
  }
  size_t pos = static_cast<size_t>(consumed);
  if (pos < text.size() && (text[pos] == ' ' || text[pos] == 'T')) {
    int used = 0;
    if (std::sscanf(text.c_str() + pos + 1, "%d:%d:%d%n", &hour, &minute, &second, &used) != 3) {
      return std::nullopt;
    }
    pos += 1 + static_cast<size_t>(used);
  }
  int64_t micros = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      if (digits < 6) micros = micros * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    for (int i = digits; i < 6; ++i) micros *= 10;
  }
  int64_t offset_seconds = 0;
  if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int sign = text[pos] == '-' ? -1 : 1;
    int offset_hours = 0, offset_minutes = 0;
    std::string rest = text.substr(pos + 1);
    if (std::sscanf(rest.c_str(), "%d:%d", &offset_hours, &offset_minutes) < 1) {
      return std::nullopt;
    }
    if (rest.size() == 4 && rest.find(':') == std::string::npos) {  // "+0530"
      offset_minutes = offset_hours % 100;
      offset_hours /= 100;
    }
    offset_seconds = sign * (offset_hours * 3600 + offset_minutes * 60);
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  int64_t seconds = static_cast<int64_t>(timegm(&tm)) - offset_seconds;
  return seconds * 1'000'000 + micros;
}

std::string FormatTimestampMillis(int64_t micros, bool utc_suffix) {
  int64_t millis = micros >= 0 ? micros / 1000 : -((-micros + 999) / 1000);  // floor
  std::time_t seconds = static_cast<std::time_t>(millis >= 0 ? millis / 1000
                                                             : -((-millis + 999) / 1000));
  int fraction = static_cast<int>(millis - static_cast<int64_t>(seconds) * 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[48];
  std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%03d%s", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, fraction,
                utc_suffix ? "Z" : "");
  return text;
}

// Number of UTF-8 code points, and the prefix of at most `count` code points.
size_t CodePoints(const std::string& text) {
  size_t count = 0;
  for (unsigned char c : text) {
    if ((c & 0xC0) != 0x80) ++count;
  }
  return count;
}

std::string CodePointPrefix(const std::string& text, size_t count) {
  size_t seen = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      if (seen == count) return text.substr(0, i);
      ++seen;
    }
  }
  return text;
}

// A stats value typed for JSON, or nullopt when the type gets no min/max statistics.
std::optional<json> StatsValue(const DataType& type, const std::string& text, bool is_max) {
  try {
    if (type.kind() == DataType::Kind::kDecimal) {
      if (type.precision() > 15) return std::nullopt;
      double value = std::stod(text);
      if (!std::isfinite(value)) return std::nullopt;
      return json(value);
    }
    if (type.kind() != DataType::Kind::kPrimitive) return std::nullopt;
    const std::string& name = type.name();
    if (name == "long" || name == "integer" || name == "short" || name == "byte") {
      size_t used = 0;
      int64_t value = std::stoll(text, &used);
      if (used != text.size()) return std::nullopt;
      return json(value);
    }
    if (name == "double" || name == "float") {
      double value = std::stod(text);
      if (!std::isfinite(value)) return std::nullopt;
      return json(value);
    }
    if (name == "string") {
      if (CodePoints(text) <= kStringStatsPrefix) return json(text);
      std::string prefix = CodePointPrefix(text, kStringStatsPrefix);
      if (!is_max) return json(prefix);  // a prefix is a lower bound
      // A truncated maximum is an upper bound once the largest code point, U+10FFFF, follows
      // the prefix (as Delta's Spark writer does): it sorts after every value with that prefix
      // in byte (UTF-8) order, unless the value itself continues with U+10FFFF. Readers such as
      // delta-rs's pyarrow dataset treat a missing maximum as a bound and skip files wrongly.
      static constexpr std::string_view kMaxCodePoint = "\xF4\x8F\xBF\xBF";
      if (text.compare(prefix.size(), kMaxCodePoint.size(), kMaxCodePoint) == 0) {
        return std::nullopt;
      }
      return json(prefix + std::string(kMaxCodePoint));
    }
    if (name == "date") {
      if (text.size() == 10 && text[4] == '-' && text[7] == '-') return json(text);
      return std::nullopt;
    }
    if (name == "timestamp" || name == "timestamp_ntz") {
      auto micros = ParseTimestampMicros(text);
      if (!micros) return std::nullopt;
      return json(FormatTimestampMillis(*micros, name == "timestamp"));
    }
  } catch (const std::exception&) {
  }
  return std::nullopt;  // boolean, binary and anything unparsable
}

// Finds the field at `path` (structs only); fills the physical path.
const StructField* FieldAt(const Schema& schema, const std::vector<std::string>& path,
                           ColumnMappingMode mode, std::vector<std::string>* physical) {
  const std::vector<StructField>* fields = &schema.fields;
  const StructField* field = nullptr;
  for (size_t i = 0; i < path.size(); ++i) {
    field = nullptr;
    for (const auto& candidate : *fields) {
      if (candidate.name == path[i] || PhysicalName(candidate, mode) == path[i]) {
        field = &candidate;
        break;
      }
    }
    if (field == nullptr) return nullptr;
    physical->push_back(PhysicalName(*field, mode));
    if (i + 1 < path.size()) {
      if (field->type.kind() != DataType::Kind::kStruct) return nullptr;
      fields = &field->type.fields();
    }
  }
  return field;
}

void SetAt(json& root, const std::vector<std::string>& path, json value) {
  json* node = &root;
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    if (!node->contains(path[i]) || !(*node)[path[i]].is_object()) {
      (*node)[path[i]] = json::object();
    }
    node = &(*node)[path[i]];
  }
  (*node)[path.back()] = std::move(value);
}

}  // namespace

// Splits an engine stats column name into a path: `s"."x` (outer quotes already stripped) or a
// plain top-level name.
std::vector<std::string> StatsPath(const Schema& schema, const std::string& name) {
  if (schema.Find(name) != nullptr) return {name};
  std::vector<std::string> path;
  std::string stripped = name;
  if (stripped.size() >= 2 && stripped.front() == '"' && stripped.back() == '"') {
    stripped = stripped.substr(1, stripped.size() - 2);
  }
  size_t start = 0;
  while (true) {
    size_t separator = stripped.find("\".\"", start);
    if (separator == std::string::npos) {
      path.push_back(stripped.substr(start));
      break;
    }
    path.push_back(stripped.substr(start, separator - start));
    start = separator + 3;
  }
  if (path.size() == 1 && path[0].find('.') != std::string::npos) {
    // Unquoted "a.b": split on dots.
    std::vector<std::string> dotted;
    size_t begin = 0;
    while (true) {
      size_t dot = path[0].find('.', begin);
      dotted.push_back(path[0].substr(begin, dot == std::string::npos ? std::string::npos
                                                                      : dot - begin));
      if (dot == std::string::npos) break;
      begin = dot + 1;
    }
    return dotted;
  }
  for (auto& part : path) {
    std::string unescaped;
    for (size_t i = 0; i < part.size(); ++i) {
      unescaped += part[i];
      if (part[i] == '"' && i + 1 < part.size() && part[i + 1] == '"') ++i;
    }
    part = unescaped;
  }
  return path;
}


std::string StatsJson(const Schema& schema, const std::vector<std::string>& partition_columns,
                      const engine::WrittenFile& file) {
  json stats = json::object();
  stats["numRecords"] = file.num_rows;
  json min_values = json::object();
  json max_values = json::object();
  json null_count = json::object();
  for (const auto& column : file.columns) {
    std::vector<std::string> path = StatsPath(schema, column.column);
    if (path.empty() || IsPartition(partition_columns, path[0])) continue;
    std::vector<std::string> physical;
    const StructField* field = FieldAt(schema, path, ColumnMappingMode::kNone, &physical);
    if (field == nullptr) continue;
    if (field->type.kind() == DataType::Kind::kStruct ||
        field->type.kind() == DataType::Kind::kArray ||
        field->type.kind() == DataType::Kind::kMap) {
      continue;
    }
    if (column.null_count) SetAt(null_count, physical, *column.null_count);
    bool all_null = column.null_count && *column.null_count == file.num_rows;
    if (all_null) continue;
    if (column.min) {
      if (auto value = StatsValue(field->type, *column.min, false)) {
        SetAt(min_values, physical, *value);
      }
    }
    if (column.max) {
      if (auto value = StatsValue(field->type, *column.max, true)) {
        SetAt(max_values, physical, *value);
      }
    }
  }
  stats["minValues"] = min_values;
  stats["maxValues"] = max_values;
  stats["nullCount"] = null_count;
  return stats.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace neuralake::delta
