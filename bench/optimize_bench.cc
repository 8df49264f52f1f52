// OPTIMIZE benchmark: many small files -> compaction throughput, and a scan aggregate before and
// after, next to the same rows written as a single file.
//
//   build/bin/optimize_bench [--uri s3://lake/bench/optimize] [--files 1500] [--rows-per-file 4600]
#include <chrono>
#include <cstdio>

#include <CLI/CLI.hpp>

#include "neuralake/delta/optimize.h"
#include "neuralake/delta/test_support.h"
#include "neuralake/delta/writer.h"
#include "neuralake/engine/engine.h"
#include "neuralake/gen/dataset.h"
#include "neuralake/storage/test_environment.h"

namespace {

using namespace neuralake;
using Clock = std::chrono::steady_clock;

[[noreturn]] void Die(const Status& status, const char* what) {
  std::fprintf(stderr, "error: %s: %s\n", what, status.ToString().c_str());
  std::exit(1);
}

double Seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Median of 5 runs of an aggregate over the table's latest snapshot.
double ScanSeconds(delta::DeltaTable& table, engine::Engine& engine) {
  auto snapshot = table.LoadSnapshot();
  if (!snapshot.ok()) Die(snapshot.status(), "snapshot");
  auto sql = delta::ScanSnapshot(table, **snapshot);
  if (!sql.ok()) Die(sql.status(), "scan plan");
  std::vector<double> times;
  for (int run = 0; run < 5; ++run) {
    auto start = Clock::now();
    auto result = engine.Query("SELECT event_type, count(*), sum(duration_ms), max(event_time) "
                               "FROM (" + sql->sql + ") GROUP BY event_type");
    times.push_back(Seconds(start));
    if (!result.ok()) Die(result.status(), "scan");
  }
  std::sort(times.begin(), times.end());
  return times[2];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("OPTIMIZE benchmark");
  std::string root = "s3://lake/bench/optimize-" + std::to_string(getpid());
  int files = 1500;
  int64_t rows_per_file = 4600;  // about 170 KB of Parquet per file for the events schema
  app.add_option("--uri", root, "where the tables go");
  app.add_option("--files", files, "small files to write");
  app.add_option("--rows-per-file", rows_per_file, "rows per small file");
  CLI11_PARSE(app, argc, argv);

  engine::EngineOptions engine_options;
  engine_options.storage = testing::LocalServiceStorageOptions();
  auto engine = engine::Engine::Make(engine_options);
  if (!engine.ok()) Die(engine.status(), "engine");
  auto dataset = gen::CompileDataset(gen::PresetSpec("events").value());
  if (!dataset.ok()) Die(dataset.status(), "dataset");
  delta::TableOptions table_options;
  table_options.storage = engine_options.storage;
  table_options.engine = engine->get();

  // The small-file table: one commit per file, as a low-latency writer makes them.
  auto small = delta::DeltaTable::Open(root + "/small", table_options);
  auto start = Clock::now();
  for (int i = 0; i < files; ++i) {
    engine::ColumnBatch batch = dataset->Generate(1, i * rows_per_file, rows_per_file);
    Status loaded = (*engine)->LoadBatches("bench_batch", {&batch});
    if (!loaded.ok()) Die(loaded, "load");
    auto source = delta::DataSource::FromQuery("SELECT * FROM bench_batch");
    auto written = i == 0 ? delta::CreateTable(**small, {std::nullopt, source})
                          : delta::Append(**small, source);
    if (!written.ok()) Die(written.status(), "write");
    if ((i + 1) % 250 == 0) std::fprintf(stderr, "  wrote %d small files\n", i + 1);
  }
  auto before = (*small)->LoadSnapshot().value();
  std::printf("small-file table: %zu files, %.1f MB, avg %.0f KB/file, written in %.1f s\n",
              before->files.size(), before->TotalBytes() / 1e6,
              before->TotalBytes() / 1e3 / before->files.size(), Seconds(start));

  // The same rows as one file, for reference.
  auto single = delta::DeltaTable::Open(root + "/single", table_options);
  std::vector<engine::ColumnBatch> batches;
  std::vector<const engine::ColumnBatch*> pointers;
  batches.reserve(files);
  for (int i = 0; i < files; ++i) batches.push_back(dataset->Generate(1, i * rows_per_file, rows_per_file));
  for (const auto& batch : batches) pointers.push_back(&batch);
  if (Status s = (*engine)->LoadBatches("bench_all", pointers); !s.ok()) Die(s, "load all");
  batches.clear();
  delta::CreateTableOptions create;
  create.source = delta::DataSource::FromQuery("SELECT * FROM bench_all");
  create.write.target_file_size = 4LL << 30;
  if (auto s = delta::CreateTable(**single, create); !s.ok()) Die(s.status(), "single");
  (void)(*engine)->DropTable("bench_all");

  double scan_small = ScanSeconds(**small, **engine);
  double scan_single = ScanSeconds(**single, **engine);
  delta::OptimizeOptions options;  // 128 MB target
  auto optimized = delta::Optimize(**small, options);
  if (!optimized.ok()) Die(optimized.status(), "optimize");
  double scan_after = ScanSeconds(**small, **engine);
  std::printf("optimize: %lld files -> %lld in %.2f s: %.1f MB/s of output (%.1f MB read)\n",
              static_cast<long long>(optimized->files_removed),
              static_cast<long long>(optimized->files_added), optimized->seconds,
              optimized->bytes_added / optimized->seconds / 1e6, optimized->bytes_removed / 1e6);
  std::printf("scan aggregate (median of 5): %d small files %.3f s | after optimize %.3f s | "
              "single file %.3f s  (after/single = %.2f, small/single = %.2f)\n",
              files, scan_small, scan_after, scan_single, scan_after / scan_single,
              scan_small / scan_single);
  return 0;
}
