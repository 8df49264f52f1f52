// Engine-internal: the row filter that applies deletion vectors inside lake_scan (lake_scan.h).
//
// A plan with any file carrying a LakeDeletionVector binds lake_scan to
//   SELECT ... FROM lake_scan(<table>, version => V, __nl_physical => ...)
//   WHERE NOT __nl_row_deleted(<table>, V, filename, file_row_number)
// The function's bind resolves the same plan once per query; each file's deleted rows are loaded
// on first use (LakeDeletionVector::Load), so pruned files never load theirs.
#pragma once

#include <functional>
#include <memory>

#include "neuralake/engine/lake_scan.h"

namespace duckdb {
class ClientContext;
}  // namespace duckdb

namespace neuralake::engine {

inline constexpr const char* kRowDeletedFunction = "__nl_row_deleted";

using PlanResolver =
    std::function<Result<std::shared_ptr<const LakeSnapshot>>(const LakeScanRequest& request)>;

// Registers __nl_row_deleted(VARCHAR table, BIGINT version, VARCHAR file, BIGINT row) -> BOOLEAN
// in the system catalog (inside the caller's transaction). Throws DuckDB exceptions.
void RegisterRowDeletedFunction(duckdb::ClientContext& context, PlanResolver resolve);

// The WHERE clause that drops deleted rows of `table` at `version` (quoted as SQL).
std::string RowDeletedFilterSql(const std::string& quoted_table, int64_t version);

// Whether any file of `snapshot` has a deletion vector.
bool HasDeletionVectors(const LakeSnapshot& snapshot);

}  // namespace neuralake::engine
