// Reading a table back in tests, benchmarks and tools: a snapshot's scan plan (BuildScanPlan)
// registered for SQL, so a check such as "SELECT count(*) FROM (<scan>)" reads exactly what
// `table read`, SQL and OPTIMIZE read (one scan path: column mapping, partition values, columns
// missing from older files read as NULL, rows hidden by deletion vectors dropped).
//
// The relation is valid while the SnapshotScan lives, in any engine. Not for the product's own
// reads: those run a plan with engine::RegisteredScanPlan or engine::ScanBatches directly.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "neuralake/common/result.h"
#include "neuralake/delta/actions.h"
#include "neuralake/engine/lake_scan.h"

namespace neuralake::delta {

class DeltaTable;
struct Snapshot;

struct SnapshotScan {
  std::unique_ptr<engine::RegisteredScanPlan> plan;
  std::string sql;  // "SELECT * FROM lake_scan('<plan id>')": every row, table schema order
};

// The rows of `snapshot` (only of `files`, a subset of its files, when given) as a SELECT.
Result<SnapshotScan> ScanSnapshot(const DeltaTable& table, const Snapshot& snapshot,
                                  const std::vector<AddFile>* files = nullptr);

}  // namespace neuralake::delta
