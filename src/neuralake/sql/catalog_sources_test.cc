// Function tables, views, keep-last dedupe, deprecations and the Filter API through the query
// service (the source_scan path of the engine). PostgreSQL and Parquet have their own tests.
#include <atomic>
#include <cmath>
#include <filesystem>
#include <functional>
#include <mutex>
#include <random>

#include <gtest/gtest.h>

#include "neuralake/catalog/table_function.h"
#include "neuralake/delta/writer.h"
#include "neuralake/sql/query_service.h"

namespace neuralake::sql {
namespace {

namespace fs = std::filesystem;
using engine::ColumnType;
using engine::QueryParam;
using engine::ScanFilter;
using Id = ColumnType::Id;

constexpr int64_t kRows = 5000;

// The rows of the `sample` function table, kept in C++ as the oracle.
struct SampleRow {
  int64_t id;
  std::optional<std::string> name;   // NULL every 7th row
  double score;
  std::vector<int64_t> tags;         // 0..3 small integers
  std::optional<std::vector<std::string>> labels;  // NULL every 11th row
  int64_t day;                       // days since epoch
};

SampleRow Row(int64_t i) {
  SampleRow row;
  row.id = i;
  if (i % 7 != 0) row.name = "name-" + std::to_string(i % 50);
  row.score = static_cast<double>(i % 100) / 4.0;
  for (int64_t t = 0; t < i % 4; ++t) row.tags.push_back((i + t) % 6);
  if (i % 11 != 0) row.labels = std::vector<std::string>{"l" + std::to_string(i % 3)};
  row.day = 19723 + i % 30;  // 2024-01-01 + i % 30
  return row;
}

engine::TypedColumns SampleColumns() {
  return {{"id", ColumnType::Of(Id::kInt64)},
          {"name", ColumnType::Of(Id::kString)},
          {"score", ColumnType::Of(Id::kDouble)},
          {"tags", ColumnType::List(ColumnType::Of(Id::kInt64))},
          {"labels", ColumnType::List(ColumnType::Of(Id::kString))},
          {"day", ColumnType::Of(Id::kDate)}};
}

engine::RecordBatch SampleBatch(int64_t first, int64_t count) {
  engine::RecordBatch batch;
  batch.num_rows = count;
  auto columns = SampleColumns();
  for (const auto& [name, type] : columns) {
    engine::Column column;
    column.name = name;
    column.type = type;
    column.length = count;
    if (type.id == Id::kList) {
      column.offsets = {0};
      engine::Column child;
      child.name = "element";
      child.type = type.children[0];
      column.children.push_back(child);
    }
    batch.columns.push_back(std::move(column));
  }
  for (int64_t i = first; i < first + count; ++i) {
    SampleRow row = Row(i);
    auto& c = batch.columns;
    c[0].ints.push_back(row.id);
    c[1].strings.push_back(row.name.value_or(""));
    c[1].valid.push_back(row.name ? 1 : 0);
    c[2].doubles.push_back(row.score);
    for (int64_t tag : row.tags) c[3].children[0].ints.push_back(tag);
    c[3].children[0].length += static_cast<int64_t>(row.tags.size());
    c[3].offsets.push_back(c[3].offsets.back() + static_cast<int64_t>(row.tags.size()));
    size_t labels = row.labels ? row.labels->size() : 0;
    if (row.labels) {
      for (const auto& label : *row.labels) c[4].children[0].strings.push_back(label);
    }
    c[4].children[0].length += static_cast<int64_t>(labels);
    c[4].offsets.push_back(c[4].offsets.back() + static_cast<int64_t>(labels));
    c[4].valid.push_back(row.labels ? 1 : 0);
    c[5].ints.push_back(row.day);
  }
  return batch;
}

// What the function saw: the requests of its reads (the filters pushed to it).
struct Seen {
  std::mutex mutex;
  int opens = 0;
};

catalog::TableFunction SampleFunction(std::shared_ptr<Seen> seen) {
  catalog::TableFunction function;
  function.name = "sample";
  function.schema = [](const catalog::FunctionArgs&) -> Result<engine::TypedColumns> {
    return SampleColumns();
  };
  function.open = [seen](const catalog::FunctionArgs& args)
      -> Result<std::unique_ptr<engine::BatchStream>> {
    NL_ASSIGN_OR_RETURN(int64_t rows, args.Int("rows", kRows));
    if (args.Has("fail")) return Status::IOError("upstream API returned 503");
    {
      std::lock_guard<std::mutex> lock(seen->mutex);
      ++seen->opens;
    }
    std::vector<engine::RecordBatch> batches;
    // Uneven batch sizes: larger and smaller than the engine's 2,048-row vectors.
    for (int64_t first = 0, size = 3000; first < rows; first += size, size = size == 3000 ? 700 : 3000) {
      batches.push_back(SampleBatch(first, std::min(size, rows - first)));
    }
    return engine::StreamOf(std::move(batches));
  };
  return function;
}

class CatalogSourcesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    seen_ = std::make_shared<Seen>();
    function_ = std::make_shared<catalog::TableFunction>(SampleFunction(seen_));
    root_ = fs::temp_directory_path() /
            ("nl_sources_test_" + std::to_string(::getpid()) + "_" +
             std::to_string(std::random_device{}()));
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  std::unique_ptr<QueryService> Make(catalog::Catalog catalog) {
    auto service = QueryService::Make(std::move(catalog), {});
    EXPECT_TRUE(service.ok()) << service.status().ToString();
    return service.ok() ? std::move(*service) : nullptr;
  }

