// Internal to the engine (includes DuckDB): the source_scan table function (source.h) and the
// conversion of typed Columns into DuckDB vectors.
#pragma once

#include "duckdb.hpp"
#include "neuralake/engine/source.h"

namespace neuralake::engine {

inline constexpr const char* kSourceFunctionName = "source_scan";

// Registers source_scan('<table>') reading the sources `resolver` returns.
void RegisterSourceScan(duckdb::DuckDB& db, SourceResolver resolver);

// Writes rows [offset, offset + count) of `column` into rows [0, count) of `vector` (a flat vector
// of the column's type, with capacity for `count` rows).
void FillVector(const Column& column, duckdb::Vector& vector, duckdb::idx_t offset,
                duckdb::idx_t count);

}  // namespace neuralake::engine
