#include "neuralake/engine/parquet_write.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <filesystem>
#include <set>

namespace neuralake::engine {
namespace {

std::string Q(std::string_view name) { return Engine::QuoteIdentifier(name); }
std::string L(std::string_view text) { return Engine::QuoteLiteral(text); }

bool IsLocal(const std::string& uri) {
  return uri.find("://") == std::string::npos || uri.rfind("file://", 0) == 0;
}

// ---- reading sources ----

// The path of a binary field inside a nested type ("s.b", "l.element"), or "".
std::string NestedBinaryPath(const ColumnType& type, const std::string& path) {
  using Id = ColumnType::Id;
  switch (type.id) {
    case Id::kStruct:
      for (size_t i = 0; i < type.children.size(); ++i) {
        std::string field = path + "." + type.field_names[i];
        if (type.children[i].id == Id::kBinary) return field;
        std::string inner = NestedBinaryPath(type.children[i], field);
        if (!inner.empty()) return inner;
      }
      return "";
    case Id::kList:
      if (type.children[0].id == Id::kBinary) return path + ".element";
      return NestedBinaryPath(type.children[0], path + ".element");
    case Id::kMap:
      if (type.children[0].id == Id::kBinary) return path + ".key";
      if (type.children[1].id == Id::kBinary) return path + ".value";
      return NestedBinaryPath(type.children[1], path + ".value");
    default:
      return "";
  }
}

// `type` with every leaf JSON (map keys VARCHAR, as JSON object names are): json_transform into it
// fills missing struct fields with NULL and drops unknown ones without converting any value.
std::string JsonLeafType(const ColumnType& type) {
  using Id = ColumnType::Id;
  switch (type.id) {
    case Id::kStruct: {
      std::string out = "STRUCT(";
      for (size_t i = 0; i < type.children.size(); ++i) {
        out += (i > 0 ? ", " : "") + Q(type.field_names[i]) + " " + JsonLeafType(type.children[i]);
      }
      return out + ")";
    }
    case Id::kList:
      return JsonLeafType(type.children[0]) + "[]";
    case Id::kMap:
      return "MAP(VARCHAR, " + JsonLeafType(type.children[1]) + ")";
    default:
      return "JSON";
  }
}

// SQL converting `value` (a JSON expression; NULL when the key is missing) into `column`'s type, as
// engine.h's JSON encoding writes values. A value that does not convert stops the query with an
// error naming the column.
Result<std::string> JsonValueToTypeSql(const std::string& value, const SourceColumnType& column) {
  using Id = ColumnType::Id;
  const ColumnType& type = column.type;
  std::string nested_binary = NestedBinaryPath(type, column.column);
  if (!nested_binary.empty()) {
    return Status::Unsupported("column '" + nested_binary +
                               "' is binary inside a nested type, which JSON and CSV input cannot "
                               "carry; use Parquet");
  }
  std::string sql_type = ColumnTypeSql(type);
  std::string kind = "json_type(" + value + ")";
  if (type.id == Id::kString) return "(" + value + " ->> '$')";
  std::string accepted;
  std::string converted = "TRY(CAST(" + value + " AS " + sql_type + "))";
  if (type.id == Id::kBinary) {
    accepted = kind + " = 'VARCHAR'";
    converted = "TRY(from_base64(" + value + " ->> '$'))";
  } else if (type.id == Id::kBoolean) {
    accepted = kind + " IN ('BOOLEAN', 'VARCHAR')";
  } else if (type.IsInteger()) {
    accepted = kind + " NOT IN ('DOUBLE', 'BOOLEAN', 'OBJECT', 'ARRAY')";
  } else if (type.id == Id::kFloat || type.id == Id::kDouble || type.id == Id::kDecimal) {
    accepted = kind + " NOT IN ('BOOLEAN', 'OBJECT', 'ARRAY')";
  } else if (type.id == Id::kDate || type.id == Id::kTimestamp || type.id == Id::kTimestampNtz) {
    accepted = kind + " = 'VARCHAR'";
  } else if (type.IsNested()) {
    accepted = kind + (type.id == Id::kList ? " = 'ARRAY'" : " = 'OBJECT'");
    converted = "TRY(CAST(to_json(json_transform(" + value + ", " +
                L(JsonString(JsonLeafType(type))) + ")) AS " + sql_type + "))";
  } else {
    accepted = "true";
  }
  std::string refusal =
      L("column '" + column.column + "' (" + column.type_name + "): cannot convert the value ");
  return "COALESCE(CASE WHEN " + accepted + " THEN " + converted + " END, CASE WHEN " + value +
         " IS NULL OR " + kind + " = 'NULL' THEN NULL ELSE error(" + refusal + " || left(CAST(" +
         value + " AS VARCHAR), 200)) END)";
}

// SQL converting CSV text `text` of a nested column: JSON text (what our CSV export writes) or the
// engine's own text ({'a': 1}, [1, 2], {k=1}).
Result<std::string> NestedTextToTypeSql(const std::string& text, const SourceColumnType& column) {
  std::string sql_type = ColumnTypeSql(column.type);
  NL_ASSIGN_OR_RETURN(
      std::string from_json,
      JsonValueToTypeSql("CAST(nl_json_exact_numbers(" + text + ") AS JSON)", column));
  std::string refusal =
      L("column '" + column.column + "' (" + column.type_name + "): cannot convert the value ");
  return "CASE WHEN " + text + " IS NULL THEN NULL WHEN json_valid(" + text + ") THEN " +
         from_json + " ELSE COALESCE(TRY(CAST(" + text + " AS " + sql_type + ")), error(" +
         refusal + " || left(" + text + ", 200))) END";
}

// read_csv: a header line; a quoted empty field ("") is the empty string and only an empty
// unquoted field is NULL (what our CSV export writes). Typed columns: scalars parsed as their
// type, nested ones read as text and converted.
Result<std::string> CsvRelation(const WriteSource& source) {
  std::string relation = "read_csv(" + L(source.path) + ", header = true, allow_quoted_nulls = false";
  if (source.csv_delimiter != ',') relation += ", delim = " + L(std::string(1, source.csv_delimiter));
  if (source.column_types.empty()) return relation + ")";
  std::string types;
  std::string replaced;
  for (const auto& column : source.column_types) {
    bool nested = column.type.IsNested();
    types += (types.empty() ? "" : ", ") + L(column.column) + ": " +
             L(nested ? std::string("VARCHAR") : ColumnTypeSql(column.type));
    if (nested) {
      NL_ASSIGN_OR_RETURN(std::string converted, NestedTextToTypeSql(Q(column.column), column));
      replaced += std::string(replaced.empty() ? "" : ", ") + "(" + converted + ") AS " + Q(column.column);
    }
  }
  relation += ", types = {" + types + "})";
  if (replaced.empty()) return relation;
  return "(SELECT * REPLACE (" + replaced + ") FROM " + relation + ")";
}

// JSON (lines, or an array of objects) read with known types. The engine's JSON reader parses
// numbers as doubles and names no column when a value does not convert, so each record is read
// as text, long numbers are quoted (nl_json_exact_numbers), and every column is converted by
// JsonValueToTypeSql.
Result<std::string> TypedJsonRelation(const WriteSource& source) {
  std::string structure = "{";
  std::string select;
  for (const auto& column : source.column_types) {
    structure += (structure.size() > 1 ? "," : "") + JsonString(column.column) + ":\"JSON\"";
    NL_ASSIGN_OR_RETURN(std::string converted,
                        JsonValueToTypeSql("__nl_values." + Q(column.column), column));
    select += (select.empty() ? "" : ", ") + converted + " AS " + Q(column.column);
  }
  structure += "}";
  return "(SELECT " + select + " FROM (SELECT CASE WHEN json_type(json) = 'OBJECT' THEN " +
         "json_transform(nl_json_exact_numbers(json), " + L(structure) +
         ") ELSE error('a JSON record is not an object: ' || left(json, 200)) END AS __nl_values "
         "FROM read_json_objects(" + L(source.path) + ")))";
}

Result<std::string> FileRelation(const WriteSource& source) {
  switch (source.format) {
    case FileFormat::kParquet:
      return "read_parquet(" + L(source.path) + ")";
    case FileFormat::kCsv:
      return CsvRelation(source);
    case FileFormat::kJson:
      if (source.column_types.empty()) return "read_json(" + L(source.path) + ")";
      return TypedJsonRelation(source);
  }
  return Status::Internal("unknown file format");
}

// An empty (or whitespace-only) input file has no header and no columns; the readers would make
// up a column ("column0" for CSV, "json" for JSON). Invalid naming the file.
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

// The source as SQL usable after FROM. Batches are loaded into a temp table named uniquely for
// this object's lifetime (dropped by the destructor).
Result<std::string> OutputColumnSql(const OutputColumn& column, const ParquetWriteSpec& spec);

class SourceRelation {
 public:
  static Result<std::unique_ptr<SourceRelation>> Open(Engine& engine, const WriteSource& source) {
    auto relation = std::unique_ptr<SourceRelation>(new SourceRelation(engine));
    switch (source.kind) {
      case WriteSource::Kind::kBatches: {
        static std::atomic<int64_t> counter{0};
        std::string name = "__nl_write_batches_" + std::to_string(counter.fetch_add(1));
        NL_RETURN_NOT_OK(engine.LoadBatches(name, source.batches));
        relation->table_ = name;
        relation->sql_ = Q(name);
        break;
      }
      case WriteSource::Kind::kFiles: {
        NL_ASSIGN_OR_RETURN(relation->sql_, FileRelation(source));
        break;
      }
      case WriteSource::Kind::kQuery:
        relation->sql_ = "(" + source.query + ")";
        break;
    }
    if (!source.converted.empty()) {
      std::string select;
      for (const auto& column : source.converted) {
        NL_ASSIGN_OR_RETURN(std::string item, OutputColumnSql(column, ParquetWriteSpec{}));
        select += (select.empty() ? "" : ", ") + item;
      }
      relation->sql_ = "(SELECT " + select + " FROM " + relation->sql_ + " AS __nl_source)";
    }
    return relation;
  }
  ~SourceRelation() {
    if (!table_.empty()) (void)engine_.DropTable(table_);
  }
  SourceRelation(const SourceRelation&) = delete;
  SourceRelation& operator=(const SourceRelation&) = delete;

