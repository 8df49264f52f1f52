#pragma once
// ForwardingObjectStore: an ObjectStore that hands every call to another store. It is the base of
// decorators that count, meter or fail some calls (tests, benchmarks) and override only those.
// Thread-safe exactly as the target is.

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "neuralake/storage/object_store.h"

namespace neuralake::storage {

class ForwardingObjectStore : public ObjectStore {
 public:
  // Owns `target`.
  explicit ForwardingObjectStore(std::shared_ptr<ObjectStore> target)
      : owned_(std::move(target)), target_(owned_.get()) {}
  // Borrows `target`, which must outlive this store.
  explicit ForwardingObjectStore(ObjectStore* target) : target_(target) {}

  std::string RootUri() const override { return target_->RootUri(); }
  Result<std::string> Get(std::string_view key) override { return target_->Get(key); }
  Result<std::string> GetRange(std::string_view key, int64_t offset, int64_t length) override {
    return target_->GetRange(key, offset, length);
  }
  Result<ObjectInfo> Head(std::string_view key) override { return target_->Head(key); }
  Status Put(std::string_view key, std::string_view data) override {
    return target_->Put(key, data);
  }
  Status PutIfAbsent(std::string_view key, std::string_view data) override {
    return target_->PutIfAbsent(key, data);
  }
  Result<ListPage> ListPaged(std::string_view prefix, std::string_view token,
                             int max_keys) override {
    return target_->ListPaged(prefix, token, max_keys);
  }
  Status Delete(std::string_view key) override { return target_->Delete(key); }
  Result<std::unique_ptr<ObjectWriter>> OpenWriter(std::string_view key) override {
    return target_->OpenWriter(key);
  }
  Result<std::vector<ObjectInfo>> ListAfter(std::string_view prefix,
                                            std::string_view start_after) override {
    return target_->ListAfter(prefix, start_after);
  }

 protected:
  ObjectStore& target() const { return *target_; }

 private:
  std::shared_ptr<ObjectStore> owned_;
  ObjectStore* target_;
};

}  // namespace neuralake::storage
