// Hostile-log fuzzing: a real table (commits, a Parquet checkpoint, _last_checkpoint) whose log
// files are mutated at random (bit flips, truncation, spliced junk, deep nesting, type swaps)
// before every snapshot load. A load must either succeed or fail with an error naming the file it
// could not read; it must never crash (this suite also runs under ASan + UBSan in `make test`).
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "neuralake/delta/checkpoint.h"
#include "neuralake/delta/log.h"
#include "neuralake/delta/shared_engine_test.h"
#include "neuralake/delta/writer.h"
#include "neuralake/storage/test_environment.h"

namespace neuralake::delta {
namespace {

class LogFuzzTest : public SharedEngineTest {
 protected:
  // A partitioned table with a struct column: versions 0-3, a checkpoint at 2, commit 3 after it.
  void SetUp() override {
    table_ = OpenOnEngine("memory://" + testing::UniqueName("log-fuzz") + "/t");
    ASSERT_NE(table_, nullptr);
    CreateTableOptions create;
    create.source = DataSource::FromQuery(
        "SELECT range AS id, 'c' || (range % 3) AS city, {'x': range, 'y': 'v' || range} AS s "
        "FROM range(6)");
    create.partition_columns = {"city"};
    create.write.checkpoint_when_due = false;
    ASSERT_TRUE(CreateTable(*table_, create).ok());
    for (int i = 0; i < 2; ++i) {
      WriteOptions write;
      write.checkpoint_when_due = false;
      auto appended = Append(*table_,
                             DataSource::FromQuery("SELECT range + 100 AS id, 'c9' AS city, "
                                                   "{'x': range, 'y': 'w'} AS s FROM range(3)"),
                             write);
      ASSERT_TRUE(appended.ok()) << appended.status().ToString();
    }
    auto at_two = table_->LoadSnapshot();
    ASSERT_TRUE(at_two.ok());
    ASSERT_TRUE(WriteCheckpoint(*table_, **at_two).ok());
    WriteOptions write;
    write.checkpoint_when_due = false;
    ASSERT_TRUE(Append(*table_, DataSource::FromQuery("SELECT 7::BIGINT AS id, NULL::VARCHAR AS city, "
                                                      "{'x': 1::BIGINT, 'y': NULL::VARCHAR} AS s"),
                       write)
                    .ok());
    auto listing = table_->store().List("_delta_log/");
    ASSERT_TRUE(listing.ok()) << listing.status().ToString();
    for (const auto& info : *listing) {
      auto bytes = table_->store().Get(info.key);
      ASSERT_TRUE(bytes.ok());
      pristine_.emplace_back(info.key, *bytes);
    }
    ASSERT_GE(pristine_.size(), 6u);  // 4 commits, a checkpoint, _last_checkpoint
  }

  void Restore() {
    for (const auto& [key, bytes] : pristine_) ASSERT_TRUE(table_->store().Put(key, bytes).ok());
  }

  // Loads the latest snapshot and every version; each must succeed or name `key`'s file.
  void ExpectLoadsOrNamesTheFile(const std::string& key, const std::string& what) {
    std::string file = key.substr(key.rfind('/') + 1);
    for (std::optional<int64_t> version :
         {std::optional<int64_t>(), std::optional<int64_t>(0), std::optional<int64_t>(3)}) {
      auto snapshot = table_->LoadSnapshot(version);
      if (snapshot.ok()) continue;
      const std::string& message = snapshot.status().message();
      // A mutated commit or checkpoint may also surface as a missing or out-of-order version.
      bool named = message.find(file) != std::string::npos ||
                   message.find("_delta_log") != std::string::npos;
      EXPECT_TRUE(named) << what << ": error does not name " << file << ": " << message;
      EXPECT_EQ(message.find('\n'), std::string::npos) << what << ": not one line: " << message;
    }
    auto history = table_->log().History();
    if (!history.ok()) {
      EXPECT_EQ(history.status().message().find('\n'), std::string::npos);
    }
  }

