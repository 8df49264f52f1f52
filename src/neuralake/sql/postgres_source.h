// The PostgreSQL source: a table or query in a PostgreSQL database read through libpq as an
// engine::SourceTable (docs/postgres.md).
//
// ConnectPostgresSource connects once, describes the relation's columns (a prepared statement's
// description; types mapped by postgres_columns.h) and returns a SourceTable whose `open` starts
// one read on its own connection:
//
//   BEGIN READ ONLY;
//   DECLARE c NO SCROLL CURSOR FOR SELECT <projection> FROM <relation> WHERE <filters> LIMIT n;
//   FETCH FORWARD <fetch_rows> FROM c;   -- binary results, repeated, the next one requested
//                                        -- while the previous batch is decoded
//
// Filter values are bound as text parameters ($1..) with an explicit cast; identifiers are quoted;
// nothing a caller passes is pasted into SQL. A read that binds no value (no filters, or only
// IS [NOT] NULL tests) is `COPY (SELECT ...) TO STDOUT (FORMAT binary)` instead, which streams
// faster (COPY takes no parameters). A count-only read is one `SELECT count(*)`. The stream's
// connection is closed when the rows are done or the stream is destroyed (which ends the
// transaction, cursor or COPY on the server).
//
// Passwords: the dsn may not hold one (Invalid, without echoing it); it comes from the
// environment variable `password_env` names, or libpq's PGPASSWORD / .pgpass. Every libpq message
// is scrubbed of the password before it reaches a Status. Every error names the catalog table.
//
// Thread safety: `open` may be called from many threads at once (one connection each); a stream
// is used by one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "neuralake/catalog/catalog.h"
#include "neuralake/common/result.h"
#include "neuralake/engine/source.h"

namespace neuralake::sql {

struct PostgresTableOptions {
  std::string table_name;  // the qualified catalog name, for messages
  std::string dsn;         // libpq keyword/value string or URI, without a password
  std::string table;       // "schema.name" or "name" (taken as written: case-sensitive)
  std::string query;       // or one SELECT
  std::string password_env;
  int connect_timeout_seconds = 10;
  int64_t fetch_rows = 32768;  // rows per FETCH
};

// The options of a `postgres` catalog table: `dsn`, exactly one of `table` / `query`, optional
// `password_env`, `connect_timeout` (seconds) and `fetch_rows`. Invalid naming the table for a
// missing or unknown key, a dsn that is not a connection string or holds a password.
Result<PostgresTableOptions> PostgresOptionsFrom(const catalog::TableDefinition& definition);

// Connects, describes the columns and returns the source (see above). IOError when the server
// cannot be reached or refuses the login, NotFound for a missing relation, Invalid for a failing
// query, Unsupported for a column type without a mapping; each naming the table.
Result<std::shared_ptr<const engine::SourceTable>> ConnectPostgresSource(
    const PostgresTableOptions& options);

}  // namespace neuralake::sql
