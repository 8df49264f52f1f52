// Row-level DML (dml.h) on memory:// tables.
//
// The property test runs random sequences of appends, DELETEs, UPDATEs and MERGEs on a Delta table
// (deletion-vector mode and copy-on-write mode) and the same statements on a plain DuckDB table in
// a separate engine (the oracle: DuckDB's own DELETE / UPDATE / MERGE INTO), and compares the
// whole contents after every step and, at the end, at every committed version (time travel).
// The other tests pin the conflict rules against concurrent commits and the refusals.
#include "neuralake/delta/dml.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <map>
#include <random>

#include "neuralake/delta/optimize.h"
#include "neuralake/delta/scan_plan.h"
#include "neuralake/delta/shared_engine_test.h"
#include "neuralake/delta/test_support.h"
#include "neuralake/storage/test_environment.h"

namespace neuralake::delta {
namespace {

class DmlTest : public SharedEngineTest {
 protected:
  void SetUp() override { table_ = OpenOnEngine("memory://" + testing::UniqueName("dml") + "/t"); }

  std::shared_ptr<const Snapshot> Load(std::optional<int64_t> version = std::nullopt) {
    auto snapshot = table_->LoadSnapshot(version);
    EXPECT_TRUE(snapshot.ok()) << snapshot.status().ToString();
    return snapshot.ok() ? *snapshot : nullptr;
  }

  // `columns` over the rows of a version ("*" or a normalizing projection).
  std::vector<std::string> TableRows(std::optional<int64_t> version = std::nullopt,
                                     const std::string& columns = "*") {
    auto snapshot = Load(version);
    if (!snapshot) return {};
    auto scan = ScanSnapshot(*table_, *snapshot);
    EXPECT_TRUE(scan.ok()) << scan.status().ToString();
    return scan.ok() ? Rows("SELECT " + columns + " FROM (" + scan->sql + ")")
                     : std::vector<std::string>{};
  }

  void Create(const std::string& query, bool vectors, std::vector<std::string> partitions = {}) {
    CreateTableOptions options;
    options.source = DataSource::FromQuery(query);
    options.partition_columns = std::move(partitions);
    if (vectors) options.properties["delta.enableDeletionVectors"] = "true";
    auto created = CreateTable(*table_, options);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
  }

  void AppendRows(const std::string& query) {
    auto appended = Append(*table_, DataSource::FromQuery(query));
    ASSERT_TRUE(appended.ok()) << appended.status().ToString();
  }

