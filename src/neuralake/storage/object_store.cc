#include "neuralake/storage/object_store.h"

namespace neuralake::storage {

Result<std::vector<ObjectInfo>> ObjectStore::List(std::string_view prefix) {
  std::vector<ObjectInfo> all;
  std::string token;
  do {
    NL_ASSIGN_OR_RETURN(ListPage page, ListPaged(prefix, token, 1000));
    for (auto& object : page.objects) all.push_back(std::move(object));
    token = std::move(page.next_token);
  } while (!token.empty());
  return all;
}

Result<std::vector<ObjectInfo>> ObjectStore::ListAfter(std::string_view prefix,
                                                       std::string_view start_after) {
  NL_ASSIGN_OR_RETURN(std::vector<ObjectInfo> all, List(prefix));
  std::vector<ObjectInfo> out;
  for (auto& object : all) {
    if (object.key > start_after) out.push_back(std::move(object));
  }
  return out;
}

}  // namespace neuralake::storage
