// Opening object stores from URIs.
//
// OpenObjectStore("s3://lake/events", options) returns a store rooted at that prefix, so key
// "_delta_log/0.json" is s3://lake/events/_delta_log/0.json. Stores are independent objects; the
// "memory" backend shares one process-wide namespace per name, so two stores opened on
// "memory://t" see the same objects. Thread-safe.
#pragma once

#include <memory>
#include <string_view>

#include "neuralake/common/result.h"
#include "neuralake/storage/location.h"
#include "neuralake/storage/object_store.h"
#include "neuralake/storage/storage_options.h"

namespace neuralake::storage {

Result<std::unique_ptr<ObjectStore>> OpenObjectStore(std::string_view uri,
                                                     const StorageOptions& options);
Result<std::unique_ptr<ObjectStore>> OpenObjectStore(const Location& location,
                                                     const StorageOptions& options);

// For commands that name one object or prefix ("s3://lake/a/b.txt", "/tmp/x"): a store rooted at
// the bucket (S3, memory) or at "/" (local files), and the key of the object within it.
struct StoreAndKey {
  std::unique_ptr<ObjectStore> store;
  std::string key;
};
Result<StoreAndKey> OpenObjectStoreForKey(std::string_view uri, const StorageOptions& options);

// Backends (declared here so the factory is the one place that knows them all).
Result<std::unique_ptr<ObjectStore>> MakeLocalObjectStore(const std::string& root_directory);
Result<std::unique_ptr<ObjectStore>> MakeMemoryObjectStore(const std::string& name,
                                                           const std::string& prefix);
// Implemented in s3_object_store.cc. Fails with Invalid on bad options; does no network I/O.
Result<std::unique_ptr<ObjectStore>> MakeS3ObjectStore(const Location& location,
                                                       const S3Options& options);

}  // namespace neuralake::storage
