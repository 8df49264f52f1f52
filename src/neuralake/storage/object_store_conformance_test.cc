// One conformance suite for every ObjectStore backend: local files, memory, and S3 on a real
// MinIO server. A backend is correct when it passes all of it.
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "neuralake/storage/object_store_factory.h"
#include "neuralake/storage/test_environment.h"

namespace neuralake::storage {
namespace {

struct Backend {
  std::string name;
  std::function<std::string()> make_root_uri;  // a fresh, empty root per test
};

void PrintTo(const Backend& backend, std::ostream* os) { *os << backend.name; }

class ObjectStoreConformanceTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    root_uri_ = GetParam().make_root_uri();
    auto store = OpenObjectStore(root_uri_, testing::LocalServiceStorageOptions());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    // Probe the backend so that a missing server fails with a clear hint, once.
    auto probe = store_->List("probe/");
    ASSERT_TRUE(probe.ok()) << probe.status().ToString() << " (" << testing::kServicesHint << ")";
  }

  std::unique_ptr<ObjectStore> Reopen() {
    auto store = OpenObjectStore(root_uri_, testing::LocalServiceStorageOptions());
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return std::move(store).value();
  }

  std::vector<std::string> Keys(std::string_view prefix) {
    auto listed = store_->List(prefix);
    EXPECT_TRUE(listed.ok()) << listed.status().ToString();
    std::vector<std::string> keys;
    if (listed.ok()) {
      for (const auto& object : *listed) keys.push_back(object.key);
    }
    return keys;
  }

  std::string root_uri_;
  std::unique_ptr<ObjectStore> store_;
};

TEST_P(ObjectStoreConformanceTest, PutThenGetReturnsSameBytes) {
  std::string payload("binary\0payload\xff with nul", 24);
  ASSERT_TRUE(store_->Put("a/b/c.bin", payload).ok());
  auto got = store_->Get("a/b/c.bin");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, payload);
}

TEST_P(ObjectStoreConformanceTest, EmptyObjectRoundTrips) {
  ASSERT_TRUE(store_->Put("empty", "").ok());
  auto got = store_->Get("empty");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "");
  auto head = store_->Head("empty");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->size, 0);
}

TEST_P(ObjectStoreConformanceTest, MissingObjectIsNotFound) {
  EXPECT_EQ(store_->Get("nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Head("nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetRange("nope", 0, 10).status().code(), StatusCode::kNotFound);
}

TEST_P(ObjectStoreConformanceTest, HeadReportsSizeAndTime) {
  std::string payload(12345, 'x');
  auto before = std::chrono::system_clock::now() - std::chrono::seconds(5);
  ASSERT_TRUE(store_->Put("sized", payload).ok());
  auto head = store_->Head("sized");
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->key, "sized");
  EXPECT_EQ(head->size, 12345);
  auto before_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       before.time_since_epoch()).count();
  EXPECT_GE(head->modified_ms, before_ms);
}

TEST_P(ObjectStoreConformanceTest, GetRangeReturnsRequestedSlice) {
  std::string payload;
  for (int i = 0; i < 1000; ++i) payload += static_cast<char>('a' + i % 26);
  ASSERT_TRUE(store_->Put("ranged", payload).ok());
  auto middle = store_->GetRange("ranged", 100, 50);
  ASSERT_TRUE(middle.ok()) << middle.status().ToString();
  EXPECT_EQ(*middle, payload.substr(100, 50));
  auto tail = store_->GetRange("ranged", 990, 100);  // runs past the end: truncated
  ASSERT_TRUE(tail.ok()) << tail.status().ToString();
  EXPECT_EQ(*tail, payload.substr(990));
  auto first = store_->GetRange("ranged", 0, 1);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, "a");
}

TEST_P(ObjectStoreConformanceTest, PutReplacesExistingObject) {
  ASSERT_TRUE(store_->Put("k", "first").ok());
  ASSERT_TRUE(store_->Put("k", "second, longer").ok());
  EXPECT_EQ(store_->Get("k").ValueOr(""), "second, longer");
}

TEST_P(ObjectStoreConformanceTest, PutIfAbsentCreatesOnceThenConflicts) {
  ASSERT_TRUE(store_->PutIfAbsent("_delta_log/00000000000000000000.json", "v0").ok());
  Status again = store_->PutIfAbsent("_delta_log/00000000000000000000.json", "other");
  EXPECT_EQ(again.code(), StatusCode::kConflict) << again.ToString();
  EXPECT_EQ(store_->Get("_delta_log/00000000000000000000.json").ValueOr(""), "v0");
}