  catalog::Catalog Catalog() {
    catalog::Catalog catalog;
    catalog.Database("demo").AddFunctionTable("sample", function_, {}, "rows made in C++");
    return catalog;
  }

  static int64_t Int(const engine::QueryOutcome& outcome, size_t row = 0, size_t column = 0) {
    return std::stoll(*outcome.table.rows.at(row).at(column));
  }

  std::shared_ptr<Seen> seen_;
  std::shared_ptr<catalog::TableFunction> function_;
  fs::path root_;
};

TEST_F(CatalogSourcesTest, FunctionTableReadsThroughSqlWithEveryTypeIntact) {
  auto service = Make(Catalog());
  ASSERT_NE(service, nullptr);
  auto outcome = service->Query(
      "SELECT count(*), count(name), sum(id), sum(score), sum(len(tags)), "
      "sum(list_sum(tags)), count(labels), min(day)::VARCHAR, max(day)::VARCHAR FROM demo.sample");
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  int64_t names = 0, ids = 0, tag_count = 0, tag_sum = 0, labels = 0;
  double score = 0;
  for (int64_t i = 0; i < kRows; ++i) {
    SampleRow row = Row(i);
    names += row.name ? 1 : 0;
    ids += row.id;
    score += row.score;
    tag_count += static_cast<int64_t>(row.tags.size());
    for (int64_t t : row.tags) tag_sum += t;
    labels += row.labels ? 1 : 0;
  }
  const auto& cells = outcome->table.rows.at(0);
  EXPECT_EQ(Int(*outcome, 0, 0), kRows);
  EXPECT_EQ(Int(*outcome, 0, 1), names);
  EXPECT_EQ(Int(*outcome, 0, 2), ids);
  EXPECT_DOUBLE_EQ(std::stod(*cells[3]), score);
  EXPECT_EQ(Int(*outcome, 0, 4), tag_count);
  EXPECT_EQ(Int(*outcome, 0, 5), tag_sum);
  EXPECT_EQ(Int(*outcome, 0, 6), labels);
  EXPECT_EQ(*cells[7], "2024-01-01");
  EXPECT_EQ(*cells[8], "2024-01-30");

  // Row by row: the 1234th row as JSON.
  auto one = service->Query("SELECT * FROM demo.sample WHERE id = 1234", engine::CellEncoding::kJson);
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  ASSERT_EQ(one->table.rows.size(), 1u);
  const auto& row = one->table.rows[0];
  EXPECT_EQ(*row[1], "\"name-34\"");
  EXPECT_EQ(*row[2], "8.5");
  EXPECT_EQ(*row[3], "[4,5]");
  EXPECT_EQ(*row[4], "[\"l1\"]");
  EXPECT_EQ(*row[5], "\"2024-01-05\"");
}

// Every Filter API operator on the function table, against the C++ oracle of its rows.
TEST_F(CatalogSourcesTest, EveryFilterOperatorMatchesTheOracle) {
  auto service = Make(Catalog());
  ASSERT_NE(service, nullptr);
  struct Case {
    std::string column, op;
    std::vector<QueryParam> values;
    std::function<bool(const SampleRow&)> oracle;
  };
  auto has = [](const std::vector<int64_t>& tags, int64_t v) {
    return std::find(tags.begin(), tags.end(), v) != tags.end();
  };
  std::vector<Case> cases = {
      {"id", "=", {int64_t{42}}, [](const SampleRow& r) { return r.id == 42; }},
      {"name", "!=", {std::string("name-3")}, [](const SampleRow& r) { return r.name && *r.name != "name-3"; }},
      {"score", "<", {2.5}, [](const SampleRow& r) { return r.score < 2.5; }},
      {"score", "<=", {2.5}, [](const SampleRow& r) { return r.score <= 2.5; }},
      {"id", ">", {int64_t{4990}}, [](const SampleRow& r) { return r.id > 4990; }},
      {"day", ">=", {std::string("2024-01-29")}, [](const SampleRow& r) { return r.day >= 19723 + 28; }},
      {"id", "in", {int64_t{1}, int64_t{2}, int64_t{4999}, int64_t{99999}},
       [](const SampleRow& r) { return r.id == 1 || r.id == 2 || r.id == 4999; }},
      {"name", "not in", {std::string("name-1"), std::string("name-2")},
       [](const SampleRow& r) { return r.name && *r.name != "name-1" && *r.name != "name-2"; }},
      {"name", "contains", {std::string("e-4")},
       [](const SampleRow& r) { return r.name && r.name->find("e-4") != std::string::npos; }},
      {"name", "starts with", {std::string("name-1")},
       [](const SampleRow& r) { return r.name && r.name->rfind("name-1", 0) == 0; }},
      {"name", "ends with", {std::string("9")},
       [](const SampleRow& r) { return r.name && r.name->back() == '9'; }},
      {"tags", "includes", {int64_t{5}}, [&](const SampleRow& r) { return has(r.tags, 5); }},
      {"tags", "includes any", {int64_t{0}, int64_t{5}},
       [&](const SampleRow& r) { return has(r.tags, 0) || has(r.tags, 5); }},
      {"tags", "includes all", {int64_t{1}, int64_t{2}},
       [&](const SampleRow& r) { return has(r.tags, 1) && has(r.tags, 2); }},
      {"labels", "includes", {std::string("l2")},
       [](const SampleRow& r) { return r.labels && (*r.labels)[0] == "l2"; }},
      {"name", "is null", {}, [](const SampleRow& r) { return !r.name; }},
      {"labels", "is not null", {}, [](const SampleRow& r) { return r.labels.has_value(); }},
  };
  for (const auto& test : cases) {
    auto filter = ScanFilter::Make(test.column, test.op, test.values);
    ASSERT_TRUE(filter.ok()) << filter.status().ToString();
    int64_t expected = 0;
    for (int64_t i = 0; i < kRows; ++i) expected += test.oracle(Row(i)) ? 1 : 0;
    ScanSpec spec;
    spec.filters = {*filter};
    spec.columns = {"id"};
    auto batches = service->Scan("demo.sample", spec).Collect();
    ASSERT_TRUE(batches.ok()) << test.op << ": " << batches.status().ToString();
    int64_t rows = 0;
    for (const auto& batch : *batches) {
      rows += batch.num_rows;
      for (int64_t r = 0; r < batch.num_rows; ++r) {
        EXPECT_TRUE(test.oracle(Row(batch.columns[0].ints[r]))) << test.op;
      }
    }
    EXPECT_EQ(rows, expected) << test.column << " " << test.op;
    auto count = service->Scan("demo.sample", spec).Count();
    ASSERT_TRUE(count.ok()) << count.status().ToString();
    EXPECT_EQ(*count, expected) << test.column << " " << test.op;
  }
}

TEST_F(CatalogSourcesTest, OrOfAndListsAndBadFiltersNameTheProblem) {
  auto service = Make(Catalog());
  ASSERT_NE(service, nullptr);
  ScanSpec spec;
  spec.any_of = {{*ScanFilter::Make("id", "<", {int64_t{10}}), *ScanFilter::Make("name", "is not null")},
                 {*ScanFilter::Make("id", ">=", {int64_t{4995}})}};
  int64_t expected = 0;
  for (int64_t i = 0; i < kRows; ++i) {
    SampleRow r = Row(i);
    expected += ((r.id < 10 && r.name) || r.id >= 4995) ? 1 : 0;
  }
  auto count = service->Scan("demo.sample", spec).Count();
  ASSERT_TRUE(count.ok()) << count.status().ToString();
  EXPECT_EQ(*count, expected);

  auto bad = [&](const std::string& column, const std::string& op, std::vector<QueryParam> values,
                 const std::string& needle) {
    ScanSpec s;
    auto filter = ScanFilter::Make(column, op, std::move(values));
    if (!filter.ok()) {
      EXPECT_NE(filter.status().message().find(needle), std::string::npos) << filter.status().ToString();
      return;
    }
    s.filters = {*filter};
    auto result = service->Scan("demo.sample", s).Count();
    ASSERT_FALSE(result.ok()) << column << " " << op;
    EXPECT_NE(result.status().message().find(needle), std::string::npos) << result.status().ToString();
  };
  bad("nope", "=", {int64_t{1}}, "unknown column 'nope'");
  bad("id", "contains", {std::string("1")}, "applies to text columns");
  bad("name", "includes", {std::string("x")}, "applies to lists");
  bad("tags", "<", {int64_t{1}}, "nested");
  bad("id", "=", {QueryParam()}, "NULL");
  bad("id", "between", {int64_t{1}}, "unknown filter operator 'between'");
  bad("id", "=", {std::string("not a number")}, "not a number");
}

TEST_F(CatalogSourcesTest, GenerateBuiltinFromYamlIsDeterministic) {
  auto catalog = catalog::Catalog::FromYamlString(R"(
databases:
  synth:
    tables:
      events: {type: function, function: generate, args: {schema: events, rows: 2500, seed: 7},
               description: "synthetic events"}
)");
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  auto service = Make(std::move(*catalog));
  ASSERT_NE(service, nullptr);
  auto first = service->Query("SELECT count(*), count(DISTINCT event_id) FROM synth.events");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(Int(*first, 0, 0), 2500);
  auto digest = "SELECT sum(hash(e)) FROM synth.events AS e";
  auto a = service->Query(digest);
  auto b = service->Query(digest);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(a->table.rows, b->table.rows);

  auto bad = catalog::Catalog::FromYamlString(R"(
databases:
  synth:
    tables:
      events: {type: function, function: generate, args: {rowz: 10}}
)");
  ASSERT_TRUE(bad.ok());
  auto started = QueryService::Make(std::move(*bad), {});
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  auto refused = (*started)->Query("SELECT count(*) FROM synth.events");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("synth.events"), std::string::npos);
  EXPECT_NE(refused.status().message().find("unknown argument 'rowz'"), std::string::npos)
      << refused.status().ToString();
}

