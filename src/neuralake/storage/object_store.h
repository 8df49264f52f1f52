// ObjectStore: the only component that touches bytes at rest.
//
// A store is rooted at a location (a directory, an S3 bucket plus optional prefix, or a named
// in-memory namespace). Keys are relative to that root, use '/' as separator and never start with
// '/'. Objects are immutable blobs: a Put replaces a whole object, there is no append. The one
// atomic primitive is PutIfAbsent, on which Delta commits are built: exactly one of many racing
// callers succeeds and every other gets StatusCode::kConflict.
//
// Thread safety: every method may be called concurrently from many threads on one instance.
// Ownership: callers own the returned buffers; writers must be Closed or Aborted.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "neuralake/common/result.h"
#include "neuralake/common/status.h"

namespace neuralake::storage {

struct ObjectInfo {
  std::string key;            // relative to the store's root
  int64_t size = 0;           // bytes
  int64_t modified_ms = 0;    // last-modified, milliseconds since the Unix epoch
  std::string etag;           // backend-defined; may be empty
};

struct ListPage {
  std::vector<ObjectInfo> objects;  // sorted by key (byte order)
  std::string next_token;           // empty when this was the last page
};

// Sequential writer for one object. Bytes become visible only at Close(), all at once; a writer
// destroyed without Close() aborts (nothing becomes visible). A writer borrows its store: it must
// not outlive the ObjectStore that opened it.
class ObjectWriter {
 public:
  virtual ~ObjectWriter() = default;
  virtual Status Append(std::string_view data) = 0;
  virtual Status Close() = 0;
  virtual Status Abort() = 0;
  virtual int64_t BytesWritten() const = 0;
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // The URI this store is rooted at, e.g. "s3://lake/events" or "file:///tmp/lake".
  virtual std::string RootUri() const = 0;

  // Whole object. NotFound if absent.
  virtual Result<std::string> Get(std::string_view key) = 0;

  // Bytes [offset, offset+length) of an object; shorter if the object ends first.
  virtual Result<std::string> GetRange(std::string_view key, int64_t offset, int64_t length) = 0;

  // Metadata of one object. NotFound if absent.
  virtual Result<ObjectInfo> Head(std::string_view key) = 0;

  // Creates or replaces an object atomically (readers see the old or the new bytes, never a mix).
  virtual Status Put(std::string_view key, std::string_view data) = 0;

  // Creates an object only if no object has that key. Conflict if one does. Atomic across
  // threads and processes (and, on S3, across machines).
  virtual Status PutIfAbsent(std::string_view key, std::string_view data) = 0;

  // One page of keys starting with `prefix` (plain prefix match, not a directory listing),
  // continuing after `token` (empty for the first page). At most `max_keys` entries.
  virtual Result<ListPage> ListPaged(std::string_view prefix, std::string_view token,
                                     int max_keys) = 0;

  // Deletes an object. Deleting an absent key is OK (idempotent, as on S3).
  virtual Status Delete(std::string_view key) = 0;

  // Streams an object of unknown size (multipart upload on S3 for large objects).
  virtual Result<std::unique_ptr<ObjectWriter>> OpenWriter(std::string_view key) = 0;

  // All keys with `prefix`, following pagination; sorted by key.
  Result<std::vector<ObjectInfo>> List(std::string_view prefix);

  // Keys with `prefix` that sort strictly after `start_after` (used to list Delta commits newer
  // than a known version). Default implementation filters List(); backends may do better.
  virtual Result<std::vector<ObjectInfo>> ListAfter(std::string_view prefix,
                                                    std::string_view start_after);
};

}  // namespace neuralake::storage
