#include "neuralake/gen/generator.h"

#include <charconv>
#include <condition_variable>
#include <ctime>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "neuralake/common/progress.h"
#include "neuralake/delta/append_committer.h"
#include "neuralake/delta/table.h"
#include "neuralake/delta/writer.h"
#include "neuralake/engine/engine.h"
#include "neuralake/engine/parquet_write.h"
#include "neuralake/storage/object_store_factory.h"

namespace neuralake::gen {
namespace {

using engine::ColumnBatch;
using engine::ColumnData;
using engine::ColumnKind;

void AppendDouble(double value, std::string* out) {
  char buffer[32];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out->append(buffer, end);
}

void AppendTimestamp(int64_t micros, std::string* out) {
  int64_t seconds = micros >= 0 ? micros / 1'000'000 : (micros - 999'999) / 1'000'000;
  int64_t fraction = micros - seconds * 1'000'000;
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char buffer[48];
  std::snprintf(buffer, sizeof(buffer), "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ",
                utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min,
                utc.tm_sec, static_cast<long long>(fraction));
  out->append(buffer);
}

void AppendValue(const ColumnData& column, size_t row, bool json, std::string* out) {
  if (!column.IsValid(row)) {
    if (json) out->append("null");
    return;
  }
  switch (column.kind) {
    case ColumnKind::kBool: out->append(column.ints[row] ? "true" : "false"); break;
    case ColumnKind::kInt32:
    case ColumnKind::kInt64:
    case ColumnKind::kDate: out->append(std::to_string(column.ints[row])); break;
    case ColumnKind::kDouble: AppendDouble(column.doubles[row], out); break;
    case ColumnKind::kTimestampMicros:
      if (json) out->push_back('"');
      AppendTimestamp(column.ints[row], out);
      if (json) out->push_back('"');
      break;
    case ColumnKind::kString: {
      const std::string& text = column.strings[row];
      if (json) {
        out->push_back('"');
        for (char c : text) {
          if (c == '"' || c == '\\') {
            out->push_back('\\');
            out->push_back(c);
          } else if (static_cast<unsigned char>(c) < 0x20) {
            char escaped[8];
            std::snprintf(escaped, sizeof(escaped), "\\u%04x", c);
            out->append(escaped);
          } else {
            out->push_back(c);
          }
        }
        out->push_back('"');
      } else if (text.find_first_of(",\"\n\r") != std::string::npos || text.empty()) {
        out->push_back('"');
        for (char c : text) {
          if (c == '"') out->push_back('"');
          out->push_back(c);
        }
        out->push_back('"');
      } else {
        out->append(text);
      }
      break;
    }
  }
}

// Chunks handed from workers to the consuming thread in order, at most `window` in flight.
struct OrderedChunks {
  std::mutex mutex;
  std::condition_variable changed;
  std::map<int64_t, ColumnBatch> batches;
  std::map<int64_t, std::string> texts;
  int64_t consumed = 0;
  bool failed = false;
};

}  // namespace

Result<OutputFormat> ParseOutputFormat(const std::string& name) {
  if (name == "csv") return OutputFormat::kCsv;
  if (name == "json") return OutputFormat::kJson;
  if (name == "parquet") return OutputFormat::kParquet;
  if (name == "delta") return OutputFormat::kDelta;
  return Status::Invalid("unknown format '" + name + "' (known: delta, parquet, csv, json)");
}

void AppendCsv(const ColumnBatch& batch, bool header, std::string* out) {
  if (header) {
    for (size_t c = 0; c < batch.columns.size(); ++c) {
      if (c > 0) out->push_back(',');
      out->append(batch.columns[c].name);
    }
    out->push_back('\n');
  }
  for (int64_t row = 0; row < batch.num_rows; ++row) {
    for (size_t c = 0; c < batch.columns.size(); ++c) {
      if (c > 0) out->push_back(',');
      AppendValue(batch.columns[c], static_cast<size_t>(row), false, out);
    }
    out->push_back('\n');
  }
}

void AppendJsonLines(const ColumnBatch& batch, std::string* out) {
  for (int64_t row = 0; row < batch.num_rows; ++row) {
    out->push_back('{');
    for (size_t c = 0; c < batch.columns.size(); ++c) {
      if (c > 0) out->push_back(',');
      out->push_back('"');
      out->append(batch.columns[c].name);
      out->append("\":");
      AppendValue(batch.columns[c], static_cast<size_t>(row), true, out);
    }
    out->append("}\n");
  }
}

double EstimateRowBytes(const Dataset& dataset, uint64_t seed) {
  constexpr int64_t kSample = 2000;
  std::string text;
  AppendCsv(dataset.Generate(seed, 0, kSample), false, &text);
  return static_cast<double>(text.size()) / kSample;
}

namespace {

// Where finished chunks go. Consume() is called in chunk order on one thread.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual bool WantsText() const { return false; }
  virtual Status Consume(int64_t index, ColumnBatch* batch, std::string* text) = 0;
  virtual Status Finish() = 0;
  GenerateSummary summary;
};

class TextSink : public Sink {
 public:
  TextSink(std::unique_ptr<storage::ObjectStore> store,
           std::unique_ptr<storage::ObjectWriter> writer, std::ostream* stream)
      : store_(std::move(store)), writer_(std::move(writer)), stream_(stream) {}
  bool WantsText() const override { return true; }
  Status Consume(int64_t, ColumnBatch* batch, std::string* text) override {
    summary.bytes += static_cast<int64_t>(text->size());
    if (stream_ != nullptr) {
      stream_->write(text->data(), static_cast<std::streamsize>(text->size()));
      if (!*stream_) return Status::IOError("writing to stdout failed");
      return Status::OK();
    }
    return writer_->Append(*text);
  }
  Status Finish() override {
    if (stream_ != nullptr) {
      stream_->flush();
      return Status::OK();
    }
    summary.files = 1;
    return writer_->Close();
  }

