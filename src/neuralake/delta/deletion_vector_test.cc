// Deletion vectors: Z85, the RoaringBitmapArray layouts, DV files, descriptors, corrupt input.
#include "neuralake/delta/deletion_vector.h"

#include <gtest/gtest.h>

#include <random>

#include "neuralake/storage/object_store_factory.h"

namespace neuralake::delta {
namespace {

std::vector<uint64_t> RowsOf(const Result<DeletionVector>& dv) {
  EXPECT_TRUE(dv.ok()) << dv.status().ToString();
  return dv.ok() ? dv->Rows() : std::vector<uint64_t>{};
}

TEST(DeletionVectorTest, Z85MatchesTheZeroMqTestVector) {
  const std::string bytes("\x86\x4F\xD2\x6F\xB5\x59\xF7\x5B", 8);
  EXPECT_EQ(Z85Encode(bytes), "HelloWorld");
  auto decoded = Z85Decode("HelloWorld");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, bytes);
  EXPECT_EQ(Z85Encode("abc"), Z85Encode(std::string("abc\0", 4)));  // padded to 4 bytes
  EXPECT_TRUE(Z85Decode("Hello").ok());
  EXPECT_TRUE(Z85Decode("Hell").status().IsCorrupt());     // not a multiple of 5
  EXPECT_TRUE(Z85Decode("Hel\"o").status().IsCorrupt());   // not in the alphabet
  EXPECT_TRUE(Z85Decode("#####").status().IsCorrupt());    // 85^5 - 1 overflows 32 bits
}

TEST(DeletionVectorTest, Crc32IsZlibs) {
  EXPECT_EQ(Crc32(""), 0u);
  EXPECT_EQ(Crc32("123456789"), 0xCBF43926u);
}

TEST(DeletionVectorTest, ProtocolInlineExampleDecodesToItsRows) {
  // PROTOCOL.md, Deletion Vectors, JSON Example 3 (native layout, big-endian framing).
  DeletionVectorDescriptor descriptor{"i", "wi5b=000010000siXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L",
                                      std::nullopt, 40, 6};
  auto store = storage::MakeMemoryObjectStore("dv-inline", "t");
  ASSERT_TRUE(store.ok());
  auto rows = ReadDeletionVector(**store, "memory://dv-inline/t", descriptor);
  EXPECT_EQ(RowsOf(rows), (std::vector<uint64_t>{3, 4, 7, 11, 18, 29}));
  descriptor.cardinality = 5;
  auto wrong = ReadDeletionVector(**store, "memory://dv-inline/t", descriptor);
  ASSERT_TRUE(wrong.status().IsCorrupt());
  EXPECT_EQ(wrong.status().message(),
            "inline deletion vector: holds 6 rows but its cardinality is 5");
}

TEST(DeletionVectorTest, PortableLayoutRoundTripsAcrossBuckets) {
  DeletionVector dv;
  std::vector<uint64_t> expected = {0, 5, 65535, 65536, 1ull << 32, (1ull << 32) + 7,
                                    (5ull << 32) + 123456};
  for (uint64_t row : expected) dv.Add(row);
  dv.Add(5);  // a row deleted twice is one deletion
  EXPECT_EQ(dv.Cardinality(), expected.size());
  std::string bytes = dv.Serialize();
  // magic 1681511377 little-endian, then a u64 bucket count of 3
  EXPECT_EQ(bytes.substr(0, 12), std::string("\xD1\xD3\x39\x64\x03\0\0\0\0\0\0\0", 12));
  auto back = DeletionVector::Deserialize(bytes);
  EXPECT_EQ(RowsOf(back), expected);
  EXPECT_TRUE(back->Contains(65536));
  EXPECT_FALSE(back->Contains(65537));
  // Inline descriptors carry the same bytes.
  DeletionVectorDescriptor inline_dv = InlineDescriptor(dv);
  EXPECT_EQ(inline_dv.size_in_bytes, static_cast<int32_t>(bytes.size()));
  EXPECT_EQ(inline_dv.cardinality, 7);
  auto store = storage::MakeMemoryObjectStore("dv-inline2", "t");
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(RowsOf(ReadDeletionVector(**store, "memory://dv-inline2/t", inline_dv)), expected);
}

TEST(DeletionVectorTest, UuidPathsFollowTheProtocolExample) {
  DeletionVectorDescriptor descriptor{"u", "ab^-aqEH.-t@S}K{vb[*k^", 4, 40, 6};
  auto path = DeletionVectorRelativePath(descriptor);
  ASSERT_TRUE(path.ok()) << path.status().ToString();
  EXPECT_EQ(*path, "ab/deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin");
  auto z85 = UuidToZ85("d2c639aa-8816-431a-aaf6-d3fe2512ff61");
  ASSERT_TRUE(z85.ok());
  EXPECT_EQ(*z85, "^-aqEH.-t@S}K{vb[*k^");
  descriptor.path_or_inline_dv = "^-aqEH.-t@S}K{vb[*k^";
  EXPECT_EQ(*DeletionVectorRelativePath(descriptor),
            "deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin");
  descriptor.path_or_inline_dv = "short";
  EXPECT_TRUE(DeletionVectorRelativePath(descriptor).status().IsCorrupt());

  DeletionVectorDescriptor absolute{"p", "s3://lake/t/x/deletion_vector_1.bin", 1, 40, 6};
  auto in_table = LocateDeletionVector(absolute, "s3://lake/t");
  ASSERT_TRUE(in_table.ok());
  EXPECT_TRUE(in_table->in_table);
  EXPECT_EQ(in_table->path, "x/deletion_vector_1.bin");
  auto outside = LocateDeletionVector(absolute, "s3://lake/other");
  ASSERT_TRUE(outside.ok());
  EXPECT_FALSE(outside->in_table);
  absolute.path_or_inline_dv = "file:///tmp/t/deletion_vector_1.bin";
  EXPECT_EQ(LocateDeletionVector(absolute, "/tmp/t")->path, "deletion_vector_1.bin");
}

class DeletionVectorFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = storage::MakeMemoryObjectStore(
        "dv-files-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()),
        "t");
    ASSERT_TRUE(store.ok());
    store_ = std::move(*store);
  }

  // Writes a DV file with `first` and `second` and returns their descriptors.
  std::vector<DeletionVectorDescriptor> WriteFile(const DeletionVector& first,
                                                  const DeletionVector& second) {
    std::vector<int32_t> offsets;
    std::string file = EncodeDeletionVectorFile({first.Serialize(), second.Serialize()}, &offsets);
    const std::string uuid = "d2c639aa-8816-431a-aaf6-d3fe2512ff61";
    auto a = OnDiskDescriptor(uuid, "ab", offsets[0],
                              static_cast<int32_t>(first.Serialize().size()),
                              static_cast<int64_t>(first.Cardinality()));
    auto b = OnDiskDescriptor(uuid, "ab", offsets[1],
                              static_cast<int32_t>(second.Serialize().size()),
                              static_cast<int64_t>(second.Cardinality()));
    EXPECT_TRUE(store_->Put(*DeletionVectorRelativePath(*a), file).ok());
    file_ = file;
    return {*a, *b};
  }

  std::unique_ptr<storage::ObjectStore> store_;
  std::string file_;
};

