// Fault injection through a whole append: every mutating object-store call the append makes (data
// file upload, commit put-if-absent, checkpoint upload, _last_checkpoint put, log cleanup deletes)
// fails in turn, one per round. After each round the table, read through a clean store, must be
// either unchanged or committed with all of the new rows, and always readable.
#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <iostream>
#include <set>
#include <string>

#include "neuralake/delta/writer.h"
#include "neuralake/delta/test_support.h"
#include "neuralake/storage/faulty_object_store.h"
#include "neuralake/storage/object_store_factory.h"
#include "neuralake/storage/test_environment.h"

namespace neuralake::delta {
namespace {

using storage::StoreOperation;

// Counts the mutating calls of both stores (the table's and the engine's) and fails the n-th.
struct FaultPlan {
  std::mutex mutex;
  int calls = 0;
  int fail_at = -1;  // -1: never
  std::string failed;  // "Write _delta_log/...": what the round failed

  Status Check(StoreOperation operation, std::string_view key) {
    if (operation != StoreOperation::kPut && operation != StoreOperation::kPutIfAbsent &&
        operation != StoreOperation::kWrite && operation != StoreOperation::kDelete) {
      return Status::OK();
    }
    std::lock_guard lock(mutex);
    if (++calls != fail_at) return Status::OK();
    failed = std::string(storage::StoreOperationName(operation)) + " " + std::string(key);
    return Status::IOError("injected fault: " + failed);
  }
  void Arm(int n) {
    std::lock_guard lock(mutex);
    calls = 0;
    fail_at = n;
    failed.clear();
  }
};

class CommitFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    name_ = testing::UniqueName("commit-fault");
    uri_ = "memory://" + name_ + "/t";
    auto policy = [this](StoreOperation operation, std::string_view key) {
      return plan_.Check(operation, key);
    };
    engine::EngineOptions options;
    options.threads = 1;
    options.store_opener = [policy](const storage::Location& root)
        -> Result<std::shared_ptr<storage::ObjectStore>> {
      NL_ASSIGN_OR_RETURN(auto store, storage::OpenObjectStore(root, {}));
      return std::shared_ptr<storage::ObjectStore>(std::make_shared<storage::FaultyObjectStore>(
          std::shared_ptr<storage::ObjectStore>(std::move(store)), policy));
    };
    auto engine = engine::Engine::Make(options);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(engine).value();
    auto store = storage::MakeMemoryObjectStore(name_, "t");
    ASSERT_TRUE(store.ok());
    auto faulty = std::make_shared<storage::FaultyObjectStore>(
        std::shared_ptr<storage::ObjectStore>(std::move(store).value()), policy);
    TableOptions table_options;
    table_options.engine = engine_.get();
    auto table = DeltaTable::Open(faulty, uri_, table_options);
    ASSERT_TRUE(table.ok()) << table.status().ToString();
    table_ = std::move(table).value();
  }

  // The latest version and its row count, read through a clean store and a clean engine.
  std::pair<int64_t, int64_t> ReadBack() {
    auto engine = engine::Engine::Make({});
    EXPECT_TRUE(engine.ok());
    TableOptions options;
    options.engine = engine->get();
    auto table = DeltaTable::Open(uri_, options);
    EXPECT_TRUE(table.ok());
    auto snapshot = (*table)->LoadSnapshot();
    EXPECT_TRUE(snapshot.ok()) << plan_.failed << ": " << snapshot.status().ToString();
    if (!snapshot.ok()) return {-1, -1};
    auto scan = ScanSnapshot(**table, **snapshot);
    EXPECT_TRUE(scan.ok()) << scan.status().ToString();
    auto rows = (*engine)->Query("SELECT count(*) FROM (" + scan->sql + ")");
    EXPECT_TRUE(rows.ok()) << plan_.failed << ": " << rows.status().ToString();
    if (!rows.ok()) return {(*snapshot)->version, -1};
    return {(*snapshot)->version, std::stoll(*rows->rows.at(0).at(0))};
  }

