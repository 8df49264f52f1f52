// Engine: the one wrapper around embedded DuckDB (SQL execution, Parquet encode/decode).
//
// Nothing outside src/neuralake/engine/ includes DuckDB headers. An Engine owns one in-memory
// DuckDB database whose virtual filesystem is bridged to our ObjectStore backends, so SQL may
// name `s3://bucket/key`, `memory://name/key` and local paths in read_parquet(...) / COPY ... TO,
// and every byte goes through neuralake::storage (ranged GETs for reads, streaming writers for
// COPY). Extension auto-install and auto-load are off: nothing is downloaded at run time.
//
// Results are materialized as a Table of nullable text cells plus DuckDB type names: enough for
// metadata work (file stats, schemas, CLI output). Bulk data stays inside DuckDB (COPY).
// RunQuery can instead encode each cell as JSON (CellEncoding::kJson): the one typed renderer
// behind every JSON and CSV result we print or write (see "JSON encoding" below).
//
// Thread safety: an Engine may be shared; each Query/Execute call uses its own connection.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <functional>

#include "neuralake/common/result.h"
#include "neuralake/engine/column_batch.h"
#include "neuralake/engine/lake_scan.h"
#include "neuralake/storage/location.h"
#include "neuralake/storage/object_store.h"
#include "neuralake/storage/storage_options.h"

namespace neuralake::engine {

struct ColumnInfo {
  std::string name;
  std::string type;  // DuckDB logical type as SQL text: "BIGINT", "VARCHAR", "STRUCT(a INTEGER)"
};

// A materialized query result. Cells are DuckDB's text rendering of the value (CAST AS VARCHAR),
// or another CellEncoding when RunQuery was asked for one; std::nullopt for SQL NULL.
struct Table {
  std::vector<ColumnInfo> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;

