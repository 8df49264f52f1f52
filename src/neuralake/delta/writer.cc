#include "neuralake/delta/writer.h"

#include <algorithm>
#include <filesystem>
#include <cctype>
#include <cmath>
#include <ctime>
#include <map>
#include <mutex>
#include <set>

#include <nlohmann/json.hpp>

#include "neuralake/common/units.h"
#include "neuralake/delta/append_committer.h"
#include "neuralake/delta/checkpoint.h"
#include "neuralake/delta/scan_plan.h"
#include "neuralake/delta/stats.h"

namespace neuralake::delta {
namespace {

using engine::Engine;
using nlohmann::json;

constexpr const char* kNullPartition = "__HIVE_DEFAULT_PARTITION__";
constexpr int64_t kDefaultTargetFileSize = 128LL << 20;

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Q(std::string_view name) { return Engine::QuoteIdentifier(name); }
std::string L(std::string_view text) { return Engine::QuoteLiteral(text); }

bool IsPartitionColumn(const std::vector<std::string>& partition_columns, std::string_view name) {
  std::string lower = Lower(name);
  for (const auto& column : partition_columns) {
    if (Lower(column) == lower) return true;
  }
  return false;
}

std::string PhysicalName(const StructField& field, ColumnMappingMode mode) {
  if (mode != ColumnMappingMode::kNone && field.metadata.is_object()) {
    auto it = field.metadata.find("delta.columnMapping.physicalName");
    if (it != field.metadata.end() && it->is_string()) return it->get<std::string>();
  }
  return field.name;
}

json StringArray(const std::vector<std::string>& values) { return json(values); }

// ---- sources ----

Result<std::vector<std::pair<std::string, std::string>>> DescribeRelation(
    Engine& engine, const std::string& relation, const std::string& description) {
  auto described = engine.Query("DESCRIBE SELECT * FROM " + relation);
  if (!described.ok()) {
    return Status(described.status().code(), "cannot read " + description + ": " +
                                                 described.status().message());
  }
  int name_index = described->ColumnIndex("column_name");
  int type_index = described->ColumnIndex("column_type");
  if (name_index < 0 || type_index < 0) {
    return Status::Internal("DESCRIBE returned no column_name/column_type");
  }
  std::vector<std::pair<std::string, std::string>> columns;
  for (const auto& row : described->rows) {
    columns.emplace_back(row[name_index].value_or(""), row[type_index].value_or(""));
  }
  return columns;
}

struct ResolvedSource {
  std::string relation;
  Schema schema;
};

// An empty (or whitespace-only) input file has no header and no columns; DuckDB would make up a
// column ("column0" for CSV, "json" for JSON). Invalid naming the file.
Status CheckNotEmpty(Engine& engine, const std::string& path) {
  auto sizes = engine.Query("SELECT filename, size FROM read_blob(" + L(path) + ")");
  if (!sizes.ok()) return Status::OK();  // the reader reports missing/unreadable files itself
  for (const auto& row : sizes->rows) {
    if (!row.at(0) || !row.at(1)) continue;
    int64_t size = std::stoll(*row[1]);
    bool empty = size == 0;
    if (!empty && size <= 4096) {
      auto content = engine.Query("SELECT regexp_full_match(hex(content), '(20|09|0A|0D)*') FROM "
                                  "read_blob(" + L(*row[0]) + ")");
      empty = content.ok() && !content->rows.empty() && content->rows[0].at(0) == "true";
    }
    if (empty) return Status::Invalid("'" + *row[0] + "' is empty: no header/columns");
  }
  return Status::OK();
}

// read_csv options after the path: a header line; a quoted empty field ("") is the empty string
// and only an empty unquoted field is NULL (what `table read --format csv` writes); tab-separated
// for .tsv.
std::string CsvReadOptions(std::string_view path) {
  std::string lower = Lower(path);
  bool tsv = lower.ends_with(".tsv") || lower.ends_with(".tsv.gz") || lower.ends_with(".tsv.zst");
  return std::string(", header = true, allow_quoted_nulls = false") +
         (tsv ? ", delim = '\\t'" : "");
}

bool IsNestedType(const DataType& type) {
  return type.kind() == DataType::Kind::kStruct || type.kind() == DataType::Kind::kArray ||
         type.kind() == DataType::Kind::kMap;
}

// The path of a binary field inside a nested type ("s.b", "l.element"), or "".
std::string NestedBinaryPath(const DataType& type, const std::string& path) {
  switch (type.kind()) {
    case DataType::Kind::kStruct:
      for (const auto& field : type.fields()) {
        if (field.type.IsPrimitive("binary")) return path + "." + field.name;
        std::string inner = NestedBinaryPath(field.type, path + "." + field.name);
        if (!inner.empty()) return inner;
      }
      return "";
    case DataType::Kind::kArray:
      if (type.element().IsPrimitive("binary")) return path + ".element";
      return NestedBinaryPath(type.element(), path + ".element");
    case DataType::Kind::kMap:
      if (type.key().IsPrimitive("binary")) return path + ".key";
      if (type.value().IsPrimitive("binary")) return path + ".value";
      return NestedBinaryPath(type.value(), path + ".value");
    default:
      return "";
  }
}

// `type` with every leaf JSON (map keys VARCHAR, as JSON object names are): json_transform into it
// fills missing struct fields with NULL and drops unknown ones without converting any value.
Result<std::string> JsonLeafType(const DataType& type) {
  switch (type.kind()) {
    case DataType::Kind::kStruct: {
      std::string out = "STRUCT(";
      for (size_t i = 0; i < type.fields().size(); ++i) {
        NL_ASSIGN_OR_RETURN(std::string inner, JsonLeafType(type.fields()[i].type));
        out += (i > 0 ? ", " : "") + Q(type.fields()[i].name) + " " + inner;
      }
      return out + ")";
    }
    case DataType::Kind::kArray: {
      NL_ASSIGN_OR_RETURN(std::string inner, JsonLeafType(type.element()));
      return inner + "[]";
    }
    case DataType::Kind::kMap: {
      NL_ASSIGN_OR_RETURN(std::string inner, JsonLeafType(type.value()));
      return "MAP(VARCHAR, " + inner + ")";
    }
    default:
      return std::string("JSON");
  }
}

// SQL converting `value` (a JSON expression; NULL when the key is missing) into `type`, as
// engine.h's JSON encoding writes values: numbers (or numeric strings, "NaN", "Infinity"),
// booleans, ISO-8601 strings for dates and timestamps, base64 strings for binary, objects for
// structs and maps, arrays for lists. A value that does not convert stops the query with an error
// naming `column`.
Result<std::string> JsonValueToTypeSql(const std::string& value, const std::string& column,
                                       const DataType& type) {
  std::string nested_binary = NestedBinaryPath(type, column);
  if (!nested_binary.empty()) {
    return Status::Unsupported("column '" + nested_binary +
                               "' is binary inside a nested type, which JSON and CSV input cannot "
                               "carry; use Parquet");
  }
  NL_ASSIGN_OR_RETURN(std::string duck_type, DataTypeToDuckDb(type));
  std::string kind = "json_type(" + value + ")";
  if (type.IsPrimitive("string")) return "(" + value + " ->> '$')";
  std::string accepted;
  std::string converted = "TRY(CAST(" + value + " AS " + duck_type + "))";
  if (type.IsPrimitive("binary")) {
    accepted = kind + " = 'VARCHAR'";
    converted = "TRY(from_base64(" + value + " ->> '$'))";
  } else if (type.IsPrimitive("boolean")) {
    accepted = kind + " IN ('BOOLEAN', 'VARCHAR')";
  } else if (type.IsPrimitive("byte") || type.IsPrimitive("short") ||
             type.IsPrimitive("integer") || type.IsPrimitive("long")) {
    accepted = kind + " NOT IN ('DOUBLE', 'BOOLEAN', 'OBJECT', 'ARRAY')";
  } else if (type.IsPrimitive("float") || type.IsPrimitive("double") ||
             type.kind() == DataType::Kind::kDecimal) {
    accepted = kind + " NOT IN ('BOOLEAN', 'OBJECT', 'ARRAY')";
  } else if (type.IsPrimitive("date") || type.IsPrimitive("timestamp") ||
             type.IsPrimitive("timestamp_ntz")) {
    accepted = kind + " = 'VARCHAR'";
  } else if (IsNestedType(type)) {
    accepted = kind + (type.kind() == DataType::Kind::kArray ? " = 'ARRAY'" : " = 'OBJECT'");
    NL_ASSIGN_OR_RETURN(std::string leaf, JsonLeafType(type));
    converted = "TRY(CAST(to_json(json_transform(" + value + ", " +
                L(engine::JsonString(leaf)) + ")) AS " + duck_type + "))";
  } else {
    accepted = "true";
  }
  std::string refusal = L("column '" + column + "' (" + type.ToString() +
                          "): cannot convert the value ");
  return "COALESCE(CASE WHEN " + accepted + " THEN " + converted + " END, CASE WHEN " + value +
         " IS NULL OR " + kind + " = 'NULL' THEN NULL ELSE error(" + refusal + " || left(CAST(" +
         value + " AS VARCHAR), 200)) END)";
}

// SQL converting CSV text `text` of a nested column into `type`: JSON text (what `table read
// --format csv` writes) or DuckDB's own text ({'a': 1}, [1, 2], {k=1}).
Result<std::string> NestedTextToTypeSql(const std::string& text, const std::string& column,
                                        const DataType& type) {
  NL_ASSIGN_OR_RETURN(std::string duck_type, DataTypeToDuckDb(type));
  NL_ASSIGN_OR_RETURN(std::string from_json,
                      JsonValueToTypeSql("CAST(nl_json_exact_numbers(" + text + ") AS JSON)",
                                         column, type));
  std::string refusal = L("column '" + column + "' (" + type.ToString() +
                          "): cannot convert the value ");
  return "CASE WHEN " + text + " IS NULL THEN NULL WHEN json_valid(" + text + ") THEN " +
         from_json + " ELSE COALESCE(TRY(CAST(" + text + " AS " + duck_type + ")), error(" +
         refusal + " || left(" + text + ", 200))) END";
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

// JSON (lines, or an array of objects) read with the table's types. DuckDB's JSON reader parses
// numbers as doubles and names no column when a value does not convert, so each record is read
// as text, long numbers are quoted (nl_json_exact_numbers), and every column is converted by
// JsonValueToTypeSql. Columns the table lacks keep the types DuckDB detected (`columns`).
Result<std::string> TypedJsonRelation(
    const std::string& path, const std::vector<std::pair<std::string, std::string>>& columns,
    const Schema& table_schema) {
  std::string structure = "{";
  std::string select;
  for (const auto& [name, detected_type] : columns) {
    structure += (structure.size() > 1 ? "," : "") + engine::JsonString(name) + ":\"JSON\"";
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
    NL_ASSIGN_OR_RETURN(std::string converted,
                        JsonValueToTypeSql("__nl_values." + Q(name), name, type));
    select += (select.empty() ? "" : ", ") + converted + " AS " + Q(name);
  }
  structure += "}";
  return "(SELECT " + select + " FROM (SELECT CASE WHEN json_type(json) = 'OBJECT' THEN " +
         "json_transform(nl_json_exact_numbers(json), " + L(structure) +
         ") ELSE error('a JSON record is not an object: ' || left(json, 200)) END AS __nl_values "
         "FROM read_json_objects(" + L(path) + ")))";
}

// Describes `source`; CSV columns the table already has are re-read with the table's types.
Result<ResolvedSource> ResolveSource(Engine& engine, const DataSource& source,
                                     const Schema* table_schema) {
  if (source.path) NL_RETURN_NOT_OK(CheckNotEmpty(engine, *source.path));
  NL_ASSIGN_OR_RETURN(auto columns, DescribeRelation(engine, source.relation, source.description));
  ResolvedSource resolved{source.relation, {}};
  if (source.csv_path && table_schema != nullptr) {
    // Scalars through read_csv's types; nested columns (JSON text, as `table read --format csv`
    // writes them) read as text and converted like JSON values.
    std::string types;
    std::string select;
    bool converted = false;
    for (const auto& [name, type] : columns) {
      std::string column = Q(name);
      const StructField* field = table_schema->Find(name);
      auto duck_type = DataTypeToDuckDb(field != nullptr ? field->type : DataType());
      if (field != nullptr && duck_type.ok()) {
        bool nested = IsNestedType(field->type);
        if (!types.empty()) types += ", ";
        types += L(name) + ": " + L(nested ? std::string("VARCHAR") : *duck_type);
        if (nested) {
          NL_ASSIGN_OR_RETURN(column, NestedTextToTypeSql(column, name, field->type));
          column += " AS " + Q(name);
          converted = true;
        }
      }
      select += (select.empty() ? "" : ", ") + column;
    }
    if (!types.empty()) {
      resolved.relation = "read_csv(" + L(*source.csv_path) + CsvReadOptions(*source.csv_path) +
                          ", types = {" + types + "})";
      if (converted) resolved.relation = "(SELECT " + select + " FROM " + resolved.relation + ")";
      NL_ASSIGN_OR_RETURN(columns, DescribeRelation(engine, resolved.relation, source.description));
    }
  } else if (source.json_path && table_schema != nullptr) {
    NL_ASSIGN_OR_RETURN(resolved.relation,
                        TypedJsonRelation(*source.json_path, columns, *table_schema));
    NL_ASSIGN_OR_RETURN(columns, DescribeRelation(engine, resolved.relation, source.description));
  }
  auto schema = SchemaFromDuckDb(columns);
  if (!schema.ok()) return schema.status().WithContext(source.description);
  resolved.schema = std::move(schema).value();
  return resolved;
}

// ---- partition values ----

// Partition values travel through DuckDB's PARTITION_BY as strings, and come back (RETURN_STATS
// partition_keys) exactly as they went in. The encoding E into those strings is injective, so every
// distinct Delta partition value gets its own group of files and decodes back to itself:
//   null and ''                     -> "__HIVE_DEFAULT_PARTITION__" (Delta/Spark: '' is null)
//   "__HIVE_DEFAULT_PARTITION__"    -> "%__HIVE_DEFAULT_PARTITION__"
//   any value starting with '%'     -> "%" + value
//   any other value                 -> itself
// DuckDB then percent-escapes the directory name (`p=a%2Fb`, `p=%25%25x` for "%x"); that layer is
// DuckDB's and is only undone for the path fallback below.
constexpr char kPartitionEscape = '%';

std::string PartitionValueSql(const std::string& expression, const DataType& type) {
  std::string text;
  if (type.IsPrimitive("string")) {
    text = expression;
  } else if (type.IsPrimitive("timestamp")) {
    text = "strftime(make_timestamp(epoch_us(" + expression + ")), '%Y-%m-%dT%H:%M:%S.%fZ')";
  } else if (type.IsPrimitive("timestamp_ntz")) {
    text = "strftime(" + expression + ", '%Y-%m-%d %H:%M:%S.%f')";
  } else {
    text = "CAST(" + expression + " AS VARCHAR)";
  }
  std::string escape = L(std::string(1, kPartitionEscape));
  std::string v = "(" + text + ")";  // repeated below; DuckDB evaluates common subexpressions once
  return "CASE WHEN " + v + " IS NULL OR " + v + " = '' THEN " + L(kNullPartition) + " WHEN " + v +
         " = " + L(kNullPartition) + " OR starts_with(" + v + ", " + escape + ") THEN " + escape +
         " || " + v + " ELSE " + v + " END";
}

// The inverse of PartitionValueSql's encoding: nullopt for null.
std::optional<std::string> DecodePartitionValue(std::string_view encoded) {
  if (encoded.empty() || encoded == kNullPartition) return std::nullopt;
  if (encoded.front() == kPartitionEscape) encoded.remove_prefix(1);
  return std::string(encoded);
}

// A typed SQL literal for a partition value read from the log (null and '' are NULL, as in Spark).
Result<std::string> PartitionLiteral(const std::optional<std::string>& value, const DataType& type) {
  NL_ASSIGN_OR_RETURN(std::string duck_type, DataTypeToDuckDb(type));
  if (!value || value->empty()) return "CAST(NULL AS " + duck_type + ")";
  std::string text = *value;
  if (type.IsPrimitive("timestamp")) {
    // "2024-01-01 10:00:00" (the protocol's form, delta-rs writes it) is UTC, not session time.
    bool zoned = false;
    for (size_t i = 10; i < text.size(); ++i) {
      zoned = zoned || text[i] == 'Z' || text[i] == 'z' || text[i] == '+' || text[i] == '-';
    }
    if (!zoned) text += text.size() <= 10 ? " 00:00:00+00" : "+00";  // a bare date is midnight
  }
  return "CAST(" + L(text) + " AS " + duck_type + ")";
}

// "a%20b" -> "a b" (DuckDB escapes hive partition directory names this way).
std::string PercentDecode(std::string_view text) {
  auto decoded = DecodePath(text);
  return decoded.ok() ? *decoded : std::string(text);
}

// The Delta partition values of a written file, decoded from the engine's partition keys (or,
// when the engine reported none, from DuckDB's percent-escaped hive directories of its path).
PartitionValues PartitionValuesOf(const engine::WrittenFile& file, const std::string& relative_path,
                                  const std::vector<std::string>& partition_columns) {
  PartitionValues values;
  if (partition_columns.empty()) return values;
  std::map<std::string, std::string> found;
  for (const auto& [key, value] : file.partition_values) found[Lower(key)] = value;
  if (found.empty()) {
    // "city=paris/part-....parquet"
    size_t start = 0;
    while (true) {
      size_t slash = relative_path.find('/', start);
      if (slash == std::string::npos) break;
      std::string segment = relative_path.substr(start, slash - start);
      size_t equals = segment.find('=');
      if (equals != std::string::npos) {
        found[Lower(PercentDecode(segment.substr(0, equals)))] =
            PercentDecode(segment.substr(equals + 1));
      }
      start = slash + 1;
    }
  }
  for (const auto& column : partition_columns) {
    auto it = found.find(Lower(column));
    values[column] = it == found.end() ? std::nullopt : DecodePartitionValue(it->second);
  }
  return values;
}

// ---- predicates over partitions ----

struct PartitionTemplate {
  std::vector<std::string> columns;  // logical names
  std::vector<const StructField*> fields;
  std::vector<std::string> keys;  // partitionValues keys (physical names)
};

Result<PartitionTemplate> MakePartitionTemplate(const Snapshot& snapshot) {
  PartitionTemplate out;
  ColumnMappingMode mode = snapshot.column_mapping_mode();
  for (const auto& column : snapshot.partition_columns()) {
    const StructField* field = snapshot.schema.Find(column);
    if (field == nullptr) {
      return Status::Corrupt("partition column '" + column + "' is not in the table schema");
    }
    out.columns.push_back(field->name);
    out.fields.push_back(field);
    out.keys.push_back(PhysicalName(*field, mode));
  }
  return out;
}

Status PredicateError(const Status& status, const Snapshot& snapshot,
                      const std::string& predicate) {
  const std::string& message = status.message();
  std::string marker = "Referenced column \"";
  size_t at = message.find(marker);
  if (at != std::string::npos) {
    size_t start = at + marker.size();
    size_t end = message.find('"', start);
    std::string column = message.substr(start, end - start);
    std::string partitions;
    for (const auto& p : snapshot.partition_columns()) {
      partitions += (partitions.empty() ? "" : ", ") + p;
    }
    if (snapshot.schema.Find(column) != nullptr) {
      return Status::Unsupported(
          "predicate '" + predicate + "' references column '" + column +
          "', which is not a partition column; only predicates on partition columns" +
          (partitions.empty() ? std::string(" (the table has none)")
                              : " (" + partitions + ")") +
          " are supported for now");
    }
    return Status::Invalid("predicate '" + predicate + "' references unknown column '" + column +
                           "'");
  }
  return Status::Invalid("invalid predicate '" + predicate + "': " + message);
}

// Which of `tuples` satisfy `predicate`.
Result<std::vector<bool>> EvaluatePartitionPredicate(Engine& engine, const Snapshot& snapshot,
                                                     const std::string& predicate,
                                                     const std::vector<PartitionValues>& tuples) {
  NL_ASSIGN_OR_RETURN(PartitionTemplate partition, MakePartitionTemplate(snapshot));
  std::string sql = "SELECT __nl_index FROM (SELECT -1 AS __nl_index";
  for (size_t c = 0; c < partition.columns.size(); ++c) {
    NL_ASSIGN_OR_RETURN(std::string literal,
                        PartitionLiteral(std::nullopt, partition.fields[c]->type));
    sql += ", " + literal + " AS " + Q(partition.columns[c]);
  }
  for (size_t i = 0; i < tuples.size(); ++i) {
    sql += " UNION ALL SELECT " + std::to_string(i);
    for (size_t c = 0; c < partition.columns.size(); ++c) {
      auto it = tuples[i].find(partition.keys[c]);
      std::optional<std::string> value = it == tuples[i].end() ? std::nullopt : it->second;
      NL_ASSIGN_OR_RETURN(std::string literal, PartitionLiteral(value, partition.fields[c]->type));
      sql += ", " + literal;
    }
  }
  sql += ") AS __nl_partitions WHERE __nl_index >= 0 AND (" + predicate + ")";
  auto result = engine.Query(sql);
  if (!result.ok()) return PredicateError(result.status(), snapshot, predicate);
  std::vector<bool> matches(tuples.size(), false);
  for (const auto& row : result->rows) {
    if (!row.at(0)) continue;
    size_t index = static_cast<size_t>(std::stoll(*row[0]));
    if (index < matches.size()) matches[index] = true;
  }
  return matches;
}

std::string TupleKey(const PartitionValues& values) {
  std::string key;
  for (const auto& [name, value] : values) {
    key += name;
    key += value ? "=" + *value : "#null";
    key += '\0';
  }
  return key;
}

// Files of `snapshot` whose partition satisfies `predicate`.
Result<std::vector<const AddFile*>> FilesMatching(Engine& engine, const Snapshot& snapshot,
                                                  const std::string& predicate) {
  std::vector<PartitionValues> tuples;
  std::map<std::string, size_t> index_of;
  for (const auto& file : snapshot.files) {
    std::string key = TupleKey(file.partition_values);
    if (index_of.emplace(key, tuples.size()).second) tuples.push_back(file.partition_values);
  }
  NL_ASSIGN_OR_RETURN(std::vector<bool> matches,
                      EvaluatePartitionPredicate(engine, snapshot, predicate, tuples));
  std::vector<const AddFile*> out;
  for (const auto& file : snapshot.files) {
    if (matches[index_of.at(TupleKey(file.partition_values))]) out.push_back(&file);
  }
  return out;
}

// A predicate function for conflict detection: evaluates `predicate` on partition values of
// concurrently added files (cached; an evaluation error counts as a match, i.e. a conflict).
std::function<bool(const PartitionValues&)> PartitionPredicate(Engine* engine,
                                                               std::shared_ptr<const Snapshot> snapshot,
                                                               std::string predicate) {
  auto cache = std::make_shared<std::map<std::string, bool>>();
  auto mutex = std::make_shared<std::mutex>();
  return [engine, snapshot, predicate, cache, mutex](const PartitionValues& values) {
    std::string key = TupleKey(values);
    {
      std::lock_guard lock(*mutex);
      auto it = cache->find(key);
      if (it != cache->end()) return it->second;
    }
    auto result = EvaluatePartitionPredicate(*engine, *snapshot, predicate, {values});
    bool match = !result.ok() || (*result)[0];
    std::lock_guard lock(*mutex);
    (*cache)[key] = match;
    return match;
  };
}

// ---- writing data files ----

struct WrittenData {
  std::vector<AddFile> adds;
  int64_t rows = 0;
  int64_t bytes = 0;
};

// Whether a failed commit certainly left nothing in the table (so its data files may go). After an
// I/O error the commit may have landed; its files must then stay (vacuum removes true orphans).
bool CertainlyNotCommitted(const Status& status) {
  return status.IsConflict() || status.IsInvalid() || status.IsUnsupported();
}

// Deletes data files written by a write that did not commit (best effort).
void DeleteWritten(DeltaTable& table, const std::vector<AddFile>& adds) {
  for (const auto& add : adds) {
    if (!IsAbsolutePath(add.path)) (void)table.store().Delete(add.path);
  }
}

// Deletes every data file of the table whose name starts with `prefix` (best effort). Empty
// partition directories stay: removing them could race with another writer about to use them.
void DeleteFilesNamed(DeltaTable& table, const std::string& prefix) {
  auto objects = table.store().List("");
  if (!objects.ok()) return;
  for (const auto& object : *objects) {
    if (object.key.rfind(kLogPrefix, 0) == 0) continue;
    size_t slash = object.key.rfind('/');
    std::string name = slash == std::string::npos ? object.key : object.key.substr(slash + 1);
    if (name.rfind(prefix, 0) == 0) (void)table.store().Delete(object.key);
  }
}

Result<int64_t> TargetFileSize(const Snapshot* snapshot, const WriteOptions& options,
                               const std::map<std::string, std::string>* properties) {
  if (options.target_file_size) return *options.target_file_size;
  std::optional<std::string> value;
  if (snapshot != nullptr) value = snapshot->Property(kTargetFileSizeProperty);
  if (!value && properties != nullptr) {
    auto it = properties->find(std::string(kTargetFileSizeProperty));
    if (it != properties->end()) value = it->second;
  }
  if (value) return ParseByteSize(*value);
  return kDefaultTargetFileSize;
}

// Writes the rows of `source` (with schema `data`) as data files of a table with schema `target`.
Result<WrittenData> WriteDataFiles(DeltaTable& table, Engine& engine,
                                   const ResolvedSource& source, const Schema& target,
                                   const std::vector<std::string>& partition_columns,
                                   int64_t target_file_size) {
  std::string select;
  auto append = [&](const std::string& item) {
    if (!select.empty()) select += ", ";
    select += item;
  };
  std::vector<std::string> partition_names;
  for (const auto& field : target.fields) {
    const StructField* data_field = source.schema.Find(field.name);
    NL_ASSIGN_OR_RETURN(std::string duck_type, DataTypeToDuckDb(field.type));
    if (IsPartitionColumn(partition_columns, field.name)) {
      if (field.type.kind() != DataType::Kind::kPrimitive &&
          field.type.kind() != DataType::Kind::kDecimal) {
        return Status::Invalid("partition column '" + field.name + "' has type " +
                               field.type.ToString() + "; partition columns must be primitive");
      }
      std::string value = data_field == nullptr
                              ? "CAST(NULL AS " + duck_type + ")"
                              : "CAST(__nl_source." + Q(data_field->name) + " AS " + duck_type + ")";
      append(PartitionValueSql(value, field.type) + " AS " + Q(field.name));
      partition_names.push_back(Q(field.name));
      continue;
    }
    if (data_field == nullptr) continue;  // missing (nullable) columns read back as NULL
    append("CAST(__nl_source." + Q(data_field->name) + " AS " + duck_type + ") AS " +
           Q(field.name));
  }
  if (select.empty()) return Status::Invalid("the data has no columns of the table");
  // File names carry this write's id so that a COPY that fails half-way (a conversion error) can
  // delete what it left (DuckDB leaves a 0-byte local file) without touching other writers' files.
  std::string write_id = NewUuid().substr(0, 8) + NewUuid().substr(24, 4);
  std::string file_prefix = "part-" + write_id + "-";
  std::string options = "FORMAT parquet, FILENAME_PATTERN '" + file_prefix +
                        "{uuid}', RETURN_STATS, APPEND";
  if (!partition_names.empty()) {
    std::string list;
    for (const auto& name : partition_names) list += (list.empty() ? "" : ", ") + name;
    options += ", PARTITION_BY (" + list + ")";
  } else {
    options += ", FILE_SIZE_BYTES " + std::to_string(std::max<int64_t>(target_file_size, 1 << 20));
  }
  std::string root = table.DataRoot();
  if (table.location().scheme == "file") {
    // DuckDB's COPY creates the partition directories but not the table root itself.
    std::error_code error;
    std::filesystem::create_directories(table.location().path, error);
    if (error) {
      return Status::IOError("cannot create table directory '" + table.location().path +
                             "': " + error.message());
    }
  }
  std::string sql = "COPY (SELECT " + select + " FROM " + source.relation + " AS __nl_source) TO " +
                    L(root) + " (" + options + ")";
  auto files = engine.CopyWithStats(sql);
  if (!files.ok()) {
    DeleteFilesNamed(table, file_prefix);
    return files.status().WithContext("writing data files");
  }

  WrittenData written;
  int64_t now = NowMs();
  std::vector<std::string> empty_files;
  for (const auto& file : *files) {
    std::string relative = file.uri;
    if (relative.rfind(root + "/", 0) == 0) {
      relative = relative.substr(root.size() + 1);
    } else if (relative.rfind(root, 0) == 0) {
      relative = relative.substr(root.size());
      while (!relative.empty() && relative.front() == '/') relative.erase(0, 1);
    }
    if (file.num_rows == 0) {
      empty_files.push_back(relative);
      continue;
    }
    AddFile add;
    add.path = relative;
    add.partition_values = PartitionValuesOf(file, relative, partition_columns);
    add.size = file.size_bytes;
    if (add.size <= 0) {
      auto head = table.store().Head(relative);
      if (head.ok()) add.size = head->size;
    }
    add.modification_time = now;
    add.data_change = true;
    add.stats = StatsJson(target, partition_columns, file);
    written.rows += file.num_rows;
    written.bytes += add.size;
    written.adds.push_back(std::move(add));
  }
  for (const auto& key : empty_files) (void)table.store().Delete(key);

  // NOT NULL columns: refuse files with nulls in them.
  for (const auto& file : *files) {
    for (const auto& stats : file.columns) {
      auto path = StatsPath(target, stats.column);
      if (path.size() != 1) continue;
      const StructField* field = target.Find(path[0]);
      if (field != nullptr && !field->nullable && stats.null_count.value_or(0) > 0) {
        DeleteWritten(table, written.adds);
        return Status::Invalid("column '" + field->name + "' is not nullable but the data has " +
                               std::to_string(*stats.null_count) + " null value(s)");
      }
    }
  }
  return written;
}

// ---- commits ----

std::vector<std::string> PartitionColumnsOf(const Snapshot& snapshot) {
  return snapshot.partition_columns();
}

WriteResult FinishResult(const CommitResult& commit, const WrittenData& written,
                         int64_t files_removed, bool schema_changed) {
  WriteResult result;
  result.version = commit.version;
  result.committed = !commit.skipped;
  result.skipped = commit.skipped;
  result.attempts = commit.attempts;
  result.files_added = commit.skipped ? 0 : static_cast<int64_t>(written.adds.size());
  result.rows_added = commit.skipped ? 0 : written.rows;
  result.bytes_added = commit.skipped ? 0 : written.bytes;
  result.files_removed = commit.skipped ? 0 : files_removed;
  result.schema_changed = schema_changed && !commit.skipped;
  result.post_commit_status = commit.post_commit_status;
  result.snapshot = commit.snapshot;
  return result;
}

// Commits `txn` with the options' commit settings, then checkpoints when due.
Result<CommitResult> CommitAppend(DeltaTable& table, Transaction& txn, const WriteOptions& options) {
  return AppendCommitter(&table, options.checkpoint_when_due).Commit(txn, options.commit);
}

void SetMetrics(Transaction& txn, const WrittenData& written, int64_t files_removed) {
  txn.SetCommitInfoField("operationMetrics",
                         {{"numFiles", std::to_string(written.adds.size())},
                          {"numOutputRows", std::to_string(written.rows)},
                          {"numOutputBytes", std::to_string(written.bytes)},
                          {"numRemovedFiles", std::to_string(files_removed)}});
}

// Protocol needed after a schema change, or nullopt when the current one suffices.
std::optional<Protocol> UpgradedProtocol(const Protocol& current, const Schema& schema) {
  if (!UsesTimestampNtz(schema)) return std::nullopt;
  if (current.HasReaderFeature("timestampNtz") && current.HasWriterFeature("timestampNtz")) {
    return std::nullopt;
  }
  Protocol upgraded = current;
  std::set<std::string> reader;
  if (upgraded.reader_features) {
    reader.insert(upgraded.reader_features->begin(), upgraded.reader_features->end());
  }
  std::set<std::string> writer;
  if (upgraded.writer_features) {
    writer.insert(upgraded.writer_features->begin(), upgraded.writer_features->end());
  } else {
    // Features implied by the legacy writer version stay supported.
    if (current.min_writer_version >= 2) writer.insert({"appendOnly", "invariants"});
    if (current.min_writer_version >= 3) writer.insert("checkConstraints");
    if (current.min_writer_version >= 4) writer.insert({"changeDataFeed", "generatedColumns"});
    if (current.min_writer_version >= 5) writer.insert("columnMapping");
    if (current.min_writer_version >= 6) writer.insert("identityColumns");
  }
  if (current.min_reader_version == 2) reader.insert("columnMapping");
  reader.insert("timestampNtz");
  writer.insert("timestampNtz");
  upgraded.min_reader_version = 3;
  upgraded.min_writer_version = 7;
  upgraded.reader_features = std::vector<std::string>(reader.begin(), reader.end());
  upgraded.writer_features = std::vector<std::string>(writer.begin(), writer.end());
  return upgraded;
}

std::string OperationSchemaMode(SchemaMode mode) {
  switch (mode) {
    case SchemaMode::kEnforce:
      return "";
    case SchemaMode::kMerge:
      return "merge";
    case SchemaMode::kOverwrite:
      return "overwrite";
  }
  return "";
}

Result<std::shared_ptr<const Snapshot>> LatestForWrite(DeltaTable& table) {
  auto snapshot = table.LoadSnapshot();
  if (!snapshot.ok()) {
    if (snapshot.status().IsNotFound() && snapshot.status().message().find("no Delta table") !=
                                              std::string::npos) {
      return Status::NotFound("no Delta table at '" + table.uri() +
                              "' (create it first with `neuralake table create`)");
    }
    return snapshot.status();
  }
  NL_RETURN_NOT_OK(CheckWriteSupported((*snapshot)->protocol, (*snapshot)->metadata,
                                       (*snapshot)->schema));
  return snapshot;
}

// Shared by Append and Overwrite: schema handling, data files, and the transaction skeleton.
struct PreparedWrite {
  std::shared_ptr<const Snapshot> snapshot;
  Schema target;
  bool schema_changed = false;
  std::optional<Metadata> new_metadata;
  std::optional<Protocol> new_protocol;
  WrittenData written;
};

Result<PreparedWrite> PrepareWrite(DeltaTable& table, Engine& engine, const DataSource& source,
                                   const WriteOptions& options, bool overwrite) {
  PreparedWrite prepared;
  NL_ASSIGN_OR_RETURN(prepared.snapshot, LatestForWrite(table));
  const Snapshot& snapshot = *prepared.snapshot;
  bool typed_from_table = options.schema_mode != SchemaMode::kOverwrite;
  NL_ASSIGN_OR_RETURN(ResolvedSource resolved,
                      ResolveSource(engine, source, typed_from_table ? &snapshot.schema : nullptr));
  switch (options.schema_mode) {
    case SchemaMode::kEnforce:
      NL_RETURN_NOT_OK(CheckWriteCompatible(snapshot.schema, resolved.schema, false));
      prepared.target = snapshot.schema;
      break;
    case SchemaMode::kMerge: {
      NL_ASSIGN_OR_RETURN(prepared.target, MergeSchemas(snapshot.schema, resolved.schema));
      prepared.schema_changed = !(prepared.target == snapshot.schema);
      break;
    }
    case SchemaMode::kOverwrite: {
      if (!overwrite) {
        return Status::Invalid("schema mode 'overwrite' is only allowed when overwriting a table");
      }
      prepared.target = resolved.schema;
      for (const auto& column : snapshot.partition_columns()) {
        if (prepared.target.Find(column) == nullptr) {
          return Status::Invalid("the new schema lacks partition column '" + column + "'");
        }
      }
      prepared.schema_changed = !(prepared.target == snapshot.schema);
      break;
    }
  }
  if (prepared.schema_changed) {
    Metadata metadata = snapshot.metadata;
    metadata.schema_string = SerializeSchema(prepared.target);
    prepared.new_metadata = metadata;
    prepared.new_protocol = UpgradedProtocol(snapshot.protocol, prepared.target);
    NL_RETURN_NOT_OK(CheckWriteSupported(
        prepared.new_protocol ? *prepared.new_protocol : snapshot.protocol, metadata,
        prepared.target));
  }
  NL_ASSIGN_OR_RETURN(int64_t target_size, TargetFileSize(&snapshot, options, nullptr));
  NL_ASSIGN_OR_RETURN(prepared.written,
                      WriteDataFiles(table, engine, resolved, prepared.target,
                                     snapshot.partition_columns(), target_size));
  return prepared;
}

Result<WriteResult> CommitPrepared(DeltaTable& table, PreparedWrite& prepared, Transaction& txn,
                                   const WriteOptions& options, int64_t files_removed) {
  if (prepared.new_protocol) txn.AddAction(*prepared.new_protocol);
  if (prepared.new_metadata) txn.AddAction(*prepared.new_metadata);
  for (const auto& add : prepared.written.adds) txn.AddAction(add);
  if (options.app_id) txn.SetAppTransaction(*options.app_id, options.app_version);
  SetMetrics(txn, prepared.written, files_removed);
  auto commit = CommitAppend(table, txn, options);
  if (!commit.ok()) {
    if (CertainlyNotCommitted(commit.status())) DeleteWritten(table, prepared.written.adds);
    return commit.status();
  }
  if (commit->skipped) DeleteWritten(table, prepared.written.adds);
  return FinishResult(*commit, prepared.written, files_removed, prepared.schema_changed);
}

}  // namespace

Result<DataSource> DataSource::FromFile(std::string_view path) {
  std::string lower = Lower(path);
  if (lower.ends_with(".gz")) lower.resize(lower.size() - 3);
  else if (lower.ends_with(".zst")) lower.resize(lower.size() - 4);
  DataSource source;
  source.description = "'" + std::string(path) + "'";
  source.path = std::string(path);
  std::string literal = L(path);
  if (lower.ends_with(".csv") || lower.ends_with(".tsv")) {
    source.relation = "read_csv(" + literal + CsvReadOptions(path) + ")";
    source.csv_path = std::string(path);
  } else if (lower.ends_with(".json") || lower.ends_with(".jsonl") ||
             lower.ends_with(".ndjson")) {
    source.relation = "read_json(" + literal + ")";
    source.json_path = std::string(path);
  } else if (lower.ends_with(".parquet")) {
    source.relation = "read_parquet(" + literal + ")";
  } else {
    return Status::Invalid("cannot tell the format of '" + std::string(path) +
                           "' from its extension (expected .csv, .tsv, .json, .jsonl, .ndjson "
                           "or .parquet)");
  }
  return source;
}

DataSource DataSource::FromQuery(std::string_view select_sql) {
  DataSource source;
  source.relation = "(" + std::string(select_sql) + ")";
  source.description = "query";
  return source;
}

Protocol ProtocolFor(const Schema& schema, const std::map<std::string, std::string>& properties) {
  Protocol protocol;  // (1, 2)
  bool ntz = UsesTimestampNtz(schema);
  auto ict = properties.find(std::string(kInCommitTimestampsProperty));
  bool in_commit_timestamps = ict != properties.end() && Lower(ict->second) == "true";
  auto cdf = properties.find("delta.enableChangeDataFeed");
  bool change_data_feed = cdf != properties.end() && Lower(cdf->second) == "true";
  if (!ntz && !in_commit_timestamps) {
    if (change_data_feed) protocol.min_writer_version = 4;
    return protocol;
  }
  std::vector<std::string> writer = {"appendOnly", "invariants"};
  if (change_data_feed) writer.push_back("changeDataFeed");
  if (in_commit_timestamps) writer.push_back("inCommitTimestamp");
  protocol.min_writer_version = 7;
  if (ntz) {
    writer.push_back("timestampNtz");
    protocol.min_reader_version = 3;
    protocol.reader_features = std::vector<std::string>{"timestampNtz"};
  }
  protocol.writer_features = writer;
  return protocol;
}

Result<WriteResult> CreateTable(DeltaTable& table, const CreateTableOptions& options) {
  NL_RETURN_NOT_OK(storage::CheckTableLocation(table.location()));
  NL_ASSIGN_OR_RETURN(bool exists, table.Exists());
  if (exists) return Status::Invalid("a Delta table already exists at '" + table.uri() + "'");
  if (!options.schema && !options.source) {
    return Status::Invalid("creating a table needs a schema or source data");
  }
  Engine* engine = nullptr;
  std::optional<ResolvedSource> resolved;
  if (options.source) {
    NL_ASSIGN_OR_RETURN(engine, table.GetEngine());
    NL_ASSIGN_OR_RETURN(resolved, ResolveSource(*engine, *options.source,
                                                options.schema ? &*options.schema : nullptr));
  }
  Schema schema = options.schema ? *options.schema : resolved->schema;
  if (options.schema && resolved) {
    NL_RETURN_NOT_OK(CheckWriteCompatible(schema, resolved->schema, false));
  }
  if (schema.fields.empty()) return Status::Invalid("a table needs at least one column");
  std::vector<std::string> partition_columns;
  for (const auto& column : options.partition_columns) {
    const StructField* field = schema.Find(column);
    if (field == nullptr) {
      return Status::Invalid("partition column '" + column + "' is not in the schema (columns: " +
                             [&] {
                               std::string names;
                               for (const auto& n : schema.FieldNames()) {
                                 names += (names.empty() ? "" : ", ") + n;
                               }
                               return names;
                             }() +
                             ")");
    }
    if (field->type.kind() != DataType::Kind::kPrimitive &&
        field->type.kind() != DataType::Kind::kDecimal) {
      return Status::Invalid("partition column '" + column + "' has type " +
                             field->type.ToString() + "; partition columns must be primitive");
    }
    if (IsPartitionColumn(partition_columns, field->name)) {
      return Status::Invalid("partition column '" + column + "' is listed twice");
    }
    partition_columns.push_back(field->name);
  }
  if (!partition_columns.empty() && partition_columns.size() == schema.fields.size()) {
    return Status::Invalid("cannot partition by every column of the table");
  }
  for (const auto& [key, value] : options.properties) {
    if (key == kCheckpointIntervalProperty) {
      try {
        if (std::stoll(value) <= 0) throw std::invalid_argument("not positive");
      } catch (...) {
        return Status::Invalid("property " + key + " must be a positive integer, not '" + value +
                               "'");
      }
    }
    if (key == kLogRetentionProperty || key == kDeletedFileRetentionProperty) {
      NL_RETURN_NOT_OK(ParseDurationMs(value, UnitlessDuration::kRefused)
                           .status().WithContext("property " + key));
    }
    if (key == kTargetFileSizeProperty) {
      NL_RETURN_NOT_OK(ParseByteSize(value).status().WithContext("property " + key));
    }
    if (key == kColumnMappingModeProperty && Lower(value) != "none") {
      return Status::Unsupported("creating tables with column mapping is not supported yet");
    }
  }

  Metadata metadata;
  metadata.id = NewUuid();
  metadata.name = options.name;
  metadata.description = options.description;
  metadata.schema_string = SerializeSchema(schema);
  metadata.partition_columns = partition_columns;
  metadata.configuration = options.properties;
  metadata.created_time = NowMs();
  Protocol protocol = ProtocolFor(schema, options.properties);

  WrittenData written;
  if (resolved) {
    NL_ASSIGN_OR_RETURN(int64_t target_size,
                        TargetFileSize(nullptr, options.write, &options.properties));
    NL_ASSIGN_OR_RETURN(written, WriteDataFiles(table, *engine, *resolved, schema,
                                                partition_columns, target_size));
  }
  Transaction txn(&table.log());
  txn.SetOperation(resolved ? "CREATE TABLE AS SELECT" : "CREATE TABLE",
                   {{"isManaged", "false"},
                    {"description", options.description.value_or("")},
                    {"partitionBy", StringArray(partition_columns).dump()},
                    {"properties", json(options.properties).dump()}});
  txn.AddAction(protocol);
  txn.AddAction(metadata);
  for (const auto& add : written.adds) txn.AddAction(add);
  if (options.write.app_id) txn.SetAppTransaction(*options.write.app_id, options.write.app_version);
  SetMetrics(txn, written, 0);
  auto commit = CommitAppend(table, txn, options.write);
  if (!commit.ok()) {
    if (CertainlyNotCommitted(commit.status())) DeleteWritten(table, written.adds);
    return commit.status();
  }
  return FinishResult(*commit, written, 0, false);
}

Result<WriteResult> Append(DeltaTable& table, const DataSource& source,
                           const WriteOptions& options) {
  NL_ASSIGN_OR_RETURN(Engine * engine, table.GetEngine());
  NL_ASSIGN_OR_RETURN(PreparedWrite prepared,
                      PrepareWrite(table, *engine, source, options, /*overwrite=*/false));
  if (prepared.written.adds.empty() && !options.app_id) {
    // No rows: nothing to commit (a schema merge alone is not an append). An idempotent write
    // (app_id) still commits, to record its txn version.
    WriteResult result;
    result.version = prepared.snapshot->version;
    result.snapshot = prepared.snapshot;
    return result;
  }
  Transaction txn(&table.log(), prepared.snapshot);
  json parameters = {{"mode", "Append"},
                     {"partitionBy", StringArray(prepared.snapshot->partition_columns()).dump()}};
  if (options.schema_mode == SchemaMode::kMerge) parameters["mergeSchema"] = "true";
  txn.SetOperation("WRITE", parameters);
  // A schema change reads the metadata; plain appends read nothing (blind appends commute).
  return CommitPrepared(table, prepared, txn, options, 0);
}

Result<WriteResult> Overwrite(DeltaTable& table, const DataSource& source,
                              const std::optional<std::string>& predicate,
                              const WriteOptions& options) {
  NL_ASSIGN_OR_RETURN(Engine * engine, table.GetEngine());
  if (predicate && options.schema_mode == SchemaMode::kOverwrite) {
    return Status::Invalid("schema mode 'overwrite' replaces the whole table; it cannot be "
                           "combined with a predicate");
  }
  std::shared_ptr<const Snapshot> snapshot;
  std::vector<const AddFile*> removed;
  if (predicate) {
    // Validate the predicate (partition columns only) before writing anything.
    NL_ASSIGN_OR_RETURN(snapshot, LatestForWrite(table));
    NL_ASSIGN_OR_RETURN(removed, FilesMatching(*engine, *snapshot, *predicate));
    // Every new row must satisfy the predicate.
    auto violations = engine->Query("SELECT count(*) FROM " + source.relation +
                                    " AS __nl_source WHERE NOT COALESCE((" + *predicate +
                                    "), false)");
    if (!violations.ok()) {
      return Status::Invalid("cannot check the new data against predicate '" + *predicate +
                             "': " + violations.status().message());
    }
    int64_t count = std::stoll(violations->rows.at(0).at(0).value_or("0"));
    if (count > 0) {
      return Status::Invalid(std::to_string(count) + " row(s) of the new data do not satisfy the "
                             "overwrite predicate '" + *predicate + "'");
    }
  }
  NL_ASSIGN_OR_RETURN(PreparedWrite prepared,
                      PrepareWrite(table, *engine, source, options, /*overwrite=*/true));
  if (prepared.new_metadata && options.schema_mode == SchemaMode::kOverwrite) {
    // Properties and partitioning stay; the schema is the data's.
  }
  if (predicate) {
    // The snapshot may have advanced between validation and writing: re-evaluate on the one the
    // transaction reads.
    NL_ASSIGN_OR_RETURN(removed, FilesMatching(*engine, *prepared.snapshot, *predicate));
  } else {
    removed.clear();
    for (const auto& file : prepared.snapshot->files) removed.push_back(&file);
  }
  Transaction txn(&table.log(), prepared.snapshot);
  json parameters = {{"mode", "Overwrite"},
                     {"partitionBy", StringArray(prepared.snapshot->partition_columns()).dump()}};
  if (predicate) parameters["predicate"] = *predicate;
  std::string schema_mode = OperationSchemaMode(options.schema_mode);
  if (!schema_mode.empty()) parameters["schemaMode"] = schema_mode;
  txn.SetOperation("WRITE", parameters);
  if (predicate) {
    txn.ReadPartitions(PartitionPredicate(engine, prepared.snapshot, *predicate), *predicate);
  } else {
    txn.ReadWholeTable();
  }
  int64_t now = NowMs();
  for (const AddFile* file : removed) {
    txn.ReadFile(file->path);
    txn.AddAction(RemoveFor(*file, now));
  }
  return CommitPrepared(table, prepared, txn, options, static_cast<int64_t>(removed.size()));
}

Result<WriteResult> DeleteWhere(DeltaTable& table, const std::string& predicate,
                                const WriteOptions& options) {
  NL_ASSIGN_OR_RETURN(Engine * engine, table.GetEngine());
  NL_ASSIGN_OR_RETURN(auto snapshot, LatestForWrite(table));
  NL_ASSIGN_OR_RETURN(auto removed, FilesMatching(*engine, *snapshot, predicate));
  WriteResult result;
  result.version = snapshot->version;
  result.snapshot = snapshot;
  if (removed.empty()) return result;
  Transaction txn(&table.log(), snapshot);
  txn.SetOperation("DELETE", {{"predicate", json(std::vector<std::string>{predicate}).dump()}});
  txn.ReadPartitions(PartitionPredicate(engine, snapshot, predicate), predicate);
  int64_t now = NowMs();
  int64_t rows = 0;
  for (const AddFile* file : removed) {
    txn.ReadFile(file->path);
    txn.AddAction(RemoveFor(*file, now));
    rows += std::max<int64_t>(NumRecords(*file), 0);
  }
  if (options.app_id) txn.SetAppTransaction(*options.app_id, options.app_version);
  txn.SetCommitInfoField("operationMetrics",
                         {{"numRemovedFiles", std::to_string(removed.size())},
                          {"numDeletedRows", std::to_string(rows)}});
  NL_ASSIGN_OR_RETURN(CommitResult commit, CommitAppend(table, txn, options));
  return FinishResult(commit, WrittenData{}, static_cast<int64_t>(removed.size()), false);
}

Result<std::vector<AddFile>> WriteFiles(DeltaTable& table, const Snapshot& snapshot,
                                        const DataSource& source,
                                        std::optional<int64_t> target_file_size) {
  NL_RETURN_NOT_OK(CheckWriteSupported(snapshot.protocol, snapshot.metadata, snapshot.schema));
  NL_ASSIGN_OR_RETURN(Engine * engine, table.GetEngine());
  NL_ASSIGN_OR_RETURN(ResolvedSource resolved, ResolveSource(*engine, source, &snapshot.schema));
  NL_RETURN_NOT_OK(CheckWriteCompatible(snapshot.schema, resolved.schema, false));
  WriteOptions options;
  options.target_file_size = target_file_size;
  NL_ASSIGN_OR_RETURN(int64_t size, TargetFileSize(&snapshot, options, nullptr));
  NL_ASSIGN_OR_RETURN(WrittenData written,
                      WriteDataFiles(table, *engine, resolved, snapshot.schema,
                                     snapshot.partition_columns(), size));
  return std::move(written.adds);
}

Result<std::vector<AddFile>> FilesInPartitions(DeltaTable& table, const Snapshot& snapshot,
                                               const std::string& predicate) {
  NL_ASSIGN_OR_RETURN(Engine * engine, table.GetEngine());
  NL_ASSIGN_OR_RETURN(auto matching, FilesMatching(*engine, snapshot, predicate));
  std::vector<AddFile> out;
  out.reserve(matching.size());
  for (const AddFile* file : matching) out.push_back(*file);
  return out;
}

}  // namespace neuralake::delta
