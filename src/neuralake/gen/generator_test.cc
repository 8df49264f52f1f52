#include "neuralake/gen/generator.h"

#include <cmath>
#include <map>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <algorithm>

#include "neuralake/delta/table.h"
#include "neuralake/engine/engine.h"
#include "neuralake/storage/object_store_factory.h"
#include "neuralake/storage/test_environment.h"

namespace neuralake::gen {
namespace {

Dataset Compile(const DatasetSpec& spec) {
  auto dataset = CompileDataset(spec);
  EXPECT_TRUE(dataset.ok()) << dataset.status().ToString();
  return std::move(dataset).value();
}

Dataset Preset(const std::string& name) { return Compile(PresetSpec(name).value()); }

std::string GenerateText(const Dataset& dataset, OutputFormat format, int threads, uint64_t seed,
                         int64_t rows) {
  std::string uri = "memory://" + testing::UniqueName("gen") + "/out.txt";
  GenerateOptions options;
  options.seed = seed;
  options.threads = threads;
  options.rows = rows;
  options.format = format;
  options.output = uri;
  auto summary = Generate(dataset, options);
  EXPECT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->rows, rows);
  auto target = storage::OpenObjectStoreForKey(uri, {}).value();
  return target.store->Get(target.key).ValueOr("");
}

TEST(GeneratorTest, SameSeedSameBytesWhateverTheThreadCount) {
  for (const std::string& preset : PresetNames()) {
    Dataset dataset = Preset(preset);
    std::string one = GenerateText(dataset, OutputFormat::kCsv, 1, 7, 120'001);
    std::string two = GenerateText(dataset, OutputFormat::kCsv, 2, 7, 120'001);
    ASSERT_GT(one.size(), 1000u);
    EXPECT_TRUE(one == two) << preset << ": 1 and 2 threads differ";
    std::string other_seed = GenerateText(dataset, OutputFormat::kCsv, 2, 8, 120'001);
    EXPECT_FALSE(one == other_seed) << preset << ": different seeds must differ";
    // Exactly rows + header lines.
    EXPECT_EQ(std::count(one.begin(), one.end(), '\n'), 120'002);
  }
}

TEST(GeneratorTest, JsonLinesAreOneObjectPerRow) {
  std::string json = GenerateText(Preset("events"), OutputFormat::kJson, 2, 1, 1000);
  EXPECT_EQ(std::count(json.begin(), json.end(), '\n'), 1000);
  EXPECT_EQ(json.rfind("{\"event_id\":0,", 0), 0u) << json.substr(0, 80);
  EXPECT_NE(json.find("\"revenue\":null"), std::string::npos);
}

std::vector<double> Doubles(const engine::ColumnBatch& batch, size_t column) {
  return batch.columns[column].doubles;
}

DatasetSpec OneField(FieldSpec field) {
  DatasetSpec spec;
  spec.name = "test";
  spec.fields = {std::move(field)};
  return spec;
}

FieldSpec Field(std::string generator, std::map<std::string, double> params) {
  FieldSpec field;
  field.name = "x";
  field.generator = std::move(generator);
  field.params = std::move(params);
  return field;
}

constexpr int64_t kSamples = 100'000;

// Kolmogorov-Smirnov against N(mean, sd). Critical value at alpha = 0.001: 1.95 / sqrt(n).
TEST(DistributionTest, NormalPassesKolmogorovSmirnov) {
  Dataset dataset = Compile(OneField(Field("normal", {{"mean", 10}, {"stddev", 2}})));
  std::vector<double> values = Doubles(dataset.Generate(123, 0, kSamples), 0);
  std::sort(values.begin(), values.end());
  double d = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    double cdf = 0.5 * std::erfc(-(values[i] - 10) / (2 * std::sqrt(2.0)));
    d = std::max({d, std::abs(cdf - static_cast<double>(i) / kSamples),
                  std::abs(cdf - static_cast<double>(i + 1) / kSamples)});
  }
  EXPECT_LT(d, 1.95 / std::sqrt(static_cast<double>(kSamples))) << "KS statistic " << d;
}

double ChiSquare(const std::vector<double>& observed, const std::vector<double>& expected) {
  double chi = 0;
  for (size_t i = 0; i < observed.size(); ++i) {
    chi += (observed[i] - expected[i]) * (observed[i] - expected[i]) / expected[i];
  }
  return chi;
}

// Chi-square over k = 0..11 and a pooled tail: 13 bins, 12 degrees of freedom; the critical
// value at alpha = 0.001 is 32.91.
TEST(DistributionTest, PoissonPassesChiSquare) {
  Dataset dataset = Compile(OneField(Field("poisson", {{"lambda", 4}})));
  auto batch = dataset.Generate(99, 0, kSamples);
  std::vector<double> observed(13, 0), expected(13, 0);
  for (int64_t value : batch.columns[0].ints) observed[std::min<int64_t>(value, 12)] += 1;
  double p = std::exp(-4.0), cumulative = 0;
  for (int k = 0; k < 12; ++k) {
    expected[k] = p * kSamples;
    cumulative += p;
    p *= 4.0 / (k + 1);
  }
  expected[12] = (1 - cumulative) * kSamples;
  double chi = ChiSquare(observed, expected);
  EXPECT_LT(chi, 32.91) << "chi-square " << chi;
}

// Zipf(n = 50, s = 1.2): 50 bins, 49 degrees of freedom; critical value at alpha = 0.001: 85.35.
TEST(DistributionTest, ZipfPassesChiSquare) {
  Dataset dataset = Compile(OneField(Field("zipf", {{"n", 50}, {"s", 1.2}})));
  auto batch = dataset.Generate(5, 0, kSamples);
  std::vector<double> observed(50, 0), expected(50, 0);
  double harmonic = 0;
  for (int k = 1; k <= 50; ++k) harmonic += 1 / std::pow(k, 1.2);
  for (int k = 1; k <= 50; ++k) expected[k - 1] = kSamples / std::pow(k, 1.2) / harmonic;
  for (int64_t value : batch.columns[0].ints) {
    ASSERT_GE(value, 1);
    ASSERT_LE(value, 50);
    observed[value - 1] += 1;
  }
  double chi = ChiSquare(observed, expected);
  EXPECT_LT(chi, 85.35) << "chi-square " << chi;
}

// A 30% null ratio over 100k rows has a standard error of 0.0014: allow +-0.01 (7 sigma).
TEST(DistributionTest, NullRatioWithinTolerance) {
  FieldSpec field = Field("uniform", {});
  field.null_ratio = 0.3;
  Dataset dataset = Compile(OneField(field));
  auto batch = dataset.Generate(11, 0, kSamples);
  ASSERT_EQ(batch.columns[0].valid.size(), static_cast<size_t>(kSamples));
  ASSERT_EQ(batch.columns[0].doubles.size(), static_cast<size_t>(kSamples));
  double nulls = std::count(batch.columns[0].valid.begin(), batch.columns[0].valid.end(), 0);
  EXPECT_NEAR(nulls / kSamples, 0.3, 0.01);
}

TEST(DistributionTest, TimestampsAreMonotonic) {
  Dataset dataset = Preset("events");
  auto batch = dataset.Generate(3, 1'000'000, 10'000);
  const auto& times = batch.columns[1].ints;
  EXPECT_TRUE(std::is_sorted(times.begin(), times.end()));
}

TEST(SpecTest, ParsesAFileAndGenerates) {
  auto spec = ParseDatasetSpec(
      "name: orders\n"
      "fields:\n"
      "  - {name: id, generator: sequence, start: 1}\n"
      "  - {name: status, generator: categorical, categories: [new, paid], weights: [3, 1]}\n"
      "  - {name: amount, generator: lognormal, mean: 3, stddev: 0.5, null_ratio: 0.1}\n",
      "orders.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  Dataset dataset = Compile(*spec);
  auto batch = dataset.Generate(1, 0, 10);
  EXPECT_EQ(batch.columns[0].ints[0], 1);
  EXPECT_EQ(batch.columns[0].ints[9], 10);
}

TEST(SpecTest, BadSpecsNameTheFieldAndLine) {
  auto unknown = ParseDatasetSpec(
      "fields:\n  - {name: a, generator: sequence}\n  - {name: b, generator: gaussian}\n", "s.yaml");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("line 3"), std::string::npos)
      << unknown.status().message();
  EXPECT_NE(unknown.status().message().find("field 'b'"), std::string::npos);
  EXPECT_NE(unknown.status().message().find("unknown generator 'gaussian'"), std::string::npos);

  auto bad_param = ParseDatasetSpec("fields:\n  - {name: n, generator: normal, stddev: -1}\n",
                                    "s.yaml");
  EXPECT_NE(bad_param.status().message().find("stddev must be > 0"), std::string::npos);
  EXPECT_NE(bad_param.status().message().find("line 2"), std::string::npos);

  auto bad_ratio = ParseDatasetSpec(
      "fields:\n  - {name: n, generator: uuid, null_ratio: 1.5}\n", "s.yaml");
  EXPECT_NE(bad_ratio.status().message().find("null_ratio"), std::string::npos);

  auto not_number = ParseDatasetSpec(
      "fields:\n  - {name: z, generator: zipf, n: many}\n", "s.yaml");
  EXPECT_NE(not_number.status().message().find("must be a number"), std::string::npos);

  EXPECT_FALSE(ParseDatasetSpec("fields: []\n", "s.yaml").ok());
  EXPECT_EQ(LoadDatasetSpecFile("/nonexistent.yaml").status().code(), StatusCode::kNotFound);
}

TEST(GeneratorTest, InvalidSizesAreRejectedAndNothingWritten) {
  std::string uri = "memory://" + testing::UniqueName("gen-bad") + "/out.csv";
  GenerateOptions options;
  options.rows = -5;
  options.output = uri;
  EXPECT_EQ(Generate(Preset("events"), options).status().code(), StatusCode::kInvalid);
  auto target = storage::OpenObjectStoreForKey(uri, {}).value();
  EXPECT_EQ(target.store->Head(target.key).status().code(), StatusCode::kNotFound);
}

TEST(GeneratorTest, ParquetFilesHoldEveryRow) {
  std::string prefix = "memory://" + testing::UniqueName("gen-parquet");
  GenerateOptions options;
  options.rows = 25'000;
  options.rows_per_file = 10'000;
  options.format = OutputFormat::kParquet;
  options.output = prefix;
  auto summary = Generate(Preset("telemetry"), options);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->files, 3);
  auto engine = engine::Engine::Make({}).value();
  auto count = engine->Query("SELECT count(*), count(DISTINCT timestamp_ns) FROM read_parquet('" +
                             prefix + "/*.parquet')");
  ASSERT_TRUE(count.ok()) << count.status().ToString();
  EXPECT_EQ(count->rows[0][0], "25000");
}

TEST(GeneratorTest, DeltaSinkWritesManySmallFilesInFewCommits) {
  std::string uri = "memory://" + testing::UniqueName("gen-delta") + "/events";
  GenerateOptions options;
  options.rows = 40'000;
  options.rows_per_file = 5'000;
  options.files_per_commit = 4;
  options.format = OutputFormat::kDelta;
  options.output = uri;
  auto summary = Generate(Preset("events"), options);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  // One file per 5,000-row chunk; the first creates the table, then 4 files per commit.
  EXPECT_EQ(summary->files, 8);
  EXPECT_EQ(summary->commits, 3);
  auto table = delta::DeltaTable::Open(uri).value();
  auto snapshot = table->LoadSnapshot();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  EXPECT_EQ((*snapshot)->version, 2);
  EXPECT_EQ((*snapshot)->files.size(), static_cast<size_t>(summary->files));
  // Files hold contiguous rows, so their event_id ranges do not overlap.
  std::vector<std::pair<int64_t, int64_t>> ranges;
  for (const auto& file : (*snapshot)->files) {
    auto stats = nlohmann::json::parse(file.stats.value());
    EXPECT_EQ(stats["numRecords"].get<int64_t>(), 5'000);
    ranges.emplace_back(stats["minValues"]["event_id"].get<int64_t>(),
                        stats["maxValues"]["event_id"].get<int64_t>());
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 0; i < ranges.size(); ++i) {
    EXPECT_EQ(ranges[i].first, static_cast<int64_t>(i) * 5'000);
    EXPECT_EQ(ranges[i].second, static_cast<int64_t>(i) * 5'000 + 4'999);
  }
}

}  // namespace
}  // namespace neuralake::gen
