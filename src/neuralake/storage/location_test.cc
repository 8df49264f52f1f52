#include "neuralake/storage/location.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

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

// Each of these is refused with Invalid and a one-line message containing `fragment`.
TEST(LocationTest, RefusesMalformedUris) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"s3://", "missing bucket"},
      {"s3:", "malformed URI 's3:'"},
      {"s3:/x", "malformed URI 's3:/x'"},
      {"s3:lake/x", "malformed URI"},
      {"gs://bucket/x", "unknown URI scheme 'gs'"},
      {"http://host/x", "unknown URI scheme 'http'"},
      {"://x", "malformed URI"},
      {"s3://lake/../../etc", "'..' path segments are not allowed"},
      {"s3://lake/a/./b", "'.' path segments are not allowed"},
      {"s3://lake/a/..", "'..' path segments"},
      {"memory://ns/a/../b", "'..' path segments"},
      {"s3://lake/a//b", "empty path segment"},
      {"s3://lake//a", "empty path segment"},
      {"s3://Lake/a", "invalid S3 bucket name 'Lake'"},
      {"s3://la/a", "invalid S3 bucket name 'la'"},
      {"s3://lake_1/a", "invalid S3 bucket name"},
      {"s3://-lake/a", "invalid S3 bucket name"},
      {"s3://..", "invalid S3 bucket name"},
      {"s3://lake/a\nb", "control character"},
      {std::string("/tmp/a\tb"), "control character"},
      {std::string("s3://lake/a\x7f"), "control character"},
  };
  for (const auto& [uri, fragment] : cases) {
    auto parsed = ParseLocation(uri);
    ASSERT_FALSE(parsed.ok()) << uri << " parsed as " << parsed->ToUri();
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalid) << uri;
    EXPECT_NE(parsed.status().message().find(fragment), std::string::npos)
        << uri << ": " << parsed.status().message();
    EXPECT_EQ(parsed.status().message().find('\n'), std::string::npos) << uri;
  }
}

TEST(LocationTest, AcceptsWellFormedUris) {
  EXPECT_EQ(ParseLocation("s3://lake/a/b/").value().path, "a/b");
  EXPECT_EQ(ParseLocation("s3://lake").value().path, "");
  EXPECT_EQ(ParseLocation("s3://lake/").value().path, "");
  EXPECT_EQ(ParseLocation("s3://my.lake-01/p=a%2Fb/x..y/.hidden").value().path,
            "p=a%2Fb/x..y/.hidden");
  EXPECT_EQ(ParseLocation("s3a://lake/t").value().ToUri(), "s3://lake/t");
  EXPECT_EQ(ParseLocation("memory://Some_NS/t").value().bucket, "Some_NS");
  // Local paths are normalized, not refused; one that merely contains ':' later is a path.
  EXPECT_EQ(ParseLocation("/tmp/a/../b").value().path, "/tmp/b");
  EXPECT_EQ(ParseLocation("./s3:").value().scheme, "file");
  EXPECT_EQ(ParseLocation("/data/s3:/x").value().path, "/data/s3:/x");
  EXPECT_EQ(ParseLocation("2024-01-01T10:00").value().scheme, "file");
}

TEST(LocationTest, TablesDoNotLiveAtRoots) {
  Status bucket = CheckTableLocation(ParseLocation("s3://lake").value());
  ASSERT_TRUE(bucket.IsInvalid());
  EXPECT_NE(bucket.message().find("bucket root"), std::string::npos) << bucket.message();
  EXPECT_TRUE(CheckTableLocation(ParseLocation("s3://lake/").value()).IsInvalid());
  EXPECT_TRUE(CheckTableLocation(ParseLocation("/").value()).IsInvalid());
  EXPECT_TRUE(CheckTableLocation(ParseLocation("s3://lake/t").value()).ok());
  EXPECT_TRUE(CheckTableLocation(ParseLocation("/tmp/t").value()).ok());
  EXPECT_TRUE(CheckTableLocation(ParseLocation("memory://t").value()).ok());
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