  std::unique_ptr<DeltaTable> table_;
};

// ---- the property test ----

// Rows with NULLs, repeated ids across appends and a few groups; `seed` varies the values.
std::string RowsSql(int64_t count, int64_t first_id, int64_t seed) {
  std::string k = std::to_string(seed);
  return "SELECT (i + " + std::to_string(first_id) +
         ")::BIGINT AS id, CASE (i * 7 + " + k +
         ") % 4 WHEN 0 THEN 'a' WHEN 1 THEN 'b' WHEN 2 THEN 'c' ELSE NULL END AS grp, CASE WHEN "
         "(i + " + k + ") % 9 = 0 THEN NULL ELSE ((i * 13 + " + k +
         ") % 101) * 0.5 END::DOUBLE AS v, ((i * 31 + " + k +
         ") % 17)::INTEGER AS n FROM range(" + std::to_string(count) + ") t(i)";
}

// -0.0 and 0.0 are equal in SQL; DuckDB's tables store 0.0, Parquet keeps the sign.
constexpr const char* kNormalized = "id, grp, v + 0.0 AS v, n";

struct Random {
  explicit Random(uint64_t seed) : generator(seed) {}
  int64_t Int(int64_t low, int64_t high) {
    return std::uniform_int_distribution<int64_t>(low, high)(generator);
  }
  template <typename T>
  const T& Pick(const std::vector<T>& values) {
    return values[static_cast<size_t>(Int(0, static_cast<int64_t>(values.size()) - 1))];
  }
  std::mt19937_64 generator;
};

std::string RandomPredicate(Random& random) {
  std::string m = std::to_string(random.Int(2, 9));
  std::string r = std::to_string(random.Int(0, 1));
  std::string x = std::to_string(random.Int(0, 50));
  std::string y = std::to_string(random.Int(0, 16));
  std::vector<std::string> predicates = {
      "id % " + m + " = " + r,
      "v > " + x,
      "v IS NULL",
      "grp = 'b'",
      "grp IS NULL",
      "n BETWEEN " + y + " AND " + std::to_string(random.Int(0, 20)),
      "id < " + std::to_string(random.Int(0, 120)) + " AND grp <> 'a'",
      "v < " + x + " OR n = " + y,
      "id = " + std::to_string(random.Int(0, 150)),
      "false"};
  return random.Pick(predicates);
}

std::string RandomSet(Random& random) {
  std::vector<std::string> sets = {"v = v + 1",
                                   "n = n * 2, v = NULL",
                                   "grp = 'c'",
                                   "grp = NULL, n = n + 1",
                                   "id = id + 1000",
                                   "v = CASE WHEN n > 8 THEN v * 2 ELSE -v END"};
  return random.Pick(sets);
}

// The rows only one side has, for failure messages.
std::string Difference(const std::vector<std::string>& got, const std::vector<std::string>& want) {
  std::vector<std::string> extra;
  std::vector<std::string> missing;
  std::set_difference(got.begin(), got.end(), want.begin(), want.end(), std::back_inserter(extra));
  std::set_difference(want.begin(), want.end(), got.begin(), got.end(),
                      std::back_inserter(missing));
  std::string text = "\n" + std::to_string(got.size()) + " rows, expected " +
                     std::to_string(want.size());
  for (size_t i = 0; i < extra.size() && i < 10; ++i) text += "\n  unexpected " + extra[i];
  for (size_t i = 0; i < missing.size() && i < 10; ++i) text += "\n  missing    " + missing[i];
  return text;
}

struct Step {
  std::string description;
  std::function<Result<bool>()> ours;  // true when it committed something
  std::string oracle;
};

class DmlPropertyTest : public DmlTest {
 protected:
  static void SetUpTestSuite() {
    SharedEngineTest::SetUpTestSuite();
    engine::EngineOptions options;
    options.threads = 1;
    auto made = engine::Engine::Make(options);
    ASSERT_TRUE(made.ok()) << made.status().ToString();
    oracle_ = std::move(made).value().release();
  }
  static void TearDownTestSuite() {
    delete oracle_;
    oracle_ = nullptr;
    SharedEngineTest::TearDownTestSuite();
  }

  Step RandomStep(Random& random, const DmlOptions& options, int64_t* next_seed) {
    int64_t kind = random.Int(0, 9);
    int64_t seed = (*next_seed)++;
    if (kind <= 1) {
      std::string rows = RowsSql(random.Int(1, 40), random.Int(0, 120), seed);
      return {"append", [this, rows]() -> Result<bool> {
                auto appended = Append(*table_, DataSource::FromQuery(rows));
                NL_RETURN_NOT_OK(appended.status());
                return appended->committed;
              },
              "INSERT INTO o " + rows};
    }
    if (kind <= 4) {
      std::string predicate = RandomPredicate(random);
      return {"delete where " + predicate, [this, predicate, options]() -> Result<bool> {
                NL_ASSIGN_OR_RETURN(DmlResult result, DeleteRows(*table_, predicate, options));
                return result.committed;
              },
              "DELETE FROM o WHERE " + predicate};
    }
    if (kind <= 6) {
      std::string set = RandomSet(random);
      std::string predicate = RandomPredicate(random);
      return {"update set " + set + " where " + predicate,
              [this, set, predicate, options]() -> Result<bool> {
                NL_ASSIGN_OR_RETURN(DmlResult result, UpdateRows(*table_, set, predicate, options));
                return result.committed;
              },
              "UPDATE o SET " + set + " WHERE " + predicate};
    }
    // MERGE: a source with distinct ids (so no target row is matched twice).
    int64_t step = random.Int(1, 4);
    std::string source = "SELECT (i * " + std::to_string(step) + " + " +
                         std::to_string(random.Int(0, 100)) + ")::BIGINT AS id, grp, v, n FROM (" +
                         RowsSql(random.Int(1, 30), 0, seed) + ") t(i, grp, v, n)";
    MergeSpec spec;
    spec.source = DataSource::FromQuery(source);
    spec.on = "t.id = s.id";
    std::string clauses;
    int64_t shape = random.Int(0, 5);
    if (shape == 0 || shape == 3) {
      spec.matched_delete = true;
      spec.matched_delete_condition = "s.n % 3 = 0";
      clauses += " WHEN MATCHED AND s.n % 3 = 0 THEN DELETE";
    } else if (shape == 4) {
      spec.matched_delete = true;
      clauses += " WHEN MATCHED THEN DELETE";
    }
    if (shape == 1 || shape == 3) {
      spec.matched_update_all = true;
      clauses += " WHEN MATCHED THEN UPDATE SET *";
    } else if (shape == 0 || shape == 2) {
      spec.matched_update = "v = s.v, n = t.n + s.n";
      clauses += " WHEN MATCHED THEN UPDATE SET v = s.v, n = t.n + s.n";
    }
    if (shape != 4 || random.Int(0, 1) == 0) {
      spec.not_matched_insert_all = true;
      clauses += " WHEN NOT MATCHED THEN INSERT *";
    }
    if (random.Int(0, 7) == 0) {
      spec.not_matched_by_source_delete = true;
      clauses += " WHEN NOT MATCHED BY SOURCE THEN DELETE";
    }
    return {"merge" + clauses, [this, spec, options]() -> Result<bool> {
              NL_ASSIGN_OR_RETURN(DmlResult result, MergeRows(*table_, spec, options));
              return result.committed;
            },
            "MERGE INTO o AS t USING (" + source + ") AS s ON (t.id = s.id)" + clauses};
  }