  // Data files in the store that the latest snapshot does not reference.
  std::set<std::string> Unreferenced() {
    std::set<std::string> keys;
    auto listing = table_->store().List("");
    auto snapshot = table_->LoadSnapshot();
    EXPECT_TRUE(listing.ok() && snapshot.ok());
    if (!listing.ok() || !snapshot.ok()) return keys;
    std::set<std::string> referenced;
    for (const auto& file : (*snapshot)->files) referenced.insert(file.path);
    for (const auto& object : *listing) {
      if (object.key.rfind("_delta_log/", 0) != 0 && !referenced.count(object.key)) {
        keys.insert(object.key);
      }
    }
    return keys;
  }

  FaultPlan plan_;
  std::string name_;
  std::string uri_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<DeltaTable> table_;
};

TEST_F(CommitFaultTest, EveryFailedStoreCallLeavesTheTableUnchangedOrCommitted) {
  CreateTableOptions create;
  create.source = DataSource::FromQuery(
      "SELECT range AS id, 'c' || (range % 2) AS city FROM range(4)");
  create.partition_columns = {"city"};
  // A checkpoint (and log cleanup) after every commit, so each append exercises all of it.
  create.properties = {{"delta.checkpointInterval", "1"}};
  auto created = CreateTable(*table_, create);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  auto [version, rows] = ReadBack();
  ASSERT_EQ(version, 0);
  ASSERT_EQ(rows, 4);

  std::set<std::string> failed_kinds;
  std::set<std::string> left_behind;
  int round = 1;
  for (; round < 60; ++round) {
    plan_.Arm(round);
    auto appended = Append(
        *table_, DataSource::FromQuery("SELECT range + 1000 AS id, 'c' || (range % 3) AS city "
                                       "FROM range(3)"));
    std::string failed = plan_.failed;
    plan_.Arm(-1);
    auto [after_version, after_rows] = ReadBack();
    SCOPED_TRACE("round " + std::to_string(round) + " failed: " + failed);
    ASSERT_GE(after_version, version);
    ASSERT_LE(after_version, version + 1);
    if (after_version == version) {
      EXPECT_FALSE(appended.ok()) << "reported success but did not commit";
      EXPECT_EQ(after_rows, rows) << "unchanged version with different rows";
    } else {
      EXPECT_EQ(after_rows, rows + 3) << "a commit without all of its rows";
      // A fault after the commit (checkpoint, cleanup) never turns the commit into an error.
      EXPECT_TRUE(appended.ok()) << appended.status().ToString();
    }
    // Data files of an append that did not commit are deleted again, except when the commit put
    // itself failed: its outcome is ambiguous (the object may exist on the server), so the files
    // stay for VACUUM's untracked-file grace period rather than risk a committed version.
    std::set<std::string> unreferenced = Unreferenced();
    if (failed.find("PutIfAbsent") == std::string::npos) {
      for (const auto& key : unreferenced) {
        EXPECT_TRUE(left_behind.count(key)) << "left behind: " << key;
      }
    }
    left_behind = unreferenced;
    version = after_version;
    rows = after_rows;
    if (failed.empty()) break;  // the append made fewer than `round` calls: all were failed once
    failed_kinds.insert(failed.substr(0, failed.find(' ')) +
                        (failed.find("checkpoint") != std::string::npos ? " checkpoint"
                         : failed.find("_delta_log/0") != std::string::npos ? " commit"
                                                                            : ""));
  }
  EXPECT_LT(round, 60) << "the append never ran out of store calls";
  std::string kinds;
  for (const auto& kind : failed_kinds) kinds += (kinds.empty() ? "" : ", ") + kind;
  std::cout << "failed each of " << round - 1 << " mutating store calls once: " << kinds << "\n";
  // The calls that matter were each failed at least once.
  EXPECT_TRUE(failed_kinds.count("Write")) << "no data file upload failed";
  EXPECT_TRUE(failed_kinds.count("PutIfAbsent commit")) << "no commit put failed";
  EXPECT_TRUE(failed_kinds.count("Write checkpoint")) << "no checkpoint upload failed";
  EXPECT_TRUE(failed_kinds.count("Put checkpoint")) << "no _last_checkpoint put failed";
}

}  // namespace
}  // namespace neuralake::delta