 private:
  std::unique_ptr<storage::ObjectStore> store_;  // outlives writer_ (declared first)
  std::unique_ptr<storage::ObjectWriter> writer_;
  std::ostream* stream_;
};

class ParquetSink : public Sink {
 public:
  ParquetSink(std::unique_ptr<engine::Engine> engine, std::string prefix)
      : engine_(std::move(engine)), prefix_(std::move(prefix)) {}
  Status Consume(int64_t index, ColumnBatch* batch, std::string*) override {
    char name[32];
    std::snprintf(name, sizeof(name), "part-%06lld.parquet", static_cast<long long>(index));
    engine::ParquetWriteSpec spec;
    spec.target = prefix_ + "/" + name;
    spec.single_file = true;
    spec.compression = "zstd";
    NL_ASSIGN_OR_RETURN(auto files, engine::WriteParquet(
                                        *engine_, engine::WriteSource::FromBatches({batch}), spec));
    for (const auto& file : files) summary.bytes += file.size_bytes;
    summary.files += static_cast<int64_t>(files.size());
    return Status::OK();
  }
  Status Finish() override { return Status::OK(); }

 private:
  std::unique_ptr<engine::Engine> engine_;
  std::string prefix_;
};

// Each generated chunk becomes exactly one data file (contiguous rows, so the per-file statistics
// are tight ranges and queries can skip files); every `files_per_commit` files are committed
// together as a blind append. Only one chunk is inside DuckDB at a time: memory stays bounded
// however many files a commit holds.
class DeltaSink : public Sink {
 public:
  DeltaSink(std::unique_ptr<engine::Engine> engine, std::unique_ptr<delta::DeltaTable> table,
            int64_t files_per_commit)
      : engine_(std::move(engine)), table_(std::move(table)), files_per_commit_(files_per_commit) {}

  Status Consume(int64_t, ColumnBatch* batch, std::string*) override {
    Status status = Write(*batch);
    *batch = ColumnBatch();
    return status;
  }
  Status Finish() override {
    if (!pending_.empty()) NL_RETURN_NOT_OK(Commit());
    return Status::OK();
  }