  // One random sequence; returns the number of DML steps that committed.
  int RunSequence(uint64_t seed, bool vectors) {
    Random random(seed);
    table_ = OpenOnEngine("memory://" + testing::UniqueName("dml-prop") + "/t");
    bool partitioned = random.Int(0, 2) == 0;
    std::string initial = RowsSql(random.Int(20, 80), 0, static_cast<int64_t>(seed));
    Create(initial, vectors, partitioned ? std::vector<std::string>{"grp"}
                                         : std::vector<std::string>{});
    EXPECT_TRUE(oracle_->Execute("CREATE OR REPLACE TABLE o AS " + initial).ok());
    DmlOptions options;
    options.mode = vectors ? DmlMode::kDeletionVectors : DmlMode::kCopyOnWrite;
    if (random.Int(0, 2) == 0) options.target_file_size = 2048;  // many small files
    std::map<int64_t, std::vector<std::string>> expected = {{0, TableRows(0, kNormalized)}};
    EXPECT_EQ(expected[0], Rows(std::string("SELECT ") + kNormalized + " FROM o", oracle_));
    int64_t next_seed = static_cast<int64_t>(seed) * 100;
    int committed = 0;
    std::string history;
    int steps = static_cast<int>(random.Int(3, 8));
    for (int i = 0; i < steps; ++i) {
      Step step = RandomStep(random, options, &next_seed);
      history += "\n  " + step.description;
      auto ours = step.ours();
      EXPECT_TRUE(ours.ok()) << ours.status().ToString() << " at seed " << seed << ":" << history;
      if (!ours.ok()) return committed;
      Status oracle = oracle_->Execute(step.oracle);
      EXPECT_TRUE(oracle.ok()) << oracle.ToString() << "\n" << step.oracle;
      std::vector<std::string> want =
          Rows(std::string("SELECT ") + kNormalized + " FROM o", oracle_);
      std::vector<std::string> got = TableRows(std::nullopt, kNormalized);
      EXPECT_TRUE(got == want) << "seed " << seed << (vectors ? " (DV)" : " (CoW)") << ":"
                               << history << Difference(got, want);
      if (got != want) return committed;
      if (*ours) {
        expected[Load()->version] = want;
        if (step.description != "append") ++committed;
      }
    }
    for (const auto& [version, rows] : expected) {
      std::vector<std::string> at = TableRows(version, kNormalized);
      EXPECT_TRUE(at == rows) << "seed " << seed << " at version " << version << ":" << history
                              << Difference(at, rows);
    }
    return committed;
  }