  const std::string& sql() const { return sql_; }

 private:
  explicit SourceRelation(Engine& engine) : engine_(engine) {}
  Engine& engine_;
  std::string sql_;
  std::string table_;
};

// ---- writing ----

std::string PartitionTextSql(const std::string& expression, const ColumnType& type,
                             const PartitionTextEncoding& encoding) {
  std::string text;
  if (type.id == ColumnType::Id::kString) {
    text = expression;
  } else if (type.id == ColumnType::Id::kTimestamp) {
    text = "strftime(make_timestamp(epoch_us(" + expression + ")), '%Y-%m-%dT%H:%M:%S.%fZ')";
  } else if (type.id == ColumnType::Id::kTimestampNtz) {
    text = "strftime(" + expression + ", '%Y-%m-%d %H:%M:%S.%f')";
  } else {
    text = "CAST(" + expression + " AS VARCHAR)";
  }
  std::string escape = L(std::string(1, encoding.escape));
  std::string null_value = L(encoding.null_value);
  std::string v = "(" + text + ")";  // repeated below; evaluated once as a common subexpression
  return "CASE WHEN " + v + " IS NULL OR " + v + " = '' THEN " + null_value + " WHEN " + v +
         " = " + null_value + " OR starts_with(" + v + ", " + escape + ") THEN " + escape +
         " || " + v + " ELSE " + v + " END";
}

std::string UnscaledDecimalSql(const std::string& source, const ColumnType& type) {
  std::string unscaled = type.precision <= 18 ? "DECIMAL(18,0)" : "DECIMAL(38,0)";
  std::string value = "CAST(" + source + " AS " + unscaled + ")";
  if (type.scale > 0) value += " * 0." + std::string(static_cast<size_t>(type.scale - 1), '0') + "1";
  return "CAST(" + value + " AS " + ColumnTypeSql(type) + ")";
}

Result<std::string> OutputColumnSql(const OutputColumn& column, const ParquetWriteSpec& spec) {
  std::string type = ColumnTypeSql(column.type);
  std::string source = column.source ? "__nl_source." + Q(*column.source) : "NULL";
  std::string expression;
  switch (column.conversion) {
    case OutputColumn::Conversion::kCast:
      expression = "CAST(" + source + " AS " + type + ")";
      break;
    case OutputColumn::Conversion::kPartitionText:
      if (column.type.IsNested()) {
        return Status::Invalid("partition column '" + column.name + "' must have a primitive type");
      }
      expression = PartitionTextSql("CAST(" + source + " AS " + type + ")", column.type,
                                    spec.partition_text);
      break;
    case OutputColumn::Conversion::kUnscaledDecimal:
      if (column.type.id != ColumnType::Id::kDecimal) {
        return Status::Invalid("column '" + column.name + "': unscaled values need a decimal type");
      }
      expression = UnscaledDecimalSql(source, column.type);
      break;
    case OutputColumn::Conversion::kCode: {
      std::string list;
      for (const auto& code : column.codes) list += (list.empty() ? "" : ", ") + L(code);
      expression = "[" + list + "][" + source + " + 1]";  // lists are 1-based
      break;
    }
  }
  return expression + " AS " + Q(column.name);
}

std::string CopyOptions(const ParquetWriteSpec& spec) {
  if (spec.format == WriteFormat::kCsv) return "FORMAT csv, HEADER true";
  if (spec.format == WriteFormat::kJson) return "FORMAT json";
  std::string options = "FORMAT parquet";
  if (!spec.compression.empty()) options += ", COMPRESSION " + spec.compression;
  if (spec.compression_level) {
    options += ", COMPRESSION_LEVEL " + std::to_string(*spec.compression_level);
  }
  if (spec.row_group_size) options += ", ROW_GROUP_SIZE " + std::to_string(*spec.row_group_size);
  options += ", RETURN_STATS";
  if (spec.single_file) return options;
  options += ", FILENAME_PATTERN " + L(spec.file_prefix + "{uuid}") + ", APPEND";
  if (!spec.partition_by.empty()) {
    std::string list;
    for (const auto& name : spec.partition_by) list += (list.empty() ? "" : ", ") + Q(name);
    options += ", PARTITION_BY (" + list + ")";
  } else {
    // A size makes the engine treat the target as a directory; without one, files never rotate.
    int64_t size = spec.target_file_size.value_or(int64_t{1} << 62);
    options += ", FILE_SIZE_BYTES " + std::to_string(std::max<int64_t>(size, 1));
  }
  return options;
}

std::string TrimSlashes(std::string uri) {
  while (uri.size() > 1 && uri.back() == '/') uri.pop_back();
  return uri;
}

// Removes what a failed write left: its one file, or every file named with its prefix.
void RemoveWriteFiles(Engine& engine, const ParquetWriteSpec& spec) {
  if (spec.single_file) {
    (void)engine.RemoveFiles({spec.target});
    return;
  }
  std::string root = TrimSlashes(spec.target);
  std::set<std::string> files;
  for (const std::string& pattern : {root + "/" + spec.file_prefix + "*",
                                     root + "/**/" + spec.file_prefix + "*"}) {
    auto found = engine.Query("SELECT file FROM glob(" + L(pattern) + ")");
    if (!found.ok()) continue;
    for (const auto& row : found->rows) {
      if (row.at(0)) files.insert(*row[0]);
    }
  }
  (void)engine.RemoveFiles(std::vector<std::string>(files.begin(), files.end()));
}

Status CheckSpec(const ParquetWriteSpec& spec) {
  if (spec.target.empty()) return Status::Invalid("a write needs a target");
  if (!spec.single_file && spec.file_prefix.empty()) {
    return Status::Invalid("a write into a directory needs a file name prefix");
  }
  if (spec.format != WriteFormat::kParquet && !spec.single_file) {
    return Status::Invalid("CSV and JSON writes need a single-file target");
  }
  if (spec.single_file && !spec.partition_by.empty()) {
    return Status::Invalid("a partitioned write needs a directory target");
  }
  for (const auto& name : spec.partition_by) {
    bool found = spec.columns.empty();
    for (const auto& column : spec.columns) found = found || column.name == name;
    if (!found) return Status::Invalid("partition column '" + name + "' is not an output column");
  }
  return Status::OK();
}

}  // namespace

ColumnType ColumnType::Of(Id id) {
  ColumnType type;
  type.id = id;
  return type;
}

ColumnType ColumnType::Decimal(int precision, int scale) {
  ColumnType type = Of(Id::kDecimal);
  type.precision = precision;
  type.scale = scale;
  return type;
}

ColumnType ColumnType::Struct(std::vector<std::string> names, std::vector<ColumnType> types) {
  ColumnType type = Of(Id::kStruct);
  type.field_names = std::move(names);
  type.children = std::move(types);
  return type;
}

ColumnType ColumnType::List(ColumnType element) {
  ColumnType type = Of(Id::kList);
  type.children.push_back(std::move(element));
  return type;
}

ColumnType ColumnType::Map(ColumnType key, ColumnType value) {
  ColumnType type = Of(Id::kMap);
  type.children.push_back(std::move(key));
  type.children.push_back(std::move(value));
  return type;
}

std::string ColumnTypeSql(const ColumnType& type) {
  using Id = ColumnType::Id;
  switch (type.id) {
    case Id::kBoolean: return "BOOLEAN";
    case Id::kInt8: return "TINYINT";
    case Id::kInt16: return "SMALLINT";
    case Id::kInt32: return "INTEGER";
    case Id::kInt64: return "BIGINT";
    case Id::kFloat: return "FLOAT";
    case Id::kDouble: return "DOUBLE";
    case Id::kDecimal:
      return "DECIMAL(" + std::to_string(type.precision) + "," + std::to_string(type.scale) + ")";
    case Id::kString: return "VARCHAR";
    case Id::kBinary: return "BLOB";
    case Id::kDate: return "DATE";
    case Id::kTimestamp: return "TIMESTAMP WITH TIME ZONE";
    case Id::kTimestampNtz: return "TIMESTAMP";
    case Id::kStruct: {
      std::string out = "STRUCT(";
      for (size_t i = 0; i < type.children.size(); ++i) {
        out += (i > 0 ? ", " : "") + Q(type.field_names[i]) + " " + ColumnTypeSql(type.children[i]);
      }
      return out + ")";
    }
    case Id::kList: return ColumnTypeSql(type.children.at(0)) + "[]";
    case Id::kMap:
      return "MAP(" + ColumnTypeSql(type.children.at(0)) + ", " +
             ColumnTypeSql(type.children.at(1)) + ")";
  }
  return "VARCHAR";
}

WriteSource WriteSource::FromBatches(std::vector<const ColumnBatch*> batches) {
  WriteSource source;
  source.kind = Kind::kBatches;
  source.batches = std::move(batches);
  return source;
}

WriteSource WriteSource::FromFiles(std::string path, FileFormat format, char csv_delimiter) {
  WriteSource source;
  source.kind = Kind::kFiles;
  source.path = std::move(path);
  source.format = format;
  source.csv_delimiter = csv_delimiter;
  return source;
}

WriteSource WriteSource::FromQuery(std::string select_sql) {
  WriteSource source;
  source.kind = Kind::kQuery;
  source.query = std::move(select_sql);
  return source;
}

Result<std::vector<ColumnInfo>> DescribeSource(Engine& engine, const WriteSource& source) {
  std::vector<ColumnInfo> columns;
  if (!source.converted.empty()) {
    for (const auto& column : source.converted) {
      columns.push_back({column.name, ColumnTypeSql(column.type)});
    }
    return columns;
  }
  if (source.kind == WriteSource::Kind::kBatches) {
    if (source.batches.empty()) return Status::Invalid("a batch source needs at least one batch");
    for (const auto& column : source.batches.front()->columns) {
      columns.push_back({column.name, ColumnKindSqlType(column.kind)});
    }
    return columns;
  }
  NL_ASSIGN_OR_RETURN(auto relation, SourceRelation::Open(engine, source));
  NL_ASSIGN_OR_RETURN(Table described, engine.Query("DESCRIBE SELECT * FROM " + relation->sql()));
  int name_index = described.ColumnIndex("column_name");
  int type_index = described.ColumnIndex("column_type");
  if (name_index < 0 || type_index < 0) {
    return Status::Internal("DESCRIBE returned no column_name/column_type");
  }
  for (const auto& row : described.rows) {
    columns.push_back({row[name_index].value_or(""), row[type_index].value_or("")});
  }
  return columns;
}

Status CheckSourceNotEmpty(Engine& engine, const WriteSource& source) {
  if (source.kind != WriteSource::Kind::kFiles) return Status::OK();
  return CheckNotEmpty(engine, source.path);
}

Result<int64_t> CountRowsNotSatisfying(Engine& engine, const WriteSource& source,
                                       std::string_view predicate) {
  NL_ASSIGN_OR_RETURN(auto relation, SourceRelation::Open(engine, source));
  NL_ASSIGN_OR_RETURN(Table counted,
                      engine.Query("SELECT count(*) FROM " + relation->sql() +
                                   " AS __nl_source WHERE NOT COALESCE((" +
                                   std::string(predicate) + "), false)"));
  if (counted.rows.empty() || !counted.rows[0].at(0)) return int64_t{0};
  return static_cast<int64_t>(std::stoll(*counted.rows[0][0]));
}

Status WithSourceRelation(Engine& engine, const WriteSource& source,
                          const std::function<Status(const std::string& relation)>& body) {
  NL_ASSIGN_OR_RETURN(auto relation, SourceRelation::Open(engine, source));
  return body(relation->sql());
}

Result<std::vector<WrittenFile>> WriteParquet(Engine& engine, const WriteSource& source,
                                              const ParquetWriteSpec& spec) {
  NL_RETURN_NOT_OK(CheckSpec(spec));
  std::string select;
  for (const auto& column : spec.columns) {
    NL_ASSIGN_OR_RETURN(std::string item, OutputColumnSql(column, spec));
    select += (select.empty() ? "" : ", ") + item;
  }
  if (select.empty()) select = "*";
  if (!spec.single_file && IsLocal(spec.target)) {
    // COPY creates partition directories but not the target directory itself.
    std::string path = spec.target.rfind("file://", 0) == 0 ? spec.target.substr(7) : spec.target;
    std::error_code error;
    std::filesystem::create_directories(path, error);
    if (error) {
      return Status::IOError("cannot create directory '" + path + "': " + error.message());
    }
  }
  NL_ASSIGN_OR_RETURN(auto relation, SourceRelation::Open(engine, source));
  std::string sql = "COPY (SELECT " + select + " FROM " + relation->sql() + " AS __nl_source) TO " +
                    L(spec.target) + " (" + CopyOptions(spec) + ")";
  if (spec.format != WriteFormat::kParquet) {
    Status written = engine.Execute(sql);
    if (!written.ok()) {
      RemoveWriteFiles(engine, spec);
      return written.WithContext("writing " + spec.target);
    }
    WrittenFile file;
    file.uri = spec.target;
    file.num_rows = -1;  // not reported for text formats
    return std::vector<WrittenFile>{file};
  }
  auto files = engine.CopyWithStats(sql);
  if (!files.ok()) {
    RemoveWriteFiles(engine, spec);
    return files.status().WithContext("writing data files");
  }
  if (spec.single_file || spec.keep_empty_files) return files;
  std::vector<WrittenFile> kept;
  std::vector<std::string> empty;
  for (auto& file : *files) {
    if (file.num_rows == 0) {
      empty.push_back(file.uri);
    } else {
      kept.push_back(std::move(file));
    }
  }
  if (!empty.empty()) (void)engine.RemoveFiles(empty);
  return kept;
}

}  // namespace neuralake::engine