TEST_F(CatalogSourcesTest, FailingFunctionTableFailsTheQueryNamingTheTable) {
  catalog::Catalog catalog;
  catalog.Database("demo").AddFunctionTable("flaky", function_, {{"fail", "1"}});
  auto service = Make(std::move(catalog));
  ASSERT_NE(service, nullptr);
  auto outcome = service->Query("SELECT count(*) FROM demo.flaky");
  ASSERT_FALSE(outcome.ok());
  EXPECT_NE(outcome.status().message().find("demo.flaky"), std::string::npos)
      << outcome.status().ToString();
  EXPECT_NE(outcome.status().message().find("upstream API returned 503"), std::string::npos);
}

TEST_F(CatalogSourcesTest, ViewsNestJoinAndCyclesAreRefusedAtStart) {
  catalog::Catalog catalog = Catalog();
  catalog.Database("demo")
      .AddView("named", "SELECT id, name FROM demo.sample WHERE name IS NOT NULL")
      .AddView("named_small", "SELECT * FROM demo.named WHERE id < 100");
  catalog.Database("other").AddView("joined",
                                    "SELECT count(*) AS n FROM demo.named_small s "
                                    "JOIN demo.sample t ON s.id = t.id");
  auto service = Make(std::move(catalog));
  ASSERT_NE(service, nullptr);
  int64_t expected = 0;
  for (int64_t i = 0; i < 100; ++i) expected += Row(i).name ? 1 : 0;
  auto outcome = service->Query("SELECT n FROM other.joined");
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(Int(*outcome), expected);
  auto described = service->Describe("demo.named_small");
  ASSERT_TRUE(described.ok()) << described.status().ToString();
  ASSERT_EQ(described->columns.size(), 2u);
  EXPECT_EQ(described->columns[1].type, "VARCHAR");
  auto versioned = service->Describe("demo.named_small", {3, std::nullopt});
  ASSERT_FALSE(versioned.ok());
  EXPECT_NE(versioned.status().message().find("no versions"), std::string::npos);

  catalog::Catalog cyclic;
  cyclic.Database("demo")
      .AddView("a", "SELECT * FROM demo.b")
      .AddView("b", "SELECT * FROM (SELECT * FROM demo.c) WHERE 1 = 1")
      .AddView("c", "SELECT * FROM demo.a");
  auto refused = QueryService::Make(std::move(cyclic), {});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("view cycle: demo.a -> demo.b -> demo.c -> demo.a"),
            std::string::npos)
      << refused.status().ToString();

  catalog::Catalog broken = Catalog();
  broken.Database("demo").AddView("typo", "SELECT nope FROM demo.sample");
  auto typo_service = Make(std::move(broken));
  ASSERT_NE(typo_service, nullptr);
  auto typo = typo_service->Query("SELECT * FROM demo.typo");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("nope"), std::string::npos);
}

