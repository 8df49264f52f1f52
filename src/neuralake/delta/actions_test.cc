#include "neuralake/delta/actions.h"

#include <gtest/gtest.h>

namespace neuralake::delta {
namespace {

TEST(ActionsTest, RoundTripsEveryActionType) {
  Protocol protocol;
  protocol.min_reader_version = 3;
  protocol.min_writer_version = 7;
  protocol.reader_features = std::vector<std::string>{"timestampNtz"};
  protocol.writer_features = std::vector<std::string>{"timestampNtz", "appendOnly"};

  Metadata metadata;
  metadata.id = "af23c9d7-fff1-4a5a-a2c8-55c59bd782aa";
  metadata.name = "trips";
  metadata.schema_string = R"({"type":"struct","fields":[]})";
  metadata.partition_columns = {"city"};
  metadata.configuration = {{"delta.appendOnly", "false"}};
  metadata.created_time = 1700000000000;

  AddFile add;
  add.path = "city=san jose/part-0001 x.parquet";
  add.partition_values = {{"city", "san jose"}, {"day", std::nullopt}};
  add.size = 1234;
  add.modification_time = 1700000000001;
  add.stats = R"({"numRecords":3})";
  add.tags = std::map<std::string, std::string>{{"k", "v"}};

  RemoveFile remove = RemoveFor(add, 1700000000002);

  SetTransaction txn{"app-1", 42, 1700000000003};
  CommitInfo info;
  info.fields = {{"timestamp", 1700000000004}, {"operation", "WRITE"}, {"custom", {{"x", 1}}}};
  DomainMetadata domain{"delta.rowTracking", R"({"rowIdHighWaterMark":4})", false};
  UnknownAction cdc{"cdc", {{"path", "_change_data/x.parquet"}, {"size", 1}}};

  std::vector<Action> actions = {protocol, metadata, add, remove, txn, info, domain, cdc};
  std::string text = SerializeCommit(actions);
  auto parsed = ParseCommit(text, "00000000000000000001.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->size(), actions.size());
  for (size_t i = 0; i < actions.size(); ++i) {
    EXPECT_EQ((*parsed)[i], actions[i]) << "action " << i << ": " << SerializeAction(actions[i]);
  }
  EXPECT_EQ(std::get<CommitInfo>((*parsed)[5]).Timestamp(), 1700000000004);
  EXPECT_EQ(std::get<CommitInfo>((*parsed)[5]).Operation(), "WRITE");
}

TEST(ActionsTest, PathsAreUriEncodedOnWriteAndDecodedOnRead) {
  AddFile add;
  add.path = "date=2024-01-01 10:00:00/part 1%.parquet";
  std::string line = SerializeAction(add);
  EXPECT_NE(line.find(R"("path":"date=2024-01-01%2010%3A00%3A00/part%201%25.parquet")"),
            std::string::npos)
      << line;
  auto parsed = ParseAction(line);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(std::get<AddFile>(*parsed).path, add.path);

  EXPECT_EQ(*DecodePath("a%20b%2Fc"), "a b/c");
  EXPECT_TRUE(DecodePath("bad%2").status().IsCorrupt());
  EXPECT_TRUE(DecodePath("bad%zz").status().IsCorrupt());
  EXPECT_TRUE(IsAbsolutePath("s3://bucket/x.parquet"));
  EXPECT_TRUE(IsAbsolutePath("file:/tmp/x.parquet"));
  EXPECT_FALSE(IsAbsolutePath("city=a:b/x.parquet"));
  EXPECT_FALSE(IsAbsolutePath("part-1.parquet"));
}

TEST(ActionsTest, ToleratesUnknownActionsAndFieldsAndNulls) {
  auto unknown = ParseAction(R"({"checkpointMetadata":{"version":3}})");
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(std::get<UnknownAction>(*unknown).key, "checkpointMetadata");

  // A checkpoint row rendered as JSON: the other action columns are null.
  auto add = ParseAction(
      R"({"txn":null,"add":{"path":"a.parquet","partitionValues":{"p":""},"size":5,)"
      R"("modificationTime":7,"dataChange":false,"stats":null,"tags":null,)"
      R"("deletionVector":null,"futureField":{"x":1}},"remove":null,"metaData":null})");
  ASSERT_TRUE(add.ok()) << add.status().ToString();
  const auto& file = std::get<AddFile>(*add);
  EXPECT_EQ(file.path, "a.parquet");
  EXPECT_EQ(file.size, 5);
  EXPECT_FALSE(file.data_change);
  EXPECT_FALSE(file.stats.has_value());
  // An empty partition value is null.
  EXPECT_EQ(file.partition_values.at("p"), std::nullopt);
}

TEST(ActionsTest, CorruptLinesNameTheFileAndLine) {
  std::string text = "{\"commitInfo\":{}}\n{\"add\":{\"path\":\"x\"}}\n{not json\n";
  auto parsed = ParseCommit(text, "_delta_log/00000000000000000007.json");
  ASSERT_TRUE(parsed.status().IsCorrupt());
  EXPECT_NE(parsed.status().message().find("00000000000000000007.json line 3"), std::string::npos)
      << parsed.status().message();

  auto missing = ParseCommit("{\"add\":{\"size\":1}}\n", "v.json");
  ASSERT_TRUE(missing.status().IsCorrupt());
  EXPECT_NE(missing.status().message().find("'path'"), std::string::npos);

  auto two_keys = ParseAction(R"({"add":{"path":"a"},"remove":{"path":"a"}})");
  EXPECT_TRUE(two_keys.status().IsCorrupt());
}

TEST(ActionsTest, LogicalKeyIncludesDeletionVector) {
  AddFile plain;
  plain.path = "a.parquet";
  AddFile with_dv = plain;
  with_dv.deletion_vector = DeletionVectorDescriptor{"u", "ab^-aqEH.-t@S}K{vb[*k^", 4, 40, 6};
  EXPECT_EQ(plain.LogicalKey(), "a.parquet");
  EXPECT_NE(with_dv.LogicalKey(), plain.LogicalKey());
  EXPECT_EQ(with_dv.deletion_vector->UniqueId(), "uab^-aqEH.-t@S}K{vb[*k^@4");
}

}  // namespace
}  // namespace neuralake::delta
