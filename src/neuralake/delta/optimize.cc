#include "neuralake/delta/optimize.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <thread>

#include "neuralake/delta/scan_plan.h"
#include "neuralake/delta/transaction.h"
#include "neuralake/delta/writer.h"
#include "neuralake/engine/engine.h"
#include "neuralake/storage/object_store_factory.h"

namespace neuralake::delta {
namespace {

std::string PartitionKey(const PartitionValues& values) {
  std::string key;
  for (const auto& [column, value] : values) {
    key += column + "=" + (value ? "v" + *value : std::string("null")) + "\x1f";
  }
  return key;
}

int64_t RowsOf(const AddFile& file) { return std::max<int64_t>(NumRecords(file), 0); }

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// Bins bigger than this are read by DuckDB straight from the store instead of staged in memory.
constexpr int64_t kMaxStagedBytes = int64_t{1} << 30;

// The files that can be rewritten (`keep`), grouped by partition, each group in path order. A file
// with a deletion vector is read through the scan plan, which drops its deleted rows, and its
// remove carries the vector (RemoveFor), so the rewrite purges the vector.
std::vector<std::vector<AddFile>> FilesByPartition(
    const std::vector<AddFile>& files, const std::function<bool(const AddFile&)>& keep) {
  std::map<std::string, std::vector<AddFile>> by_partition;
  for (const AddFile& file : files) {
    if (keep(file)) {
      by_partition[PartitionKey(file.partition_values)].push_back(file);
    }
  }
  std::vector<std::vector<AddFile>> groups;
  for (auto& [key, group] : by_partition) {
    std::sort(group.begin(), group.end(),
              [](const AddFile& a, const AddFile& b) { return a.path < b.path; });
    groups.push_back(std::move(group));
  }
  return groups;
}

// Bins of small files per partition, each about `target` bytes, two files or more. Files with a
// deletion vector are rewritten whatever their size (a bin of one such file too), as Spark's
// OPTIMIZE purges deletion vectors.
std::vector<std::vector<AddFile>> PlanBins(const std::vector<AddFile>& files, int64_t target) {
  std::vector<std::vector<AddFile>> bins;
  auto eligible = [target](const AddFile& file) {
    return file.size < target || file.deletion_vector.has_value();
  };
  auto worth_rewriting = [](const std::vector<AddFile>& bin) {
    return bin.size() > 1 || (bin.size() == 1 && bin[0].deletion_vector.has_value());
  };
  for (auto& candidates : FilesByPartition(files, eligible)) {
    std::vector<AddFile> bin;
    int64_t bytes = 0;
    for (AddFile& file : candidates) {
      if (!bin.empty() && bytes + file.size > target) {
        if (worth_rewriting(bin)) bins.push_back(std::move(bin));
        bin.clear();
        bytes = 0;
      }
      bytes += file.size;
      bin.push_back(std::move(file));
    }
    if (worth_rewriting(bin)) bins.push_back(std::move(bin));
  }
  return bins;
}

// Every file of each partition as one bin (Z-ORDER rewrites whole partitions).
std::vector<std::vector<AddFile>> PlanPartitions(const std::vector<AddFile>& files) {
  return FilesByPartition(files, [](const AddFile&) { return true; });
}

Status CheckZOrderColumns(const Snapshot& snapshot, const std::vector<std::string>& columns) {
  const auto& partitions = snapshot.partition_columns();
  for (const std::string& column : columns) {
    const StructField* field = snapshot.schema.Find(column);
    if (field == nullptr) {
      return Status::Invalid("zorder column '" + column + "' is not in the table schema");
    }
    if (std::find(partitions.begin(), partitions.end(), field->name) != partitions.end()) {
      return Status::Invalid("zorder column '" + column +
                             "' is a partition column (files never mix its values)");
    }
    if (field->type.kind() != DataType::Kind::kPrimitive &&
        field->type.kind() != DataType::Kind::kDecimal) {
      return Status::Invalid("zorder column '" + column + "' has type " +
                             field->type.ToString() + "; only primitive columns can be ordered");
    }
  }
  if (columns.size() > 31) return Status::Invalid("zorder takes at most 31 columns");
  return Status::OK();
}

// A column's value as a DOUBLE that orders like it (for approx_quantile); empty for types that
// have none (strings, binary), which are ranked by a window instead.
std::string NumericValueSql(const StructField& field) {
  std::string column = engine::Engine::QuoteIdentifier(field.name);
  const DataType& type = field.type;
  if (type.kind() == DataType::Kind::kDecimal) return "CAST(" + column + " AS DOUBLE)";
  const std::string& name = type.name();
  if (name == "long" || name == "integer" || name == "short" || name == "byte" ||
      name == "float" || name == "double") {
    return "CAST(" + column + " AS DOUBLE)";
  }
  if (name == "boolean") return "CAST(CAST(" + column + " AS INTEGER) AS DOUBLE)";
  if (name == "date") return "CAST(" + column + " - DATE '1970-01-01' AS DOUBLE)";
  if (name == "timestamp" || name == "timestamp_ntz") {
    return "CAST(epoch_us(" + column + ") AS DOUBLE)";
  }
  return "";
}

// `scan` with its rows sorted by the Z-order key of `columns`. Each column becomes a bucket in
// [0, 2^bits) by rank, so that skewed columns (Zipf ids) still spread over all buckets: numbers,
// dates and timestamps by a binary search of the value among 2^bits - 1 approximate quantiles (one
// aggregate over the key columns, then one projection per bit), other types by an ntile window.
// NULLs fall in the last bucket. The buckets' bits are interleaved, most significant first.
std::string ZOrderSql(const std::string& scan, const Schema& schema,
                      const std::vector<std::string>& columns) {
  const int n = static_cast<int>(columns.size());
  const int bits = std::min(8, 62 / n);
  const int buckets = 1 << bits;
  std::string fractions;
  for (int k = 1; k < buckets; ++k) {
    fractions += (k > 1 ? ", " : "") + std::to_string(static_cast<double>(k) / buckets);
  }
  std::string quantiles, ranks, start_buckets, excluded;
  struct Searched {
    std::string bucket, quantiles, value;  // column names and the value expression
  };
  std::vector<Searched> searched;
  for (int i = 0; i < n; ++i) {
    const StructField& field = *schema.Find(columns[i]);
    std::string index = std::to_string(i);
    std::string bucket = "__nl_zbucket" + index;
    std::string value = NumericValueSql(field);
    if (value.empty()) {
      ranks += ", ntile(" + std::to_string(buckets) + ") OVER (ORDER BY " +
               engine::Engine::QuoteIdentifier(field.name) + " NULLS LAST) - 1 AS " + bucket;
    } else {
      std::string quantile = "__nl_zq" + index;
      quantiles += std::string(quantiles.empty() ? "" : ", ") + "approx_quantile(" + value +
                   ", [" + fractions + "]) AS " + quantile;
      excluded += ", " + quantile;
      start_buckets += ", CAST(0 AS BIGINT) AS " + bucket;
      searched.push_back({bucket, quantile, value});
    }
    excluded += ", " + bucket;
  }
  std::string rows = "SELECT *" + ranks + " FROM (" + scan + ")";
  if (!searched.empty()) {
    rows = "SELECT *" + start_buckets + " FROM (" + rows + ") CROSS JOIN (SELECT " + quantiles +
           " FROM (" + scan + "))";
    for (int step = buckets / 2; step >= 1; step /= 2) {
      std::string replaced;
      // Lists are 1-based: quantiles[b + step] is the lower bound of bucket b + step.
      for (const auto& [bucket, quantiles_column, value] : searched) {
        replaced += std::string(replaced.empty() ? "" : ", ") + bucket + " + CASE WHEN " + value +
                    " >= " + quantiles_column + "[" + bucket + " + " + std::to_string(step) +
                    "] THEN " + std::to_string(step) + " ELSE 0 END AS " + bucket;
      }
      rows = "SELECT * REPLACE (" + replaced + ") FROM (" + rows + ")";
    }
    std::string nulls;
    for (const auto& [bucket, quantiles_column, value] : searched) {
      nulls += std::string(nulls.empty() ? "" : ", ") + "CASE WHEN " + value + " IS NULL THEN " +
               std::to_string(buckets - 1) + " ELSE " + bucket + " END AS " + bucket;
    }
    rows = "SELECT * REPLACE (" + nulls + ") FROM (" + rows + ")";
  }
  std::string key;
  for (int bit = bits - 1; bit >= 0; --bit) {
    for (int i = 0; i < n; ++i) {
      key += std::string(key.empty() ? "" : " | ") + "(((__nl_zbucket" + std::to_string(i) +
             " >> " + std::to_string(bit) + ") & 1) << " + std::to_string(bit * n + (n - 1 - i)) +
             ")";
    }
  }
  return "SELECT * EXCLUDE (" + excluded.substr(2) + ") FROM (" + rows + ") ORDER BY " + key;
}

// A bin's small files copied into a private in-memory store with parallel GETs, so that DuckDB
// reads them from memory instead of issuing a HEAD, a footer read and one ranged GET per column
// chunk, one file after another, against the object store (latency-bound on S3: 1,500 files of
// 260 KB took 11 s). Only for remote tables; the staged copies are deleted afterwards.
class StagedBin {
 public:
  static Result<std::unique_ptr<StagedBin>> Stage(DeltaTable& table,
                                                  const std::vector<AddFile>& bin) {
    auto staged = std::unique_ptr<StagedBin>(new StagedBin());
    staged->name_ = "nl-optimize-" + NewUuid();
    NL_ASSIGN_OR_RETURN(staged->store_, storage::MakeMemoryObjectStore(staged->name_, ""));
    staged->files_ = bin;
    std::atomic<size_t> next{0};
    std::vector<Status> failures(bin.size());
    auto worker = [&] {
      for (size_t i = next.fetch_add(1); i < bin.size(); i = next.fetch_add(1)) {
        auto bytes = table.store().Get(bin[i].path);
        if (!bytes.ok()) {
          failures[i] = bytes.status();
          continue;
        }
        std::string key = std::to_string(i) + ".parquet";
        failures[i] = staged->store_->Put(key, *bytes);
        staged->files_[i].path = "memory://" + staged->name_ + "/" + key;
      }
    };
    size_t threads = std::min<size_t>(16, bin.size());
    std::vector<std::thread> pool;
    for (size_t t = 0; t < threads; ++t) pool.emplace_back(worker);
    for (auto& thread : pool) thread.join();
    for (const auto& failure : failures) {
      if (!failure.ok()) return failure.WithContext("staging files to compact");
    }
    return staged;
  }

