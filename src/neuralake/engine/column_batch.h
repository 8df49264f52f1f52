// ColumnBatch: rows produced by our code (the generator, ingestion) handed to the engine in bulk,
// column by column, without DuckDB types leaking out of the engine module.
//
// Each column holds one vector of values of its kind plus a validity vector (empty = all valid).
// Plain value type; not thread-safe while being filled.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace neuralake::engine {

enum class ColumnKind {
  kBool,             // BOOLEAN             values in `ints` (0/1)
  kInt32,            // INTEGER             values in `ints`
  kInt64,            // BIGINT              values in `ints`
  kDouble,           // DOUBLE              values in `doubles`
  kString,           // VARCHAR             values in `strings`
  kTimestampMicros,  // TIMESTAMP WITH TIME ZONE, microseconds since the epoch in `ints`
  kDate,             // DATE, days since the epoch in `ints`
};

// The DuckDB SQL type name of a kind ("BIGINT", "TIMESTAMP WITH TIME ZONE", ...).
const char* ColumnKindSqlType(ColumnKind kind);

struct ColumnData {
  std::string name;
  ColumnKind kind = ColumnKind::kInt64;
  std::vector<int64_t> ints;
  std::vector<double> doubles;
  std::vector<std::string> strings;
  std::vector<uint8_t> valid;  // empty: all valid; else one entry per row, 0 = NULL

  bool IsValid(size_t row) const { return valid.empty() || valid[row] != 0; }
};

struct ColumnBatch {
  std::vector<ColumnData> columns;
  int64_t num_rows = 0;
};

}  // namespace neuralake::engine
