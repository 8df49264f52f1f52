#include "neuralake/storage/faulty_object_store.h"

#include <gtest/gtest.h>

#include "neuralake/storage/object_store_factory.h"
#include "neuralake/storage/test_environment.h"

namespace neuralake::storage {
namespace {

TEST(FaultyObjectStoreTest, FailsExactlyTheNthCallAndNothingElse) {
  std::shared_ptr<ObjectStore> memory =
      MakeMemoryObjectStore(testing::UniqueName("faulty"), "").value();
  FaultyObjectStore store(memory, FaultyObjectStore::FailNth(StoreOperation::kPutIfAbsent, 2,
                                                             Status::IOError("injected")));
  EXPECT_TRUE(store.PutIfAbsent("a", "1").ok());
  Status second = store.PutIfAbsent("b", "2");
  EXPECT_TRUE(second.IsIOError());
  EXPECT_EQ(memory->Head("b").status().code(), StatusCode::kNotFound);  // nothing written
  EXPECT_TRUE(store.PutIfAbsent("c", "3").ok());
  EXPECT_TRUE(store.Put("d", "4").ok());
  EXPECT_EQ(store.InjectedFailures(), 1);
}

}  // namespace
}  // namespace neuralake::storage
