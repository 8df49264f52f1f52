// Rendering query results on a terminal or a pipe: a grid, CSV (with a header line) and JSON.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>

#include "neuralake/engine/engine.h"

namespace neuralake::cli {

// A boxed grid with column names and types (cells wider than 60 characters are cut with '~').
void PrintGrid(const engine::Table& rows, std::ostream& out);

// RFC 4180 CSV: a header line, then one line per row; NULL is an empty field.
std::string CsvField(const std::optional<std::string>& value);
void PrintCsv(const engine::Table& rows, std::ostream& out);

// One JSON object per row (newline-delimited). Numbers and booleans are typed by the column's
// DuckDB type; NULL is null; everything else is a string.
void PrintJsonLines(const engine::Table& rows, std::ostream& out);

}  // namespace neuralake::cli
