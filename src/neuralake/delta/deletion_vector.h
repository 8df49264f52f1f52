// Deletion vectors: the rows of a data file that a Delta table no longer shows.
//
// An add action may carry a DeletionVectorDescriptor (actions.h). Its rows, positions counted from
// 0 in the data file's physical order, are a 64-bit roaring bitmap serialized as Delta's
// RoaringBitmapArray and stored one of three ways:
//   `u`  a file in the table: pathOrInlineDv = [random prefix] + the file's UUID as 20 Z85 chars,
//        at <table>/<prefix>/deletion_vector_<uuid>.bin, the DV at byte `offset`;
//   `i`  inline: pathOrInlineDv is the bitmap itself, Z85-encoded (sizeInBytes before padding);
//   `p`  a file at an absolute URI, the DV at byte `offset`.
// A DV file is a version byte (1), then per DV a big-endian int32 size, the bitmap and the
// big-endian CRC-32 of the bitmap; `offset` points at the size field (1 for a file's first DV).
// The bitmap (little-endian) is the magic 1681511377 and a portable 64-bit roaring bitmap: a u64
// bucket count, then per bucket a u32 key (the high 32 bits, top bit 0) and a portable 32-bit
// roaring bitmap. We also read the older "native" layout (magic 1681511376: a u32 count of
// 32-bit bitmaps, each with a u32 size, bitmap i holding the rows of high key i), little-endian as
// Delta writes it and big-endian as in the protocol's own inline example.
//
// Every decoder here takes untrusted bytes and fails with a one-line Corrupt status (bad magic,
// checksum mismatch, truncated, cardinality mismatch), never a crash. Writing (issue 19) reuses
// the encoders: DeletionVector::Serialize, EncodeDeletionVectorFile and the descriptor makers.
//
// Thread safety: a DeletionVector is a value; const methods may run concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "neuralake/common/result.h"
#include "neuralake/delta/actions.h"
#include "neuralake/storage/object_store.h"

struct roaring_bitmap_s;

namespace neuralake::delta {

// Z85 (ZeroMQ's base 85, RFC 32) as Delta uses it: every 4 bytes, big-endian, become 5 chars.
// Encode pads `bytes` with zeros to a multiple of 4; Decode needs a multiple of 5 chars.
std::string Z85Encode(std::string_view bytes);
Result<std::string> Z85Decode(std::string_view text);

// CRC-32 (ISO-HDLC, as java.util.zip.CRC32 and zlib) of `bytes`.
uint32_t Crc32(std::string_view bytes);

// A set of row positions (64-bit roaring bitmap). Move-only value.
class DeletionVector {
 public:
  DeletionVector();
  ~DeletionVector();
  DeletionVector(DeletionVector&&) noexcept;
  DeletionVector& operator=(DeletionVector&&) noexcept;
  DeletionVector(const DeletionVector&) = delete;
  DeletionVector& operator=(const DeletionVector&) = delete;

  // Row positions must be below 2^63 (Delta keys have a zero top bit).
  void Add(uint64_t row);
  // Adds every row of `other` (a row in both stays one row).
  void Union(const DeletionVector& other);
  bool Contains(uint64_t row) const;
  // out[i] = Contains(first + i) for i < count, in time linear in count plus the deleted rows.
  void MarkRange(uint64_t first, size_t count, bool* out) const;
  uint64_t Cardinality() const;
  std::vector<uint64_t> Rows() const;  // ascending

  // Delta's RoaringBitmapArray bytes (portable layout, magic 1681511377).
  std::string Serialize() const;
  // Either layout (see the file comment); Corrupt on anything else.
  static Result<DeletionVector> Deserialize(std::string_view bytes);

 private:
  std::map<uint32_t, roaring_bitmap_s*> buckets_;  // high 32 bits -> low 32 bits (owned)
  roaring_bitmap_s* BucketFor(uint32_t key);
  void Clear();
};

// A DV file holding `bitmaps` (each DeletionVector::Serialize bytes): version byte, then per DV
// size, bytes and CRC-32. `offsets`, when given, receives each DV's offset for its descriptor.
std::string EncodeDeletionVectorFile(const std::vector<std::string>& bitmaps,
                                     std::vector<int32_t>* offsets = nullptr);

// The DV at `offset` of a DV file, given the file's bytes from that offset on (at least
// 4 + size + 4 of them): size field equal to `size_in_bytes`, CRC-32 checked.
Result<std::string> ExtractStoredBitmap(std::string_view bytes_at_offset, int32_t size_in_bytes);

// UUIDs in canonical text ("d2c639aa-8816-431a-aaf6-d3fe2512ff61") <-> 20 Z85 chars.
Result<std::string> UuidFromZ85(std::string_view z85);
Result<std::string> UuidToZ85(std::string_view uuid);

// Descriptors. `prefix` is the optional random directory of a `u` DV ("" or e.g. "ab").
Result<DeletionVectorDescriptor> OnDiskDescriptor(std::string_view uuid, std::string_view prefix,
                                                  int32_t offset, int32_t size_in_bytes,
                                                  int64_t cardinality);
DeletionVectorDescriptor InlineDescriptor(const DeletionVector& rows);
// The file name of a `u` DV below the table root: "[<prefix>/]deletion_vector_<uuid>.bin".
Result<std::string> DeletionVectorRelativePath(const DeletionVectorDescriptor& descriptor);
// Where a `u` or `p` DV lives: relative to the table root (true, a key of the table's store) or
// an absolute URI (false). Invalid for `i` and unknown storage types.
struct DeletionVectorLocation {
  std::string path;
  bool in_table = true;
};
Result<DeletionVectorLocation> LocateDeletionVector(const DeletionVectorDescriptor& descriptor,
                                                    std::string_view table_uri);

// Opens a store for an absolute `p` URI outside the table: (store, key). Unset: such DVs are
// refused (Unsupported).
using ForeignObjectOpener =
    std::function<Result<std::pair<std::unique_ptr<storage::ObjectStore>, std::string>>(
        const std::string& uri)>;

// The rows of `descriptor` for a table at `table_uri` whose store is `table_store`; the result's
// cardinality is checked against the descriptor's. Errors name the DV.
Result<DeletionVector> ReadDeletionVector(storage::ObjectStore& table_store,
                                          std::string_view table_uri,
                                          const DeletionVectorDescriptor& descriptor,
                                          const ForeignObjectOpener& open_foreign = {});

}  // namespace neuralake::delta