 private:
  static constexpr int64_t kOneFile = int64_t{1} << 62;

  Status Write(const ColumnBatch& batch) {
    delta::DataSource source = delta::DataSource::FromBatches({&batch});
    source.description = "neuralake generate";
    if (!snapshot_) {
      NL_ASSIGN_OR_RETURN(bool exists, table_->Exists());
      if (!exists) {
        // The first chunk creates the table (its schema is the dataset's) in one commit.
        delta::CreateTableOptions create;
        create.source = source;
        create.write.target_file_size = kOneFile;
        NL_ASSIGN_OR_RETURN(auto result, delta::CreateTable(*table_, create));
        Count(result.files_added, result.bytes_added, 1);
        snapshot_ = result.snapshot;
        return Status::OK();
      }
      NL_ASSIGN_OR_RETURN(snapshot_, table_->LoadSnapshot());
    }
    NL_ASSIGN_OR_RETURN(auto adds, delta::WriteFiles(*table_, *snapshot_, source, kOneFile));
    for (auto& add : adds) pending_.push_back(std::move(add));
    if (static_cast<int64_t>(pending_.size()) >= files_per_commit_) return Commit();
    return Status::OK();
  }

  void Count(int64_t files, int64_t bytes, int64_t commits) {
    summary.files += files;
    summary.bytes += bytes;
    summary.commits += commits;
  }