TEST_F(DeletionVectorFileTest, ReadsEachDvOfAFile) {
  DeletionVector first, second;
  for (uint64_t row : {1, 2, 3}) first.Add(row);
  for (uint64_t row : {10ull, 1ull << 33}) second.Add(row);
  auto descriptors = WriteFile(first, second);
  EXPECT_EQ(descriptors[0].offset, 1);
  EXPECT_EQ(RowsOf(ReadDeletionVector(*store_, "memory://x/t", descriptors[0])),
            (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(RowsOf(ReadDeletionVector(*store_, "memory://x/t", descriptors[1])),
            (std::vector<uint64_t>{10, 1ull << 33}));
}

TEST_F(DeletionVectorFileTest, CorruptFilesAreOneLineErrors) {
  DeletionVector first, second;
  first.Add(7);
  second.Add(8);
  auto descriptors = WriteFile(first, second);
  std::string key = *DeletionVectorRelativePath(descriptors[0]);
  const std::string name = "deletion vector u:ab^-aqEH.-t@S}K{vb[*k^: ";

  std::string flipped = file_;
  flipped[1 + 4 + 6] ^= 0x01;  // a bitmap byte of the first DV
  ASSERT_TRUE(store_->Put(key, flipped).ok());
  auto status = ReadDeletionVector(*store_, "memory://x/t", descriptors[0]).status();
  EXPECT_TRUE(status.IsCorrupt());
  EXPECT_EQ(status.message().rfind(name + "deletion vector: checksum mismatch", 0), 0u)
      << status.message();

  ASSERT_TRUE(store_->Put(key, file_.substr(0, file_.size() - 2)).ok());
  status = ReadDeletionVector(*store_, "memory://x/t", descriptors[1]).status();
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.message().find('\n'), std::string::npos);

  std::string version = file_;
  version[0] = 2;
  ASSERT_TRUE(store_->Put(key, version).ok());
  status = ReadDeletionVector(*store_, "memory://x/t", descriptors[0]).status();
  EXPECT_EQ(status.message(), name + "unsupported file format version 2");

  descriptors[0].size_in_bytes += 1;
  ASSERT_TRUE(store_->Put(key, file_).ok());
  status = ReadDeletionVector(*store_, "memory://x/t", descriptors[0]).status();
  EXPECT_TRUE(status.IsCorrupt());

  ASSERT_TRUE(store_->Delete(key).ok());
  EXPECT_FALSE(ReadDeletionVector(*store_, "memory://x/t", descriptors[1]).ok());
}

TEST(DeletionVectorTest, BadMagicAndTruncationAreCorrupt) {
  auto bad = DeletionVector::Deserialize(std::string("\x01\x02\x03\x04\0\0\0\0\0\0\0\0", 12));
  ASSERT_TRUE(bad.status().IsCorrupt());
  EXPECT_EQ(bad.status().message(),
            "deletion vector: bad magic 67305985 (expected 1681511377)");
  DeletionVector dv;
  for (uint64_t row = 0; row < 5000; row += 3) dv.Add(row);
  std::string bytes = dv.Serialize();
  for (size_t size = 0; size < bytes.size(); ++size) {
    EXPECT_FALSE(DeletionVector::Deserialize(bytes.substr(0, size)).ok()) << size;
  }
  EXPECT_TRUE(DeletionVector::Deserialize(bytes + "x").status().IsCorrupt());  // trailing byte
}

// Fuzz-style: random bytes, and random damage to valid bitmaps, never crash.
TEST(DeletionVectorTest, RandomAndDamagedBytesNeverCrash) {
  std::mt19937_64 random(42);
  DeletionVector dv;
  for (int i = 0; i < 300; ++i) dv.Add(random() % 200000 + (random() % 3) * (1ull << 32));
  const std::string valid = dv.Serialize();
  int accepted = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string bytes;
    if (round % 2 == 0) {
      bytes.resize(random() % 64);
      for (char& c : bytes) c = static_cast<char>(random());
      if (bytes.size() >= 4 && round % 4 == 0) bytes.replace(0, 4, valid.substr(0, 4));
    } else {
      bytes = valid.substr(0, random() % (valid.size() + 1));
      for (int flips = 1 + random() % 4; flips > 0 && !bytes.empty(); --flips) {
        bytes[random() % bytes.size()] = static_cast<char>(random());
      }
    }
    auto result = DeletionVector::Deserialize(bytes);
    if (result.ok()) {
      ++accepted;
      (void)result->Cardinality();
      (void)result->Contains(random() % 300000);
    } else {
      EXPECT_TRUE(result.status().IsCorrupt());
    }
    // The same bytes as a stored DV and as inline Z85 text.
    (void)ExtractStoredBitmap(bytes, static_cast<int32_t>(random() % 80));
    (void)Z85Decode(bytes);
  }
  EXPECT_LT(accepted, 20000);
}

}  // namespace
}  // namespace neuralake::delta

namespace neuralake::delta {
namespace {

TEST(DeletionVectorMarkRange, AgreesWithContainsAcrossBuckets) {
  DeletionVector rows;
  std::mt19937_64 random(7);
  const uint64_t high = uint64_t{1} << 32;
  for (int i = 0; i < 2000; ++i) rows.Add(random() % 5000);
  for (int i = 0; i < 200; ++i) rows.Add(high - 100 + random() % 200);  // both sides of 2^32
  rows.Add(3 * high + 5);
  for (uint64_t first : {uint64_t{0}, uint64_t{17}, uint64_t{4090}, high - 150, high, 3 * high}) {
    for (size_t count : {size_t{1}, size_t{64}, size_t{2048}, size_t{5000}}) {
      std::vector<char> marked(count);
      rows.MarkRange(first, count, reinterpret_cast<bool*>(marked.data()));
      for (size_t i = 0; i < count; ++i) {
        ASSERT_EQ(marked[i] != 0, rows.Contains(first + i)) << first << "+" << i;
      }
    }
  }
}

}  // namespace
}  // namespace neuralake::delta
