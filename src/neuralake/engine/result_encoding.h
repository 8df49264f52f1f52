#pragma once

// The typed result renderer (internal to engine/): DuckDB values as JSON, CSV or text cells.
// Used by engine.cc (RunQuery, ExportQuery); the public helpers (JsonString, CsvLine, ...) are
// declared in engine.h.

#include <optional>
#include <string>

#include "duckdb.hpp"
#include "neuralake/engine/engine.h"

namespace neuralake::engine {

// One cell of `value` under `encoding`; std::nullopt for SQL NULL.
std::optional<std::string> CellText(const duckdb::Value& value, CellEncoding encoding);

// Appends rows [0, count) of `chunk` to `table`, each cell encoded by CellText.
void AppendRows(Table& table, duckdb::DataChunk& chunk, duckdb::idx_t count, CellEncoding encoding);

}  // namespace neuralake::engine
