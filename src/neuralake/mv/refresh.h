// Materialized views: a catalog table of kind materialized_view (catalog.h) is a SELECT over
// other catalog tables whose result is stored as a Delta table at its `uri`, readable by any
// Delta reader and by our SQL (the Delta provider serves it).
//
// Refresh(catalog, "db.mv") brings the stored table up to date with its sources:
//  - Each refresh commit records, per Delta source, the version it read: a txn action with appId
//    "mv:<db.table>" and that version, and the same map in commitInfo (operation
//    "MATERIALIZED VIEW REFRESH", parameters mode, reason, sql, sources). These are the state of
//    the view; nothing else is kept.
//  - No source changed since the recorded versions -> a no-op (no commit).
//  - Incremental when every source only had appends since its recorded version and the query has
//    a maintainable shape (engine/query_shape.h): a projection/filter appends the query over the
//    new files only; a GROUP BY with sum/count/min/max/avg merges the partial aggregates of the
//    new files into the stored rows (one overwrite commit; the sources are read incrementally).
//  - Anything else (first refresh, a delete or overwrite in a source, a non-maintainable query,
//    a changed SQL, a source without versions, --full) -> a full recompute with every source
//    pinned at the version it recorded, committed as one overwrite.
// Every commit is one atomic Delta commit (removes + adds + txns), so a refresh killed before it
// commits left nothing: the next one starts from the old recorded versions again and redoes the
// work; rows are never doubled. A concurrent refresh of the same view loses with Conflict (both
// write the same txn appIds).
//
// Thread safety: Refresh and Status may run from many threads; refreshes of one view serialize
// through the Delta commit (the loser fails with Conflict).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "neuralake/catalog/catalog.h"
#include "neuralake/common/result.h"
#include "neuralake/storage/storage_options.h"

namespace neuralake::mv {

inline constexpr std::string_view kRefreshOperation = "MATERIALIZED VIEW REFRESH";

// The txn appId a view records for `source` ("mv:demo.events").
std::string SourceAppId(const std::string& source);

enum class RefreshMode { kNoop, kFull, kIncremental };
std::string_view RefreshModeName(RefreshMode mode);

struct SourceVersion {
  std::string table;               // qualified name
  std::string kind;                // delta, materialized_view, parquet, ...
  std::optional<int64_t> recorded;  // the version the view's last refresh read
  std::optional<int64_t> current;   // the source's latest version (versioned kinds)
};

struct RefreshOptions {
  storage::StorageOptions storage;
  bool full = false;  // --full: recompute even when an incremental refresh is possible
  // Test hook: sleep this long after the data files are written, just before the commit (the
  // kill -9 test). Also read from NEURALAKE_MV_PAUSE_BEFORE_COMMIT_MS by the CLI.
  int64_t pause_before_commit_ms = 0;
  // QUALITY HOOK (issue 17, expectations on refresh): called with the view's definition and a
  // local Parquet file holding the rows about to be committed (the whole new content for a full
  // or merged refresh, the appended rows for an incremental projection). A non-OK status aborts
  // the refresh before the commit (fail -> no commit). Unset: no checks. The quality/ subsystem
  // plugs its expectation runner in here.
  std::function<Status(const catalog::TableDefinition& view, const std::string& parquet_path,
                       RefreshMode mode)>
      check_rows;
};

struct RefreshResult {
  std::string view;
  RefreshMode mode = RefreshMode::kNoop;
  std::string reason;  // why this mode ("source demo.events had a delete since version 12 ...")
  std::vector<SourceVersion> sources;  // `current` = the version this refresh read
  bool committed = false;
  int64_t version = -1;        // the view's version after the refresh
  int64_t rows_computed = 0;   // rows the query produced (new rows, or the merged table)
  int64_t rows_added = 0;      // rows in the committed data files
  int64_t files_added = 0;
  int64_t files_removed = 0;
  double seconds = 0;
};

Result<RefreshResult> Refresh(const catalog::Catalog& catalog, std::string_view view,
                              const RefreshOptions& options);

struct ViewStatus {
  std::string view;
  std::string uri;
  bool refreshed = false;                 // the Delta table exists with a refresh commit
  std::optional<int64_t> version;         // the view table's version
  std::vector<SourceVersion> sources;
  int64_t commits_behind = 0;             // sum over sources of current - recorded
  bool stale = false;                     // a source moved (or has no version) since the refresh
  std::optional<int64_t> last_refresh_ms;  // the last refresh commit's timestamp
  std::string last_mode;                  // "full" / "incremental"
  std::string last_reason;
  std::optional<int64_t> interval_seconds;  // refresh.interval
};

// The state of one view: the versions it used against its sources' current versions.
Result<ViewStatus> StatusOf(const catalog::Catalog& catalog, std::string_view view,
                            const storage::StorageOptions& storage);

// The materialized views of a catalog, by qualified name.
std::vector<std::string> MaterializedViews(const catalog::Catalog& catalog);

}  // namespace neuralake::mv
