#include "neuralake/delta/schema.h"

#include <gtest/gtest.h>

namespace neuralake::delta {
namespace {

Schema MustParse(std::string_view text) {
  auto schema = ParseSchema(text);
  EXPECT_TRUE(schema.ok()) << schema.status().ToString();
  return schema.ok() ? *schema : Schema{};
}

Schema FromDuckDb(std::vector<std::pair<std::string, std::string>> columns) {
  auto schema = SchemaFromDuckDb(columns);
  EXPECT_TRUE(schema.ok()) << schema.status().ToString();
  return schema.ok() ? *schema : Schema{};
}

TEST(SchemaTest, RoundTripsTheProtocolExample) {
  const char* text = R"json({"type":"struct","fields":[
    {"name":"a","type":"integer","nullable":false,"metadata":{}},
    {"name":"b","type":{"type":"struct","fields":[
      {"name":"d","type":"integer","nullable":false,"metadata":{}}]},"nullable":true,"metadata":{}},
    {"name":"c","type":{"type":"array","elementType":"integer","containsNull":false},
     "nullable":true,"metadata":{}},
    {"name":"f","type":{"type":"map","keyType":"string","valueType":"string",
     "valueContainsNull":true},"nullable":true,"metadata":{"comment":"x"}},
    {"name":"g","type":"decimal(10,2)","nullable":true,"metadata":{}}]})json";
  Schema schema = MustParse(text);
  ASSERT_EQ(schema.fields.size(), 5u);
  EXPECT_FALSE(schema.fields[0].nullable);
  EXPECT_EQ(schema.fields[1].type.kind(), DataType::Kind::kStruct);
  EXPECT_FALSE(schema.fields[2].type.contains_null());
  EXPECT_EQ(schema.fields[3].metadata["comment"], "x");
  EXPECT_EQ(schema.fields[4].type.ToString(), "decimal(10,2)");
  EXPECT_EQ(MustParse(SerializeSchema(schema)), schema);
}

TEST(SchemaTest, MapsDuckDbTypes) {
  struct Case {
    const char* duckdb;
    const char* delta;
  } cases[] = {
      {"BIGINT", "long"},
      {"INTEGER", "integer"},
      {"SMALLINT", "short"},
      {"TINYINT", "byte"},
      {"VARCHAR", "string"},
      {"DOUBLE", "double"},
      {"FLOAT", "float"},
      {"BOOLEAN", "boolean"},
      {"BLOB", "binary"},
      {"DATE", "date"},
      {"TIMESTAMP", "timestamp_ntz"},
      {"TIMESTAMP WITH TIME ZONE", "timestamp"},
      {"DECIMAL(18,3)", "decimal(18,3)"},
      {"INTEGER[]", "array<integer>"},
      {"STRUCT(a INTEGER, \"b c\" VARCHAR[])", "struct<a: integer, b c: array<string>>"},
      {"MAP(VARCHAR, BIGINT)", "map<string, long>"},
      {"STRUCT(x STRUCT(y DOUBLE))[]", "array<struct<x: struct<y: double>>>"},
  };
  for (const auto& c : cases) {
    auto type = DataTypeFromDuckDb(c.duckdb);
    ASSERT_TRUE(type.ok()) << c.duckdb << ": " << type.status().ToString();
    EXPECT_EQ(type->ToString(), c.delta) << c.duckdb;
    auto back = DataTypeToDuckDb(*type);
    ASSERT_TRUE(back.ok());
    auto again = DataTypeFromDuckDb(*back);
    ASSERT_TRUE(again.ok()) << *back;
    EXPECT_EQ(*again, *type) << *back;
  }
  EXPECT_TRUE(DataTypeFromDuckDb("INTERVAL").status().IsUnsupported());
  auto schema = SchemaFromDuckDb({{"when", "INTERVAL"}});
  ASSERT_TRUE(schema.status().IsUnsupported());
  EXPECT_NE(schema.status().message().find("'when'"), std::string::npos);
}

TEST(SchemaTest, EnforcementNamesTheColumn) {
  Schema table = FromDuckDb({{"id", "BIGINT"}, {"city", "VARCHAR"}, {"fare", "DOUBLE"}});
  // Missing nullable column: fine. Narrower integer: fine.
  EXPECT_TRUE(CheckWriteCompatible(table, FromDuckDb({{"id", "INTEGER"}, {"city", "VARCHAR"}}),
                                   false)
                  .ok());
  // Extra column.
  Status extra = CheckWriteCompatible(table, FromDuckDb({{"id", "BIGINT"}, {"tip", "BIGINT"}}),
                                      false);
  ASSERT_TRUE(extra.IsInvalid());
  EXPECT_NE(extra.message().find("'tip'"), std::string::npos) << extra.message();
  EXPECT_TRUE(
      CheckWriteCompatible(table, FromDuckDb({{"id", "BIGINT"}, {"tip", "BIGINT"}}), true).ok());
  // Type mismatch names the column and both types.
  Status mismatch = CheckWriteCompatible(table, FromDuckDb({{"id", "VARCHAR"}}), false);
  ASSERT_TRUE(mismatch.IsInvalid());
  EXPECT_NE(mismatch.message().find("'id'"), std::string::npos);
  EXPECT_NE(mismatch.message().find("string"), std::string::npos);
  EXPECT_NE(mismatch.message().find("long"), std::string::npos);
  // Non-nullable column missing from the data.
  Schema strict = table;
  strict.fields[0].nullable = false;
  Status missing = CheckWriteCompatible(strict, FromDuckDb({{"city", "VARCHAR"}}), false);
  ASSERT_TRUE(missing.IsInvalid());
  EXPECT_NE(missing.message().find("'id'"), std::string::npos);
  // Case-insensitive matching.
  EXPECT_TRUE(CheckWriteCompatible(table, FromDuckDb({{"ID", "BIGINT"}}), false).ok());
}

TEST(SchemaTest, MergeAddsNullableColumnsIncludingNested) {
  Schema table = FromDuckDb({{"id", "BIGINT"}, {"s", "STRUCT(a INTEGER)"}});
  table.fields[0].nullable = false;
  Schema data = FromDuckDb({{"id", "BIGINT"}, {"s", "STRUCT(a INTEGER, b VARCHAR)"},
                            {"tip", "INTEGER"}});
  auto merged = MergeSchemas(table, data);
  ASSERT_TRUE(merged.ok()) << merged.status().ToString();
  ASSERT_EQ(merged->fields.size(), 3u);
  EXPECT_FALSE(merged->fields[0].nullable);
  EXPECT_EQ(merged->fields[1].type.ToString(), "struct<a: integer, b: string>");
  EXPECT_EQ(merged->fields[2].name, "tip");
  EXPECT_TRUE(merged->fields[2].nullable);

  auto bad = MergeSchemas(table, FromDuckDb({{"id", "VARCHAR"}}));
  ASSERT_TRUE(bad.status().IsInvalid());
  EXPECT_NE(bad.status().message().find("'id'"), std::string::npos);
}

TEST(SchemaTest, DetectsTimestampNtz) {
  EXPECT_TRUE(UsesTimestampNtz(FromDuckDb({{"t", "STRUCT(x TIMESTAMP)"}})));
  EXPECT_FALSE(UsesTimestampNtz(FromDuckDb({{"t", "TIMESTAMP WITH TIME ZONE"}})));
}

TEST(SchemaTest, CorruptSchemaString) {
  EXPECT_TRUE(ParseSchema("{").status().IsCorrupt());
  EXPECT_TRUE(ParseSchema(R"({"type":"struct"})").status().IsCorrupt());
}

}  // namespace
}  // namespace neuralake::delta
