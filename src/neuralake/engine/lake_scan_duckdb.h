// Engine-internal: installs lake_scan into a DuckDB database (see lake_scan.h).
#pragma once

#include <vector>

#include "neuralake/engine/lake_scan.h"

namespace duckdb {
class DuckDB;
class ClientContext;
}  // namespace duckdb

namespace neuralake::engine {

// Registers lake_scan, the delta_at macro and the catalog replacement scan. Throws DuckDB
// exceptions (callers wrap it).
void RegisterLakeScan(duckdb::DuckDB& db, const LakeScanOptions& options);

// Reports of the lake scans bound on this connection since the last call; clears them.
std::vector<ScanReport> TakeScanReports(duckdb::ClientContext& context);

}  // namespace neuralake::engine