  static inline engine::Engine* oracle_ = nullptr;
};

int Sequences() {
#if defined(__SANITIZE_ADDRESS__)
  return 25;  // the same code paths; ASan runs 5-10x slower
#else
  return 200;
#endif
}

TEST_F(DmlPropertyTest, RandomSequencesMatchDuckDbInDeletionVectorMode) {
  int committed = 0;
  for (int seed = 1; seed <= Sequences() && !HasFailure(); ++seed) {
    committed += RunSequence(static_cast<uint64_t>(seed), /*vectors=*/true);
  }
  EXPECT_GT(committed, Sequences());  // the sequences really changed rows
}

TEST_F(DmlPropertyTest, RandomSequencesMatchDuckDbInCopyOnWriteMode) {
  int committed = 0;
  for (int seed = 1; seed <= Sequences() && !HasFailure(); ++seed) {
    committed += RunSequence(static_cast<uint64_t>(seed), /*vectors=*/false);
  }
  EXPECT_GT(committed, Sequences());
}

// ---- modes, vectors and counts ----

constexpr const char* kEvents =
    "SELECT i::BIGINT AS id, CASE i % 3 WHEN 0 THEN 'paris' WHEN 1 THEN 'rome' ELSE 'oslo' END "
    "AS city, i * 1.5::DOUBLE AS fare FROM range(300) t(i)";

TEST_F(DmlTest, DeletionVectorsMarkRowsAndAreUnitedOnTheSecondDelete) {
  Create(kEvents, /*vectors=*/true);
  auto snapshot = Load();
  EXPECT_EQ(snapshot->protocol.min_reader_version, 3);
  EXPECT_TRUE(snapshot->protocol.HasReaderFeature("deletionVectors"));
  EXPECT_TRUE(snapshot->protocol.HasWriterFeature("deletionVectors"));
  auto first = DeleteRows(*table_, "id % 10 = 0");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->mode, "deletion-vectors");
  EXPECT_EQ(first->rows_deleted, 30);
  EXPECT_EQ(first->deletion_vectors, 1);
  EXPECT_EQ(first->files_added, 0);
  // Rows already deleted do not count again; the file's vector holds both deletes.
  auto second = DeleteRows(*table_, "id % 5 = 0");
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->rows_deleted, 30);
  snapshot = Load();
  ASSERT_EQ(snapshot->files.size(), 1u);
  ASSERT_TRUE(snapshot->files[0].deletion_vector.has_value());
  EXPECT_EQ(snapshot->files[0].deletion_vector->cardinality, 60);
  EXPECT_EQ(snapshot->files[0].deletion_vector->storage_type, "u");
  EXPECT_NE(snapshot->files[0].stats->find("\"tightBounds\":false"), std::string::npos);
  EXPECT_EQ(NumRecords(snapshot->files[0]), 240);
  EXPECT_EQ(TableRows().size(), 240u);
  // Deleting every remaining row removes the file instead of writing a full vector.
  auto rest = DeleteRows(*table_, "true");
  ASSERT_TRUE(rest.ok()) << rest.status().ToString();
  EXPECT_EQ(rest->rows_deleted, 240);
  EXPECT_TRUE(Load()->files.empty());
}

TEST_F(DmlTest, CopyOnWriteRewritesTouchedFilesOnly) {
  Create(kEvents, /*vectors=*/false, {"city"});
  auto deleted = DeleteRows(*table_, "city = 'rome' AND id < 100");
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(deleted->mode, "copy-on-write");
  EXPECT_EQ(deleted->rows_deleted, 33);
  EXPECT_EQ(deleted->files_touched, 1);
  EXPECT_EQ(deleted->rows_copied, 67);
  auto rewritten = Load();  // held: a range-for over Load()->files would outlive the snapshot
  for (const auto& file : rewritten->files) EXPECT_FALSE(file.deletion_vector.has_value());
  // Partition columns only: whole files, nothing read.
  auto whole = DeleteRows(*table_, "city = 'oslo'");
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  EXPECT_EQ(whole->mode, "metadata-only");
  EXPECT_EQ(whole->rows_deleted, 100);
  EXPECT_EQ(TableRows().size(), 167u);
  // Nothing matches: nothing committed.
  auto none = DeleteRows(*table_, "id < 0");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->committed);
  EXPECT_EQ(none->version, Load()->version);
}

TEST_F(DmlTest, DeletionVectorModeNeedsTheFeature) {
  Create(kEvents, /*vectors=*/false);
  DmlOptions options;
  options.mode = DmlMode::kDeletionVectors;
  auto refused = DeleteRows(*table_, "id = 1", options);
  ASSERT_TRUE(refused.status().IsInvalid()) << refused.status().ToString();
  EXPECT_NE(refused.status().message().find("delta.enableDeletionVectors=true"),
            std::string::npos);
  EXPECT_EQ(Load()->version, 0);
}