TEST_P(ObjectStoreConformanceTest, PutIfAbsentRaceHasExactlyOneWinner) {
  constexpr int kThreads = 8;
  constexpr int kRounds = 5;
  for (int round = 0; round < kRounds; ++round) {
    std::string key = "race/" + std::to_string(round);
    std::atomic<int> ready{0};
    std::atomic<int> winners{0};
    std::atomic<int> conflicts{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        ready.fetch_add(1);
        while (ready.load() < kThreads) std::this_thread::yield();
        Status status = store_->PutIfAbsent(key, "writer-" + std::to_string(t));
        if (status.ok()) {
          winners.fetch_add(1);
        } else if (status.IsConflict()) {
          conflicts.fetch_add(1);
        } else {
          ADD_FAILURE() << status.ToString();
        }
      });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(winners.load(), 1) << "round " << round;
    EXPECT_EQ(conflicts.load(), kThreads - 1) << "round " << round;
    auto content = store_->Get(key);
    ASSERT_TRUE(content.ok());
    EXPECT_EQ(content->rfind("writer-", 0), 0u);
  }
}

// Two processes (fork) released at once by closing a pipe race on the same keys.
TEST_P(ObjectStoreConformanceTest, PutIfAbsentRaceAcrossProcesses) {
  if (GetParam().name == "memory") GTEST_SKIP() << "memory stores are per process";
  constexpr int kProcesses = 2;
  constexpr int kKeys = 10;
  int start_pipe[2];
  ASSERT_EQ(pipe(start_pipe), 0);
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(start_pipe[1]);
      auto store = OpenObjectStore(root_uri_, testing::LocalServiceStorageOptions());
      if (!store.ok()) _exit(100);
      char byte;
      (void)!read(start_pipe[0], &byte, 1);  // returns at EOF: the parent closed its end
      int wins = 0;
      for (int k = 0; k < kKeys; ++k) {
        Status status = (*store)->PutIfAbsent("proc-race/" + std::to_string(k),
                                              "process-" + std::to_string(p));
        if (status.ok()) {
          ++wins;
        } else if (!status.IsConflict()) {
          _exit(101);
        }
      }
      _exit(wins);  // exit code = keys this process won
    }
    children.push_back(pid);
  }
  close(start_pipe[0]);
  close(start_pipe[1]);
  int total_wins = 0;
  for (pid_t child : children) {
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_LE(WEXITSTATUS(status), kKeys) << "child failed with code " << WEXITSTATUS(status);
    total_wins += WEXITSTATUS(status);
  }
  EXPECT_EQ(total_wins, kKeys);  // every key won by exactly one process
  EXPECT_EQ(Keys("proc-race/").size(), static_cast<size_t>(kKeys));
}

TEST_P(ObjectStoreConformanceTest, ListIsPrefixMatchSortedAndRecursive) {
  for (const char* key : {"t/_delta_log/00000000000000000001.json",
                          "t/_delta_log/00000000000000000000.json", "t/part=1/f.parquet",
                          "t/partition/x", "u/other", "t/_delta_log/_last_checkpoint"}) {
    ASSERT_TRUE(store_->Put(key, "x").ok()) << key;
  }
  EXPECT_EQ(Keys("t/_delta_log/"),
            (std::vector<std::string>{"t/_delta_log/00000000000000000000.json",
                                      "t/_delta_log/00000000000000000001.json",
                                      "t/_delta_log/_last_checkpoint"}));
  EXPECT_EQ(Keys("t/part"), (std::vector<std::string>{"t/part=1/f.parquet", "t/partition/x"}));
  EXPECT_EQ(Keys("t/").size(), 5u);
  EXPECT_TRUE(Keys("missing/").empty());
}

TEST_P(ObjectStoreConformanceTest, ListPaginatesWithoutLossOrRepeat) {
  constexpr int kCount = 250;
  std::vector<std::thread> threads;
  for (int t = 0; t < 5; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < kCount; i += 5) {
        char key[32];
        std::snprintf(key, sizeof(key), "paged/%05d", i);
        EXPECT_TRUE(store_->Put(key, std::to_string(i)).ok());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    auto page = store_->ListPaged("paged/", token, 40);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    EXPECT_LE(page->objects.size(), 40u);
    for (const auto& object : page->objects) seen.push_back(object.key);
    token = page->next_token;
    ++pages;
  } while (!token.empty() && pages < 100);
  EXPECT_GE(pages, 7);
  ASSERT_EQ(seen.size(), static_cast<size_t>(kCount));
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), seen.size());
}

