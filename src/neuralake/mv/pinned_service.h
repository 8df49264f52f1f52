// A QueryService whose Delta tables read a fixed state: the per-refresh service of a
// materialized view (refresh.h).
//
// A refresh evaluates the view's SQL with each source pinned at the version it recorded (so the
// result matches the versions written into the commit), or with one source reduced to the files
// appended since the last refresh. Rewriting the SQL text (replacing `demo.events` by
// `delta_at('demo.events', 12)`) is not safe: the same identifier may be a column, an alias or a
// CTE name. Instead the names stay and the providers change: the catalog is copied into a service
// whose Delta/materialized-view provider answers the latest read of a pinned table with the
// given plan; time-travel reads and unpinned tables go to the normal Delta provider, other kinds
// to their built-in providers.
//
// Thread safety: as QueryService.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "neuralake/catalog/catalog.h"
#include "neuralake/common/result.h"
#include "neuralake/engine/lake_scan.h"
#include "neuralake/sql/query_service.h"

namespace neuralake::mv {

// Qualified table name -> the plan its latest reads return.
using PinnedPlans = std::map<std::string, std::shared_ptr<const engine::LakeSnapshot>>;

// A copy of `catalog` (catalogs are move-only).
catalog::Catalog CopyCatalog(const catalog::Catalog& catalog);

// An unrestricted service (the SQL is the catalog's, not a user's) over a copy of `catalog` with
// `pinned` plans; `options.providers` is replaced.
Result<std::unique_ptr<sql::QueryService>> MakePinnedService(const catalog::Catalog& catalog,
                                                             PinnedPlans pinned,
                                                             sql::QueryServiceOptions options);

}  // namespace neuralake::mv
