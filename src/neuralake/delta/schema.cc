#include "neuralake/delta/schema.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "neuralake/common/json.h"

namespace neuralake::delta {
namespace {

using nlohmann::json;

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

const StructField* FindField(const std::vector<StructField>& fields, std::string_view name) {
  for (const auto& field : fields) {
    if (field.name == name) return &field;
  }
  std::string lower = Lower(name);
  for (const auto& field : fields) {
    if (Lower(field.name) == lower) return &field;
  }
  return nullptr;
}

// ---- Delta JSON ----

struct SchemaError {
  std::string message;
};

DataType TypeFromJson(const json& value);

StructField FieldFromJson(const json& value) {
  if (!value.is_object()) throw SchemaError{"a struct field is not an object"};
  auto name = value.find("name");
  if (name == value.end() || !name->is_string()) throw SchemaError{"a struct field has no name"};
  auto type = value.find("type");
  if (type == value.end()) throw SchemaError{"field '" + name->get<std::string>() + "' has no type"};
  StructField field;
  field.name = name->get<std::string>();
  field.type = TypeFromJson(*type);
  auto nullable = value.find("nullable");
  field.nullable = nullable == value.end() || !nullable->is_boolean() || nullable->get<bool>();
  auto metadata = value.find("metadata");
  if (metadata != value.end() && metadata->is_object()) field.metadata = *metadata;
  return field;
}

DataType TypeFromJson(const json& value) {
  if (value.is_string()) {
    std::string name = value.get<std::string>();
    if (name.rfind("decimal", 0) == 0) {
      int precision = 10;
      int scale = 0;
      if (name != "decimal" &&
          std::sscanf(name.c_str(), "decimal(%d,%d)", &precision, &scale) != 2 &&
          std::sscanf(name.c_str(), "decimal( %d , %d )", &precision, &scale) != 2) {
        throw SchemaError{"malformed decimal type '" + name + "'"};
      }
      return DataType::Decimal(precision, scale);
    }
    return DataType::Primitive(name);
  }
  if (!value.is_object()) throw SchemaError{"a type is neither a string nor an object"};
  auto kind = value.find("type");
  if (kind == value.end() || !kind->is_string()) throw SchemaError{"a complex type has no 'type'"};
  std::string name = kind->get<std::string>();
  if (name == "struct") {
    auto fields = value.find("fields");
    if (fields == value.end() || !fields->is_array()) {
      throw SchemaError{"a struct type has no 'fields' array"};
    }
    std::vector<StructField> out;
    for (const json& field : *fields) out.push_back(FieldFromJson(field));
    return DataType::Struct(std::move(out));
  }
  if (name == "array") {
    auto element = value.find("elementType");
    if (element == value.end()) throw SchemaError{"an array type has no 'elementType'"};
    auto contains_null = value.find("containsNull");
    bool nulls = contains_null == value.end() || !contains_null->is_boolean() ||
                 contains_null->get<bool>();
    return DataType::Array(TypeFromJson(*element), nulls);
  }
  if (name == "map") {
    auto key = value.find("keyType");
    auto val = value.find("valueType");
    if (key == value.end() || val == value.end()) {
      throw SchemaError{"a map type needs 'keyType' and 'valueType'"};
    }
    auto contains_null = value.find("valueContainsNull");
    bool nulls = contains_null == value.end() || !contains_null->is_boolean() ||
                 contains_null->get<bool>();
    return DataType::Map(TypeFromJson(*key), TypeFromJson(*val), nulls);
  }
  // e.g. {"type":"variant"}
  return DataType::Primitive(name);
}

json FieldToJson(const StructField& field) {
  return json{{"name", field.name},
              {"type", DataTypeToJson(field.type)},
              {"nullable", field.nullable},
              {"metadata", field.metadata.is_object() ? field.metadata : json::object()}};
}

// ---- DuckDB type names ----

class DuckDbTypeParser {
 public:
  explicit DuckDbTypeParser(std::string_view text) : text_(text) {}

  Result<DataType> ParseAll() {
    auto type = ParseType();
    if (!type.ok()) return type;
    SkipSpaces();
    if (pos_ != text_.size()) return Error("unexpected text");
    return type;
  }

 private:
  Status Error(std::string_view what) const {
    return Status::Invalid("cannot parse DuckDB type '" + std::string(text_) + "': " +
                           std::string(what) + " at offset " + std::to_string(pos_));
  }

  void SkipSpaces() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }

