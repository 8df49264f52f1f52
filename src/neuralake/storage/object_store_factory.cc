#include "neuralake/storage/object_store_factory.h"

namespace neuralake::storage {

Result<std::unique_ptr<ObjectStore>> OpenObjectStore(std::string_view uri,
                                                     const StorageOptions& options) {
  NL_ASSIGN_OR_RETURN(Location location, ParseLocation(uri));
  return OpenObjectStore(location, options);
}

Result<std::unique_ptr<ObjectStore>> OpenObjectStore(const Location& location,
                                                     const StorageOptions& options) {
  if (location.scheme == "file") return MakeLocalObjectStore(location.path);
  if (location.scheme == "memory") return MakeMemoryObjectStore(location.bucket, location.path);
  if (location.scheme == "s3") return MakeS3ObjectStore(location, options.s3);
  return Status::Invalid("unknown URI scheme '" + location.scheme + "'");
}

Result<StoreAndKey> OpenObjectStoreForKey(std::string_view uri, const StorageOptions& options) {
  NL_ASSIGN_OR_RETURN(Location location, ParseLocation(uri));
  StoreAndKey out;
  if (location.scheme == "file") {
    out.key = location.path.size() > 1 ? location.path.substr(1) : "";
    location.path = "/";
  } else {
    out.key = location.path;
    location.path.clear();
  }
  NL_ASSIGN_OR_RETURN(out.store, OpenObjectStore(location, options));
  return out;
}

}  // namespace neuralake::storage
