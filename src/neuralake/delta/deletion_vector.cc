#include "neuralake/delta/deletion_vector.h"

#include <algorithm>

#include <roaring/roaring.h>

#include <array>
#include <cstring>

#include "neuralake/storage/location.h"

namespace neuralake::delta {

namespace {

constexpr char kZ85Alphabet[] =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
constexpr uint32_t kPortableMagic = 1681511377;
constexpr uint32_t kNativeMagic = 1681511376;
constexpr size_t kUuidZ85Length = 20;

uint32_t ReadLe32(const char* p) {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return uint32_t{b[0]} | uint32_t{b[1]} << 8 | uint32_t{b[2]} << 16 | uint32_t{b[3]} << 24;
}

uint32_t ReadBe32(const char* p) {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | uint32_t{b[3]};
}

uint64_t ReadLe64(const char* p) {
  return uint64_t{ReadLe32(p)} | uint64_t{ReadLe32(p + 4)} << 32;
}

void AppendLe32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void AppendBe32(std::string& out, uint32_t v) {
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

Status Corrupt(const std::string& message) {
  return Status::Corrupt("deletion vector: " + message);
}

// Reads one portable 32-bit roaring bitmap of at most `available` bytes; sets `used`.
Result<roaring_bitmap_t*> ReadRoaring32(const char* data, size_t available, size_t* used,
                                        const std::string& what) {
  // The container count from the header (RoaringFormatSpec), checked before libroaring allocates
  // for it: at most 65536 containers, each with 4 header bytes that must be present.
  constexpr uint32_t kCookieNoRuns = 12346, kCookieRuns = 12347;
  if (available < 8) return Corrupt(what + " is truncated");
  uint32_t cookie = ReadLe32(data);
  uint64_t containers = (cookie & 0xffff) == kCookieRuns ? (cookie >> 16) + 1
                        : cookie == kCookieNoRuns        ? ReadLe32(data + 4)
                                                         : 0;
  if (containers == 0 && cookie != kCookieNoRuns) {
    return Corrupt(what + " is not a roaring bitmap (cookie " + std::to_string(cookie) + ")");
  }
  if (containers > 65536 || 8 + 4 * containers > available) {
    return Corrupt(what + " is truncated (" + std::to_string(containers) + " containers in " +
                   std::to_string(available) + " bytes)");
  }
  size_t size = roaring_bitmap_portable_deserialize_size(data, available);
  if (size == 0 || size > available) {
    return Corrupt(what + " is not a valid roaring bitmap (truncated or damaged)");
  }
  roaring_bitmap_t* bitmap = roaring_bitmap_portable_deserialize_safe(data, size);
  if (bitmap == nullptr) return Corrupt(what + " is not a valid roaring bitmap");
  *used = size;
  return bitmap;
}

}  // namespace

std::string Z85Encode(std::string_view bytes) {
  std::string padded(bytes);
  padded.resize((bytes.size() + 3) / 4 * 4, '\0');
  std::string out;
  out.reserve(padded.size() / 4 * 5);
  for (size_t i = 0; i < padded.size(); i += 4) {
    uint32_t value = ReadBe32(padded.data() + i);
    char block[5];
    for (int j = 4; j >= 0; --j) {
      block[j] = kZ85Alphabet[value % 85];
      value /= 85;
    }
    out.append(block, 5);
  }
  return out;
}

Result<std::string> Z85Decode(std::string_view text) {
  static const std::array<int, 256> kDigits = [] {
    std::array<int, 256> digits{};
    digits.fill(-1);
    for (int i = 0; i < 85; ++i) digits[static_cast<unsigned char>(kZ85Alphabet[i])] = i;
    return digits;
  }();
  if (text.size() % 5 != 0) {
    return Corrupt("Z85 text of " + std::to_string(text.size()) +
                   " chars is not a multiple of 5");
  }
  std::string out;
  out.reserve(text.size() / 5 * 4);
  for (size_t i = 0; i < text.size(); i += 5) {
    uint64_t value = 0;
    for (size_t j = 0; j < 5; ++j) {
      int digit = kDigits[static_cast<unsigned char>(text[i + j])];
      if (digit < 0) return Corrupt("invalid Z85 character at position " + std::to_string(i + j));
      value = value * 85 + static_cast<uint64_t>(digit);
    }
    if (value > 0xffffffffULL) {
      return Corrupt("Z85 block at position " + std::to_string(i) + " overflows 32 bits");
    }
    AppendBe32(out, static_cast<uint32_t>(value));
  }
  return out;
}

uint32_t Crc32(std::string_view bytes) {
  static const std::array<uint32_t, 256> kTable = [] {
    std::array<uint32_t, 256> table{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      table[i] = c;
    }
    return table;
  }();
  uint32_t crc = 0xffffffffu;
  for (unsigned char byte : bytes) crc = kTable[(crc ^ byte) & 0xff] ^ (crc >> 8);
  return crc ^ 0xffffffffu;
}

DeletionVector::DeletionVector() = default;
DeletionVector::~DeletionVector() { Clear(); }
DeletionVector::DeletionVector(DeletionVector&& other) noexcept
    : buckets_(std::move(other.buckets_)) {
  other.buckets_.clear();
}
DeletionVector& DeletionVector::operator=(DeletionVector&& other) noexcept {
  if (this != &other) {
    Clear();
    buckets_ = std::move(other.buckets_);
    other.buckets_.clear();
  }
  return *this;
}

void DeletionVector::Clear() {
  for (auto& [key, bitmap] : buckets_) roaring_bitmap_free(bitmap);
  buckets_.clear();
}

roaring_bitmap_s* DeletionVector::BucketFor(uint32_t key) {
  auto [it, inserted] = buckets_.emplace(key, nullptr);
  if (inserted) it->second = roaring_bitmap_create();
  return it->second;
}

void DeletionVector::MarkRange(uint64_t first, size_t count, bool* out) const {
  std::fill(out, out + count, false);
  uint64_t end = first + count;  // exclusive
  for (auto it = buckets_.lower_bound(static_cast<uint32_t>(first >> 32));
       it != buckets_.end() && (static_cast<uint64_t>(it->first) << 32) < end; ++it) {
    uint64_t base = static_cast<uint64_t>(it->first) << 32;
    uint64_t low = first > base ? first - base : 0;  // first position inside this bucket
    roaring_uint32_iterator_t cursor;
    roaring_init_iterator(it->second, &cursor);
    if (!roaring_move_uint32_iterator_equalorlarger(&cursor, static_cast<uint32_t>(low))) continue;
    while (cursor.has_value) {
      uint64_t row = base + cursor.current_value;
      if (row >= end) break;
      out[row - first] = true;
      roaring_advance_uint32_iterator(&cursor);
    }
  }
}

void DeletionVector::Union(const DeletionVector& other) {
  for (const auto& [key, bitmap] : other.buckets_) roaring_bitmap_or_inplace(BucketFor(key), bitmap);
}

void DeletionVector::Add(uint64_t row) {
  roaring_bitmap_add(BucketFor(static_cast<uint32_t>(row >> 32)), static_cast<uint32_t>(row));
}

bool DeletionVector::Contains(uint64_t row) const {
  auto it = buckets_.find(static_cast<uint32_t>(row >> 32));
  return it != buckets_.end() && roaring_bitmap_contains(it->second, static_cast<uint32_t>(row));
}

uint64_t DeletionVector::Cardinality() const {
  uint64_t total = 0;
  for (const auto& [key, bitmap] : buckets_) total += roaring_bitmap_get_cardinality(bitmap);
  return total;
}

std::vector<uint64_t> DeletionVector::Rows() const {
  std::vector<uint64_t> rows;
  rows.reserve(Cardinality());
  for (const auto& [key, bitmap] : buckets_) {
    std::vector<uint32_t> low(roaring_bitmap_get_cardinality(bitmap));
    roaring_bitmap_to_uint32_array(bitmap, low.data());
    for (uint32_t value : low) rows.push_back(uint64_t{key} << 32 | value);
  }
  return rows;
}

std::string DeletionVector::Serialize() const {
  std::string out;
  AppendLe32(out, kPortableMagic);
  uint64_t buckets = 0;
  for (const auto& [key, bitmap] : buckets_) buckets += roaring_bitmap_is_empty(bitmap) ? 0 : 1;
  AppendLe32(out, static_cast<uint32_t>(buckets));
  AppendLe32(out, static_cast<uint32_t>(buckets >> 32));
  for (const auto& [key, bitmap] : buckets_) {
    if (roaring_bitmap_is_empty(bitmap)) continue;
    AppendLe32(out, key);
    size_t offset = out.size();
    out.resize(offset + roaring_bitmap_portable_size_in_bytes(bitmap));
    roaring_bitmap_portable_serialize(bitmap, out.data() + offset);
  }
  return out;
}

Result<DeletionVector> DeletionVector::Deserialize(std::string_view bytes) {
  if (bytes.size() < 4) {
    return Corrupt("truncated bitmap (" + std::to_string(bytes.size()) + " bytes)");
  }
  DeletionVector result;
  const char* p = bytes.data() + 4;
  size_t left = bytes.size() - 4;
  uint32_t magic = ReadLe32(bytes.data());
  if (magic == kPortableMagic) {
    if (left < 8) return Corrupt("truncated bitmap (no bucket count)");
    uint64_t count = ReadLe64(p);
    p += 8;
    left -= 8;
    // Each bucket takes at least a key and an empty 32-bit bitmap (8 bytes).
    if (count > left / 12) {
      return Corrupt("truncated bitmap (" + std::to_string(count) + " buckets in " +
                     std::to_string(left) + " bytes)");
    }
    int64_t previous = -1;
    for (uint64_t i = 0; i < count; ++i) {
      if (left < 4) return Corrupt("truncated bitmap (bucket " + std::to_string(i) + ")");
      uint32_t key = ReadLe32(p);
      p += 4;
      left -= 4;
      if (key & 0x80000000u) return Corrupt("bucket key " + std::to_string(key) + " is negative");
      if (static_cast<int64_t>(key) <= previous) return Corrupt("bucket keys are not ascending");
      previous = key;
      size_t used = 0;
      NL_ASSIGN_OR_RETURN(roaring_bitmap_t * bitmap,
                          ReadRoaring32(p, left, &used, "bucket " + std::to_string(key)));
      result.buckets_.emplace(key, bitmap);
      p += used;
      left -= used;
    }
  } else if (magic == kNativeMagic || ReadBe32(bytes.data()) == kNativeMagic) {
    auto read32 = magic == kNativeMagic ? ReadLe32 : ReadBe32;
    if (left < 4) return Corrupt("truncated bitmap (no bitmap count)");
    uint32_t count = read32(p);
    p += 4;
    left -= 4;
    if (count > left / 12) {
      return Corrupt("truncated bitmap (" + std::to_string(count) + " bitmaps in " +
                     std::to_string(left) + " bytes)");
    }
    for (uint32_t key = 0; key < count; ++key) {
      if (left < 4) return Corrupt("truncated bitmap (bitmap " + std::to_string(key) + ")");
      uint32_t size = read32(p);
      p += 4;
      left -= 4;
      if (size > left) return Corrupt("truncated bitmap (bitmap " + std::to_string(key) + ")");
      size_t used = 0;
      NL_ASSIGN_OR_RETURN(roaring_bitmap_t * bitmap,
                          ReadRoaring32(p, size, &used, "bitmap " + std::to_string(key)));
      result.buckets_.emplace(key, bitmap);
      p += size;
      left -= size;
    }
  } else {
    return Corrupt("bad magic " + std::to_string(static_cast<int32_t>(magic)) + " (expected " +
                   std::to_string(kPortableMagic) + ")");
  }
  if (left != 0) return Corrupt(std::to_string(left) + " trailing bytes after the bitmap");
  return result;
}

std::string EncodeDeletionVectorFile(const std::vector<std::string>& bitmaps,
                                     std::vector<int32_t>* offsets) {
  std::string out(1, '\x01');
  for (const auto& bitmap : bitmaps) {
    if (offsets) offsets->push_back(static_cast<int32_t>(out.size()));
    AppendBe32(out, static_cast<uint32_t>(bitmap.size()));
    out += bitmap;
    AppendBe32(out, Crc32(bitmap));
  }
  return out;
}

Result<std::string> ExtractStoredBitmap(std::string_view bytes, int32_t size_in_bytes) {
  if (size_in_bytes < 0) return Corrupt("negative sizeInBytes");
  if (bytes.size() < 4) return Corrupt("truncated file (no size field)");
  uint32_t stored = ReadBe32(bytes.data());
  if (stored != static_cast<uint32_t>(size_in_bytes)) {
    return Corrupt("size field " + std::to_string(stored) + " differs from sizeInBytes " +
                   std::to_string(size_in_bytes));
  }
  size_t size = static_cast<size_t>(size_in_bytes);
  if (bytes.size() < 8 + size) {
    return Corrupt("truncated file (" + std::to_string(bytes.size()) + " bytes, need " +
                   std::to_string(8 + size) + ")");
  }
  std::string_view bitmap = bytes.substr(4, size);
  uint32_t expected = ReadBe32(bytes.data() + 4 + size);
  uint32_t actual = Crc32(bitmap);
  if (expected != actual) {
    return Corrupt("checksum mismatch (stored " + std::to_string(expected) + ", computed " +
                   std::to_string(actual) + ")");
  }
  return std::string(bitmap);
}

Result<std::string> UuidFromZ85(std::string_view z85) {
  if (z85.size() != kUuidZ85Length) {
    return Corrupt("a UUID is 20 Z85 chars, got " + std::to_string(z85.size()));
  }
  NL_ASSIGN_OR_RETURN(std::string bytes, Z85Decode(z85));
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    auto byte = static_cast<unsigned char>(bytes[i]);
    out += kHex[byte >> 4];
    out += kHex[byte & 0xf];
  }
  return out;
}

Result<std::string> UuidToZ85(std::string_view uuid) {
  std::string bytes;
  int high = -1;
  for (char c : uuid) {
    if (c == '-') continue;
    int digit = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
    if (digit < 0) return Status::Invalid("not a UUID: '" + std::string(uuid) + "'");
    if (high < 0) {
      high = digit;
    } else {
      bytes.push_back(static_cast<char>(high << 4 | digit));
      high = -1;
    }
  }
  if (bytes.size() != 16 || high >= 0) {
    return Status::Invalid("not a UUID: '" + std::string(uuid) + "'");
  }
  return Z85Encode(bytes);
}

Result<DeletionVectorDescriptor> OnDiskDescriptor(std::string_view uuid, std::string_view prefix,
                                                  int32_t offset, int32_t size_in_bytes,
                                                  int64_t cardinality) {
  NL_ASSIGN_OR_RETURN(std::string encoded, UuidToZ85(uuid));
  DeletionVectorDescriptor descriptor;
  descriptor.storage_type = "u";
  descriptor.path_or_inline_dv = std::string(prefix) + encoded;
  descriptor.offset = offset;
  descriptor.size_in_bytes = size_in_bytes;
  descriptor.cardinality = cardinality;
  return descriptor;
}

DeletionVectorDescriptor InlineDescriptor(const DeletionVector& rows) {
  std::string bytes = rows.Serialize();
  DeletionVectorDescriptor descriptor;
  descriptor.storage_type = "i";
  descriptor.path_or_inline_dv = Z85Encode(bytes);
  descriptor.size_in_bytes = static_cast<int32_t>(bytes.size());
  descriptor.cardinality = static_cast<int64_t>(rows.Cardinality());
  return descriptor;
}

Result<std::string> DeletionVectorRelativePath(const DeletionVectorDescriptor& descriptor) {
  if (descriptor.storage_type != "u") {
    return Status::Invalid("deletion vector of storage type '" + descriptor.storage_type +
                           "' has no path in the table");
  }
  const std::string& text = descriptor.path_or_inline_dv;
  if (text.size() < kUuidZ85Length) {
    return Corrupt("pathOrInlineDv '" + text + "' is shorter than a Z85 UUID");
  }
  std::string prefix = text.substr(0, text.size() - kUuidZ85Length);
  NL_ASSIGN_OR_RETURN(std::string uuid, UuidFromZ85(text.substr(prefix.size())));
  return (prefix.empty() ? "" : prefix + "/") + "deletion_vector_" + uuid + ".bin";
}

namespace {

// "file:" URIs as plain paths; others unchanged; no trailing '/'.
std::string NormalizedUri(std::string_view uri) {
  std::string out(uri);
  if (out.rfind("file:", 0) == 0) {
    auto location = storage::ParseLocation(out);
    if (location.ok()) out = location->path;
  }
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

std::string Describe(const DeletionVectorDescriptor& descriptor) {
  if (descriptor.storage_type == "i") return "inline deletion vector";
  return "deletion vector " + descriptor.storage_type + ":" + descriptor.path_or_inline_dv;
}

}  // namespace

Result<DeletionVectorLocation> LocateDeletionVector(const DeletionVectorDescriptor& descriptor,
                                                    std::string_view table_uri) {
  if (descriptor.storage_type == "u") {
    NL_ASSIGN_OR_RETURN(std::string path, DeletionVectorRelativePath(descriptor));
    return DeletionVectorLocation{path, true};
  }
  if (descriptor.storage_type == "p") {
    std::string path = NormalizedUri(descriptor.path_or_inline_dv);
    std::string root = NormalizedUri(table_uri) + "/";
    if (path.rfind(root, 0) == 0) return DeletionVectorLocation{path.substr(root.size()), true};
    return DeletionVectorLocation{descriptor.path_or_inline_dv, false};
  }
  return Status::Invalid("deletion vector of storage type '" + descriptor.storage_type +
                         "' is not stored in a file");
}

Result<DeletionVector> ReadDeletionVector(storage::ObjectStore& table_store,
                                          std::string_view table_uri,
                                          const DeletionVectorDescriptor& descriptor,
                                          const ForeignObjectOpener& open_foreign) {
  auto named = [&](const Status& status) {
    return Status(status.code(), Describe(descriptor) + ": " + status.message());
  };
  if (descriptor.size_in_bytes < 0) return named(Status::Corrupt("negative sizeInBytes"));
  std::string bitmap;
  if (descriptor.storage_type == "i") {
    auto decoded = Z85Decode(descriptor.path_or_inline_dv);
    if (!decoded.ok()) return named(decoded.status());
    if (decoded->size() < static_cast<size_t>(descriptor.size_in_bytes)) {
      return named(Status::Corrupt("inline data is shorter than sizeInBytes"));
    }
    bitmap = decoded->substr(0, static_cast<size_t>(descriptor.size_in_bytes));
  } else if (descriptor.storage_type == "u" || descriptor.storage_type == "p") {
    auto location = LocateDeletionVector(descriptor, table_uri);
    if (!location.ok()) return named(location.status());
    std::unique_ptr<storage::ObjectStore> foreign;
    storage::ObjectStore* store = &table_store;
    std::string key = location->path;
    if (!location->in_table) {
      if (!open_foreign) {
        return named(Status::Unsupported("absolute path outside the table root"));
      }
      auto opened = open_foreign(location->path);
      if (!opened.ok()) return named(opened.status());
      foreign = std::move(opened->first);
      store = foreign.get();
      key = opened->second;
    }
    int32_t offset = descriptor.offset.value_or(1);
    if (offset < 1) return named(Status::Corrupt("offset " + std::to_string(offset) + " < 1"));
    int64_t length = 8 + int64_t{descriptor.size_in_bytes};
    // The file's first DV (offset 1) is read with the version byte in front of it.
    int64_t start = offset == 1 ? 0 : offset;
    auto bytes = store->GetRange(key, start, length + (offset == 1 ? 1 : 0));
    if (!bytes.ok()) return named(bytes.status());
    std::string_view view = *bytes;
    if (offset == 1) {
      if (view.empty()) return named(Status::Corrupt("empty file"));
      if (view[0] != '\x01') {
        return named(Status::Corrupt("unsupported file format version " +
                                     std::to_string(static_cast<unsigned char>(view[0]))));
      }
      view.remove_prefix(1);
    }
    auto extracted = ExtractStoredBitmap(view, descriptor.size_in_bytes);
    if (!extracted.ok()) return named(extracted.status());
    bitmap = std::move(*extracted);
  } else {
    return named(Status::Unsupported("unknown storage type '" + descriptor.storage_type + "'"));
  }
  auto rows = DeletionVector::Deserialize(bitmap);
  if (!rows.ok()) return named(rows.status());
  if (rows->Cardinality() != static_cast<uint64_t>(descriptor.cardinality)) {
    return named(Status::Corrupt("holds " + std::to_string(rows->Cardinality()) +
                                 " rows but its cardinality is " +
                                 std::to_string(descriptor.cardinality)));
  }
  return std::move(*rows);
}

}  // namespace neuralake::delta