  ~StagedBin() {
    for (size_t i = 0; i < files_.size(); ++i) {
      (void)store_->Delete(std::to_string(i) + ".parquet");
    }
  }

  // The bin with paths pointing at the staged copies.
  const std::vector<AddFile>& files() const { return files_; }

 private:
  StagedBin() = default;
  std::string name_;
  std::unique_ptr<storage::ObjectStore> store_;
  std::vector<AddFile> files_;
};

}  // namespace

namespace {

// A rewritten bin waiting for its commit: the files it replaces and the files that replace them.
struct RewrittenBin {
  std::vector<AddFile> removed;
  std::vector<AddFile> added;
  int64_t bytes_removed = 0;
  int64_t bytes_added = 0;
  int64_t rows = 0;
};

void DeleteOutputs(DeltaTable& table, const RewrittenBin& bin) {
  for (const AddFile& add : bin.added) (void)table.store().Delete(add.path);
}

// Whether every file of `bin` is still active in `snapshot` with the same deletion vector (a
// concurrent DELETE that re-added a file with a new vector changed its rows: the bin's rewrite
// would bring them back).
bool StillActive(const Snapshot& snapshot, const std::vector<AddFile>& bin) {
  for (const AddFile& file : bin) {
    auto it = std::lower_bound(
        snapshot.files.begin(), snapshot.files.end(), file.path,
        [](const AddFile& active, const std::string& path) { return active.path < path; });
    if (it == snapshot.files.end() || it->path != file.path) return false;
    if (it->deletion_vector != file.deletion_vector) return false;
  }
  return true;
}

// Commits the pending bins as ONE transaction read at `*snapshot`. A conflict (a concurrent
// commit removed a file of some bin, or changed the metadata) drops the bins that lost a file
// (their new files are deleted) and retries the rest on the latest snapshot; bins are never
// duplicated because each attempt declares its input files as read.
Status CommitBins(DeltaTable& table, const OptimizeOptions& options, int64_t commit_index,
                  std::vector<RewrittenBin>& pending, std::shared_ptr<const Snapshot>* snapshot,
                  OptimizeResult* result) {
  if (pending.empty()) return Status::OK();
  if (options.before_commit) options.before_commit(commit_index);
  const std::shared_ptr<const Snapshot> planned = *snapshot;
  constexpr int kMaxAttempts = 10;
  for (int attempt = 1;; ++attempt) {
    Transaction transaction(&table.log(), *snapshot);
    nlohmann::json parameters = {{"targetSize", std::to_string(options.target_file_size)},
                                 {"predicate", options.partition_predicate.value_or("")}};
    if (!options.zorder_by.empty()) {
      parameters["zOrderBy"] = nlohmann::json(options.zorder_by).dump();
    }
    transaction.SetOperation("OPTIMIZE", parameters);
    int64_t now = NowMs();
    for (const RewrittenBin& bin : pending) {
      for (const AddFile& file : bin.removed) {
        transaction.ReadFile(file.path);
        transaction.AddAction(RemoveFor(file, now, /*data_change=*/false));
      }
      for (AddFile add : bin.added) {
        add.data_change = false;
        transaction.AddAction(std::move(add));
      }
    }
    auto committed = transaction.Commit();
    if (committed.ok()) {
      ++result->commits;
      for (const RewrittenBin& bin : pending) {
        ++result->bins_committed;
        result->bytes_removed += bin.bytes_removed;
        result->bytes_added += bin.bytes_added;
        result->files_removed += static_cast<int64_t>(bin.removed.size());
        result->files_added += static_cast<int64_t>(bin.added.size());
        result->rows_rewritten += bin.rows;
      }
      result->last_version = committed->version;
      *snapshot = committed->snapshot;
      pending.clear();
      return Status::OK();
    }
    const Status& status = committed.status();
    if (!status.IsConflict() && !status.IsInvalid() && !status.IsUnsupported()) {
      // The outcome is unknown: the new files stay (a committed version may name them; VACUUM
      // removes them otherwise).
      pending.clear();
      return status.WithContext("optimize");
    }
    NL_ASSIGN_OR_RETURN(auto latest, table.LoadSnapshot());
    // A metadata or protocol change: the rewritten files were written for the old table.
    bool same_table = status.IsConflict() &&
                      latest->metadata.schema_string == planned->metadata.schema_string &&
                      latest->metadata.partition_columns == planned->metadata.partition_columns &&
                      latest->protocol == planned->protocol;
    std::vector<RewrittenBin> kept;
    for (RewrittenBin& bin : pending) {
      if (same_table && attempt < kMaxAttempts && StillActive(*latest, bin.removed)) {
        kept.push_back(std::move(bin));
      } else {
        DeleteOutputs(table, bin);
        ++result->bins_conflicted;
      }
    }
    pending = std::move(kept);
    *snapshot = latest;
    result->last_version = latest->version;
    if (pending.empty()) {
      return status.IsConflict() ? Status::OK() : status.WithContext("optimize");
    }
  }
}

}  // namespace

Result<OptimizeResult> Optimize(DeltaTable& table, const OptimizeOptions& options) {
  if (options.target_file_size <= 0) return Status::Invalid("target size must be positive");
  if (options.max_commit_bytes <= 0 || !(options.max_commit_seconds > 0)) {
    return Status::Invalid("optimize commit bounds must be positive");
  }
  auto start = std::chrono::steady_clock::now();
  NL_ASSIGN_OR_RETURN(auto snapshot, table.LoadSnapshot());
  NL_RETURN_NOT_OK(CheckWriteSupported(snapshot->protocol, snapshot->metadata, snapshot->schema));
  std::vector<AddFile> candidates = snapshot->files;
  if (options.partition_predicate) {
    NL_ASSIGN_OR_RETURN(candidates,
                        FilesInPartitions(table, *snapshot, *options.partition_predicate));
  }
  const bool zorder = !options.zorder_by.empty();
  if (zorder) NL_RETURN_NOT_OK(CheckZOrderColumns(*snapshot, options.zorder_by));
  std::vector<std::vector<AddFile>> bins =
      zorder ? PlanPartitions(candidates) : PlanBins(candidates, options.target_file_size);
  OptimizeResult result;
  result.last_version = snapshot->version;
  // The bins are rewritten against the snapshot the plan came from; the commit re-reads it.
  const std::shared_ptr<const Snapshot> planned = snapshot;
  std::vector<RewrittenBin> pending;
  int64_t pending_bytes = 0;
  int64_t commit_index = 0;
  auto pending_since = std::chrono::steady_clock::now();
  auto abandon_pending = [&] {
    for (const RewrittenBin& bin : pending) DeleteOutputs(table, bin);
    pending.clear();
  };
  for (size_t index = 0; index < bins.size(); ++index) {
    if (options.max_bins > 0 && static_cast<int64_t>(index) >= options.max_bins) break;
    RewrittenBin rewritten;
    rewritten.removed = std::move(bins[index]);
    const std::vector<AddFile>& bin = rewritten.removed;
    for (const AddFile& file : bin) {
      rewritten.bytes_removed += file.size;
      rewritten.rows += RowsOf(file);
    }
    auto written = [&]() -> Result<std::vector<AddFile>> {
      std::unique_ptr<StagedBin> staged;
      if (table.location().scheme == "s3" && rewritten.bytes_removed <= kMaxStagedBytes) {
        NL_ASSIGN_OR_RETURN(staged, StagedBin::Stage(table, bin));
      }
      // The bin's files (or their staged copies) through the one scan path.
      NL_ASSIGN_OR_RETURN(auto plan, BuildScanPlan(table, *planned, table.uri(),
                                                   staged ? &staged->files() : &bin));
      engine::RegisteredScanPlan registered(std::move(plan));
      std::string scan = "SELECT * FROM " + registered.Relation();
      if (zorder) scan = ZOrderSql(scan, planned->schema, options.zorder_by);
      DataSource source = DataSource::FromQuery(scan);
      source.description = "optimize";
      // dataChange=false rewrites of rows the table holds: constraints are not re-checked.
      return WriteFiles(table, *planned, source, options.target_file_size,
                        /*enforce_constraints=*/false);
    }();
    if (!written.ok()) {
      // A file of the bin may be gone because a concurrent commit removed it and a VACUUM with a
      // short retention deleted it: then the bin is skipped like a conflict.
      if (written.status().IsNotFound()) {
        NL_ASSIGN_OR_RETURN(auto latest, table.LoadSnapshot());
        if (!StillActive(*latest, bin)) {
          ++result.bins_conflicted;
          continue;
        }
      }
      abandon_pending();
      return written.status().WithContext("optimize");
    }
    rewritten.added = std::move(written).value();
    for (const AddFile& add : rewritten.added) rewritten.bytes_added += add.size;
    if (pending.empty()) pending_since = std::chrono::steady_clock::now();
    pending_bytes += rewritten.bytes_removed;
    pending.push_back(std::move(rewritten));
    // Bounded commits: a long run commits every max_commit_bytes of input or max_commit_seconds
    // (its uncommitted files must not outlive VACUUM's grace period for untracked files).
    if (pending_bytes >= options.max_commit_bytes ||
        Seconds(pending_since) >= options.max_commit_seconds) {
      NL_RETURN_NOT_OK(CommitBins(table, options, commit_index++, pending, &snapshot, &result));
      pending_bytes = 0;
    }
  }
  NL_RETURN_NOT_OK(CommitBins(table, options, commit_index, pending, &snapshot, &result));
  result.seconds = Seconds(start);
  return result;
}

}  // namespace neuralake::delta
