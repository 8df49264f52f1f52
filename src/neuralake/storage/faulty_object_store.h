// FaultyObjectStore: a decorator that injects failures into another store, for tests.
//
// Each operation first asks the fault policy; a non-OK Status from the policy is returned instead
// of calling the wrapped store (the operation then did nothing). Policies can fail one specific
// call ("the 3rd PutIfAbsent"), every call whose key matches, or run a hook that, for example,
// makes a concurrent writer win a race at an exact point. Thread-safe if the policy is.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "neuralake/storage/object_store.h"

namespace neuralake::storage {

enum class StoreOperation { kGet, kGetRange, kHead, kPut, kPutIfAbsent, kList, kDelete, kWrite };

std::string_view StoreOperationName(StoreOperation operation);

// Returns OK to let the call through, anything else to fail it with that Status.
using FaultPolicy = std::function<Status(StoreOperation operation, std::string_view key)>;

class FaultyObjectStore : public ObjectStore {
 public:
  FaultyObjectStore(std::shared_ptr<ObjectStore> wrapped, FaultPolicy policy)
      : wrapped_(std::move(wrapped)), policy_(std::move(policy)) {}

  // A policy failing the `nth` (1-based) call of `operation` with `status`, letting all else pass.
  static FaultPolicy FailNth(StoreOperation operation, int nth, Status status);

  std::string RootUri() const override { return wrapped_->RootUri(); }
  Result<std::string> Get(std::string_view key) override;
  Result<std::string> GetRange(std::string_view key, int64_t offset, int64_t length) override;
  Result<ObjectInfo> Head(std::string_view key) override;
  Status Put(std::string_view key, std::string_view data) override;
  Status PutIfAbsent(std::string_view key, std::string_view data) override;
  Result<ListPage> ListPaged(std::string_view prefix, std::string_view token,
                             int max_keys) override;
  Status Delete(std::string_view key) override;
  Result<std::unique_ptr<ObjectWriter>> OpenWriter(std::string_view key) override;

  // Number of calls the policy failed so far.
  int64_t InjectedFailures() const { return injected_.load(); }

 private:
  Status Check(StoreOperation operation, std::string_view key);

  std::shared_ptr<ObjectStore> wrapped_;
  FaultPolicy policy_;
  std::atomic<int64_t> injected_{0};
};

}  // namespace neuralake::storage
