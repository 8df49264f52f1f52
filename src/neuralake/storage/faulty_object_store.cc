#include "neuralake/storage/faulty_object_store.h"

#include <mutex>

namespace neuralake::storage {

std::string_view StoreOperationName(StoreOperation operation) {
  switch (operation) {
    case StoreOperation::kGet: return "Get";
    case StoreOperation::kGetRange: return "GetRange";
    case StoreOperation::kHead: return "Head";
    case StoreOperation::kPut: return "Put";
    case StoreOperation::kPutIfAbsent: return "PutIfAbsent";
    case StoreOperation::kList: return "List";
    case StoreOperation::kDelete: return "Delete";
    case StoreOperation::kWrite: return "Write";
  }
  return "?";
}

FaultPolicy FaultyObjectStore::FailNth(StoreOperation operation, int nth, Status status) {
  auto count = std::make_shared<std::atomic<int>>(0);
  return [=](StoreOperation op, std::string_view) {
    if (op != operation) return Status::OK();
    return count->fetch_add(1) + 1 == nth ? status : Status::OK();
  };
}

Status FaultyObjectStore::Check(StoreOperation operation, std::string_view key) {
  if (!policy_) return Status::OK();
  Status status = policy_(operation, key);
  if (!status.ok()) injected_.fetch_add(1);
  return status;
}

Result<std::string> FaultyObjectStore::Get(std::string_view key) {
  NL_RETURN_NOT_OK(Check(StoreOperation::kGet, key));
  return wrapped_->Get(key);
}

Result<std::string> FaultyObjectStore::GetRange(std::string_view key, int64_t offset,
                                                int64_t length) {
  NL_RETURN_NOT_OK(Check(StoreOperation::kGetRange, key));
  return wrapped_->GetRange(key, offset, length);
}

Result<ObjectInfo> FaultyObjectStore::Head(std::string_view key) {
  NL_RETURN_NOT_OK(Check(StoreOperation::kHead, key));
  return wrapped_->Head(key);
}

Status FaultyObjectStore::Put(std::string_view key, std::string_view data) {
  NL_RETURN_NOT_OK(Check(StoreOperation::kPut, key));
  return wrapped_->Put(key, data);
}

Status FaultyObjectStore::PutIfAbsent(std::string_view key, std::string_view data) {
  NL_RETURN_NOT_OK(Check(StoreOperation::kPutIfAbsent, key));
  return wrapped_->PutIfAbsent(key, data);
}

Result<ListPage> FaultyObjectStore::ListPaged(std::string_view prefix, std::string_view token,
                                              int max_keys) {
  NL_RETURN_NOT_OK(Check(StoreOperation::kList, prefix));
  return wrapped_->ListPaged(prefix, token, max_keys);
}

Status FaultyObjectStore::Delete(std::string_view key) {
  NL_RETURN_NOT_OK(Check(StoreOperation::kDelete, key));
  return wrapped_->Delete(key);
}

Result<std::unique_ptr<ObjectWriter>> FaultyObjectStore::OpenWriter(std::string_view key) {
  NL_RETURN_NOT_OK(Check(StoreOperation::kWrite, key));
  return wrapped_->OpenWriter(key);
}

}  // namespace neuralake::storage