  int64_t NumRows() const { return static_cast<int64_t>(rows.size()); }
  // Index of a column by name, or -1.
  int ColumnIndex(std::string_view name) const;
};

struct EngineOptions {
  storage::StorageOptions storage;
  int threads = 0;               // 0: DuckDB's default (all cores)
  std::string memory_limit;      // e.g. "4GB"; empty: DuckDB's default
  // How the engine opens the store behind "s3://bucket" or "memory://name" (tests inject
  // counting or faulty stores). Default: storage::OpenObjectStore with `storage`.
  std::function<Result<std::shared_ptr<storage::ObjectStore>>(const storage::Location& root)>
      store_opener;
  // Catalog tables as lake_scan / `db.table` in SQL (see lake_scan.h). Unset: no lake tables.
  std::optional<LakeScanOptions> lake;
  // The safe read-only surface for user SQL: external access off (only `allowed_directories`,
  // the catalog's table locations, are readable), configuration locked after start-up. Use
  // RunQuery with select_only for statements from users.
  bool restricted = false;
  std::vector<std::string> allowed_directories;
  // DuckDB's in-memory cache of remote file ranges. Off by default: objects written in place
  // (tests, COPY targets) could be served stale. The query layer turns it on: Delta data files
  // are immutable (unique names), so cached ranges stay valid.
  bool cache_remote_files = false;
};

// How RunQuery renders a non-NULL cell (SQL NULL is std::nullopt in every encoding).
//
// JSON encoding (kJson), exact and typed, one JSON value per cell:
//   integers of every width (HUGEINT too) and DECIMAL -> a JSON number written from the exact
//     decimal text, never through a double ("9999999999999999999999999999.9999999999");
//   FLOAT/DOUBLE -> the shortest text that reads back to the same value ("0.1", "1e+28"; "-0.0"
//     keeps its sign); NaN and the infinities, which JSON numbers cannot carry, -> the strings
//     "NaN", "Infinity", "-Infinity" (the proto3 JSON / Spark convention);
//   BOOLEAN -> true/false; VARCHAR -> a JSON string (valid UTF-8, control characters escaped);
//   JSON-typed values -> embedded (line breaks as spaces);
//   BLOB -> a base64 string (RFC 4648, padded);
//   DATE -> "YYYY-MM-DD"; TIMESTAMP WITH TIME ZONE -> "YYYY-MM-DDTHH:MM:SS.ffffffZ" (UTC);
//   TIMESTAMP -> "YYYY-MM-DDTHH:MM:SS.ffffff" (no zone); _NS/_MS/_S variants with 9/3/0
//     fraction digits; infinite dates/timestamps -> "infinity" / "-infinity";
//   STRUCT -> an object in field order; LIST/ARRAY -> an array; MAP -> an object whose member
//     names are the keys (a string key as is, any other key as the text of its JSON encoding,
//     e.g. 1 -> "1"), so JSON readers (DuckDB's read_json, Spark) read it back as a map;
//     UNION -> its current member's value; everything else (TIME, INTERVAL, UUID, ENUM, ...)
//     -> a string of DuckDB's text.
//   NULL at any depth inside a value is null.
enum class CellEncoding {
  kText,  // DuckDB's text rendering (CAST AS VARCHAR)
  kJson,  // the JSON encoding above
  // CSV cells: a scalar's JSON encoding without the quotes (exact numbers, NaN, Infinity, ISO
  // dates and timestamps, the string itself), BLOB as DuckDB's exact \xNN escapes (which
  // read_csv turns back into bytes), the JSON text of STRUCT/LIST/MAP/ARRAY/UNION values (so a
  // NULL inside a value stays distinct from the string 'NULL').
  kCsv,
};

// A value bound to a query's $1, $2, ... placeholders (never pasted into SQL text). Strings bind
// as VARCHAR; the query casts them where another type is meant (CAST($1 AS DATE)).
using QueryParam = std::variant<std::monostate, bool, int64_t, double, std::string>;

struct QueryOptions {
  bool select_only = false;      // refuse anything but one SELECT (or EXPLAIN of one)
  std::vector<QueryParam> params;  // bound to $1.. of the (last) statement
  CellEncoding cells = CellEncoding::kText;
  int64_t timeout_ms = 0;        // 0: none; else the query is interrupted -> Cancelled
  int64_t max_rows = 0;          // 0: all rows; else stop after max_rows (truncated = true)
};

struct QueryOutcome {
  Table table;                    // the rows (RunQuery); columns only (ExportQuery)
  int64_t row_count = 0;          // rows returned or written
  bool truncated = false;
  std::vector<ScanReport> scans;  // lake scans the statement bound, with their pruning figures
  double seconds = 0;
  std::vector<std::string> warnings;  // set by the query layer (deprecated tables the query read)
};

// Statistics of one Parquet file written by COPY ... (FORMAT parquet, RETURN_STATS).
struct WrittenFile {
  std::string uri;                     // where DuckDB wrote it (as named in the COPY target)
  int64_t num_rows = 0;
  int64_t size_bytes = 0;
  struct ColumnStats {
    std::string column;
    std::optional<std::string> min;    // DuckDB text rendering; nullopt when unknown/all-null
    std::optional<std::string> max;
    std::optional<int64_t> null_count;
  };
  std::vector<ColumnStats> columns;
  std::vector<std::pair<std::string, std::string>> partition_values;  // from PARTITION_BY
};

class Engine {
 public:
  static Result<std::unique_ptr<Engine>> Make(const EngineOptions& options);
  ~Engine();

  // Runs one statement and materializes its result. DuckDB errors come back as Invalid with
  // DuckDB's message (including the error position when DuckDB reports one).
  Result<Table> Query(std::string_view sql);

  // Runs one statement under `options` (statement check, timeout, row limit) and reports the
  // lake scans it made. Errors: Invalid (syntax, binder, refused statement), Cancelled (timeout).
  Result<QueryOutcome> RunQuery(std::string_view sql, const QueryOptions& options);

