// OPTIMIZE: compaction of small files into files near a target size, safe beside live writers.
//
// Per partition, files smaller than the target are bin-packed (in path order) into bins of about
// the target size; each bin with at least two files is rewritten through DuckDB (streamed: the
// rows are never held in memory by us) and committed on its own as remove + add actions with
// dataChange=false, so readers and streaming consumers see no new data. The transaction records
// the bin's files as read: blind appends by writers commute with it; only a concurrent removal of
// a file in the bin is a Conflict, and then that bin's new files are deleted and the bin is
// skipped (its files are gone or compacted already) while the remaining bins go on.
//
// Z-ORDER (`zorder_by` columns): every file of each selected partition (one file included) is
// rewritten in one bin, rows sorted by a Z-order (Morton) key that interleaves the bits of each
// column's rank bucket (ntile over the partition, 2^min(16, 62 / n) buckets per column), and
// written as files of the target size. Each file then covers a compact region of all n columns,
// so a filter on any one of them skips files by min/max statistics. Same commit and conflict
// rules as compaction; commitInfo records zOrderBy.
//
// Thread safety: any number of optimizers, writers and vacuums may run on one table at once.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "neuralake/common/result.h"
#include "neuralake/delta/table.h"

namespace neuralake::delta {

struct OptimizeOptions {
  int64_t target_file_size = 128LL << 20;  // bytes
  std::optional<std::string> partition_predicate;  // only partitions it selects
  int64_t max_bins = 0;                    // stop after this many bins (0: all)
  std::vector<std::string> zorder_by;      // Z-order these columns (not partition columns)
  // Test hook: called after a bin's files are written, before its commit (a sync point).
  std::function<void(int64_t bin)> before_commit;
};

struct OptimizeResult {
  int64_t bins_committed = 0;
  int64_t bins_conflicted = 0;   // skipped because a concurrent commit removed one of their files
  int64_t files_removed = 0;
  int64_t files_added = 0;
  int64_t bytes_removed = 0;
  int64_t bytes_added = 0;
  int64_t rows_rewritten = 0;
  int64_t last_version = -1;
  double seconds = 0;
};

Result<OptimizeResult> Optimize(DeltaTable& table, const OptimizeOptions& options);

}  // namespace neuralake::delta