  std::unique_ptr<DeltaTable> table_;
  std::vector<std::pair<std::string, std::string>> pristine_;
};


std::string DeepNesting(size_t levels, bool objects) {
  std::string text;
  if (objects) {
    for (size_t i = 0; i < levels; ++i) text += "{\"a\":";
    text += "1" + std::string(levels, '}');
  } else {
    text = std::string(levels, '[') + std::string(levels, ']');
  }
  return text;
}

TEST_F(LogFuzzTest, DeeplyNestedCommitLineIsAnErrorNamingTheFile) {
  std::string key = CommitKey(1);
  for (bool objects : {false, true}) {
    Restore();
    // The shape that crashed `table read`, `sql` and `append`: ~70,000 levels in one action.
    std::string line = R"({"commitInfo":{"x":)" + DeepNesting(70000, objects) + "}}\n";
    std::string bytes;
    for (const auto& [k, v] : pristine_) {
      if (k == key) bytes = v;
    }
    ASSERT_TRUE(table_->store().Put(key, line + bytes).ok());
    // Version 1 is only replayed without the checkpoint; the latest load starts from it.
    auto old = table_->LoadSnapshot(1);
    ASSERT_FALSE(old.ok());
    EXPECT_EQ(old.status().code(), StatusCode::kCorrupt);
    EXPECT_NE(old.status().message().find("00000000000000000001.json"), std::string::npos)
        << old.status().message();
    EXPECT_NE(old.status().message().find("nested deeper"), std::string::npos)
        << old.status().message();
  }
}

TEST_F(LogFuzzTest, DeeplyNestedSchemaAndStatsAreErrorsNotCrashes) {
  Restore();
  // A metaData whose schemaString nests far too deep, as the last commit.
  std::string schema = R"({"type":"struct","fields":[{"name":"a","nullable":true,"metadata":{},"type":)";
  std::string nested;
  for (int i = 0; i < 20000; ++i) nested += R"({"type":"array","containsNull":true,"elementType":)";
  nested += "\"long\"" + std::string(20000, '}');
  schema += nested + "}]}";
  nlohmann::json metadata = {
      {"metaData",
       {{"id", "fuzz"}, {"format", {{"provider", "parquet"}, {"options", nlohmann::json::object()}}},
        {"schemaString", schema}, {"partitionColumns", nlohmann::json::array()},
        {"configuration", nlohmann::json::object()}}}};
  ASSERT_TRUE(table_->store().Put(CommitKey(4), metadata.dump() + "\n").ok());
  auto snapshot = table_->LoadSnapshot();
  ASSERT_FALSE(snapshot.ok());
  EXPECT_NE(snapshot.status().message().find("nested deeper"), std::string::npos)
      << snapshot.status().message();
  ASSERT_TRUE(table_->store().Delete(CommitKey(4)).ok());

  // Stats nesting deep inside a string are parsed lazily by readers: they must not crash either.
  AddFile add;
  add.path = "city=c9/fake.parquet";
  add.size = 10;
  add.modification_time = 1;
  add.partition_values["city"] = "c9";
  add.stats = R"({"numRecords":1,"minValues":)" + DeepNesting(70000, true) + "}";
  ASSERT_TRUE(table_->store().Put(CommitKey(4), SerializeCommit({add})).ok());
  auto with_stats = table_->LoadSnapshot();
  EXPECT_TRUE(with_stats.ok() || with_stats.status().message().find("00000000000000000004") !=
                                     std::string::npos)
      << with_stats.status().ToString();
}

TEST_F(LogFuzzTest, MutatedLogFilesLoadOrFailNamingTheFile) {
  std::mt19937_64 random(20261202);
  const int kRounds = 240;
  const char* kJunk[] = {"null", "[]", "{}", "\"x\"", "-1", "1e999", "{\"add\":null}",
                         "{\"add\":{\"path\":1}}", "{\"metaData\":{\"schemaString\":\"[\"}}",
                         "{\"protocol\":{\"minReaderVersion\":99}}", "\xff\xfe", "{\"remove\":[]}",
                         "{\"add\":{\"path\":\"a\",\"size\":\"big\",\"partitionValues\":[]}}"};
  for (int round = 0; round < kRounds; ++round) {
    Restore();
    const auto& [key, original] = pristine_[random() % pristine_.size()];
    std::string bytes = original;
    std::string what;
    switch (random() % 6) {
      case 0: {  // flip a few bits
        int flips = 1 + static_cast<int>(random() % 8);
        for (int i = 0; i < flips && !bytes.empty(); ++i) {
          bytes[random() % bytes.size()] ^= static_cast<char>(1 << (random() % 8));
        }
        what = "bit flips";
        break;
      }
      case 1:  // truncate
        bytes.resize(bytes.empty() ? 0 : random() % bytes.size());
        what = "truncation";
        break;
      case 2: {  // splice a deeply nested value somewhere
        size_t at = bytes.empty() ? 0 : random() % bytes.size();
        bytes.insert(at, DeepNesting(1 + random() % 100000, random() % 2 == 0));
        what = "deep nesting spliced";
        break;
      }
      case 3: {  // a junk line
        bytes += std::string(kJunk[random() % std::size(kJunk)]) + "\n";
        what = "junk line";
        break;
      }
      case 4: {  // swap a value's type: the first number becomes a string / object
        size_t at = bytes.find_first_of("0123456789");
        if (at != std::string::npos) bytes.replace(at, 1, random() % 2 ? "\"7\"" : "{}");
        what = "type swap";
        break;
      }
      default:  // empty file
        bytes.clear();
        what = "emptied";
        break;
    }
    ASSERT_TRUE(table_->store().Put(key, bytes).ok());
    SCOPED_TRACE("round " + std::to_string(round) + ": " + what + " in " + key);
    ExpectLoadsOrNamesTheFile(key, what);
  }
}

}  // namespace
}  // namespace neuralake::delta
