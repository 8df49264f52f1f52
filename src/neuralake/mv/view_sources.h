// The state a refresh or a status report starts from: the view's definition, its Delta table and
// latest snapshot (if any), the last refresh commit's commitInfo, and its sources (the catalog
// tables its SQL names, through views) with the versions recorded by the view and current now.
//
// Thread safety: a ViewState is used by one thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "neuralake/catalog/catalog.h"
#include "neuralake/common/result.h"
#include "neuralake/delta/snapshot.h"
#include "neuralake/delta/table.h"
#include "neuralake/mv/refresh.h"

namespace neuralake::mv {

struct OpenedSource {
  const catalog::TableDefinition* definition = nullptr;
  SourceVersion version;                      // recorded (from the view) and current
  std::unique_ptr<delta::DeltaTable> table;    // Delta / materialized-view sources only
  std::shared_ptr<const delta::Snapshot> snapshot;  // their latest snapshot
};

struct LastRefresh {
  int64_t version = -1;
  std::optional<int64_t> timestamp_ms;
  std::string mode;
  std::string reason;
  std::string sql;
};

struct ViewState {
  const catalog::Catalog* catalog = nullptr;
  const catalog::TableDefinition* definition = nullptr;
  std::unique_ptr<delta::DeltaTable> table;
  std::shared_ptr<const delta::Snapshot> snapshot;  // null: never refreshed
  std::optional<LastRefresh> last_refresh;
  std::vector<OpenedSource> sources;  // sorted by name
  // The SQL names exactly one table and it is a Delta / materialized-view table (not a view).
  bool direct_single_source = false;
};

// Opens the view `view` of `catalog` (which must outlive the state). Invalid when it is not a
// materialized view, has no sql, names itself or names no table; NotFound for unknown names.
Result<ViewState> OpenView(const catalog::Catalog& catalog, std::string_view view,
                           const storage::StorageOptions& storage);

}  // namespace neuralake::mv
