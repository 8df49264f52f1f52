// PostgreSQL columns as neuralake columns: the type mapping (docs/postgres.md), filters on a
// column in PostgreSQL's SQL, and the decoding of binary values (a FETCH's PGresult or COPY
// binary rows) into engine::Column values (engine/scan.h's layout).
//
// A PgColumn is one column of a PostgreSQL table or query as the postgres source reads it: its
// mapped ColumnType, the expression that selects it (types without a binary decoder here are
// selected as `::text`, unconstrained numerics as `::float8`), the wire format its binary values
// arrive in, and the expressions and casts filters on it use. Internal to the postgres source
// (postgres_source.cc); no libpq connection is touched here.
//
// Thread safety: pure functions over immutable inputs.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "neuralake/common/result.h"
#include "neuralake/engine/scan.h"

namespace neuralake::sql::postgres {

// How binary values of a scalar (or of an array's elements) arrive.
enum class Wire {
  kBool, kInt2, kInt4, kInt8, kOid, kFloat4, kFloat8,
  kNumeric,    // numeric(p,s), p <= 38: base-10000 digits -> unscaled __int128
  kText,       // the bytes as they are (text, varchar, name, json, bytea, anything cast ::text)
  kJsonb,      // a version byte, then the JSON text
  kUuid,       // 16 bytes -> canonical lowercase text
  kDate,       // days since 2000-01-01
  kTimestamp,  // microseconds since 2000-01-01 00:00:00 (both timestamp and timestamptz)
};

// What pg_type says about a column's type (one row of the describe query).
struct PgTypeInfo {
  uint32_t oid = 0;
  int typmod = -1;
  std::string format;       // format_type(oid, typmod): "numeric(12,2)", "integer[]"
  char typtype = 'b';       // b base, e enum, c composite, d domain, r range, p pseudo
  char category = 'U';      // pg_type.typcategory ('A' array, 'S' string, ...)
  uint32_t element = 0;     // arrays: the element type
  char element_typtype = 'b';
  char element_category = 'U';
  std::string element_format;  // format_type(element, typmod)
};

struct PgColumn {
  std::string name;
  std::string pg_type;         // format_type text, for messages and casts
  engine::ColumnType type;     // the mapped type
  bool array = false;          // a one-dimensional array: type is List(element)
  Wire wire = Wire::kText;     // the scalar's, or the elements' wire format
  std::string select_expr;     // how the column is selected ("\"c\"", "\"c\"::text")
  // Filters: = and IN compare eq_expr with values cast to eq_cast (index friendly); the other
  // comparisons and the text operators compare cmp_expr with values cast to cmp_cast, which is
  // what the engine sees (empty: not pushed). text_order: ordering comparisons use COLLATE "C".
  std::string eq_expr, eq_cast;
  std::string cmp_expr, cmp_cast;
  bool text_order = false;
  std::string element_cast;    // arrays: the element type for includes / includes any / all
};

// PostgreSQL's identifier quoting: "na""me".
std::string QuoteIdentifier(const std::string& name);

// The PgColumn for a column named `name` of type `info`; Unsupported (the message starts with
// "column 'x' has PostgreSQL type ...") for a type without a mapping.
Result<PgColumn> MapColumn(const std::string& name, const PgTypeInfo& info);

// One filter on `column` in PostgreSQL's SQL, its values appended to `params` as text ($n with an
// explicit cast); nullopt when it is not pushed (the engine tests every filter anyway). Pushed
// conditions keep every row the engine would keep. The filter must pass engine::CheckFilter.
std::optional<std::string> FilterSql(const engine::ScanFilter& filter, const PgColumn& column,
                                     std::vector<std::string>& params);

// One binary value; data == nullptr for NULL.
struct Cell {
  const char* data = nullptr;
  int length = 0;
};

// The binary cells of a batch of rows: a PGresult in binary format (a FETCH), or row-major cells
// parsed from COPY ... (FORMAT binary) rows.
class Cells {
 public:
  explicit Cells(const PGresult* result) : result_(result), rows_(PQntuples(result)) {}
  Cells(const std::vector<Cell>* cells, int rows, int fields)
      : cells_(cells), rows_(rows), fields_(fields) {}

  int rows() const { return rows_; }
  Cell Get(int row, int field) const {
    if (result_) {
      if (PQgetisnull(result_, row, field)) return {};
      return {PQgetvalue(result_, row, field), PQgetlength(result_, row, field)};
    }
    return (*cells_)[static_cast<size_t>(row) * static_cast<size_t>(fields_) +
                     static_cast<size_t>(field)];
  }

 private:
  const PGresult* result_ = nullptr;
  const std::vector<Cell>* cells_ = nullptr;
  int rows_ = 0;
  int fields_ = 0;
};

// Decodes field `field` of every row of `cells` into `out` (replacing it). Invalid for a value
// that does not decode (a multi-dimensional array, a numeric too wide).
Status DecodeColumn(const Cells& cells, int field, const PgColumn& column, engine::Column* out);

}  // namespace neuralake::sql::postgres
