// Resolution through the provider registry: a fake function-table provider serving a plan over
// Parquet files the test writes, registered for kFunction, is what SQL, Describe and Scan read.
#include <atomic>
#include <filesystem>
#include <mutex>
#include <random>

#include <gtest/gtest.h>

#include "neuralake/catalog/provider.h"
#include "neuralake/sql/delta_provider.h"
#include "neuralake/sql/query_service.h"

namespace neuralake::sql {
namespace {

namespace fs = std::filesystem;

// What the fake provider saw, shared with the test.
struct Calls {
  std::mutex mutex;
  int plans = 0;
  std::vector<catalog::TableAt> ats;
};

class FakeFunctionProvider final : public catalog::TableProvider {
 public:
  FakeFunctionProvider(catalog::TableDefinition definition, fs::path directory,
                       std::shared_ptr<Calls> calls)
      : definition_(std::move(definition)), directory_(std::move(directory)),
        calls_(std::move(calls)) {}

  const catalog::TableDefinition& definition() const override { return definition_; }

  Result<std::shared_ptr<const engine::LakeSnapshot>> Plan(const catalog::TableAt& at) override {
    {
      std::lock_guard<std::mutex> lock(calls_->mutex);
      ++calls_->plans;
      calls_->ats.push_back(at);
    }
    if (at.version && *at.version > 7) {
      return Status::NotFound("function table has no version " + std::to_string(*at.version));
    }
    auto plan = std::make_shared<engine::LakeSnapshot>();
    plan->table = definition_.QualifiedName();
    plan->version = at.version.value_or(-1);
    plan->columns = {{"id", "BIGINT"}, {"tag", "VARCHAR"}};
    const std::pair<const char*, int64_t> files[] = {{"part-0.parquet", 100},
                                                     {"part-1.parquet", 150}};
    for (const auto& [name, rows] : files) {
      engine::LakeFile file;
      file.uri = (directory_ / name).string();
      file.size_bytes = static_cast<int64_t>(fs::file_size(file.uri));
      file.num_records = rows;
      plan->files.push_back(std::move(file));
    }
    return std::shared_ptr<const engine::LakeSnapshot>(std::move(plan));
  }

  Result<std::vector<std::string>> Locations() override {
    return std::vector<std::string>{directory_.string()};
  }

 private:
  catalog::TableDefinition definition_;
  fs::path directory_;
  std::shared_ptr<Calls> calls_;
};

class TableProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("nl_provider_test_" + std::to_string(::getpid()) + "_" +
                                         std::to_string(std::random_device{}()));
    fs::create_directories(root_ / "gen");
    auto engine = engine::Engine::Make({});
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    // part-0: ids 0..99, part-1: ids 100..249; tag alternates 'a', 'b'.
    const std::pair<const char*, const char*> parts[] = {{"part-0.parquet", "range(0, 100)"},
                                                         {"part-1.parquet", "range(100, 250)"}};
    for (const auto& [name, range] : parts) {
      std::string path = (root_ / "gen" / name).string();
      Status written = (*engine)->Execute(
          std::string("COPY (SELECT i::BIGINT AS id, ['a','b'][(i % 2) + 1] AS tag FROM ") +
          range + " t(i)) TO " + engine::Engine::QuoteLiteral(path) + " (FORMAT parquet)");
      ASSERT_TRUE(written.ok()) << written.ToString();
    }
  }
  void TearDown() override { fs::remove_all(root_); }

  catalog::Catalog MakeCatalog() const {
    catalog::Catalog catalog;
    catalog::TableDefinition generated;
    generated.name = "generated";
    generated.kind = catalog::TableKind::kFunction;
    generated.options["function"] = "numbers";
    catalog.Database("demo").AddTable(generated).AddParquetTable(
        "zones", (root_ / "gen" / "*.parquet").string());
    return catalog;
  }

