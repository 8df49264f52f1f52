// Delta table schemas: the JSON `schemaString` of a metaData action, in typed form.
//
// A Schema is the top-level struct of a table: an ordered list of StructFields, each with a
// DataType (primitive, decimal, struct, array or map), nullability and free-form metadata (column
// mapping, invariants, ...). This file converts schemas to and from the Delta JSON form and to and
// from DuckDB type names (the engine speaks those), and decides whether data with one schema may
// be written into a table with another (enforcement) or how to widen the table (merge).
//
// Plain value types; no I/O; thread-compatible.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "neuralake/common/result.h"

namespace neuralake::delta {

struct StructField;

class DataType {
 public:
  enum class Kind { kPrimitive, kDecimal, kStruct, kArray, kMap };

  DataType() = default;
  // "string", "long", "integer", "short", "byte", "float", "double", "boolean", "binary", "date",
  // "timestamp", "timestamp_ntz" (others, e.g. "variant", are kept verbatim).
  static DataType Primitive(std::string name);
  static DataType Decimal(int precision, int scale);
  static DataType Struct(std::vector<StructField> fields);
  static DataType Array(DataType element, bool contains_null = true);
  static DataType Map(DataType key, DataType value, bool value_contains_null = true);

  Kind kind() const { return kind_; }
  bool IsPrimitive(std::string_view name) const {
    return kind_ == Kind::kPrimitive && name_ == name;
  }
  const std::string& name() const { return name_; }  // primitive name; "decimal"/"struct"/...
  int precision() const { return precision_; }
  int scale() const { return scale_; }
  const std::vector<StructField>& fields() const { return fields_; }
  std::vector<StructField>& mutable_fields() { return fields_; }
  const DataType& element() const { return children_.at(0); }  // array
  const DataType& key() const { return children_.at(0); }      // map
  const DataType& value() const { return children_.at(1); }    // map
  bool contains_null() const { return contains_null_; }        // array elements / map values

  // Readable form for messages: "long", "decimal(10,2)", "struct<a: long>", "array<string>".
  std::string ToString() const;
  bool operator==(const DataType& other) const;

 private:
  Kind kind_ = Kind::kPrimitive;
  std::string name_ = "string";
  int precision_ = 0;
  int scale_ = 0;
  std::vector<StructField> fields_;
  std::vector<DataType> children_;
  bool contains_null_ = true;
};

struct StructField {
  std::string name;
  DataType type;
  bool nullable = true;
  nlohmann::json metadata = nlohmann::json::object();

  bool operator==(const StructField& other) const = default;
};

struct Schema {
  std::vector<StructField> fields;

  // Exact name match first, then case-insensitive (Delta names are unique ignoring case).
  const StructField* Find(std::string_view name) const;
  std::vector<std::string> FieldNames() const;
  bool operator==(const Schema& other) const = default;
};

// Delta JSON (`{"type":"struct","fields":[...]}`) <-> Schema. Parse errors are Corrupt.
Result<Schema> ParseSchema(std::string_view schema_string);
std::string SerializeSchema(const Schema& schema);
nlohmann::json DataTypeToJson(const DataType& type);
Result<DataType> DataTypeFromJson(const nlohmann::json& json);

// DuckDB type names ("BIGINT", "DECIMAL(18,3)", "STRUCT(a INTEGER, \"b c\" VARCHAR[])",
// "MAP(VARCHAR, BIGINT)", "TIMESTAMP WITH TIME ZONE") <-> Delta types. Types with no Delta
// equivalent (INTERVAL, UNION, UBIGINT, ...) are Unsupported.
Result<DataType> DataTypeFromDuckDb(std::string_view duckdb_type);
Result<std::string> DataTypeToDuckDb(const DataType& type);

// A schema from (column name, DuckDB type) pairs, as an engine query reports them. All fields
// nullable. Unsupported names the column.
Result<Schema> SchemaFromDuckDb(const std::vector<std::pair<std::string, std::string>>& columns);

// Whether a value of type `from` can be written into a column of type `to` without loss
// (identical types, integer widening byte->short->integer->long, float->double, decimal widening,
// and structurally for nested types).
bool IsLosslessWidening(const DataType& from, const DataType& to);

enum class SchemaMode {
  kEnforce,    // data must fit the table schema
  kMerge,      // new columns are added to the table schema
  kOverwrite,  // (overwrite only) the data's schema replaces the table's
};
Result<SchemaMode> ParseSchemaMode(std::string_view text);

// Schema enforcement for writes. OK when every data column exists in the table with a type that
// widens losslessly to the table's; table columns missing from the data must be nullable.
// Otherwise Invalid naming the column (and both types on a type mismatch). With
// `allow_new_columns`, data columns unknown to the table are accepted (merge mode).
Status CheckWriteCompatible(const Schema& table, const Schema& data, bool allow_new_columns);

// The table schema widened by the data's new columns (appended at the end, nullable), recursing
// into structs. Fails like CheckWriteCompatible on type mismatches.
Result<Schema> MergeSchemas(const Schema& table, const Schema& data);

// Column mapping (name/id modes): the name of `field` inside the data files, its
// `delta.columnMapping.physicalName` metadata when set, else its name.
std::string PhysicalFieldName(const StructField& field);
// `type` with every struct field at every depth (struct fields, array elements, map keys and
// values) renamed to its physical name: the type as the data files of a column-mapped table hold it.
DataType PhysicalDataType(const DataType& type);

// Columns of `schema` whose type (at any depth) is timestamp_ntz: they need the table feature.
bool UsesTimestampNtz(const Schema& schema);

}  // namespace neuralake::delta