  bool Consume(char c) {
    SkipSpaces();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  std::string Word() {
    SkipSpaces();
    size_t start = pos_;
    while (pos_ < text_.size() &&
           (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_')) {
      ++pos_;
    }
    return std::string(text_.substr(start, pos_ - start));
  }

  // Consumes the words of `phrase` (e.g. "WITH TIME ZONE") when they come next.
  bool ConsumePhrase(std::string_view phrase) {
    size_t saved = pos_;
    size_t i = 0;
    while (i < phrase.size()) {
      size_t j = phrase.find(' ', i);
      if (j == std::string_view::npos) j = phrase.size();
      if (Upper(Word()) != phrase.substr(i, j - i)) {
        pos_ = saved;
        return false;
      }
      i = j + 1;
    }
    return true;
  }

  Result<std::string> Identifier() {
    SkipSpaces();
    if (pos_ < text_.size() && text_[pos_] == '"') {
      ++pos_;
      std::string out;
      while (pos_ < text_.size()) {
        if (text_[pos_] == '"') {
          if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '"') {
            out += '"';
            pos_ += 2;
            continue;
          }
          ++pos_;
          return out;
        }
        out += text_[pos_++];
      }
      return Error("unterminated quoted identifier");
    }
    std::string word = Word();
    if (word.empty()) return Error("expected a field name");
    return word;
  }

  Status SkipBalanced() {  // after '(' was consumed
    int depth = 1;
    bool quoted = false;
    while (pos_ < text_.size() && depth > 0) {
      char c = text_[pos_++];
      if (c == '\'') quoted = !quoted;
      if (quoted) continue;
      if (c == '(') ++depth;
      if (c == ')') --depth;
    }
    return depth == 0 ? Status::OK() : Error("unbalanced parentheses");
  }

  Result<DataType> ParseType() {
    auto base = ParseBase();
    if (!base.ok()) return base;
    DataType type = std::move(base).value();
    while (Consume('[')) {
      SkipSpaces();
      while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
      if (!Consume(']')) return Error("expected ']'");
      type = DataType::Array(std::move(type));
    }
    return type;
  }

  Result<DataType> ParseBase() {
    std::string word = Upper(Word());
    if (word.empty()) return Error("expected a type name");
    if (word == "STRUCT" || word == "ROW") {
      if (!Consume('(')) return Error("expected '(' after STRUCT");
      std::vector<StructField> fields;
      if (!Consume(')')) {
        do {
          auto name = Identifier();
          if (!name.ok()) return name.status();
          auto type = ParseType();
          if (!type.ok()) return type.status();
          fields.push_back(StructField{*name, std::move(type).value(), true, json::object()});
        } while (Consume(','));
        if (!Consume(')')) return Error("expected ')' closing STRUCT");
      }
      return DataType::Struct(std::move(fields));
    }
    if (word == "MAP") {
      if (!Consume('(')) return Error("expected '(' after MAP");
      auto key = ParseType();
      if (!key.ok()) return key.status();
      if (!Consume(',')) return Error("expected ',' in MAP");
      auto value = ParseType();
      if (!value.ok()) return value.status();
      if (!Consume(')')) return Error("expected ')' closing MAP");
      return DataType::Map(std::move(key).value(), std::move(value).value());
    }
    if (word == "DECIMAL" || word == "NUMERIC") {
      int precision = 18;
      int scale = 3;
      if (Consume('(')) {
        SkipSpaces();
        size_t start = pos_;
        std::string inner;
        while (pos_ < text_.size() && text_[pos_] != ')') inner += text_[pos_++];
        if (!Consume(')')) return Error("expected ')' closing DECIMAL");
        if (std::sscanf(inner.c_str(), "%d , %d", &precision, &scale) != 2) {
          if (std::sscanf(inner.c_str(), "%d", &precision) != 1) {
            pos_ = start;
            return Error("malformed DECIMAL arguments");
          }
          scale = 0;
        }
      }
      return DataType::Decimal(precision, scale);
    }
    if (word == "TIMESTAMP" || word == "TIME") {
      if (ConsumePhrase("WITH TIME ZONE")) {
        return word == "TIMESTAMP" ? Primitive("timestamp") : Unsupported("TIME WITH TIME ZONE");
      }
    }
    if (word == "DOUBLE") ConsumePhrase("PRECISION");
    if (Consume('(')) {  // ENUM('a','b'), VARCHAR(10), UNION(...), ...
      NL_RETURN_NOT_OK(SkipBalanced());
    }
    return FromSimpleName(word);
  }

  Result<DataType> Primitive(const char* name) { return DataType::Primitive(name); }
  Result<DataType> Unsupported(std::string_view name) {
    return Status::Unsupported("DuckDB type " + std::string(name) + " has no Delta equivalent");
  }

  Result<DataType> FromSimpleName(const std::string& word) {
    static const std::map<std::string, const char*> kNames = {
        {"BIGINT", "long"},        {"INT8", "long"},         {"LONG", "long"},
        {"UINTEGER", "long"},      {"INTEGER", "integer"},   {"INT4", "integer"},
        {"INT", "integer"},        {"SIGNED", "integer"},    {"USMALLINT", "integer"},
        {"SMALLINT", "short"},     {"INT2", "short"},        {"SHORT", "short"},
        {"UTINYINT", "short"},     {"TINYINT", "byte"},      {"INT1", "byte"},
        {"FLOAT", "float"},        {"FLOAT4", "float"},      {"REAL", "float"},
        {"DOUBLE", "double"},      {"FLOAT8", "double"},     {"VARCHAR", "string"},
        {"TEXT", "string"},        {"STRING", "string"},     {"CHAR", "string"},
        {"BPCHAR", "string"},      {"UUID", "string"},       {"JSON", "string"},
        {"ENUM", "string"},        {"NULL", "string"},       {"BLOB", "binary"},
        {"BYTEA", "binary"},       {"BINARY", "binary"},     {"VARBINARY", "binary"},
        {"BOOLEAN", "boolean"},    {"BOOL", "boolean"},      {"LOGICAL", "boolean"},
        {"DATE", "date"},          {"TIMESTAMP", "timestamp_ntz"},
        {"DATETIME", "timestamp_ntz"}, {"TIMESTAMP_US", "timestamp_ntz"},
        {"TIMESTAMP_MS", "timestamp_ntz"}, {"TIMESTAMP_S", "timestamp_ntz"},
        {"TIMESTAMP_NS", "timestamp_ntz"}, {"TIMESTAMPTZ", "timestamp"},
    };
    auto it = kNames.find(word);
    if (it != kNames.end()) return DataType::Primitive(it->second);
    if (word == "UBIGINT") return DataType::Decimal(20, 0);
    if (word == "HUGEINT" || word == "INT128") return DataType::Decimal(38, 0);
    return Unsupported(word);
  }

  std::string_view text_;
  size_t pos_ = 0;
};

int IntegerRank(const DataType& type) {
  if (type.kind() != DataType::Kind::kPrimitive) return -1;
  if (type.name() == "byte") return 0;
  if (type.name() == "short") return 1;
  if (type.name() == "integer") return 2;
  if (type.name() == "long") return 3;
  return -1;
}

Status TypeMismatch(const std::string& path, const DataType& data, const DataType& table) {
  return Status::Invalid("column '" + path + "' has type " + data.ToString() +
                         " in the data but " + table.ToString() + " in the table");
}

// Checks (and, when `merged` is given, builds the merge of) two struct field lists.
Status CheckFields(const std::vector<StructField>& table, const std::vector<StructField>& data,
                   const std::string& prefix, bool allow_new_columns,
                   std::vector<StructField>* merged);

Status CheckType(const DataType& table, const DataType& data, const std::string& path,
                 bool allow_new_columns, DataType* merged) {
  using Kind = DataType::Kind;
  if (table.kind() == Kind::kStruct && data.kind() == Kind::kStruct) {
    std::vector<StructField> fields = table.fields();
    NL_RETURN_NOT_OK(CheckFields(table.fields(), data.fields(), path + ".", allow_new_columns,
                                 merged != nullptr ? &fields : nullptr));
    if (merged != nullptr) *merged = DataType::Struct(std::move(fields));
    return Status::OK();
  }
  if (table.kind() == Kind::kArray && data.kind() == Kind::kArray) {
    DataType element = table.element();
    NL_RETURN_NOT_OK(CheckType(table.element(), data.element(), path + ".element",
                               allow_new_columns, merged != nullptr ? &element : nullptr));
    if (merged != nullptr) *merged = DataType::Array(std::move(element), table.contains_null());
    return Status::OK();
  }
  if (table.kind() == Kind::kMap && data.kind() == Kind::kMap) {
    DataType key = table.key();
    DataType value = table.value();
    NL_RETURN_NOT_OK(CheckType(table.key(), data.key(), path + ".key", allow_new_columns,
                               merged != nullptr ? &key : nullptr));
    NL_RETURN_NOT_OK(CheckType(table.value(), data.value(), path + ".value", allow_new_columns,
                               merged != nullptr ? &value : nullptr));
    if (merged != nullptr) {
      *merged = DataType::Map(std::move(key), std::move(value), table.contains_null());
    }
    return Status::OK();
  }
  if (!IsLosslessWidening(data, table)) return TypeMismatch(path, data, table);
  if (merged != nullptr) *merged = table;
  return Status::OK();
}

Status CheckFields(const std::vector<StructField>& table, const std::vector<StructField>& data,
                   const std::string& prefix, bool allow_new_columns,
                   std::vector<StructField>* merged) {
  for (const StructField& data_field : data) {
    const StructField* table_field = FindField(table, data_field.name);
    std::string path = prefix + data_field.name;
    if (table_field == nullptr) {
      if (!allow_new_columns) {
        return Status::Invalid("column '" + path +
                               "' is not in the table schema (use schema mode 'merge' to add it)");
      }
      if (merged != nullptr) {
        StructField added = data_field;
        added.nullable = true;
        merged->push_back(std::move(added));
      }
      continue;
    }
    DataType* merged_type = nullptr;
    if (merged != nullptr) {
      for (StructField& field : *merged) {
        if (field.name == table_field->name) merged_type = &field.type;
      }
    }
    NL_RETURN_NOT_OK(
        CheckType(table_field->type, data_field.type, path, allow_new_columns, merged_type));
  }
  for (const StructField& table_field : table) {
    if (FindField(data, table_field.name) == nullptr && !table_field.nullable) {
      return Status::Invalid("column '" + prefix + table_field.name +
                             "' is not nullable but missing from the data");
    }
  }
  return Status::OK();
}

bool TypeUsesNtz(const DataType& type) {
  switch (type.kind()) {
    case DataType::Kind::kPrimitive:
      return type.name() == "timestamp_ntz";
    case DataType::Kind::kDecimal:
      return false;
    case DataType::Kind::kStruct:
      return std::any_of(type.fields().begin(), type.fields().end(),
                         [](const StructField& f) { return TypeUsesNtz(f.type); });
    case DataType::Kind::kArray:
      return TypeUsesNtz(type.element());
    case DataType::Kind::kMap:
      return TypeUsesNtz(type.key()) || TypeUsesNtz(type.value());
  }
  return false;
}

}  // namespace

DataType DataType::Primitive(std::string name) {
  DataType type;
  type.kind_ = Kind::kPrimitive;
  type.name_ = std::move(name);
  return type;
}

DataType DataType::Decimal(int precision, int scale) {
  DataType type;
  type.kind_ = Kind::kDecimal;
  type.name_ = "decimal";
  type.precision_ = precision;
  type.scale_ = scale;
  return type;
}

DataType DataType::Struct(std::vector<StructField> fields) {
  DataType type;
  type.kind_ = Kind::kStruct;
  type.name_ = "struct";
  type.fields_ = std::move(fields);
  return type;
}

DataType DataType::Array(DataType element, bool contains_null) {
  DataType type;
  type.kind_ = Kind::kArray;
  type.name_ = "array";
  type.children_.push_back(std::move(element));
  type.contains_null_ = contains_null;
  return type;
}

DataType DataType::Map(DataType key, DataType value, bool value_contains_null) {
  DataType type;
  type.kind_ = Kind::kMap;
  type.name_ = "map";
  type.children_.push_back(std::move(key));
  type.children_.push_back(std::move(value));
  type.contains_null_ = value_contains_null;
  return type;
}

std::string DataType::ToString() const {
  switch (kind_) {
    case Kind::kPrimitive:
      return name_;
    case Kind::kDecimal:
      return "decimal(" + std::to_string(precision_) + "," + std::to_string(scale_) + ")";
    case Kind::kStruct: {
      std::string out = "struct<";
      for (size_t i = 0; i < fields_.size(); ++i) {
        if (i > 0) out += ", ";
        out += fields_[i].name + ": " + fields_[i].type.ToString();
      }
      return out + ">";
    }
    case Kind::kArray:
      return "array<" + element().ToString() + ">";
    case Kind::kMap:
      return "map<" + key().ToString() + ", " + value().ToString() + ">";
  }
  return name_;
}

bool DataType::operator==(const DataType& other) const {
  return kind_ == other.kind_ && name_ == other.name_ && precision_ == other.precision_ &&
         scale_ == other.scale_ && fields_ == other.fields_ && children_ == other.children_ &&
         (kind_ == Kind::kPrimitive || kind_ == Kind::kDecimal || kind_ == Kind::kStruct ||
          contains_null_ == other.contains_null_);
}

const StructField* Schema::Find(std::string_view name) const { return FindField(fields, name); }

std::vector<std::string> Schema::FieldNames() const {
  std::vector<std::string> names;
  for (const auto& field : fields) names.push_back(field.name);
  return names;
}

Result<Schema> ParseSchema(std::string_view schema_string) {
  auto parsed = ParseJson(schema_string);
  if (!parsed.ok()) return parsed.status().WithContext("schemaString");
  json value = std::move(parsed).value();
  try {
    DataType type = TypeFromJson(value);
    if (type.kind() != DataType::Kind::kStruct) {
      return Status::Corrupt("schemaString is not a struct type");
    }
    return Schema{type.fields()};
  } catch (const SchemaError& error) {
    return Status::Corrupt("schemaString: " + error.message);
  } catch (const std::exception& error) {
    return Status::Corrupt(std::string("schemaString: ") + error.what());
  }
}

std::string SerializeSchema(const Schema& schema) {
  json fields = json::array();
  for (const auto& field : schema.fields) fields.push_back(FieldToJson(field));
  return json{{"type", "struct"}, {"fields", fields}}.dump(-1, ' ', false,
                                                        json::error_handler_t::replace);
}

nlohmann::json DataTypeToJson(const DataType& type) {
  switch (type.kind()) {
    case DataType::Kind::kPrimitive:
      return type.name();
    case DataType::Kind::kDecimal:
      return type.ToString();
    case DataType::Kind::kStruct: {
      json fields = json::array();
      for (const auto& field : type.fields()) fields.push_back(FieldToJson(field));
      return json{{"type", "struct"}, {"fields", fields}};
    }
    case DataType::Kind::kArray:
      return json{{"type", "array"},
                  {"elementType", DataTypeToJson(type.element())},
                  {"containsNull", type.contains_null()}};
    case DataType::Kind::kMap:
      return json{{"type", "map"},
                  {"keyType", DataTypeToJson(type.key())},
                  {"valueType", DataTypeToJson(type.value())},
                  {"valueContainsNull", type.contains_null()}};
  }
  return type.name();
}

Result<DataType> DataTypeFromJson(const nlohmann::json& value) {
  try {
    return TypeFromJson(value);
  } catch (const SchemaError& error) {
    return Status::Corrupt(error.message);
  } catch (const std::exception& error) {
    return Status::Corrupt(error.what());
  }
}

Result<DataType> DataTypeFromDuckDb(std::string_view duckdb_type) {
  return DuckDbTypeParser(duckdb_type).ParseAll();
}

Result<std::string> DataTypeToDuckDb(const DataType& type) {
  switch (type.kind()) {
    case DataType::Kind::kPrimitive: {
      static const std::map<std::string, std::string> kNames = {
          {"long", "BIGINT"},       {"integer", "INTEGER"},
          {"short", "SMALLINT"},    {"byte", "TINYINT"},
          {"float", "FLOAT"},       {"double", "DOUBLE"},
          {"string", "VARCHAR"},    {"binary", "BLOB"},
          {"boolean", "BOOLEAN"},   {"date", "DATE"},
          {"timestamp", "TIMESTAMP WITH TIME ZONE"},
          {"timestamp_ntz", "TIMESTAMP"},
      };
      auto it = kNames.find(type.name());
      if (it == kNames.end()) {
        return Status::Unsupported("Delta type '" + type.name() + "' is not supported");
      }
      return it->second;
    }
    case DataType::Kind::kDecimal:
      return "DECIMAL(" + std::to_string(type.precision()) + "," + std::to_string(type.scale()) +
             ")";
    case DataType::Kind::kStruct: {
      std::string out = "STRUCT(";
      for (size_t i = 0; i < type.fields().size(); ++i) {
        const auto& field = type.fields()[i];
        NL_ASSIGN_OR_RETURN(std::string inner, DataTypeToDuckDb(field.type));
        if (i > 0) out += ", ";
        std::string quoted = "\"";
        for (char c : field.name) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
        out += quoted + "\" " + inner;
      }
      return out + ")";
    }
    case DataType::Kind::kArray: {
      NL_ASSIGN_OR_RETURN(std::string inner, DataTypeToDuckDb(type.element()));
      return inner + "[]";
    }
    case DataType::Kind::kMap: {
      NL_ASSIGN_OR_RETURN(std::string key, DataTypeToDuckDb(type.key()));
      NL_ASSIGN_OR_RETURN(std::string value, DataTypeToDuckDb(type.value()));
      return "MAP(" + key + ", " + value + ")";
    }
  }
  return Status::Internal("unknown data type kind");
}

std::string PhysicalFieldName(const StructField& field) {
  if (field.metadata.is_object()) {
    auto it = field.metadata.find("delta.columnMapping.physicalName");
    if (it != field.metadata.end() && it->is_string()) return it->get<std::string>();
  }
  return field.name;
}

DataType PhysicalDataType(const DataType& type) {
  switch (type.kind()) {
    case DataType::Kind::kStruct: {
      std::vector<StructField> fields = type.fields();
      for (auto& field : fields) {
        field.name = PhysicalFieldName(field);
        field.type = PhysicalDataType(field.type);
      }
      return DataType::Struct(std::move(fields));
    }
    case DataType::Kind::kArray:
      return DataType::Array(PhysicalDataType(type.element()), type.contains_null());
    case DataType::Kind::kMap:
      return DataType::Map(PhysicalDataType(type.key()), PhysicalDataType(type.value()),
                           type.contains_null());
    default:
      return type;
  }
}

Result<Schema> SchemaFromDuckDb(const std::vector<std::pair<std::string, std::string>>& columns) {
  Schema schema;
  for (const auto& [name, duckdb_type] : columns) {
    auto type = DataTypeFromDuckDb(duckdb_type);
    if (!type.ok()) {
      return Status(type.status().code(), "column '" + name + "': " + type.status().message());
    }
    if (schema.Find(name) != nullptr) {
      return Status::Invalid("column name '" + name + "' appears twice (names are unique "
                             "regardless of case in Delta)");
    }
    schema.fields.push_back(StructField{name, std::move(type).value(), true, json::object()});
  }
  return schema;
}

bool IsLosslessWidening(const DataType& from, const DataType& to) {
  if (from == to) return true;
  using Kind = DataType::Kind;
  int from_rank = IntegerRank(from);
  int to_rank = IntegerRank(to);
  if (from_rank >= 0 && to_rank >= 0) return from_rank <= to_rank;
  if (from.IsPrimitive("float") && to.IsPrimitive("double")) return true;
  // Small integers fit doubles exactly.
  if (from_rank >= 0 && from_rank <= 2 && to.IsPrimitive("double")) return true;
  if (from.kind() == Kind::kDecimal && to.kind() == Kind::kDecimal) {
    return to.scale() >= from.scale() &&
           to.precision() - to.scale() >= from.precision() - from.scale();
  }
  if (from_rank >= 0 && to.kind() == Kind::kDecimal) {
    static const int kDigits[] = {3, 5, 10, 19};
    return to.precision() - to.scale() >= kDigits[from_rank];
  }
  if (from.kind() == Kind::kStruct && to.kind() == Kind::kStruct) {
    return CheckFields(to.fields(), from.fields(), "", false, nullptr).ok();
  }
  if (from.kind() == Kind::kArray && to.kind() == Kind::kArray) {
    return IsLosslessWidening(from.element(), to.element());
  }
  if (from.kind() == Kind::kMap && to.kind() == Kind::kMap) {
    return IsLosslessWidening(from.key(), to.key()) &&
           IsLosslessWidening(from.value(), to.value());
  }
  return false;
}

Result<SchemaMode> ParseSchemaMode(std::string_view text) {
  std::string mode = Lower(text);
  if (mode.empty() || mode == "enforce" || mode == "strict") return SchemaMode::kEnforce;
  if (mode == "merge") return SchemaMode::kMerge;
  if (mode == "overwrite") return SchemaMode::kOverwrite;
  return Status::Invalid("unknown schema mode '" + std::string(text) +
                         "' (expected enforce, merge or overwrite)");
}

Status CheckWriteCompatible(const Schema& table, const Schema& data, bool allow_new_columns) {
  return CheckFields(table.fields, data.fields, "", allow_new_columns, nullptr);
}

Result<Schema> MergeSchemas(const Schema& table, const Schema& data) {
  std::vector<StructField> merged = table.fields;
  NL_RETURN_NOT_OK(CheckFields(table.fields, data.fields, "", true, &merged));
  return Schema{std::move(merged)};
}

bool UsesTimestampNtz(const Schema& schema) {
  return std::any_of(schema.fields.begin(), schema.fields.end(),
                     [](const StructField& f) { return TypeUsesNtz(f.type); });
}

}  // namespace neuralake::delta
