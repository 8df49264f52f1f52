// OPTIMIZE: compaction of small files into files near a target size, safe beside live writers.
//
// Per partition, files smaller than the target (and files with a deletion vector, whatever their
// size) are bin-packed (in path order) into bins of about the target size; each bin with at least
// two files, or with a deletion vector, is rewritten through DuckDB (streamed: the
// rows are never held in memory by us). All the rewritten bins of a run are committed together,
// as ONE commit of remove + add actions with dataChange=false, so readers and streaming consumers
// see no new data and the history gets one OPTIMIZE version per run. Only a long run commits more
// than once: when the bins rewritten since the last commit reach max_commit_bytes of input or
// max_commit_seconds (so that its uploaded files never wait for their commit longer than VACUUM's
// grace period for untracked files, see vacuum.h).
//
// The commit records every input file as read: blind appends by writers commute with it; a
// concurrent removal of an input file is a Conflict, and then the bins that lost a file are
// dropped (their new files deleted, counted in bins_conflicted) and the others are committed again
// on the latest snapshot (bounded attempts). A bin whose input file is already gone from the store
// (removed and vacuumed meanwhile) is skipped the same way.
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
  // A commit is made once the bins rewritten since the last one reach this much input...
  int64_t max_commit_bytes = 16LL << 30;
  // ... or have waited this long for their commit (keep it well under kUntrackedFileGraceHours).
  double max_commit_seconds = 600;
  // Test hook (a sync point): called before each commit of the run (0 for the first), after its
  // bins' files are written.
  std::function<void(int64_t commit)> before_commit;
};

struct OptimizeResult {
  int64_t commits = 0;           // versions this run committed (1 unless the run was long)
  int64_t bins_committed = 0;
  int64_t bins_conflicted = 0;   // dropped because a concurrent commit removed one of their files
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
