// Rendering query results on a terminal or a pipe: a grid, CSV (with a header line) and JSON
// lines. The cells come rendered by the engine (CellEncoding); CSV and JSON lines are assembled
// by the engine's renderer too, the same one that writes --output files.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>

#include "neuralake/common/result.h"
#include "neuralake/engine/engine.h"

namespace neuralake::cli {

// A boxed grid with column names and types (cells wider than 60 characters are cut with '~').
void PrintGrid(const engine::Table& rows, std::ostream& out);

// CSV: a header line, then engine::CsvLine per row. `rows` must hold CellEncoding::kCsv cells
// (NULL is an empty unquoted field, the empty string "").
void PrintCsv(const engine::Table& rows, std::ostream& out);

// One JSON object per row (newline-delimited), engine::JsonObjectLine per row. `rows` must hold
// CellEncoding::kJson cells (engine.h documents the encoding).
void PrintJsonLines(const engine::Table& rows, std::ostream& out);

// The one renderer of query results on stdout, for every command: `format` (canonical, see
// CanonicalFormat) "csv" -> PrintCsv, "json" -> PrintJsonLines, else PrintGrid. `rows` must hold
// CellEncodingFor(format) cells.
void PrintRows(const engine::Table& rows, const std::string& format, std::ostream& out);

// Formats of `sql` and `table read`: table, csv, json, ndjson (the same as json) and parquet;
// Invalid for others. Returns the canonical name ("ndjson" -> "json").
Result<std::string> CanonicalFormat(const std::string& format);
// CanonicalFormat(format), checked against where the rows go: writing to a file (--output)
// needs csv, json, ndjson or parquet; parquet needs a file.
Result<std::string> CanonicalFormat(const std::string& format, bool to_file);
// The cell encoding that `format` prints.
engine::CellEncoding CellEncodingFor(const std::string& format);

}  // namespace neuralake::cli
