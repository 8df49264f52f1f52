// The CLI run in-process: output, errors and exit codes as a script would see them.
#include "neuralake/cli/cli.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "neuralake/storage/test_environment.h"

namespace neuralake::cli {
namespace {

struct Outcome {
  int code;
  std::string out;
  std::string err;
};

Outcome RunCli(std::vector<std::string> args) {
  args.insert(args.begin(), "neuralake");
  std::ostringstream out, err;
  int code = Run(args, out, err);
  return {code, out.str(), err.str()};
}

TEST(CliTest, VersionAndHelp) {
  Outcome version = RunCli({"--version"});
  EXPECT_EQ(version.code, 0);
  EXPECT_NE(version.out.find("neuralake 0."), std::string::npos);
  Outcome help = RunCli({"--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("storage"), std::string::npos);
}

TEST(CliTest, UsageErrorsExitNonZero) {
  EXPECT_NE(RunCli({}).code, 0);
  EXPECT_NE(RunCli({"storage", "frobnicate"}).code, 0);
}

TEST(CliTest, BadKafkaOptionIsRefusedBeforeAnythingIsCreated) {
  auto dir = std::filesystem::temp_directory_path() / testing::UniqueName("nl-cli-kafka");
  for (const char* option : {"no.such.setting=1", "noequals"}) {
    Outcome run = RunCli({"ingest", "--topic", "t", "--table", dir.string(), "--schema",
                          "events", "--kafka-option", option});
    EXPECT_EQ(run.code, 1) << option;
    EXPECT_NE(run.err.find("kafka-option"), std::string::npos) << run.err;
    EXPECT_FALSE(std::filesystem::exists(dir)) << option;
  }
}

TEST(CliTest, StorageRoundTripOnLocalFiles) {
  auto dir = std::filesystem::temp_directory_path() / testing::UniqueName("nl-cli");
  std::string uri = "file://" + dir.string() + "/hello.txt";
  Outcome put = RunCli({"storage", "put", uri, "--data", "hello lake"});
  ASSERT_EQ(put.code, 0) << put.err;
  Outcome cat = RunCli({"storage", "cat", uri});
  ASSERT_EQ(cat.code, 0) << cat.err;
  EXPECT_EQ(cat.out, "hello lake");
  Outcome ls = RunCli({"storage", "ls", dir.string()});
  ASSERT_EQ(ls.code, 0) << ls.err;
  EXPECT_NE(ls.out.find("hello.txt"), std::string::npos);
  EXPECT_NE(ls.out.find("1 objects, 10 bytes"), std::string::npos);
  Outcome again = RunCli({"storage", "put", uri, "--data", "x", "--if-absent"});
  EXPECT_EQ(again.code, 1);
  EXPECT_NE(again.err.find("Conflict"), std::string::npos);
  Outcome rm = RunCli({"storage", "rm", uri});
  ASSERT_EQ(rm.code, 0) << rm.err;
  Outcome gone = RunCli({"storage", "cat", uri});
  EXPECT_EQ(gone.code, 1);
  EXPECT_NE(gone.err.find("NotFound"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(CliTest, UnknownSchemeIsAClearError) {
  Outcome outcome = RunCli({"storage", "ls", "gs://bucket/x"});
  EXPECT_EQ(outcome.code, 1);
  EXPECT_NE(outcome.err.find("unknown URI scheme 'gs'"), std::string::npos) << outcome.err;
  EXPECT_EQ(outcome.err.find('\n'), outcome.err.size() - 1) << "one line: " << outcome.err;
}

TEST(CliTest, BadConfigFileNamesTheKey) {
  auto path = std::filesystem::temp_directory_path() / testing::UniqueName("nl-config");
  std::ofstream(path) << "s3:\n  endpoint: http://127.0.0.1:9000\n  acess_key: typo\n";
  Outcome outcome = RunCli({"--config", path.string(), "storage", "ls", "/tmp"});
  EXPECT_EQ(outcome.code, 1);
  EXPECT_NE(outcome.err.find("unknown key 's3.acess_key'"), std::string::npos) << outcome.err;
  Outcome missing = RunCli({"--config", "/nonexistent.yaml", "storage", "ls", "/tmp"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.err.find("does not exist"), std::string::npos);
  std::filesystem::remove(path);
}

// Against the real MinIO: the failures a user meets first.
class CliS3Test : public ::testing::Test {
 protected:
  std::vector<std::string> Flags() {
    auto options = testing::LocalServiceStorageOptions();
    return {"--s3-endpoint", options.s3.endpoint, "--s3-access-key", options.s3.access_key,
            "--s3-secret-key", options.s3.secret_key};
  }
  Outcome RunWith(std::vector<std::string> flags, std::vector<std::string> args) {
    flags.insert(flags.end(), args.begin(), args.end());
    return RunCli(flags);
  }
};

TEST_F(CliS3Test, RoundTripOnMinio) {
  std::string uri = "s3://" + testing::TestBucket() + "/" + testing::UniqueName("cli") + "/a.txt";
  Outcome put = RunWith(Flags(), {"storage", "put", uri, "--data", "on minio"});
  ASSERT_EQ(put.code, 0) << put.err << " (" << testing::kServicesHint << ")";
  Outcome cat = RunWith(Flags(), {"storage", "cat", uri});
  EXPECT_EQ(cat.out, "on minio");
  EXPECT_EQ(RunWith(Flags(), {"storage", "rm", uri}).code, 0);
}

TEST_F(CliS3Test, WrongCredentialsAreRefusedClearly) {
  auto flags = Flags();
  flags[5] = "definitely-wrong-secret";
  Outcome outcome = RunWith(flags, {"storage", "ls", "s3://" + testing::TestBucket() + "/"});
  EXPECT_EQ(outcome.code, 1);
  EXPECT_NE(outcome.err.find("error: Invalid"), std::string::npos) << outcome.err;
}

TEST_F(CliS3Test, MissingBucketIsNotFound) {
  Outcome outcome = RunWith(Flags(), {"storage", "ls", "s3://no-such-bucket-neuralake/x"});
  EXPECT_EQ(outcome.code, 1);
  EXPECT_NE(outcome.err.find("NotFound"), std::string::npos) << outcome.err;
  EXPECT_NE(outcome.err.find("no-such-bucket-neuralake"), std::string::npos) << outcome.err;
}

TEST_F(CliS3Test, UnreachableEndpointFailsAfterRetries) {
  auto flags = Flags();
  flags[1] = "http://127.0.0.1:1";
  flags.push_back("--s3-max-retries");
  flags.push_back("1");
  Outcome outcome = RunWith(flags, {"storage", "ls", "s3://lake/x"});
  EXPECT_EQ(outcome.code, 1);
  EXPECT_NE(outcome.err.find("IOError"), std::string::npos) << outcome.err;
  EXPECT_NE(outcome.err.find("127.0.0.1:1"), std::string::npos) << outcome.err;
}

}  // namespace
}  // namespace neuralake::cli

namespace neuralake::cli {
namespace {

// Regression: creating a local table whose directories do not exist yet.
TEST(CliTest, TableCreateMakesMissingLocalDirectories) {
  auto dir = std::filesystem::temp_directory_path() / testing::UniqueName("nl-cli-create");
  auto csv = std::filesystem::temp_directory_path() / testing::UniqueName("nl-cli-rows");
  std::ofstream(csv.string() + ".csv") << "id,name\n1,a\n2,b\n";
  std::string table = (dir / "deep" / "table").string();
  Outcome created = RunCli({"table", "create", table, "--from", csv.string() + ".csv"});
  ASSERT_EQ(created.code, 0) << created.err;
  Outcome read = RunCli({"table", "read", table, "--format", "csv"});
  ASSERT_EQ(read.code, 0) << read.err;
  EXPECT_EQ(std::count(read.out.begin(), read.out.end(), '\n'), 3) << read.out;
  std::filesystem::remove_all(dir);
  std::filesystem::remove(csv.string() + ".csv");
}

}  // namespace
}  // namespace neuralake::cli

namespace neuralake::cli {
namespace {

// Regression (issue 12): a commit line nested ~70,000 levels deep crashed `table read`, `sql` and
// `table append`. Each must exit 1 with one line naming the file.
TEST(CliTest, HostileCommitIsAOneLineErrorForEveryCommand) {
  auto dir = std::filesystem::temp_directory_path() / testing::UniqueName("nl-cli-hostile");
  std::filesystem::create_directories(dir);
  std::string csv = (dir / "rows.csv").string();
  std::ofstream(csv) << "id,name\n1,a\n2,b\n";
  std::string table = (dir / "t").string();
  ASSERT_EQ(RunCli({"table", "create", table, "--from", csv}).code, 0);
  ASSERT_EQ(RunCli({"table", "append", table, "--from", csv}).code, 0);
  std::string nested = std::string(70000, '[') + std::string(70000, ']');
  std::string commit = (dir / "t" / "_delta_log" / "00000000000000000001.json").string();
  {
    std::ofstream out(commit, std::ios::app);
    out << R"({"commitInfo":{"hostile":)" << nested << "}}\n";
  }
  std::string catalog = (dir / "catalog.yaml").string();
  std::ofstream(catalog) << "databases: {d: {tables: {t: {type: delta, uri: \"" << table
                         << "\"}}}}\n";
  std::vector<std::vector<std::string>> commands = {
      {"table", "read", table},
      {"table", "append", table, "--from", csv},
      {"sql", "--catalog", catalog, "SELECT count(*) FROM d.t"},
  };
  for (const auto& command : commands) {
    Outcome run = RunCli(command);
    EXPECT_EQ(run.code, 1) << command[1] << ": " << run.out << run.err;
    EXPECT_NE(run.err.find("00000000000000000001.json"), std::string::npos) << run.err;
    EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace neuralake::cli