  // Like RunQuery, but the rows are not kept: each fetched chunk is rendered (options.cells) and
  // handed to `on_rows` (with the result's columns), so a result of any size streams at constant
  // memory. A non-OK status from `on_rows` stops the query and is returned. outcome.table holds
  // the columns only.
  using RowSink = std::function<Status(const std::vector<ColumnInfo>& columns, const Table& rows)>;
  Result<QueryOutcome> StreamQuery(std::string_view sql, const QueryOptions& options,
                                   const RowSink& on_rows);

  // Like RunQuery, then writes the rows to `target` (a local path, s3:// or memory:// URI) as
  // `format`: parquet, csv (a header line, then CsvLine of kCsv cells) or json / ndjson (one
  // JsonObjectLine per row: the JSON encoding). Parquet is written by DuckDB in a private engine,
  // csv and json by our renderer through the same file systems, so it works from a restricted
  // engine too.
  Result<QueryOutcome> ExportQuery(std::string_view sql, const QueryOptions& options,
                                   const std::string& target, const std::string& format);

  // Runs statements whose result is not needed.
  Status Execute(std::string_view sql);

  // Runs a `COPY (...) TO '...' (FORMAT parquet, RETURN_STATS ...)` statement and parses the
  // returned per-file statistics.
  Result<std::vector<WrittenFile>> CopyWithStats(std::string_view copy_sql);

  // Creates (or replaces) table `name` in the engine's in-memory database and appends the batches
  // to it (all batches must have the same columns). Later statements can read it by name, e.g.
  // `COPY (SELECT * FROM name) TO ...`; DropTable frees it.
  Status LoadBatches(const std::string& name, const std::vector<const ColumnBatch*>& batches);
  Status DropTable(const std::string& name);

  // Removes files (local paths or store URIs) through the engine's file systems. A missing file
  // is not an error; every file is tried and the first failure returned.
  Status RemoveFiles(const std::vector<std::string>& uris);

  // SQL quoting helpers: "name" with doubled quotes, 'text' with doubled quotes.
  static std::string QuoteIdentifier(std::string_view name);
  static std::string QuoteLiteral(std::string_view text);

  class Impl;

 private:
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The tables one SELECT names, as written: (schema, table) with schema empty for bare names
// (FROM clauses, joins, subqueries anywhere, CTE bodies; CTE names themselves are left out),
// plus the first argument of lake_scan/delta_at/source_scan calls. Invalid when `sql` is not one
// SELECT (DuckDB's parser message).
Result<std::vector<std::pair<std::string, std::string>>> TableNamesInQuery(std::string_view sql);

// ---- rendering rows as text (the one renderer for CLI output and exports) ----

// A JSON string literal of `text` (quotes, backslashes and control characters escaped; bytes
// that are not valid UTF-8 become U+FFFD).
std::string JsonString(std::string_view text);

// One RFC 4180 CSV field: NULL is an empty unquoted field, the empty string the quoted field "";
// text with a comma, quote, line break or edge space is quoted, its quotes doubled.
std::string CsvField(const std::optional<std::string>& cell);
// The fields of `cells` joined by commas, ending with "\n".
std::string CsvLine(const std::vector<std::optional<std::string>>& cells);

// `json` with every number literal that a double cannot hold exactly (a fraction or exponent and
// more than 15 significant digits) turned into a JSON string of its text, so that DuckDB's JSON
// functions, which parse numbers as doubles, keep 38-digit decimals exact when casting to DECIMAL.
// Also available to SQL as nl_json_exact_numbers(VARCHAR).
std::string QuoteInexactJsonNumbers(std::string_view json);

// Column names made unique for object keys: the second "a" becomes "a_1", and so on.
std::vector<std::string> UniqueColumnNames(const std::vector<ColumnInfo>& columns);
// {"name": cell, ...} ending with "\n", from kJson cells (NULL -> null) and UniqueColumnNames.
std::string JsonObjectLine(const std::vector<std::string>& names,
                           const std::vector<std::optional<std::string>>& cells);

}  // namespace neuralake::engine