TEST_P(ObjectStoreConformanceTest, ListAfterSkipsKnownKeys) {
  for (int v = 0; v < 5; ++v) {
    char key[64];
    std::snprintf(key, sizeof(key), "_delta_log/%020d.json", v);
    ASSERT_TRUE(store_->Put(key, "{}").ok());
  }
  auto newer = store_->ListAfter("_delta_log/", "_delta_log/00000000000000000002.json");
  ASSERT_TRUE(newer.ok()) << newer.status().ToString();
  ASSERT_EQ(newer->size(), 2u);
  EXPECT_EQ((*newer)[0].key, "_delta_log/00000000000000000003.json");
  EXPECT_EQ((*newer)[1].key, "_delta_log/00000000000000000004.json");
}

TEST_P(ObjectStoreConformanceTest, DeleteRemovesAndIsIdempotent) {
  ASSERT_TRUE(store_->Put("doomed", "x").ok());
  ASSERT_TRUE(store_->Delete("doomed").ok());
  EXPECT_EQ(store_->Get("doomed").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->Delete("doomed").ok());
  EXPECT_TRUE(Keys("doomed").empty());
}

TEST_P(ObjectStoreConformanceTest, WriterPublishesOnlyAtClose) {
  auto writer = store_->OpenWriter("streamed/data.bin");
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  std::string expected;
  for (int i = 0; i < 64; ++i) {
    std::string chunk(4096 + i, static_cast<char>('A' + i % 26));
    ASSERT_TRUE((*writer)->Append(chunk).ok());
    expected += chunk;
  }
  EXPECT_EQ((*writer)->BytesWritten(), static_cast<int64_t>(expected.size()));
  EXPECT_EQ(store_->Head("streamed/data.bin").status().code(), StatusCode::kNotFound);
  ASSERT_TRUE((*writer)->Close().ok());
  EXPECT_EQ(store_->Get("streamed/data.bin").ValueOr(""), expected);
}

TEST_P(ObjectStoreConformanceTest, AbortedWriterLeavesNothing) {
  {
    auto writer = store_->OpenWriter("aborted/x");
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Append("partial").ok());
    ASSERT_TRUE((*writer)->Abort().ok());
  }
  {
    auto writer = store_->OpenWriter("dropped/x");  // destroyed without Close
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Append("partial").ok());
  }
  EXPECT_TRUE(Keys("aborted/").empty());
  EXPECT_TRUE(Keys("dropped/").empty());
}

TEST_P(ObjectStoreConformanceTest, SecondStoreOnSameRootSeesObjects) {
  ASSERT_TRUE(store_->Put("shared/key", "value").ok());
  auto other = Reopen();
  EXPECT_EQ(other->Get("shared/key").ValueOr(""), "value");
}

TEST_P(ObjectStoreConformanceTest, KeysWithSpecialCharactersRoundTrip) {
  std::vector<std::string> keys = {"special/with space.txt", "special/plus+equals=.txt",
                                   "special/unicode-\xc3\xa9\xe2\x82\xac.txt",
                                   "special/date=2024-01-01 00%3A00/x"};
  for (const auto& key : keys) {
    ASSERT_TRUE(store_->Put(key, key).ok()) << key;
    EXPECT_EQ(store_->Get(key).ValueOr(""), key);
  }
  auto listed = Keys("special/");
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(listed, keys);
}

TEST_P(ObjectStoreConformanceTest, InvalidKeysAreRejected) {
  EXPECT_EQ(store_->Put("", "x").code(), StatusCode::kInvalid);
  EXPECT_EQ(store_->Put("/absolute", "x").code(), StatusCode::kInvalid);
}

std::string FreshLocalRoot() {
  auto dir = std::filesystem::temp_directory_path() / testing::UniqueName("nl-conformance");
  std::filesystem::create_directories(dir);
  return "file://" + dir.string();
}

INSTANTIATE_TEST_SUITE_P(
    Backends, ObjectStoreConformanceTest,
    ::testing::Values(
        Backend{"local", FreshLocalRoot},
        Backend{"memory", [] { return "memory://" + testing::UniqueName("conformance"); }},
        Backend{"s3", [] {
                  return "s3://" + testing::TestBucket() + "/" +
                         testing::UniqueName("conformance");
                }}),
    [](const ::testing::TestParamInfo<Backend>& info) { return info.param.name; });

}  // namespace
}  // namespace neuralake::storage