  // Delta and a fake function provider; no Parquet provider (demo.zones stays unsupported).
  catalog::ProviderRegistry RegistryWithFake() {
    catalog::ProviderRegistry registry;
    registry.Register(catalog::TableKind::kDelta, MakeDeltaProvider);
    fs::path directory = root_ / "gen";
    auto calls = calls_;
    registry.Register(catalog::TableKind::kFunction,
                      [directory, calls](const catalog::TableDefinition& definition,
                                         const catalog::ProviderContext&)
                          -> Result<std::unique_ptr<catalog::TableProvider>> {
                        return std::unique_ptr<catalog::TableProvider>(
                            std::make_unique<FakeFunctionProvider>(definition, directory, calls));
                      });
    return registry;
  }

  std::unique_ptr<QueryService> Service(std::optional<catalog::ProviderRegistry> providers) {
    QueryServiceOptions options;
    options.threads = 2;
    options.providers = std::move(providers);
    auto service = QueryService::Make(MakeCatalog(), options);
    EXPECT_TRUE(service.ok()) << service.status().ToString();
    return service.ok() ? std::move(service).value() : nullptr;
  }

  int Plans() {
    std::lock_guard<std::mutex> lock(calls_->mutex);
    return calls_->plans;
  }

  fs::path root_;
  std::shared_ptr<Calls> calls_ = std::make_shared<Calls>();
};

TEST_F(TableProviderTest, SqlReadsTheRegisteredProvidersPlan) {
  auto service = Service(RegistryWithFake());
  ASSERT_NE(service, nullptr);
  EXPECT_EQ(Plans(), 0);  // providers are made eagerly but plan lazily
  auto outcome = service->Query("SELECT count(*), sum(id), count(DISTINCT tag) FROM demo.generated");
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->table.rows[0][0], "250");
  EXPECT_EQ(outcome->table.rows[0][1], std::to_string(249 * 250 / 2));
  EXPECT_EQ(outcome->table.rows[0][2], "2");
  ASSERT_EQ(outcome->scans.size(), 1u);
  EXPECT_EQ(outcome->scans[0].table, "demo.generated");
  EXPECT_EQ(outcome->scans[0].files_total, 2);
  EXPECT_GE(Plans(), 1);

  // Unqualified names and time travel reach the provider with the version asked for.
  auto at = service->Query("SELECT count(*) FROM lake_scan('generated', version => 5)");
  ASSERT_TRUE(at.ok()) << at.status().ToString();
  EXPECT_EQ(at->table.rows[0][0], "250");
  {
    std::lock_guard<std::mutex> lock(calls_->mutex);
    ASSERT_FALSE(calls_->ats.empty());
    EXPECT_EQ(calls_->ats.back().version, std::optional<int64_t>(5));
  }
  // The provider's errors reach the query.
  auto missing = service->Query("SELECT count(*) FROM delta_at('demo.generated', 9)");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("no version 9"), std::string::npos)
      << missing.status().ToString();
}

