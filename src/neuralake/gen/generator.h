// Generate: stream a synthetic dataset into a sink, in parallel, deterministically.
//
// Rows are cut into fixed chunks; worker threads generate chunks (and, for text sinks, format
// them) in any order, while the calling thread hands them to the sink strictly in chunk order.
// A bounded window of chunks in flight keeps memory flat whatever the total size. Because every
// value is a function of (seed, column, row) and chunk boundaries do not depend on the thread
// count, output is byte-identical for 1 or N threads.
//
// Sinks: CSV (header line) and JSON lines to one object or stdout; Parquet files under a prefix
// (one file per --rows-per-file rows); a Delta table (files of about --rows-per-file rows,
// --files-per-commit files per commit, created from the dataset's schema if missing).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "neuralake/common/result.h"
#include "neuralake/gen/dataset.h"
#include "neuralake/storage/storage_options.h"

namespace neuralake::gen {

enum class OutputFormat { kCsv, kJson, kParquet, kDelta };
Result<OutputFormat> ParseOutputFormat(const std::string& name);

struct GenerateOptions {
  uint64_t seed = 42;
  int threads = 0;                 // 0: all cores
  int64_t rows = 0;                // exact row count, or
  int64_t size_bytes = 0;          // approximate raw (CSV-equivalent) bytes
  OutputFormat format = OutputFormat::kCsv;
  std::string output;              // URI or path; "-" = stdout (csv/json)
  int64_t rows_per_file = 100'000; // parquet / delta
  int64_t files_per_commit = 4;    // delta
  storage::StorageOptions storage;
  std::ostream* stdout_stream = nullptr;
  std::ostream* progress_stream = nullptr;
  bool progress_is_terminal = false;
};

struct GenerateSummary {
  int64_t rows = 0;
  int64_t bytes = 0;   // bytes written (text) or data file bytes (parquet/delta)
  int64_t files = 0;
  int64_t commits = 0;
  double seconds = 0;
};

Result<GenerateSummary> Generate(const Dataset& dataset, const GenerateOptions& options);

// Average CSV bytes per row, measured on a sample (for --size).
double EstimateRowBytes(const Dataset& dataset, uint64_t seed);

// Text rendering used by the CSV/JSON sinks (exposed for tests).
void AppendCsv(const engine::ColumnBatch& batch, bool header, std::string* out);
void AppendJsonLines(const engine::ColumnBatch& batch, std::string* out);

}  // namespace neuralake::gen
