#include "neuralake/engine/object_store_file_system.h"

#include <cstring>

#include "duckdb/common/exception.hpp"

namespace neuralake::engine {
namespace {

class ObjectFileHandle : public duckdb::FileHandle {
 public:
  ObjectFileHandle(duckdb::FileSystem& file_system, const std::string& path,
                   duckdb::FileOpenFlags flags, std::shared_ptr<storage::ObjectStore> store,
                   std::string key)
      : duckdb::FileHandle(file_system, path, flags), store(std::move(store)),
        key(std::move(key)) {}
  ~ObjectFileHandle() override {
    if (writer) (void)writer->Abort();  // never closed: publish nothing
  }

  void Close() override {
    if (!writer) return;
    Status status = writer->Close();
    writer.reset();
    if (!status.ok()) throw duckdb::IOException("writing '%s': %s", path, status.ToString());
  }

  std::shared_ptr<storage::ObjectStore> store;
  std::string key;
  int64_t size = 0;
  int64_t modified_ms = 0;
  int64_t position = 0;
  std::unique_ptr<storage::ObjectWriter> writer;
};

ObjectFileHandle& AsObject(duckdb::FileHandle& handle) {
  return handle.Cast<ObjectFileHandle>();
}

[[noreturn]] void ThrowStatus(const std::string& path, const Status& status) {
  throw duckdb::IOException("%s: %s", path, status.ToString());
}

}  // namespace

bool ObjectStoreFileSystem::CanHandleFile(const std::string& path) {
  return path.rfind("s3://", 0) == 0 || path.rfind("s3a://", 0) == 0 ||
         path.rfind("memory://", 0) == 0;
}

std::pair<std::shared_ptr<storage::ObjectStore>, std::string> ObjectStoreFileSystem::Resolve(
    const std::string& path) {
  auto location = storage::ParseLocation(path);
  if (!location.ok()) ThrowStatus(path, location.status());
  storage::Location root{location->scheme, location->bucket, ""};
  std::string root_uri = root.ToUri();
  std::lock_guard lock(mutex_);
  auto it = stores_.find(root_uri);
  if (it == stores_.end()) {
    auto store = opener_(root);
    if (!store.ok()) ThrowStatus(path, store.status());
    it = stores_.emplace(root_uri, std::move(store).value()).first;
  }
  return {it->second, location->path};
}

duckdb::unique_ptr<duckdb::FileHandle> ObjectStoreFileSystem::OpenFile(
    const std::string& path, duckdb::FileOpenFlags flags,
    duckdb::optional_ptr<duckdb::FileOpener> opener) {
  return OpenFileExtended(duckdb::OpenFileInfo(path), flags, opener);
}

duckdb::unique_ptr<duckdb::FileHandle> ObjectStoreFileSystem::OpenFileExtended(
    const duckdb::OpenFileInfo& file, duckdb::FileOpenFlags flags,
    duckdb::optional_ptr<duckdb::FileOpener> opener) {
  const std::string& path = file.path;
  auto [store, key] = Resolve(path);
  auto handle = duckdb::make_uniq<ObjectFileHandle>(*this, path, flags, store, key);
  if (flags.OpenForWriting()) {
    if (flags.OpenForAppending()) {
      throw duckdb::NotImplementedException("appending to object '%s' is not supported", path);
    }
    auto writer = store->OpenWriter(key);
    if (!writer.ok()) ThrowStatus(path, writer.status());
    handle->writer = std::move(writer).value();
    return std::move(handle);
  }
  if (file.extended_info) {
    const auto& known = file.extended_info->options;
    auto size = known.find("file_size");
    auto modified = known.find("last_modified");
    if (size != known.end() && !size->second.IsNull()) {
      handle->size = size->second.GetValue<int64_t>();
      handle->modified_ms =
          modified != known.end() && !modified->second.IsNull()
              ? duckdb::Timestamp::GetEpochMs(modified->second.GetValue<duckdb::timestamp_t>())
              : 0;
      return std::move(handle);
    }
  }
  auto info = store->Head(key);
  if (!info.ok()) {
    if (info.status().IsNotFound() && flags.ReturnNullIfNotExists()) return nullptr;
    ThrowStatus(path, info.status());
  }
  handle->size = info->size;
  handle->modified_ms = info->modified_ms;
  return std::move(handle);
}

void ObjectStoreFileSystem::Read(duckdb::FileHandle& handle, void* buffer, int64_t nr_bytes,
                                 duckdb::idx_t location) {
  auto& object = AsObject(handle);
  if (nr_bytes <= 0) return;
  auto bytes = object.store->GetRange(object.key, static_cast<int64_t>(location), nr_bytes);
  if (!bytes.ok()) ThrowStatus(object.path, bytes.status());
  if (static_cast<int64_t>(bytes->size()) != nr_bytes) {
    throw duckdb::IOException("%s: short read at offset %llu: wanted %lld bytes, got %llu",
                              object.path, location, nr_bytes, bytes->size());
  }
  std::memcpy(buffer, bytes->data(), bytes->size());
}

int64_t ObjectStoreFileSystem::Read(duckdb::FileHandle& handle, void* buffer, int64_t nr_bytes) {
  auto& object = AsObject(handle);
  int64_t available = std::max<int64_t>(0, object.size - object.position);
  int64_t wanted = std::min(nr_bytes, available);
  if (wanted <= 0) return 0;
  auto bytes = object.store->GetRange(object.key, object.position, wanted);
  if (!bytes.ok()) ThrowStatus(object.path, bytes.status());
  std::memcpy(buffer, bytes->data(), bytes->size());
  object.position += static_cast<int64_t>(bytes->size());
  return static_cast<int64_t>(bytes->size());
}

void ObjectStoreFileSystem::Write(duckdb::FileHandle& handle, void* buffer, int64_t nr_bytes,
                                  duckdb::idx_t location) {
  auto& object = AsObject(handle);
  if (!object.writer) throw duckdb::IOException("%s is not open for writing", object.path);
  if (static_cast<int64_t>(location) != object.writer->BytesWritten()) {
    throw duckdb::NotImplementedException(
        "%s: objects are written sequentially (write at %llu, end is %lld)", object.path,
        location, object.writer->BytesWritten());
  }
  Write(handle, buffer, nr_bytes);
}

int64_t ObjectStoreFileSystem::Write(duckdb::FileHandle& handle, void* buffer, int64_t nr_bytes) {
  auto& object = AsObject(handle);
  if (!object.writer) throw duckdb::IOException("%s is not open for writing", object.path);
  Status status = object.writer->Append(
      std::string_view(static_cast<const char*>(buffer), static_cast<size_t>(nr_bytes)));
  if (!status.ok()) ThrowStatus(object.path, status);
  object.position += nr_bytes;
  return nr_bytes;
}

int64_t ObjectStoreFileSystem::GetFileSize(duckdb::FileHandle& handle) {
  auto& object = AsObject(handle);
  return object.writer ? object.writer->BytesWritten() : object.size;
}

duckdb::timestamp_t ObjectStoreFileSystem::GetLastModifiedTime(duckdb::FileHandle& handle) {
  return duckdb::Timestamp::FromEpochMs(AsObject(handle).modified_ms);
}

void ObjectStoreFileSystem::Seek(duckdb::FileHandle& handle, duckdb::idx_t location) {
  AsObject(handle).position = static_cast<int64_t>(location);
}

duckdb::idx_t ObjectStoreFileSystem::SeekPosition(duckdb::FileHandle& handle) {
  return static_cast<duckdb::idx_t>(AsObject(handle).position);
}

bool ObjectStoreFileSystem::FileExists(const std::string& filename,
                                       duckdb::optional_ptr<duckdb::FileOpener> opener) {
  auto [store, key] = Resolve(filename);
  if (key.empty()) return false;
  auto info = store->Head(key);
  if (info.ok()) return true;
  if (info.status().IsNotFound()) return false;
  ThrowStatus(filename, info.status());
}

void ObjectStoreFileSystem::RemoveFile(const std::string& filename,
                                       duckdb::optional_ptr<duckdb::FileOpener> opener) {
  auto [store, key] = Resolve(filename);
  Status status = store->Delete(key);
  if (!status.ok()) ThrowStatus(filename, status);
}

bool ObjectStoreFileSystem::TryRemoveFile(const std::string& filename,
                                          duckdb::optional_ptr<duckdb::FileOpener> opener) {
  auto [store, key] = Resolve(filename);
  return store->Delete(key).ok();
}

bool ObjectStoreFileSystem::ListFiles(const std::string& directory,
                                      const std::function<void(const std::string&, bool)>& callback,
                                      duckdb::FileOpener* opener) {
  auto [store, key] = Resolve(directory);
  std::string prefix = key.empty() || key.back() == '/' ? key : key + "/";
  auto objects = store->List(prefix);
  if (!objects.ok()) ThrowStatus(directory, objects.status());
  std::string last_directory;
  for (const auto& object : *objects) {
    std::string rest = object.key.substr(prefix.size());
    size_t slash = rest.find('/');
    if (slash == std::string::npos) {
      callback(rest, false);
    } else if (rest.substr(0, slash) != last_directory) {
      last_directory = rest.substr(0, slash);
      callback(last_directory, true);
    }
  }
  return !objects->empty();
}

duckdb::vector<duckdb::OpenFileInfo> ObjectStoreFileSystem::Glob(const std::string& path,
                                                                 duckdb::FileOpener* opener) {
  duckdb::vector<duckdb::OpenFileInfo> out;
  size_t wildcard = path.find_first_of("*?[");
  if (wildcard == std::string::npos) {
    out.emplace_back(path);  // opened (and checked) when read
    return out;
  }
  auto [store, key] = Resolve(path);
  std::string scheme_and_bucket = path.substr(0, path.size() - key.size());
  size_t key_wildcard = key.find_first_of("*?[");
  std::string literal = key.substr(0, key_wildcard);
  std::string list_prefix = literal.substr(0, literal.rfind('/') + 1);
  auto objects = store->List(list_prefix);
  if (!objects.ok()) ThrowStatus(path, objects.status());
  for (const auto& object : *objects) {
    if (GlobMatch(key, object.key)) out.emplace_back(scheme_and_bucket + object.key);
  }
  return out;
}

bool GlobMatch(std::string_view pattern, std::string_view text) {
  if (pattern.empty()) return text.empty();
  if (pattern.substr(0, 2) == "**") {
    std::string_view rest = pattern.substr(2);
    if (!rest.empty() && rest.front() == '/') {
      // "**/" also matches zero directories.
      if (GlobMatch(rest.substr(1), text)) return true;
    }
    for (size_t i = 0; i <= text.size(); ++i) {
      if (GlobMatch(rest, text.substr(i))) return true;
    }
    return false;
  }
  if (pattern.front() == '*') {
    for (size_t i = 0; i <= text.size(); ++i) {
      if (GlobMatch(pattern.substr(1), text.substr(i))) return true;
      if (i < text.size() && text[i] == '/') break;
    }
    return false;
  }
  if (text.empty()) return false;
  if (pattern.front() == '?') {
    return text.front() != '/' && GlobMatch(pattern.substr(1), text.substr(1));
  }
  if (pattern.front() == '[') {
    size_t close = pattern.find(']', 1);
    if (close != std::string_view::npos) {
      std::string_view set = pattern.substr(1, close - 1);
      bool negate = !set.empty() && (set.front() == '!' || set.front() == '^');
      if (negate) set.remove_prefix(1);
      bool found = false;
      for (size_t i = 0; i < set.size(); ++i) {
        if (i + 2 < set.size() && set[i + 1] == '-') {
          if (text.front() >= set[i] && text.front() <= set[i + 2]) found = true;
          i += 2;
        } else if (set[i] == text.front()) {
          found = true;
        }
      }
      return found != negate && GlobMatch(pattern.substr(close + 1), text.substr(1));
    }
  }
  return pattern.front() == text.front() && GlobMatch(pattern.substr(1), text.substr(1));
}

}  // namespace neuralake::engine