TEST_F(DmlTest, BadInputIsRefusedBeforeAnythingIsWritten) {
  Create("SELECT i::BIGINT AS id, DATE '2024-01-01' + i::INTEGER AS d, 'x' || i AS s "
         "FROM range(10) t(i)",
         /*vectors=*/true);
  auto files = table_->store().List("");
  ASSERT_TRUE(files.ok());
  size_t before = files->size();
  auto expect_invalid = [&](const Result<DmlResult>& result, const std::string& needle) {
    ASSERT_FALSE(result.ok()) << needle;
    EXPECT_NE(result.status().message().find(needle), std::string::npos)
        << result.status().ToString();
    EXPECT_EQ(result.status().message().find('\n'), std::string::npos)
        << result.status().ToString();
  };
  expect_invalid(UpdateRows(*table_, "nope = 1", std::nullopt), "unknown column 'nope'");
  expect_invalid(UpdateRows(*table_, "id = 'abc'", std::nullopt), "type mismatch");
  expect_invalid(UpdateRows(*table_, "id = id +", std::nullopt), "--set");
  expect_invalid(UpdateRows(*table_, "d = 'not a date'", std::string("id > 3")), "not a date");
  expect_invalid(DeleteRows(*table_, "id = = 3"), "--where predicate");
  expect_invalid(DeleteRows(*table_, "1) OR (1"), "--where predicate");
  expect_invalid(DeleteRows(*table_, "missing > 3"), "missing");
  MergeSpec duplicates;
  duplicates.source = DataSource::FromQuery("SELECT 3::BIGINT AS id UNION ALL SELECT 3");
  duplicates.on = "t.id = s.id";
  duplicates.matched_update = "s = 'dup'";
  expect_invalid(MergeRows(*table_, duplicates), "matched more than one source row");
  MergeSpec no_clause;
  no_clause.source = duplicates.source;
  no_clause.on = "t.id = s.id";
  expect_invalid(MergeRows(*table_, no_clause), "at least one clause");
  files = table_->store().List("");
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(files->size(), before);  // no data file, no DV file, no commit
  EXPECT_EQ(Load()->version, 0);
}

TEST_F(DmlTest, MergeDuplicateMatchesFollowDelta) {
  Create("SELECT i::BIGINT AS id, 'x' || i AS s FROM range(5) t(i)", /*vectors=*/true);
  // Two source rows match target row 3: an error even when only one satisfies the condition...
  MergeSpec conditional;
  conditional.source =
      DataSource::FromQuery("SELECT * FROM (VALUES (3::BIGINT, NULL::INTEGER), (3, 4)) s(id, v)");
  conditional.on = "t.id = s.id";
  conditional.matched_delete = true;
  conditional.matched_delete_condition = "s.v > 0";
  auto refused = MergeRows(*table_, conditional);
  ASSERT_TRUE(refused.status().IsInvalid()) << refused.status().ToString();
  EXPECT_NE(refused.status().message().find("matched more than one source row"),
            std::string::npos);
  // ... but not for an unconditional delete, the one clause that cannot conflict.
  MergeSpec unconditional = conditional;
  unconditional.matched_delete_condition.reset();
  auto deleted = MergeRows(*table_, unconditional);
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(deleted->rows_deleted, 1);
  // SET to NULL fits a column of any type.
  auto nulled = UpdateRows(*table_, "s = NULL", std::string("id = 1"));
  ASSERT_TRUE(nulled.ok()) << nulled.status().ToString();
  EXPECT_EQ(nulled->rows_updated, 1);
  EXPECT_EQ(TableRows(), (std::vector<std::string>{"0|x0", "1|NULL", "2|x2", "4|x4"}));
}

// ---- concurrency (Delta's conflict rules, transaction.h) ----

