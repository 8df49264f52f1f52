// Delta benchmarks: commit latency, snapshot load of a long log, append throughput.
//
//   build/bin/delta_bench [--uri s3://lake/bench/delta] [--commits 10000] [--latency-commits 200]
//                         [--append-parquet FILE]
//
// Commit latency times Transaction::Commit alone (a blind append of one add action: the JSON
// commit written with put-if-absent). The long log is built the same way with a checkpoint every
// 100 commits, then loaded cold (a fresh DeltaTable) several times. Append throughput writes the
// rows of a Parquet file through DuckDB into the table (read + encode + upload + commit).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include <CLI/CLI.hpp>

#include "neuralake/delta/checkpoint.h"
#include "neuralake/delta/table.h"
#include "neuralake/delta/transaction.h"
#include "neuralake/delta/writer.h"
#include "neuralake/storage/test_environment.h"

namespace {

using namespace neuralake;
using Clock = std::chrono::steady_clock;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

void Die(const Status& status, const char* what) {
  std::fprintf(stderr, "error: %s: %s\n", what, status.ToString().c_str());
  std::exit(1);
}

std::unique_ptr<delta::DeltaTable> CreateEmpty(const std::string& uri,
                                               const storage::StorageOptions& storage) {
  delta::TableOptions options;
  options.storage = storage;
  auto table = delta::DeltaTable::Open(uri, options);
  if (!table.ok()) Die(table.status(), "open");
  delta::CreateTableOptions create;
  create.source = delta::DataSource::FromQuery("SELECT 1::BIGINT AS id, 'x' AS name WHERE false");
  auto created = delta::CreateTable(**table, create);
  if (!created.ok()) Die(created.status(), "create");
  return std::move(table).value();
}

// Commits `count` blind appends of one (metadata-only) add each; returns per-commit latencies.
std::vector<double> CommitMany(delta::DeltaTable& table, int count, bool checkpoints) {
  auto snapshot = table.LoadSnapshot();
  if (!snapshot.ok()) Die(snapshot.status(), "snapshot");
  std::shared_ptr<const delta::Snapshot> current = *snapshot;
  std::vector<double> latencies;
  latencies.reserve(count);
  for (int i = 0; i < count; ++i) {
    delta::Transaction transaction(&table.log(), current);
    transaction.SetOperation("WRITE", {{"mode", "Append"}});
    delta::AddFile add;
    char path[64];
    std::snprintf(path, sizeof(path), "part-%08d.parquet", i);
    add.path = path;
    add.size = 1000 + i;
    add.modification_time = 1'767'225'600'000 + i;
    add.stats = R"({"numRecords":10,"minValues":{"id":0},"maxValues":{"id":9},"nullCount":{"id":0}})";
    transaction.AddAction(add);
    delta::CommitOptions options;
    if (checkpoints) {
      options.after_commit = [&table](const std::shared_ptr<const delta::Snapshot>& s) -> Status {
        if (s->version % 100 != 0) return Status::OK();
        return delta::WriteCheckpoint(table, *s).status();
      };
    }
    auto start = Clock::now();
    auto result = transaction.Commit(options);
    latencies.push_back(Ms(Clock::now() - start));
    if (!result.ok()) Die(result.status(), "commit");
    current = result->snapshot;
    if (checkpoints && (i + 1) % 1000 == 0) {
      std::fprintf(stderr, "  built %d commits\n", i + 1);
    }
  }
  return latencies;
}

double Percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<size_t>(p * values.size()))];
}