TEST_F(CatalogSourcesTest, KeepLastDedupeAndDeprecationWarnings) {
  // A Delta table with three versions of some keys.
  std::string uri = (root_ / "accounts").string();
  auto table = delta::DeltaTable::Open(uri).value();
  delta::CreateTableOptions create;
  create.source = delta::DataSource::FromQuery(
      "SELECT i % 10 AS account, i AS revision, 'r' || i AS state FROM range(30) t(i)");
  ASSERT_TRUE(delta::CreateTable(*table, create).ok());
  catalog::Catalog catalog;
  catalog::TableDefinition accounts;
  accounts.name = "accounts";
  accounts.kind = catalog::TableKind::kDelta;
  accounts.uri = uri;
  accounts.metadata.unique_columns = {"account"};
  accounts.metadata.dedupe_order_by = "revision";
  accounts.metadata.deprecated = catalog::Deprecation{"replaced by the v2 feed", "demo.accounts_v2"};
  catalog.Database("demo").AddTable(accounts);
  auto service = Make(std::move(catalog));
  ASSERT_NE(service, nullptr);
  auto outcome = service->Query(
      "SELECT count(*), min(revision), max(revision), count(DISTINCT account) FROM demo.accounts");
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(Int(*outcome, 0, 0), 10);
  EXPECT_EQ(Int(*outcome, 0, 1), 20);  // the newest revision of each account: 20..29
  EXPECT_EQ(Int(*outcome, 0, 2), 29);
  ASSERT_EQ(outcome->warnings.size(), 1u);
  EXPECT_EQ(outcome->warnings[0],
            "table demo.accounts is deprecated: replaced by the v2 feed; use demo.accounts_v2");
  // The typed scan reads the deduplicated rows too.
  auto count = service->Scan("demo.accounts", ScanSpec{}).Count();
  ASSERT_TRUE(count.ok()) << count.status().ToString();
  EXPECT_EQ(*count, 10);
}

}  // namespace
}  // namespace neuralake::sql
