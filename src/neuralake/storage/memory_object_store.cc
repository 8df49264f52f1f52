// In-memory backend for tests: objects live in process-wide namespaces, one per name, so every
// store opened on "memory://name/..." sees the same objects. A mutex per namespace makes each
// operation atomic (PutIfAbsent included).
#include <chrono>
#include <map>
#include <mutex>

#include "neuralake/storage/object_store_factory.h"

namespace neuralake::storage {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct MemoryObject {
  std::shared_ptr<const std::string> data;
  int64_t modified_ms = 0;
  uint64_t generation = 0;
};

struct MemoryNamespace {
  std::mutex mutex;
  std::map<std::string, MemoryObject, std::less<>> objects;
  uint64_t next_generation = 1;
};

std::shared_ptr<MemoryNamespace> NamespaceNamed(const std::string& name) {
  static std::mutex registry_mutex;
  static auto* registry = new std::map<std::string, std::shared_ptr<MemoryNamespace>>();
  std::lock_guard lock(registry_mutex);
  auto& entry = (*registry)[name];
  if (!entry) entry = std::make_shared<MemoryNamespace>();
  return entry;
}

class MemoryObjectStore;

class MemoryObjectWriter : public ObjectWriter {
 public:
  MemoryObjectWriter(ObjectStore* store, std::string key) : store_(store), key_(std::move(key)) {}
  Status Append(std::string_view data) override {
    if (closed_) return Status::Invalid("append to a closed writer for '" + key_ + "'");
    buffer_.append(data);
    return Status::OK();
  }
  Status Close() override {
    if (closed_) return Status::Invalid("writer for '" + key_ + "' already closed");
    closed_ = true;
    return store_->Put(key_, buffer_);
  }
  Status Abort() override {
    closed_ = true;
    buffer_.clear();
    return Status::OK();
  }
  int64_t BytesWritten() const override { return static_cast<int64_t>(buffer_.size()); }

 private:
  ObjectStore* store_;
  std::string key_;
  std::string buffer_;
  bool closed_ = false;
};

class MemoryObjectStore : public ObjectStore {
 public:
  MemoryObjectStore(std::string name, std::string prefix)
      : name_(std::move(name)), prefix_(std::move(prefix)), space_(NamespaceNamed(name_)) {}

  std::string RootUri() const override {
    return "memory://" + name_ + (prefix_.empty() ? "" : "/" + prefix_);
  }

  Result<std::string> Get(std::string_view key) override {
    NL_ASSIGN_OR_RETURN(MemoryObject object, Find(key));
    return *object.data;
  }

  Result<std::string> GetRange(std::string_view key, int64_t offset, int64_t length) override {
    if (offset < 0 || length < 0) return Status::Invalid("negative range");
    NL_ASSIGN_OR_RETURN(MemoryObject object, Find(key));
    const std::string& data = *object.data;
    if (offset >= static_cast<int64_t>(data.size())) return std::string();
    return data.substr(static_cast<size_t>(offset), static_cast<size_t>(length));
  }

  Result<ObjectInfo> Head(std::string_view key) override {
    NL_ASSIGN_OR_RETURN(MemoryObject object, Find(key));
    return ObjectInfo{std::string(key), static_cast<int64_t>(object.data->size()),
                      object.modified_ms, std::to_string(object.generation)};
  }

  Status Put(std::string_view key, std::string_view data) override {
    NL_RETURN_NOT_OK(CheckKey(key));
    auto bytes = std::make_shared<const std::string>(data);
    std::lock_guard lock(space_->mutex);
    space_->objects[FullKey(key)] = MemoryObject{bytes, NowMs(), space_->next_generation++};
    return Status::OK();
  }

  Status PutIfAbsent(std::string_view key, std::string_view data) override {
    NL_RETURN_NOT_OK(CheckKey(key));
    auto bytes = std::make_shared<const std::string>(data);
    std::lock_guard lock(space_->mutex);
    auto [it, inserted] = space_->objects.try_emplace(
        FullKey(key), MemoryObject{bytes, NowMs(), space_->next_generation});
    if (!inserted) return Status::Conflict("object '" + std::string(key) + "' already exists");
    ++space_->next_generation;
    return Status::OK();
  }

  Result<ListPage> ListPaged(std::string_view prefix, std::string_view token,
                             int max_keys) override {
    std::string full_prefix = FullKey(prefix);
    std::string start = token.empty() ? full_prefix : FullKey(token);
    ListPage page;
    std::lock_guard lock(space_->mutex);
    auto it = token.empty() ? space_->objects.lower_bound(start)
                            : space_->objects.upper_bound(start);
    for (; it != space_->objects.end(); ++it) {
      if (it->first.compare(0, full_prefix.size(), full_prefix) != 0) break;
      if (static_cast<int>(page.objects.size()) == max_keys) {
        page.next_token = page.objects.back().key;
        break;
      }
      page.objects.push_back(ObjectInfo{it->first.substr(KeyOffset()),
                                        static_cast<int64_t>(it->second.data->size()),
                                        it->second.modified_ms,
                                        std::to_string(it->second.generation)});
    }
    return page;
  }

  Status Delete(std::string_view key) override {
    NL_RETURN_NOT_OK(CheckKey(key));
    std::lock_guard lock(space_->mutex);
    space_->objects.erase(FullKey(key));
    return Status::OK();
  }

  Result<std::unique_ptr<ObjectWriter>> OpenWriter(std::string_view key) override {
    NL_RETURN_NOT_OK(CheckKey(key));
    return std::unique_ptr<ObjectWriter>(
        std::make_unique<MemoryObjectWriter>(this, std::string(key)));
  }

 private:
  static Status CheckKey(std::string_view key) {
    if (key.empty()) return Status::Invalid("empty object key");
    if (key.front() == '/') {
      return Status::Invalid("object key must be relative: '" + std::string(key) + "'");
    }
    return Status::OK();
  }

  size_t KeyOffset() const { return prefix_.empty() ? 0 : prefix_.size() + 1; }
  std::string FullKey(std::string_view key) const {
    return prefix_.empty() ? std::string(key) : prefix_ + "/" + std::string(key);
  }

  Result<MemoryObject> Find(std::string_view key) {
    NL_RETURN_NOT_OK(CheckKey(key));
    std::lock_guard lock(space_->mutex);
    auto it = space_->objects.find(FullKey(key));
    if (it == space_->objects.end()) {
      return Status::NotFound("object '" + std::string(key) + "' does not exist in " + RootUri());
    }
    return it->second;
  }

  std::string name_;
  std::string prefix_;
  std::shared_ptr<MemoryNamespace> space_;
};

}  // namespace

Result<std::unique_ptr<ObjectStore>> MakeMemoryObjectStore(const std::string& name,
                                                           const std::string& prefix) {
  if (name.empty()) return Status::Invalid("memory store needs a name (memory://name/...)");
  return std::unique_ptr<ObjectStore>(std::make_unique<MemoryObjectStore>(name, prefix));
}

}  // namespace neuralake::storage