TEST_F(DmlTest, DeleteRacingAnAppendCommutes) {
  for (bool vectors : {true, false}) {
    table_ = OpenOnEngine("memory://" + testing::UniqueName("dml-race") + "/t");
    Create(kEvents, vectors, {"city"});
    DmlOptions options;
    bool raced = false;
    options.commit.before_commit = [&](int64_t) {
      if (raced) return;
      raced = true;
      AppendRows("SELECT 1000 + i::BIGINT AS id, 'paris' AS city, 1.0::DOUBLE AS fare "
                 "FROM range(5) t(i)");
    };
    auto deleted = DeleteRows(*table_, "city = 'paris' AND id % 2 = 0", options);
    ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
    EXPECT_EQ(deleted->version, 2);
    EXPECT_EQ(deleted->rows_deleted, 50);
    // The appended rows were not read by the DELETE: they stay (write serializability).
    EXPECT_EQ(TableRows().size(), 255u);
    EXPECT_EQ(Rows("SELECT count(*) FROM (" + ScanSnapshot(*table_, *Load())->sql +
                   ") WHERE id >= 1000"),
              std::vector<std::string>{"5"});
  }
}

TEST_F(DmlTest, DeleteRacingAnUpdateOfTheSameFileConflictsOnce) {
  for (bool vectors : {true, false}) {
    table_ = OpenOnEngine("memory://" + testing::UniqueName("dml-race") + "/t");
    Create(kEvents, vectors);
    DmlOptions options;
    bool raced = false;
    options.commit.before_commit = [&](int64_t) {
      if (raced) return;
      raced = true;
      auto updated = UpdateRows(*table_, "fare = -1", std::string("id < 10"));
      ASSERT_TRUE(updated.ok()) << updated.status().ToString();
    };
    auto deleted = DeleteRows(*table_, "id >= 290", options);
    ASSERT_TRUE(deleted.status().IsConflict()) << deleted.status().ToString();
    EXPECT_NE(deleted.status().message().find("version 1 (UPDATE)"), std::string::npos)
        << deleted.status().message();
    EXPECT_EQ(Load()->version, 1);
    EXPECT_EQ(TableRows().size(), 300u);  // the update only
    EXPECT_EQ(Rows("SELECT count(*) FROM (" + ScanSnapshot(*table_, *Load())->sql +
                   ") WHERE fare = -1"),
              std::vector<std::string>{"10"});
  }
}

TEST_F(DmlTest, OptimizeRacingADeleteResurrectsNoRow) {
  for (bool optimize_first : {true, false}) {
    table_ = OpenOnEngine("memory://" + testing::UniqueName("dml-race") + "/t");
    Create(kEvents, /*vectors=*/true);
    AppendRows("SELECT 300 + i::BIGINT AS id, 'rome' AS city, 2.0::DOUBLE AS fare "
               "FROM range(50) t(i)");
    ASSERT_TRUE(DeleteRows(*table_, "id % 4 = 0").ok());  // files now carry vectors
    int64_t live = static_cast<int64_t>(TableRows().size());
    OptimizeOptions optimize;
    if (optimize_first) {
      DmlOptions options;
      bool raced = false;
      options.commit.before_commit = [&](int64_t) {
        if (raced) return;
        raced = true;
        ASSERT_TRUE(Optimize(*table_, optimize).ok());
      };
      auto deleted = DeleteRows(*table_, "id % 4 = 1", options);
      ASSERT_TRUE(deleted.status().IsConflict()) << deleted.status().ToString();
      EXPECT_EQ(static_cast<int64_t>(TableRows().size()), live);
      auto again = DeleteRows(*table_, "id % 4 = 1");
      ASSERT_TRUE(again.ok()) << again.status().ToString();
    } else {
      bool raced = false;
      optimize.before_commit = [&](int64_t) {
        if (raced) return;
        raced = true;
        ASSERT_TRUE(DeleteRows(*table_, "id % 4 = 1").ok());
      };
      auto optimized = Optimize(*table_, optimize);
      ASSERT_TRUE(optimized.ok()) << optimized.status().ToString();
      EXPECT_EQ(optimized->bins_committed, 0);
    }
    // Whatever the order, the rows the DELETE removed stay removed.
    EXPECT_EQ(Rows("SELECT count(*) FROM (" + ScanSnapshot(*table_, *Load())->sql +
                   ") WHERE id % 4 IN (0, 1)"),
              std::vector<std::string>{"0"});
    EXPECT_EQ(TableRows().size(), 174u);  // 350 rows, 88 with id % 4 = 0 and 88 with 1
  }
}

}  // namespace
}  // namespace neuralake::delta
