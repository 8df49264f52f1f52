// The long-running commands (writer, compactor, vacuumer, ingest) and the flag values scripts pass
// them, run in-process: the spellings scripts rely on keep working, every duration / size /
// timestamp flag goes through the one parser in common/, and a bad value is one line naming its
// flag.
#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "neuralake/cli/cli.h"
#include "neuralake/storage/test_environment.h"

namespace neuralake::cli {
namespace {

struct Outcome {
  int code;
  std::string out;
  std::string err;
};

Outcome RunCommand(std::vector<std::string> args) {
  args.insert(args.begin(), "neuralake");
  std::ostringstream out, err;
  int code = Run(args, out, err);
  return {code, out.str(), err.str()};
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class MaintenanceCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / testing::UniqueName("nl-cli-maintenance");
    table_ = (dir_ / "stream").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  std::string table_;
};

// The demo's step 6 (scripts/demo.sh), smaller.
TEST_F(MaintenanceCommandsTest, WriterCompactorVacuumerWithTheDemoFlags) {
  Outcome writer = RunCommand({"writer", table_, "--schema", "telemetry", "--rows-per-commit",
                               "10", "--interval", "0", "--commits", "3"});
  ASSERT_EQ(writer.code, 0) << writer.err;
  EXPECT_TRUE(Contains(writer.out, "app writer:default resuming at batch 0\n")) << writer.out;
  EXPECT_TRUE(Contains(writer.out, "writer batch 2: version 2, 10 rows, 1 files, ")) << writer.out;
  EXPECT_TRUE(Contains(writer.out, "writer: stopped after 3 commits\n")) << writer.out;

  Outcome compactor =
      RunCommand({"compactor", table_, "--iterations", "1", "--target-size", "64MB"});
  ASSERT_EQ(compactor.code, 0) << compactor.err;
  EXPECT_TRUE(Contains(compactor.out, "compactor round 1: version 3: 1 bins compacted in 1 "
                                      "commit, 3 files -> 1 ("))
      << compactor.out;
  EXPECT_TRUE(Contains(compactor.out, "compactor: stopped\n")) << compactor.out;

  Outcome vacuumer = RunCommand({"vacuumer", table_, "--iterations", "1", "--retention-hours",
                                 "0", "--force-retention"});
  ASSERT_EQ(vacuumer.code, 0) << vacuumer.err;
  EXPECT_TRUE(Contains(vacuumer.out, "vacuumer round 1: deleted 3 files (")) << vacuumer.out;
  EXPECT_TRUE(Contains(vacuumer.out, "vacuumer: stopped\n")) << vacuumer.out;

  // A restarted writer resumes after the last recorded batch.
  Outcome again = RunCommand({"writer", table_, "--schema", "telemetry", "--rows-per-commit",
                              "10", "--interval", "1.5", "--commits", "1"});
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_TRUE(Contains(again.out, "resuming at batch 3\n")) << again.out;
  EXPECT_TRUE(Contains(again.out, "writer batch 3: version 4, 10 rows")) << again.out;
}

// ParseInterval knew no days and delta::ParseByteSize no fractions: both were refused before the
// parsers were unified.
TEST_F(MaintenanceCommandsTest, DurationsAndSizesInEveryUnitTheOneParserKnows) {
  ASSERT_EQ(RunCommand({"writer", table_, "--rows-per-commit", "10", "--interval", "0",
                        "--commits", "2"})
                .code,
            0);
  Outcome compactor = RunCommand(
      {"compactor", table_, "--interval", "1d", "--iterations", "1", "--target-size", "1.5mb"});
  EXPECT_EQ(compactor.code, 0) << compactor.err;
  EXPECT_TRUE(Contains(compactor.out, "2 files -> 1")) << compactor.out;
  Outcome vacuumer = RunCommand({"vacuumer", table_, "--interval", "2 minutes", "--iterations",
                                 "1", "--retention-hours", "0.5", "--force-retention"});
  EXPECT_EQ(vacuumer.code, 0) << vacuumer.err;

  std::string csv = (dir_ / "rows.csv").string();
  std::ofstream(csv) << "id\n1\n2\n";
  Outcome created = RunCommand({"table", "create", (dir_ / "sized").string(), "--from", csv,
                                "--target-file-size", "1.5mb"});
  EXPECT_EQ(created.code, 0) << created.err;
  // Table properties go through the same parsers; a retention needs a unit, as in Spark.
  Outcome properties = RunCommand({"table", "create", (dir_ / "props").string(), "--from", csv,
                                   "--property", "delta.targetFileSize=1.5mb", "--property",
                                   "delta.deletedFileRetentionDuration=interval 2 days"});
  EXPECT_EQ(properties.code, 0) << properties.err;
  Outcome unitless = RunCommand({"table", "create", (dir_ / "unitless").string(), "--from", csv,
                                 "--property", "delta.logRetentionDuration=30"});
  EXPECT_EQ(unitless.code, 1);
  EXPECT_TRUE(Contains(unitless.err, "property delta.logRetentionDuration: duration '30' has no "
                                     "unit"))
      << unitless.err;
  // ISO with an offset, or epoch milliseconds.
  for (const char* timestamp : {"2100-01-01 12:00:00+02:00", "4102444800000"}) {
    Outcome read = RunCommand({"table", "read", (dir_ / "sized").string(), "--timestamp",
                               timestamp, "--format", "csv"});
    EXPECT_EQ(read.code, 0) << timestamp << ": " << read.err;
    EXPECT_EQ(read.out, "id\n1\n2\n") << timestamp;
  }
}

TEST_F(MaintenanceCommandsTest, BadValuesAreOneLineNamingTheFlag) {
  std::string csv = (dir_ / "rows.csv").string();
  std::filesystem::create_directories(dir_);
  std::ofstream(csv) << "id\n1\n";
  ASSERT_EQ(RunCommand({"table", "create", table_, "--from", csv}).code, 0);
  struct Case {
    std::vector<std::string> args;
    std::string flag;
  };
  std::vector<Case> cases = {
      {{"writer", table_, "--interval", "5x"}, "--interval"},
      {{"writer", table_, "--interval", "-1s"}, "--interval"},
      {{"compactor", table_, "--interval", "soon"}, "--interval"},
      {{"compactor", table_, "--target-size", "12 parsecs"}, "--target-size"},
      {{"vacuumer", table_, "--interval", "1 fortnight", "--force-retention"}, "--interval"},
      {{"table", "optimize", table_, "--target-size", "big"}, "--target-size"},
      {{"table", "append", table_, "--from", csv, "--target-file-size", "1q"},
       "--target-file-size"},
      {{"table", "read", table_, "--timestamp", "yesterday"}, "--timestamp"},
      {{"generate", "--schema", "events", "--size", "lots", "--format", "csv", "--output",
        (dir_ / "g.csv").string()},
       "--size"},
      {{"ingest", "--topic", "t", "--table", table_, "--max-latency", "0"}, "--max-latency"},
      {{"ingest", "--topic", "t", "--table", table_, "--max-latency", "1x"}, "--max-latency"},
      {{"ingest", "--topic", "t", "--table", table_, "--max-bytes", "1q"}, "--max-bytes"},
      {{"ingest", "--topic", "t", "--table", table_, "--status-interval", "0"},
       "--status-interval"},
      {{"sql", "--catalog", csv, "--timeout", "forever", "SELECT 1"}, "--timeout"},
  };
  for (const auto& test : cases) {
    Outcome run = RunCommand(test.args);
    std::string command = test.args[0] + " " + test.args[1];
    EXPECT_EQ(run.code, 1) << command << ": " << run.out << run.err;
    EXPECT_TRUE(Contains(run.err, "error: Invalid: " + test.flag)) << command << ": " << run.err;
    EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
  }
}

// The one signal helper: SIGTERM while the writer pauses ends the command cleanly (exit 0, the
// closing line), after the commit in flight.
TEST_F(MaintenanceCommandsTest, SigtermStopsAWriterInItsPause) {
  Outcome writer{-1, "", ""};
  std::thread thread([&] {
    writer = RunCommand({"writer", table_, "--rows-per-commit", "10", "--interval", "60s"});
  });
  // The handlers are installed before the first commit is made.
  auto first_commit = std::filesystem::path(table_) / "_delta_log" / "00000000000000000000.json";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!std::filesystem::exists(first_commit) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(std::filesystem::exists(first_commit));
  std::raise(SIGTERM);
  thread.join();
  EXPECT_EQ(writer.code, 0) << writer.err;
  EXPECT_TRUE(Contains(writer.out, "writer: stopped after 1 commits\n")) << writer.out;
}

}  // namespace
}  // namespace neuralake::cli
