// S3-specific behaviour against the real MinIO started by `make services-up`.
#include <chrono>

#include <gtest/gtest.h>

#include "neuralake/storage/object_store_factory.h"
#include "neuralake/storage/s3_client.h"
#include "neuralake/storage/test_environment.h"

namespace neuralake::storage {
namespace {

std::string FreshUri() {
  return "s3://" + testing::TestBucket() + "/" + testing::UniqueName("s3-test");
}

TEST(S3ObjectStoreTest, MultipartUploadRoundTrips) {
  StorageOptions options = testing::LocalServiceStorageOptions();
  options.s3.multipart_part_size = 5 << 20;  // S3's minimum part size
  auto store = OpenObjectStore(FreshUri(), options);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto writer = (*store)->OpenWriter("big.bin");
  ASSERT_TRUE(writer.ok());
  std::string expected;
  std::string chunk(1 << 20, '\0');
  for (int i = 0; i < 23; ++i) {  // 23 MiB: four full parts and a short last one
    for (size_t j = 0; j < chunk.size(); j += 4096) chunk[j] = static_cast<char>(i + j / 4096);
    ASSERT_TRUE((*writer)->Append(chunk).ok()) << testing::kServicesHint;
    expected += chunk;
  }
  ASSERT_TRUE((*writer)->Close().ok());
  auto head = (*store)->Head("big.bin");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->size, static_cast<int64_t>(expected.size()));
  EXPECT_NE(head->etag.find('-'), std::string::npos) << "multipart ETags end in -<parts>";
  auto got = (*store)->Get("big.bin");
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(*got == expected);
  auto middle = (*store)->GetRange("big.bin", (5 << 20) - 10, 20);  // across a part boundary
  ASSERT_TRUE(middle.ok());
  EXPECT_EQ(*middle, expected.substr((5 << 20) - 10, 20));
}

TEST(S3ObjectStoreTest, AbortedMultipartLeavesNothing) {
  StorageOptions options = testing::LocalServiceStorageOptions();
  options.s3.multipart_part_size = 5 << 20;
  auto store = OpenObjectStore(FreshUri(), options);
  ASSERT_TRUE(store.ok());
  {
    auto writer = (*store)->OpenWriter("aborted.bin");
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Append(std::string(6 << 20, 'x')).ok());  // one part uploaded
  }  // dropped: aborts the upload
  EXPECT_EQ((*store)->Head("aborted.bin").status().code(), StatusCode::kNotFound);
}

TEST(S3ObjectStoreTest, WrongCredentialsAreInvalidWithAHint) {
  StorageOptions options = testing::LocalServiceStorageOptions();
  options.s3.secret_key = "wrong-secret";
  auto store = OpenObjectStore(FreshUri(), options);
  ASSERT_TRUE(store.ok());
  Status status = (*store)->Put("x", "y");
  EXPECT_EQ(status.code(), StatusCode::kInvalid) << status.ToString();
  EXPECT_NE(status.message().find("access denied"), std::string::npos) << status.ToString();
  EXPECT_NE(status.message().find("NEURALAKE_S3_SECRET_KEY"), std::string::npos);
}

TEST(S3ObjectStoreTest, MissingCredentialsAreRefusedBeforeAnyRequest) {
  StorageOptions options = testing::LocalServiceStorageOptions();
  options.s3.access_key.clear();
  auto store = OpenObjectStore(FreshUri(), options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kInvalid);
}

TEST(S3ObjectStoreTest, MissingBucketIsNotFoundNamingIt) {
  auto store = OpenObjectStore("s3://neuralake-no-such-bucket/x",
                               testing::LocalServiceStorageOptions());
  ASSERT_TRUE(store.ok());
  auto listed = (*store)->List("");
  ASSERT_FALSE(listed.ok());
  EXPECT_EQ(listed.status().code(), StatusCode::kNotFound);
  EXPECT_NE(listed.status().message().find("bucket 'neuralake-no-such-bucket' does not exist"),
            std::string::npos)
      << listed.status().ToString();
  EXPECT_EQ((*store)->Put("k", "v").code(), StatusCode::kNotFound);
}

TEST(S3ObjectStoreTest, UnreachableEndpointIsIOErrorAfterBoundedRetries) {
  StorageOptions options = testing::LocalServiceStorageOptions();
  options.s3.endpoint = "http://127.0.0.1:1";
  options.s3.max_retries = 2;
  options.s3.retry_base_delay_ms = 10;
  options.s3.connect_timeout_ms = 500;
  auto store = OpenObjectStore("s3://lake/x", options);
  ASSERT_TRUE(store.ok());
  auto start = std::chrono::steady_clock::now();
  auto got = (*store)->Get("k");
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kIOError);
  EXPECT_NE(got.status().message().find("127.0.0.1:1"), std::string::npos);
  EXPECT_NE(got.status().message().find("after 3 attempts"), std::string::npos)
      << got.status().ToString();
  EXPECT_LT(elapsed, std::chrono::seconds(10));
}

TEST(S3ObjectStoreTest, BadEndpointSyntaxIsInvalid) {
  StorageOptions options = testing::LocalServiceStorageOptions();
  options.s3.endpoint = "127.0.0.1:9000";
  EXPECT_EQ(OpenObjectStore("s3://lake/x", options).status().code(), StatusCode::kInvalid);
}

TEST(S3XmlTest, ExtractsTagsAndUnescapes) {
  std::string xml =
      "<ListBucketResult><Contents><Key>a&amp;b &lt;c&gt;</Key><Size>3</Size></Contents>"
      "<Contents><Key>caf&#233;</Key><Size>4</Size></Contents>"
      "<IsTruncated>true</IsTruncated><NextContinuationToken>t1</NextContinuationToken>"
      "</ListBucketResult>";
  auto blocks = s3xml::AllBlocks(xml, "Contents");
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(s3xml::FirstTag(blocks[0], "Key"), "a&b <c>");
  EXPECT_EQ(s3xml::FirstTag(blocks[1], "Key"), "caf\xc3\xa9");
  EXPECT_EQ(s3xml::FirstTag(xml, "NextContinuationToken"), "t1");
  EXPECT_EQ(s3xml::FirstTag(xml, "Missing"), "");
  EXPECT_EQ(s3xml::Escape("\"a&b\""), "&quot;a&amp;b&quot;");
}

}  // namespace
}  // namespace neuralake::storage