  Status Commit() {
    delta::Transaction transaction(&table_->log(), snapshot_);
    transaction.SetOperation("WRITE", {{"mode", "Append"}, {"source", "neuralake generate"}});
    int64_t bytes = 0;
    int64_t files = static_cast<int64_t>(pending_.size());
    for (auto& add : pending_) {
      bytes += add.size;
      transaction.AddAction(std::move(add));
    }
    pending_.clear();
    NL_ASSIGN_OR_RETURN(auto committed, delta::AppendCommitter(table_.get()).Commit(transaction));
    snapshot_ = committed.snapshot;
    Count(files, bytes, 1);
    return Status::OK();
  }

  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<delta::DeltaTable> table_;
  int64_t files_per_commit_;
  std::shared_ptr<const delta::Snapshot> snapshot_;
  std::vector<delta::AddFile> pending_;
};

Result<std::unique_ptr<Sink>> MakeSink(const GenerateOptions& options) {
  if (options.output.empty()) return Status::Invalid("--output is required");
  switch (options.format) {
    case OutputFormat::kCsv:
    case OutputFormat::kJson: {
      if (options.output == "-") {
        return std::unique_ptr<Sink>(
            std::make_unique<TextSink>(nullptr, nullptr, options.stdout_stream));
      }
      NL_ASSIGN_OR_RETURN(auto target,
                          storage::OpenObjectStoreForKey(options.output, options.storage));
      if (target.key.empty()) return Status::Invalid("--output names no file: " + options.output);
      NL_ASSIGN_OR_RETURN(auto writer, target.store->OpenWriter(target.key));
      return std::unique_ptr<Sink>(
          std::make_unique<TextSink>(std::move(target.store), std::move(writer), nullptr));
    }
    case OutputFormat::kParquet:
    case OutputFormat::kDelta: {
      if (options.output == "-") return Status::Invalid("parquet and delta need an --output URI");
      engine::EngineOptions engine_options;
      engine_options.storage = options.storage;
      NL_ASSIGN_OR_RETURN(auto engine, engine::Engine::Make(engine_options));
      NL_ASSIGN_OR_RETURN(auto location, storage::ParseLocation(options.output));
      if (options.format == OutputFormat::kParquet) {
        std::string prefix = location.ToUri();
        if (location.scheme == "file") {
          std::error_code error;
          std::filesystem::create_directories(location.path, error);
          if (error) return Status::IOError("cannot create '" + location.path + "'");
          prefix = location.path;
        }
        return std::unique_ptr<Sink>(std::make_unique<ParquetSink>(std::move(engine), prefix));
      }
      delta::TableOptions table_options;
      table_options.storage = options.storage;
      table_options.engine = engine.get();
      NL_ASSIGN_OR_RETURN(auto table, delta::DeltaTable::Open(options.output, table_options));
      return std::unique_ptr<Sink>(std::make_unique<DeltaSink>(
          std::move(engine), std::move(table), options.files_per_commit));
    }
  }
  return Status::Internal("unhandled output format");
}

}  // namespace

Result<GenerateSummary> Generate(const Dataset& dataset, const GenerateOptions& options) {
  int64_t rows = options.rows;
  if (rows < 0) return Status::Invalid("--rows must be >= 0");
  if (options.size_bytes < 0) return Status::Invalid("--size must be >= 0");
  if (rows == 0 && options.size_bytes > 0) {
    rows = static_cast<int64_t>(options.size_bytes / EstimateRowBytes(dataset, options.seed));
  }
  if (rows == 0 && options.size_bytes == 0) return Status::Invalid("give --rows N or --size S");
  if (options.rows_per_file <= 0) return Status::Invalid("--rows-per-file must be > 0");
  if (options.files_per_commit <= 0) return Status::Invalid("--files-per-commit must be > 0");
  bool text = options.format == OutputFormat::kCsv || options.format == OutputFormat::kJson;
  int64_t chunk_rows = text ? 50'000 : options.rows_per_file;
  int64_t chunks = (rows + chunk_rows - 1) / chunk_rows;
  int threads = options.threads > 0 ? options.threads
                                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  int64_t window = threads * 2L;

  NL_ASSIGN_OR_RETURN(std::unique_ptr<Sink> sink, MakeSink(options));
  Progress progress(options.progress_stream, "generate " + dataset.name, rows,
                    options.progress_is_terminal);

  OrderedChunks state;
  std::atomic<int64_t> next{0};
  auto worker = [&] {
    while (true) {
      int64_t index = next.fetch_add(1);
      if (index >= chunks) return;
      {
        std::unique_lock lock(state.mutex);
        state.changed.wait(lock, [&] { return state.failed || index < state.consumed + window; });
        if (state.failed) return;
      }
      int64_t first = index * chunk_rows;
      ColumnBatch batch = dataset.Generate(options.seed, first, std::min(chunk_rows, rows - first));
      std::string rendered;
      if (text) {
        if (options.format == OutputFormat::kCsv) AppendCsv(batch, index == 0, &rendered);
        else AppendJsonLines(batch, &rendered);
        batch = ColumnBatch();
      }
      std::lock_guard lock(state.mutex);
      state.batches.emplace(index, std::move(batch));
      if (text) state.texts.emplace(index, std::move(rendered));
      state.changed.notify_all();
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(worker);

  Status status;
  int64_t rows_done = 0;
  for (int64_t index = 0; index < chunks && status.ok(); ++index) {
    ColumnBatch batch;
    std::string rendered;
    {
      std::unique_lock lock(state.mutex);
      state.changed.wait(lock, [&] { return state.batches.count(index) > 0; });
      batch = std::move(state.batches[index]);
      state.batches.erase(index);
      if (text) {
        rendered = std::move(state.texts[index]);
        state.texts.erase(index);
      }
    }
    int64_t chunk_rows_here = std::min(chunk_rows, rows - index * chunk_rows);
    status = sink->Consume(index, &batch, &rendered);
    rows_done += chunk_rows_here;
    {
      std::lock_guard lock(state.mutex);
      state.consumed = index + 1;
      if (!status.ok()) state.failed = true;
      state.changed.notify_all();
    }
    progress.Update(rows_done, sink->summary.bytes, sink->summary.files, sink->summary.commits);
  }
  for (auto& thread : pool) thread.join();
  if (status.ok()) status = sink->Finish();
  if (!status.ok()) return status;
  progress.Update(rows_done, sink->summary.bytes, sink->summary.files, sink->summary.commits);
  progress.Finish();
  GenerateSummary summary = sink->summary;
  summary.rows = rows_done;
  summary.seconds = progress.ElapsedSeconds();
  return summary;
}

}  // namespace neuralake::gen
