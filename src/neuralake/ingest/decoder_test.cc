#include "neuralake/ingest/decoder.h"

#include <gtest/gtest.h>

#include "neuralake/delta/schema.h"

namespace neuralake::ingest {
namespace {

using engine::ColumnKind;

RecordSchema Schema() {
  return WithKafkaColumns({{"id", ColumnKind::kInt64},
                           {"name", ColumnKind::kString},
                           {"score", ColumnKind::kDouble},
                           {"ok", ColumnKind::kBool},
                           {"at", ColumnKind::kTimestampMicros},
                           {"day", ColumnKind::kDate},
                           {"small", ColumnKind::kInt32}});
}

const engine::ColumnData& Column(const engine::ColumnBatch& batch, const std::string& name) {
  for (const auto& column : batch.columns) {
    if (column.name == name) return column;
  }
  throw std::runtime_error("no column " + name);
}

TEST(DecoderTest, MapsFieldsCastsAndFillsKafkaColumns) {
  BatchBuilder builder(Schema(), {{"user_name", "name"}}, false);
  MessageMeta meta{3, 42, 1'700'000'000'000'000};
  ASSERT_TRUE(builder
                  .Append(R"({"id": 7, "user_name": "ada", "score": 1.5, "ok": true,
                            "at": "2026-01-01T00:00:01.5Z", "day": "2026-01-02", "small": 9,
                            "unknown": [1, 2]})",
                          meta)
                  .ok());
  ASSERT_TRUE(builder.Append(R"({"id": 8.0, "score": 2, "at": 5, "name": null})",
                             MessageMeta{3, 43, 0})
                  .ok());
  EXPECT_EQ(builder.rows(), 2);
  engine::ColumnBatch batch = builder.Take(123);
  ASSERT_EQ(batch.num_rows, 2);
  EXPECT_EQ(Column(batch, "id").ints, (std::vector<int64_t>{7, 8}));
  EXPECT_EQ(Column(batch, "name").strings[0], "ada");
  EXPECT_FALSE(Column(batch, "name").IsValid(1));
  EXPECT_EQ(Column(batch, "score").doubles, (std::vector<double>{1.5, 2.0}));
  EXPECT_EQ(Column(batch, "ok").ints[0], 1);
  EXPECT_FALSE(Column(batch, "ok").IsValid(1));
  // 2026-01-01 is day 20454 since the epoch.
  EXPECT_EQ(Column(batch, "at").ints[0], 20454LL * 86'400'000'000 + 1'500'000);
  EXPECT_EQ(Column(batch, "at").ints[1], 5);
  EXPECT_EQ(Column(batch, "day").ints[0], 20455);
  EXPECT_EQ(Column(batch, kPartitionColumn).ints, (std::vector<int64_t>{3, 3}));
  EXPECT_EQ(Column(batch, kOffsetColumn).ints, (std::vector<int64_t>{42, 43}));
  EXPECT_EQ(Column(batch, kTimestampColumn).ints[0], 1'700'000'000'000'000);
  EXPECT_FALSE(Column(batch, kTimestampColumn).IsValid(1));
  EXPECT_EQ(Column(batch, kIngestedAtColumn).ints, (std::vector<int64_t>{123, 123}));
  EXPECT_EQ(builder.rows(), 0);
}

TEST(DecoderTest, BadMessagesAppendNothingAndNameTheField) {
  BatchBuilder builder(Schema(), {}, false);
  struct Case {
    const char* payload;
    const char* needle;
  } cases[] = {
      {"not json", "not valid JSON"},
      {"[1, 2]", "not a JSON object"},
      {R"({"id": "seven"})", "field 'id'"},
      {R"({"id": 1.5})", "field 'id'"},
      {R"({"score": "high"})", "field 'score'"},
      {R"({"ok": 1})", "field 'ok'"},
      {R"({"at": "yesterday"})", "field 'at'"},
      {R"({"day": "2026-13-01"})", "field 'day'"},
      {R"({"small": 4294967296})", "field 'small'"},
      {R"({"name": {"nested": true}})", "field 'name'"},
  };
  for (const auto& c : cases) {
    Status status = builder.Append(c.payload, MessageMeta{});
    ASSERT_FALSE(status.ok()) << c.payload;
    EXPECT_EQ(status.code(), StatusCode::kInvalid);
    EXPECT_NE(status.message().find(c.needle), std::string::npos)
        << c.payload << " -> " << status.message();
  }
  EXPECT_EQ(builder.rows(), 0);
  ASSERT_TRUE(builder.Append(R"({"id": 1})", MessageMeta{}).ok());
  engine::ColumnBatch batch = builder.Take(0);
  for (const auto& column : batch.columns) {
    size_t size = column.kind == ColumnKind::kDouble   ? column.doubles.size()
                  : column.kind == ColumnKind::kString ? column.strings.size()
                                                       : column.ints.size();
    EXPECT_EQ(size, 1u) << column.name;
  }
}

TEST(DecoderTest, SchemaEvolutionAddsNullableColumns) {
  BatchBuilder builder({{"id", ColumnKind::kInt64}}, {}, true);
  ASSERT_TRUE(builder.Append(R"({"id": 1})", MessageMeta{}).ok());
  ASSERT_TRUE(builder.Append(R"({"id": 2, "color": "red", "weight": 2.5})", MessageMeta{}).ok());
  ASSERT_EQ(builder.new_columns().size(), 2u);
  EXPECT_EQ(builder.new_columns()[0].name, "color");
  EXPECT_EQ(builder.new_columns()[1].kind, ColumnKind::kDouble);
  engine::ColumnBatch batch = builder.Take(0);
  ASSERT_EQ(batch.columns.size(), 3u);
  EXPECT_FALSE(Column(batch, "color").IsValid(0));
  EXPECT_EQ(Column(batch, "color").strings[1], "red");
  delta::Schema schema = DeltaSchemaFromRecord(builder.schema());
  auto back = RecordSchemaFromDelta(schema);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->size(), 3u);
}

TEST(DecoderTest, DatasetSchemasAndTimestamps) {
  auto events = RecordSchemaFromDataset("events");
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  EXPECT_GT(events->size(), 5u);
  EXPECT_FALSE(RecordSchemaFromDataset("/no/such/spec.yaml").ok());
  EXPECT_EQ(ParseTimestampMicros("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseTimestampMicros("1970-01-01 00:00:01.000001"), 1'000'001);
  // An offset is honoured: the instant is converted to UTC.
  EXPECT_EQ(ParseTimestampMicros("1970-01-01T02:00:00+02:00"), 0);
  EXPECT_EQ(ParseTimestampMicros("1970-01-01T00:00:00-01:30"), 5'400'000'000);
  EXPECT_FALSE(ParseTimestampMicros("1970-01-01T00:00:00+25:00").has_value());
  EXPECT_FALSE(ParseTimestampMicros("not a time").has_value());
}

}  // namespace
}  // namespace neuralake::ingest
