// CHECK constraints and NOT NULL fields on every write; ADD / DROP CONSTRAINT and the protocol
// upgrade. Tables live in temp directories so tests can count the data files a failed write left.
#include "neuralake/delta/constraints.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "neuralake/delta/shared_engine_test.h"
#include "neuralake/delta/test_support.h"
#include "neuralake/delta/writer.h"
#include "neuralake/storage/test_environment.h"

namespace neuralake::delta {
namespace {

namespace fs = std::filesystem;

class ConstraintsTest : public SharedEngineTest {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / testing::UniqueName("nl-constraints");
    fs::create_directories(dir_);
    table_ = OpenOnEngine(dir_.string());
    ASSERT_NE(table_, nullptr);
  }
  void TearDown() override {
    table_.reset();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  int ParquetFiles() const {
    int count = 0;
    for (const auto& entry : fs::recursive_directory_iterator(dir_)) {
      if (entry.path().extension() == ".parquet") ++count;
    }
    return count;
  }

  std::string CommitText(int64_t version) const {
    char name[32];
    std::snprintf(name, sizeof(name), "%020lld.json", static_cast<long long>(version));
    std::ifstream in(dir_ / "_delta_log" / name);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  std::shared_ptr<const Snapshot> Load() {
    auto snapshot = table_->LoadSnapshot();
    EXPECT_TRUE(snapshot.ok()) << snapshot.status().ToString();
    return snapshot.ok() ? *snapshot : nullptr;
  }

  int64_t Count() {
    auto snapshot = Load();
    auto scan = ScanSnapshot(*table_, *snapshot);
    EXPECT_TRUE(scan.ok());
    auto counted = engine_->Query("SELECT count(*) FROM (" + scan->sql + ")");
    EXPECT_TRUE(counted.ok());
    return std::stoll(*counted->rows[0][0]);
  }

  void MustCreate(const std::string& query, std::map<std::string, std::string> properties = {}) {
    CreateTableOptions options;
    options.source = DataSource::FromQuery(query);
    options.properties = std::move(properties);
    auto created = CreateTable(*table_, options);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
  }

  Result<WriteResult> AppendQuery(const std::string& query) {
    return Append(*table_, DataSource::FromQuery(query));
  }

  fs::path dir_;
  std::unique_ptr<DeltaTable> table_;
};


constexpr const char* kGood = "SELECT i::BIGINT AS id, 'n' || i AS name FROM range(1, 6) t(i)";
// Three violators of id > 0: 0, -1 and NULL (NULL fails as in Spark).
constexpr const char* kBad =
    "SELECT * FROM (VALUES (5::BIGINT, 'a'), (0, 'b'), (-1, 'c'), (NULL, 'd')) t(id, name)";

TEST_F(ConstraintsTest, ConstraintSqlTurnsBackticksIntoDoubleQuotes) {
  EXPECT_EQ(ConstraintSql("`my col` > 0 AND name = 'a`b'"), "\"my col\" > 0 AND name = 'a`b'");
  EXPECT_EQ(ConstraintSql("`a\"b` IS NOT NULL"), "\"a\"\"b\" IS NOT NULL");
  EXPECT_EQ(ConstraintSql("x = 'it''s'"), "x = 'it''s'");
}

TEST_F(ConstraintsTest, AddConstraintUpgradesProtocolAndAppendsAreChecked) {
  MustCreate(kGood);
  EXPECT_EQ(Load()->protocol, Protocol{});
  auto added = AddConstraint(*table_, "Positive_Id", "id > 0");
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  EXPECT_TRUE(added->committed);
  EXPECT_TRUE(added->protocol_upgraded);
  EXPECT_EQ(added->rows_checked, 5);
  auto snapshot = Load();
  EXPECT_EQ(snapshot->protocol, (Protocol{1, 3, std::nullopt, std::nullopt}));
  EXPECT_EQ(snapshot->Property("delta.constraints.positive_id"), "id > 0");
  std::string commit = CommitText(1);
  EXPECT_NE(commit.find("\"operation\":\"ADD CONSTRAINT\""), std::string::npos) << commit;

  int files = ParquetFiles();
  auto bad = AppendQuery(kBad);
  ASSERT_TRUE(bad.status().IsInvalid()) << bad.status().ToString();
  EXPECT_NE(bad.status().message().find("CHECK constraint positive_id (id > 0) violated by 3 rows"),
            std::string::npos)
      << bad.status().message();
  EXPECT_NE(bad.status().message().find("e.g. id="), std::string::npos);
  EXPECT_EQ(Load()->version, 1);
  EXPECT_EQ(ParquetFiles(), files);  // nothing written

  auto good = AppendQuery("SELECT 7::BIGINT AS id, 'x' AS name");
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  EXPECT_EQ(Count(), 6);
}

TEST_F(ConstraintsTest, OverwriteAndReplaceWhereAreChecked) {
  CreateTableOptions partitioned;
  partitioned.source =
      DataSource::FromQuery("SELECT i::BIGINT AS id, (i % 2)::INTEGER AS part FROM range(1, 5) t(i)");
  partitioned.partition_columns = {"part"};
  ASSERT_TRUE(CreateTable(*table_, partitioned).ok());
  ASSERT_TRUE(AddConstraint(*table_, "small", "id < 100").ok());
  auto whole = Overwrite(*table_, DataSource::FromQuery("SELECT 100::BIGINT AS id, 0 AS part"),
                         std::nullopt);
  ASSERT_TRUE(whole.status().IsInvalid()) << whole.status().ToString();
  EXPECT_NE(whole.status().message().find("small (id < 100) violated by 1 row"), std::string::npos);
  EXPECT_EQ(Count(), 4);
  auto replace = Overwrite(*table_,
                           DataSource::FromQuery("SELECT * FROM (VALUES (101::BIGINT, 1), (3, 1)) "
                                                 "t(id, part)"),
                           std::string("part = 1"));
  ASSERT_TRUE(replace.status().IsInvalid()) << replace.status().ToString();
  EXPECT_NE(replace.status().message().find("small (id < 100) violated by 1 row, e.g. id=101"),
            std::string::npos)
      << replace.status().message();
  EXPECT_EQ(Count(), 4);
  auto replaced = Overwrite(*table_, DataSource::FromQuery("SELECT 3::BIGINT AS id, 1 AS part"),
                            std::string("part = 1"));
  ASSERT_TRUE(replaced.ok()) << replaced.status().ToString();
  EXPECT_EQ(Count(), 3);
  auto fine = Overwrite(*table_, DataSource::FromQuery("SELECT 99::BIGINT AS id, 0 AS part"),
                        std::nullopt);
  ASSERT_TRUE(fine.ok()) << fine.status().ToString();
  EXPECT_EQ(Count(), 1);
}

TEST_F(ConstraintsTest, CreateWithConstraintPropertyChecksInitialRows) {
  CreateTableOptions options;
  options.source = DataSource::FromQuery(kBad);
  options.properties = {{"delta.constraints.positive", "id > 0"}};
  auto refused = CreateTable(*table_, options);
  ASSERT_TRUE(refused.status().IsInvalid()) << refused.status().ToString();
  EXPECT_NE(refused.status().message().find("positive (id > 0) violated by 3 rows"),
            std::string::npos);
  EXPECT_FALSE(*table_->Exists());
  EXPECT_EQ(ParquetFiles(), 0);

  options.source = DataSource::FromQuery(kGood);
  auto created = CreateTable(*table_, options);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(Load()->protocol.min_writer_version, 3);
}

TEST_F(ConstraintsTest, AddRefusedWhenExistingRowsViolate) {
  MustCreate("SELECT * FROM (VALUES (1::BIGINT, 'a'), (-2, 'b'), (-3, 'c')) t(id, name)");
  auto refused = AddConstraint(*table_, "positive", "id > 0");
  ASSERT_TRUE(refused.status().IsInvalid()) << refused.status().ToString();
  EXPECT_NE(refused.status().message().find("violated by 2 rows"), std::string::npos)
      << refused.status().message();
  EXPECT_EQ(Load()->version, 0);
  EXPECT_EQ(Load()->protocol, Protocol{});

  auto not_boolean = AddConstraint(*table_, "numeric", "id + 1");
  ASSERT_TRUE(not_boolean.status().IsInvalid());
  EXPECT_NE(not_boolean.status().message().find("not BOOLEAN"), std::string::npos)
      << not_boolean.status().message();
  auto unknown = AddConstraint(*table_, "unknown", "nope > 1");
  ASSERT_TRUE(unknown.status().IsInvalid());

  ASSERT_TRUE(AddConstraint(*table_, "named", "name IS NOT NULL").ok());
  auto twice = AddConstraint(*table_, "NAMED", "length(name) > 0");
  ASSERT_TRUE(twice.status().IsInvalid());
  EXPECT_NE(twice.status().message().find("already exists"), std::string::npos);
}

TEST_F(ConstraintsTest, DropConstraint) {
  MustCreate(kGood);
  ASSERT_TRUE(AddConstraint(*table_, "positive", "id > 0").ok());
  auto absent = DropConstraint(*table_, "other", false);
  ASSERT_TRUE(absent.status().IsNotFound()) << absent.status().ToString();
  EXPECT_NE(absent.status().message().find("positive"), std::string::npos);
  auto tolerated = DropConstraint(*table_, "other", true);
  ASSERT_TRUE(tolerated.ok());
  EXPECT_FALSE(tolerated->committed);

  auto dropped = DropConstraint(*table_, "POSITIVE", false);
  ASSERT_TRUE(dropped.ok()) << dropped.status().ToString();
  EXPECT_TRUE(dropped->committed);
  EXPECT_NE(CommitText(dropped->version).find("\"operation\":\"DROP CONSTRAINT\""),
            std::string::npos);
  EXPECT_FALSE(Load()->Property("delta.constraints.positive").has_value());
  EXPECT_EQ(Load()->protocol.min_writer_version, 3);  // protocols are never downgraded
  ASSERT_TRUE(AppendQuery(kBad).ok());
}

TEST_F(ConstraintsTest, NamesAreCaseInsensitiveAsDeltaRsKeepsTheirCase) {
  // delta-rs stores `delta.constraints.Positive_V` as given.
  MustCreate(kGood, {{"delta.constraints.Positive_Id", "id > 0"}});
  auto bad = AppendQuery(kBad);
  ASSERT_TRUE(bad.status().IsInvalid());
  EXPECT_NE(bad.status().message().find("CHECK constraint Positive_Id (id > 0)"), std::string::npos)
      << bad.status().message();
  EXPECT_TRUE(AddConstraint(*table_, "positive_ID", "id > 1").status().IsInvalid());
  auto dropped = DropConstraint(*table_, "POSITIVE_id", false);
  ASSERT_TRUE(dropped.ok()) << dropped.status().ToString();
  EXPECT_TRUE(CheckConstraintsOf(Load()->metadata.configuration).empty());
}

TEST_F(ConstraintsTest, TopLevelAndNestedNotNull) {
  Schema schema;
  schema.fields.push_back({"id", DataType::Primitive("long"), false});
  StructField inner{"a", DataType::Primitive("long"), false};
  schema.fields.push_back({"s", DataType::Struct({inner}), true});
  CreateTableOptions options;
  options.schema = schema;
  ASSERT_TRUE(CreateTable(*table_, options).ok());

  auto null_id = AppendQuery("SELECT NULL::BIGINT AS id, {'a': 1::BIGINT} AS s");
  ASSERT_TRUE(null_id.status().IsInvalid()) << null_id.status().ToString();
  EXPECT_NE(null_id.status().message().find("id"), std::string::npos);

  auto null_nested =
      AppendQuery("SELECT * FROM (VALUES (1::BIGINT, {'a': NULL::BIGINT}), (2, {'a': 2})) t(id, s)");
  ASSERT_TRUE(null_nested.status().IsInvalid()) << null_nested.status().ToString();
  EXPECT_NE(null_nested.status().message().find("NOT NULL constraint on column s.a violated by 1 "
                                                "row"),
            std::string::npos)
      << null_nested.status().message();
  EXPECT_EQ(ParquetFiles(), 0);

  // A NULL struct has no NULL fields.
  auto null_struct = AppendQuery(
      "SELECT * FROM (VALUES (1::BIGINT, NULL::STRUCT(a BIGINT)), (2, {'a': 2})) t(id, s)");
  ASSERT_TRUE(null_struct.ok()) << null_struct.status().ToString();
  EXPECT_EQ(Count(), 2);
}

TEST_F(ConstraintsTest, ColumnInvariantsAreEnforced) {
  Schema schema;
  StructField v{"v", DataType::Primitive("long"), true};
  v.metadata["delta.invariants"] = R"({"expression": {"expression": "v < 10"}})";
  schema.fields.push_back(v);
  CreateTableOptions options;
  options.schema = schema;
  ASSERT_TRUE(CreateTable(*table_, options).ok());
  EXPECT_EQ(Load()->protocol, Protocol{});  // (1, 2) covers invariants
  auto bad = AppendQuery("SELECT * FROM (VALUES (20::BIGINT), (3)) t(v)");
  ASSERT_TRUE(bad.status().IsInvalid()) << bad.status().ToString();
  EXPECT_NE(bad.status().message().find("invariant on v (v < 10) violated by 1 row, e.g. v=20"),
            std::string::npos)
      << bad.status().message();
  ASSERT_TRUE(AppendQuery("SELECT 3::BIGINT AS v").ok());
  EXPECT_EQ(Count(), 1);

  auto parsed = InvariantsOf(Load()->schema);
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->size(), 1u);
  EXPECT_EQ((*parsed)[0].expression, "v < 10");
}

TEST_F(ConstraintsTest, TableFeatureProtocolGainsCheckConstraints) {
  MustCreate(kGood, {{"delta.enableInCommitTimestamps", "true"}});
  ASSERT_EQ(Load()->protocol.min_writer_version, 7);
  EXPECT_FALSE(Load()->protocol.HasWriterFeature("checkConstraints"));
  ASSERT_TRUE(AddConstraint(*table_, "positive", "id > 0").ok());
  auto protocol = Load()->protocol;
  EXPECT_EQ(protocol.min_writer_version, 7);
  EXPECT_EQ(protocol.min_reader_version, 1);
  EXPECT_TRUE(protocol.HasWriterFeature("checkConstraints"));
  EXPECT_TRUE(protocol.HasWriterFeature("inCommitTimestamp"));
  EXPECT_TRUE(AppendQuery(kBad).status().IsInvalid());
}

TEST_F(ConstraintsTest, ConstraintAndAppendRacingConflict) {
  MustCreate(kGood);
  TableOptions options;
  options.engine = engine_;
  auto rival = DeltaTable::Open(dir_.string(), options);
  ASSERT_TRUE(rival.ok());

  // An append checked before the constraint landed must not commit after it.
  WriteOptions write;
  write.commit.max_attempts = 3;
  write.commit.before_commit = [&](int64_t) {
    if (Load()->version == 0) {
      ASSERT_TRUE(AddConstraint(**rival, "positive", "id > 0").ok());
    }
  };
  int files = ParquetFiles();
  auto raced = Append(*table_, DataSource::FromQuery(kBad), write);
  ASSERT_TRUE(raced.status().IsConflict()) << raced.status().ToString();
  EXPECT_EQ(ParquetFiles(), files);  // its files are gone again
  EXPECT_EQ(Count(), 5);

  // A constraint validated on rows that a concurrent append then extends must not commit.
  CommitOptions commit;
  commit.max_attempts = 3;
  commit.before_commit = [&](int64_t) {
    if (Load()->version == 1) {
      ASSERT_TRUE(Append(**rival, DataSource::FromQuery("SELECT 50::BIGINT AS id, 'z' AS name"))
                      .ok());
    }
  };
  auto added = AddConstraint(*table_, "small", "id < 10", commit);
  ASSERT_TRUE(added.status().IsConflict()) << added.status().ToString();
  EXPECT_EQ(CheckConstraintsOf(Load()->metadata.configuration).size(), 1u);
}

TEST_F(ConstraintsTest, WriteFilesEnforcesUnlessCompacting) {
  MustCreate(kGood);
  ASSERT_TRUE(AddConstraint(*table_, "positive", "id > 0").ok());
  auto snapshot = Load();
  // The path ingest, generators and MV refreshes write through.
  auto refused = WriteFiles(*table_, *snapshot, DataSource::FromQuery(kBad));
  ASSERT_TRUE(refused.status().IsInvalid()) << refused.status().ToString();
  int files = ParquetFiles();
  auto compacted = WriteFiles(*table_, *snapshot, DataSource::FromQuery(kBad), std::nullopt,
                              /*enforce_constraints=*/false);
  ASSERT_TRUE(compacted.ok()) << compacted.status().ToString();
  EXPECT_GT(ParquetFiles(), files);
}

}  // namespace
}  // namespace neuralake::delta