// Opens `uri` from scratch and loads its latest snapshot `runs` times: load times in ms, and the
// number of active files in *files.
std::vector<double> TimeSnapshotLoads(const std::string& uri,
                                      const storage::StorageOptions& storage, int runs,
                                      size_t* files) {
  std::vector<double> loads;
  for (int run = 0; run < runs; ++run) {
    delta::TableOptions options;
    options.storage = storage;
    auto start = Clock::now();
    auto fresh = delta::DeltaTable::Open(uri, options);
    if (!fresh.ok()) Die(fresh.status(), "open");
    auto snapshot = (*fresh)->LoadSnapshot();
    loads.push_back(Ms(Clock::now() - start));
    if (!snapshot.ok()) Die(snapshot.status(), "load");
    *files = (*snapshot)->files.size();
  }
  return loads;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("Delta benchmarks: commit latency, snapshot load, append throughput");
  std::string minio_root = "s3://lake/bench/delta-" + std::to_string(getpid());
  std::string local_root = "/tmp/neuralake-bench-delta-" + std::to_string(getpid());
  int commits = 10'000;
  int latency_commits = 200;
  std::string append_parquet;
  app.add_option("--minio-root", minio_root, "where MinIO tables go");
  app.add_option("--local-root", local_root, "where local tables go");
  app.add_option("--commits", commits, "commits in the long-log table (checkpoint every 100)");
  app.add_option("--latency-commits", latency_commits, "commits timed for latency");
  app.add_option("--append-parquet", append_parquet, "Parquet file to append (throughput)");
  std::vector<std::string> load_only;
  app.add_option("--load-only", load_only,
                 "only time snapshot loads of these existing tables (e.g. an earlier long-log)");
  CLI11_PARSE(app, argc, argv);
  storage::StorageOptions storage = testing::LocalServiceStorageOptions();
  if (!load_only.empty()) {
    for (const std::string& uri : load_only) {
      size_t files = 0;
      std::vector<double> loads = TimeSnapshotLoads(uri, storage, 11, &files);
      std::printf("load %s: median %.1f ms, min %.1f ms (%zu active files)\n", uri.c_str(),
                  Percentile(loads, 0.5), Percentile(loads, 0.0), files);
    }
    return 0;
  }

  std::printf("== commit latency (%d blind appends, put-if-absent of the JSON commit)\n",
              latency_commits);
  for (const std::string& root : {local_root, minio_root}) {
    auto table = CreateEmpty(root + "/latency", storage);
    auto latencies = CommitMany(*table, latency_commits, false);
    std::printf("%-6s p50 %7.2f ms   p99 %7.2f ms   max %7.2f ms\n",
                root.rfind("s3://", 0) == 0 ? "minio" : "local", Percentile(latencies, 0.5),
                Percentile(latencies, 0.99), Percentile(latencies, 1.0));
  }

  std::printf("\n== snapshot load of a %d-commit table (checkpoint every 100)\n", commits);
  for (const std::string& root : {local_root, minio_root}) {
    std::string uri = root + "/long-log";
    auto build_start = Clock::now();
    auto table = CreateEmpty(uri, storage);
    CommitMany(*table, commits, true);
    std::fprintf(stderr, "  built %s in %.1f s\n", uri.c_str(),
                 Ms(Clock::now() - build_start) / 1000);
    size_t files = 0;
    std::vector<double> loads = TimeSnapshotLoads(uri, storage, 7, &files);
    std::printf("%-6s median %7.1f ms   min %7.1f ms   (%zu active files)   table %s\n",
                root.rfind("s3://", 0) == 0 ? "minio" : "local", Percentile(loads, 0.5),
                Percentile(loads, 0.0), files, uri.c_str());
  }

  if (!append_parquet.empty()) {
    std::printf("\n== append throughput (%s)\n", append_parquet.c_str());
    for (const std::string& root : {local_root, minio_root}) {
      delta::TableOptions options;
      options.storage = storage;
      auto table = delta::DeltaTable::Open(root + "/append", options);
      if (!table.ok()) Die(table.status(), "open");
      auto source = delta::DataSource::FromFile(append_parquet);
      if (!source.ok()) Die(source.status(), "source");
      delta::CreateTableOptions create;
      create.source = *source;
      auto start = Clock::now();
      auto written = delta::CreateTable(**table, create);
      double seconds = Ms(Clock::now() - start) / 1000;
      if (!written.ok()) Die(written.status(), "append");
      std::printf("%-6s %lld rows in %.2f s: %.0f rows/s, %.1f MB/s of Parquet written, %lld files\n",
                  root.rfind("s3://", 0) == 0 ? "minio" : "local",
                  static_cast<long long>(written->rows_added), seconds,
                  written->rows_added / seconds, written->bytes_added / seconds / 1e6,
                  static_cast<long long>(written->files_added));
    }
  }
  return 0;
}
