#include "neuralake/delta/test_support.h"

#include "neuralake/delta/scan_plan.h"

namespace neuralake::delta {

Result<SnapshotScan> ScanSnapshot(const DeltaTable& table, const Snapshot& snapshot,
                                  const std::vector<AddFile>* files) {
  NL_ASSIGN_OR_RETURN(auto plan, BuildScanPlan(table, snapshot, "", files));
  SnapshotScan scan;
  scan.plan = std::make_unique<engine::RegisteredScanPlan>(std::move(plan));
  scan.sql = "SELECT * FROM " + scan.plan->Relation();
  return scan;
}

}  // namespace neuralake::delta
