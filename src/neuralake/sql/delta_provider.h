// The Delta table provider: catalog tables of kind `delta` read through a snapshot cache.
//
// One provider per catalog table. The latest snapshot is cached; each Plan() at the latest state
// checks the log for commits newer than the cached version (one LIST from that version, skipped
// while the cached state is younger than ProviderContext::refresh_interval_ms) and replays only
// those. Time travel (a version, or the version current at a timestamp) loads that snapshot once
// and keeps the 16 most recent ones. Every plan is delta::BuildScanPlan's (deletion vectors,
// typed add-file statistics, column mapping).
//
// Thread safety: Plan/Describe/Scan may be called from many threads; the cache is locked.
#pragma once

#include "neuralake/catalog/provider.h"

namespace neuralake::sql {

// The factory registered for catalog::TableKind::kDelta.
Result<std::unique_ptr<catalog::TableProvider>> MakeDeltaProvider(
    const catalog::TableDefinition& definition, const catalog::ProviderContext& context);

// The providers the query layer knows: Delta today (Parquet, PostgreSQL, view and function tables
// register here next).
catalog::ProviderRegistry BuiltinProviders();

}  // namespace neuralake::sql
