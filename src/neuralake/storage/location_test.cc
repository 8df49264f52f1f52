#include "neuralake/storage/location.h"

#include <gtest/gtest.h>

namespace neuralake::storage {
namespace {

TEST(LocationTest, ParsesSchemes) {
  auto s3 = ParseLocation("s3://lake/events/");
  ASSERT_TRUE(s3.ok());
  EXPECT_EQ(s3->scheme, "s3");
  EXPECT_EQ(s3->bucket, "lake");
  EXPECT_EQ(s3->path, "events");
  EXPECT_EQ(s3->ToUri(), "s3://lake/events");

  auto file = ParseLocation("file:///tmp/x/../lake/");
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->scheme, "file");
  EXPECT_EQ(file->path, "/tmp/lake");

  auto plain = ParseLocation("/var/data");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->ToUri(), "file:///var/data");

  auto memory = ParseLocation("memory://t");
  ASSERT_TRUE(memory.ok());
  EXPECT_EQ(memory->bucket, "t");
  EXPECT_EQ(memory->path, "");
}

TEST(LocationTest, RejectsUnknownSchemeAndMissingBucket) {
  auto gs = ParseLocation("gs://bucket/x");
  ASSERT_FALSE(gs.ok());
  EXPECT_EQ(gs.status().code(), StatusCode::kInvalid);
  EXPECT_NE(gs.status().message().find("unknown URI scheme 'gs'"), std::string::npos);
  EXPECT_EQ(ParseLocation("s3:///x").status().code(), StatusCode::kInvalid);
  EXPECT_EQ(ParseLocation("").status().code(), StatusCode::kInvalid);
  EXPECT_EQ(ParseLocation("file://relative").status().code(), StatusCode::kInvalid);
}

TEST(LocationTest, ChildAndJoin) {
  auto s3 = ParseLocation("s3://lake/t").value();
  EXPECT_EQ(s3.Child("_delta_log/0.json").ToUri(), "s3://lake/t/_delta_log/0.json");
  auto file = ParseLocation("/tmp/t").value();
  EXPECT_EQ(file.Child("a/b").ToUri(), "file:///tmp/t/a/b");
  EXPECT_EQ(JoinKey("a/", "/b"), "a/b");
  EXPECT_EQ(JoinKey("", "b"), "b");
}

}  // namespace
}  // namespace neuralake::storage