TEST_F(TableProviderTest, KindsWithoutAProviderAreUnsupportedNamingTableAndKind) {
  auto service = Service(RegistryWithFake());
  ASSERT_NE(service, nullptr);
  auto zones = service->Query("SELECT count(*) FROM demo.zones");
  ASSERT_FALSE(zones.ok());  // the engine reports it as a bind error carrying the message
  EXPECT_NE(zones.status().message().find("Unsupported"), std::string::npos);
  EXPECT_NE(zones.status().message().find("demo.zones"), std::string::npos);
  EXPECT_NE(zones.status().message().find("parquet"), std::string::npos);
  auto described = service->Describe("demo.zones");
  ASSERT_FALSE(described.ok());
  EXPECT_EQ(described.status().code(), StatusCode::kUnsupported);

  // A registry with no function provider: the same table is Unsupported there.
  catalog::ProviderRegistry delta_only;
  delta_only.Register(catalog::TableKind::kDelta, MakeDeltaProvider);
  auto builtin = Service(delta_only);
  ASSERT_NE(builtin, nullptr);
  auto generated = builtin->Resolve({"demo.generated", std::nullopt, std::nullopt});
  ASSERT_FALSE(generated.ok());
  EXPECT_EQ(generated.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(generated.status().message().find("demo.generated"), std::string::npos);
  EXPECT_NE(generated.status().message().find("function"), std::string::npos);
  EXPECT_EQ(Plans(), 0);
  // Names outside the catalog stay NotFound.
  auto unknown = builtin->Describe("demo.nope");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
}

TEST_F(TableProviderTest, DescribeReportsColumnsAndFigures) {
  auto service = Service(RegistryWithFake());
  ASSERT_NE(service, nullptr);
  auto description = service->Describe("generated");
  ASSERT_TRUE(description.ok()) << description.status().ToString();
  EXPECT_EQ(description->table, "demo.generated");
  EXPECT_EQ(description->kind, "function");
  EXPECT_FALSE(description->version.has_value());  // the fake is unversioned at its latest
  ASSERT_EQ(description->columns.size(), 2u);
  EXPECT_EQ(description->columns[0].name, "id");
  EXPECT_EQ(description->columns[0].type, "BIGINT");
  EXPECT_TRUE(description->partitions.empty());
  EXPECT_EQ(description->files, std::optional<int64_t>(2));
  EXPECT_EQ(description->rows, std::optional<int64_t>(250));
  int64_t bytes = static_cast<int64_t>(fs::file_size(root_ / "gen" / "part-0.parquet") +
                                       fs::file_size(root_ / "gen" / "part-1.parquet"));
  EXPECT_EQ(description->bytes, std::optional<int64_t>(bytes));
  auto pinned = service->Describe("demo.generated", {3, std::nullopt});
  ASSERT_TRUE(pinned.ok()) << pinned.status().ToString();
  EXPECT_EQ(pinned->version, std::optional<int64_t>(3));
}

TEST_F(TableProviderTest, ScanAppliesProjectionAndTypedFilters) {
  auto service = Service(RegistryWithFake());
  ASSERT_NE(service, nullptr);
  engine::ScanRequest request;
  request.columns = {"id"};
  request.filters = {{"id", engine::ScanFilter::Op::kGreaterOrEqual, engine::QueryParam(int64_t{200})},
                     {"tag", engine::ScanFilter::Op::kEqual, engine::QueryParam(std::string("a"))}};
  int64_t rows = 0, sum = 0;
  auto outcome = service->Scan("demo.generated", {}, request,
                               [&](const engine::RecordBatch& batch) -> Status {
                                 EXPECT_EQ(batch.columns.size(), 1u);
                                 EXPECT_EQ(batch.columns[0].name, "id");
                                 for (int64_t row = 0; row < batch.num_rows; ++row) {
                                   sum += batch.columns[0].ints[row];
                                 }
                                 rows += batch.num_rows;
                                 return Status::OK();
                               });
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  // ids 200..248 step 2 (tag 'a' is the even ids): 25 rows.
  EXPECT_EQ(rows, 25);
  EXPECT_EQ(outcome->rows, 25);
  int64_t expected = 0;
  for (int64_t id = 200; id < 250; id += 2) expected += id;
  EXPECT_EQ(sum, expected);
}

TEST_F(TableProviderTest, FactoryErrorsFailReadsOfThatTableNamingIt) {
  auto registry = BuiltinProviders();
  registry.Register(catalog::TableKind::kFunction,
                    [](const catalog::TableDefinition&, const catalog::ProviderContext&)
                        -> Result<std::unique_ptr<catalog::TableProvider>> {
                      return Status::Invalid("unknown function 'numbers'");
                    });
  QueryServiceOptions options;
  options.providers = registry;
  auto service = QueryService::Make(MakeCatalog(), options);
  ASSERT_TRUE(service.ok()) << service.status().ToString();  // other tables stay readable
  auto query = (*service)->Query("SELECT count(*) FROM demo.generated");
  ASSERT_FALSE(query.ok());
  EXPECT_NE(query.status().message().find("demo.generated"), std::string::npos)
      << query.status().ToString();
  EXPECT_NE(query.status().message().find("unknown function"), std::string::npos);
  auto described = (*service)->Describe("demo.generated");
  ASSERT_FALSE(described.ok());
  EXPECT_NE(described.status().message().find("unknown function"), std::string::npos);
}

}  // namespace
}  // namespace neuralake::sql
