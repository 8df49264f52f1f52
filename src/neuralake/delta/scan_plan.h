// The one scan plan of a Delta snapshot.
//
// Every reader of a snapshot (SQL through lake_scan, `table read` and OPTIMIZE through
// engine::RegisteredScanPlan) starts here: the snapshot's columns with their column-mapping physical names and types, and its data
// files with partition values, add-file statistics (parsed here, once) and deletion vectors
// (loaded lazily, applied by lake_scan). The plan is the engine's LakeSnapshot, so the engine executes it without knowing Delta.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "neuralake/common/result.h"
#include "neuralake/delta/actions.h"
#include "neuralake/engine/lake_scan.h"

namespace neuralake::delta {

class DeltaTable;
class DeletionVector;
struct Snapshot;

// The typed statistics of one add action's `stats` JSON, keyed by the columns' physical names in
// `physical_to_logical` and returned by logical name. Missing, empty or malformed stats leave
// num_records at -1 and the stats empty (stats are hints, never errors).
void ParseAddStats(const AddFile& add, const std::map<std::string, std::string>& physical_to_logical,
                   engine::LakeFile& file);

// The rows a reader sees in an add action's logical file: numRecords of its stats (through
// ParseAddStats, the physical rows) minus its deletion vector's cardinality; -1 when unknown.
int64_t NumRecords(const AddFile& add);

// The rows of a plan file's deletion vector (null when it has none), loaded through the plan:
// the first caller reads it, later callers (the scan, DML) share it.
Result<std::shared_ptr<const DeletionVector>> LoadedDeletionVector(const engine::LakeFile& file);

// `rows` as a plan file's deletion vector (row-level DML rewrites a file through a plan whose
// vector also holds the rows it deletes).
std::shared_ptr<const engine::LakeDeletionVector> InMemoryDeletionVector(
    std::shared_ptr<const DeletionVector> rows);

// The scan plan of `snapshot` (`files`, when given, a subset of its files) for `table`;
// `name` is the catalog name reported by scans (may be empty). A file with a deletion vector gets
// an engine::LakeDeletionVector that reads it (deletion_vector.h) through the table's store when
// a scan first needs it; lake_scan then drops those rows for every reader.
Result<std::shared_ptr<const engine::LakeSnapshot>> BuildScanPlan(
    const DeltaTable& table, const Snapshot& snapshot, const std::string& name = "",
    const std::vector<AddFile>* files = nullptr);

}  // namespace neuralake::delta
