// sql_bench: per-query latency of `neuralake sql`'s engine over a catalog (e.g. TPC-H).
//
//   sql_bench --catalog tpch.yaml --queries tests/tpch/queries [--runs 3] [--label local]
//             [--no-pruning] [--json out.json]
//
// Each query runs once to warm the snapshot cache and DuckDB, then --runs times; the figure is the
// median wall time of the QueryService::Query call (bind + prune + execute + materialize).
// Prints one line per query and the geometric mean; --json saves them for plots.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "neuralake/catalog/catalog.h"
#include "neuralake/sql/query_service.h"
#include "neuralake/storage/storage_options.h"

namespace {

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("per-query latency over a catalog");
  std::string catalog_path, queries_dir, label = "neuralake", json_path, only;
  int runs = 3;
  int threads = 0;
  bool no_pruning = false;
  bool no_cache = false;
  app.add_option("--catalog", catalog_path, "catalog YAML")->required();
  app.add_option("--queries", queries_dir, "directory of *.sql files")->required();
  app.add_option("--runs", runs, "timed runs per query (median reported)");
  app.add_option("--label", label, "name of this configuration in the output");
  app.add_option("--threads", threads, "DuckDB threads (default: all cores)");
  app.add_option("--only", only, "run only queries whose file name contains this");
  app.add_flag("--no-pruning", no_pruning, "read every active file");
  app.add_flag("--no-cache", no_cache, "no in-memory cache of remote file ranges");
  app.add_option("--json", json_path, "write results as JSON");
  CLI11_PARSE(app, argc, argv);

  auto catalog = neuralake::catalog::Catalog::FromYamlFile(catalog_path);
  if (!catalog.ok()) {
    std::cerr << "error: " << catalog.status().ToString() << "\n";
    return 1;
  }
  neuralake::sql::QueryServiceOptions options;
  options.storage = neuralake::storage::StorageOptions::FromEnvironment();
  options.threads = threads;
  options.prune_files = !no_pruning;
  options.cache_remote_files = !no_cache;
  options.timeout_ms = 0;
  auto service = neuralake::sql::QueryService::Make(std::move(catalog).value(), options);
  if (!service.ok()) {
    std::cerr << "error: " << service.status().ToString() << "\n";
    return 1;
  }

  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(queries_dir)) {
    if (entry.path().extension() == ".sql" &&
        (only.empty() || entry.path().filename().string().find(only) != std::string::npos)) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  nlohmann::ordered_json results = nlohmann::ordered_json::object();
  double log_sum = 0;
  int measured = 0;
  std::cout << "label=" << label << " catalog=" << catalog_path << " runs=" << runs << "\n";
  for (const auto& file : files) {
    std::string name = file.stem().string();
    std::string sql = ReadFile(file);
    auto cold_start = std::chrono::steady_clock::now();
    auto warm = (*service)->Query(sql);
    double cold_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                               cold_start).count();
    if (!warm.ok()) {
      std::cout << std::left << std::setw(5) << name << " FAILED: " << warm.status().ToString()
                << "\n";
      results[name] = nullptr;
      continue;
    }
    std::vector<double> times;
    int64_t files_read = 0, files_total = 0;
    for (int run = 0; run < runs; ++run) {
      auto start = std::chrono::steady_clock::now();
      auto outcome = (*service)->Query(sql);
      double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                            start).count();
      if (!outcome.ok()) {
        std::cerr << name << ": " << outcome.status().ToString() << "\n";
        return 1;
      }
      times.push_back(ms);
      files_read = files_total = 0;
      for (const auto& scan : outcome->scans) {
        files_read += scan.files_read;
        files_total += scan.files_total;
      }
    }
    std::sort(times.begin(), times.end());
    double median = times[times.size() / 2];
    log_sum += std::log(median);
    ++measured;
    results[name] = median;
    std::cout << std::left << std::setw(5) << name << std::right << std::fixed
              << std::setprecision(1) << std::setw(10) << median << " ms   first run "
              << std::setw(8) << cold_ms << " ms   files read "
              << files_read << "/" << files_total << "\n";
  }
  double geomean = measured > 0 ? std::exp(log_sum / measured) : 0;
  std::cout << "geomean " << std::fixed << std::setprecision(1) << geomean << " ms over "
            << measured << " queries\n";
  if (!json_path.empty()) {
    nlohmann::ordered_json out = {{"label", label}, {"geomean_ms", geomean}, {"queries", results}};
    std::ofstream(json_path) << out.dump(2) << "\n";
  }
  return 0;
}
