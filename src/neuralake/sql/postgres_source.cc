#include "neuralake/sql/postgres_source.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <set>
#include <variant>
#include <vector>

#include "neuralake/sql/postgres_columns.h"

namespace neuralake::sql {
namespace {

using postgres::PgColumn;
using postgres::QuoteIdentifier;
using Op = engine::ScanFilter::Op;

struct ConnectionCloser {
  void operator()(PGconn* connection) const { PQfinish(connection); }
};
struct ResultClearer {
  void operator()(PGresult* result) const { PQclear(result); }
};
using Connection = std::unique_ptr<PGconn, ConnectionCloser>;
using PgResult = std::unique_ptr<PGresult, ResultClearer>;

std::string OneLine(std::string text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == '\n' || c == '\t' || c == '\r' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// The connection settings, the secrets to scrub, and the described relation: everything a read
// needs, immutable once described, shared by every stream of the source.
class Session {
 public:
  Session(PostgresTableOptions options, std::vector<std::string> secrets)
      : options_(std::move(options)), secrets_(std::move(secrets)) {}

  const PostgresTableOptions& options() const { return options_; }
  std::vector<PgColumn>& columns() { return columns_; }
  const std::vector<PgColumn>& columns() const { return columns_; }
  std::string& relation() { return relation_; }
  const std::string& relation() const { return relation_; }

  // `text` with every secret replaced by ***.
  std::string Scrub(std::string text) const {
    for (const std::string& secret : secrets_) {
      if (secret.empty()) continue;
      for (size_t at = text.find(secret); at != std::string::npos;
           at = text.find(secret, at + 3)) {
        text.replace(at, secret.size(), "***");
      }
    }
    return text;
  }

  Status Error(StatusCode code, const std::string& message) const {
    return Status(code, Scrub("table " + options_.table_name + ": " + OneLine(message)));
  }

  // A failed statement: NotFound for a missing relation, Invalid for other errors in the SQL
  // (class 42), IOError otherwise; the server's message, scrubbed.
  Status StatementError(const PGresult* result, const PGconn* connection,
                        const std::string& what) const {
    const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    const char* primary = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
    std::string message = primary ? primary : PQerrorMessage(connection);
    std::string sqlstate = state ? state : "";
    StatusCode code = StatusCode::kIOError;
    if (sqlstate == "42P01" || sqlstate == "3F000") {
      code = StatusCode::kNotFound;
    } else if (sqlstate.rfind("42", 0) == 0 || sqlstate.rfind("22", 0) == 0) {
      code = StatusCode::kInvalid;
    }
    std::string suffix = sqlstate.empty() ? "" : " (SQLSTATE " + sqlstate + ")";
    return Error(code, what + ": PostgreSQL: " + message + suffix);
  }

  Result<Connection> Connect() const {
    // Defaults the dsn may override come before it; the password and the session settings after.
    std::string timeout = std::to_string(options_.connect_timeout_seconds);
    std::string session_options = dsn_options_;
    if (!session_options.empty()) session_options += ' ';
    session_options += "-c TimeZone=UTC -c DateStyle=ISO -c default_transaction_read_only=on";
    std::vector<const char*> keys = {"connect_timeout", "application_name", "dbname", "options"};
    std::vector<const char*> values = {timeout.c_str(), "neuralake", options_.dsn.c_str(),
                                       session_options.c_str()};
    if (password_) {
      keys.push_back("password");
      values.push_back(password_->c_str());
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);
    Connection connection(PQconnectdbParams(keys.data(), values.data(), 1));
    if (!connection) return Error(StatusCode::kIOError, "cannot allocate a libpq connection");
    if (PQstatus(connection.get()) != CONNECTION_OK) {
      return Error(StatusCode::kIOError, "cannot connect to PostgreSQL (" + options_.dsn +
                                             "): " + PQerrorMessage(connection.get()));
    }
    return connection;
  }

  void SetConnectionDetails(std::optional<std::string> password, std::string dsn_options) {
    password_ = std::move(password);
    dsn_options_ = std::move(dsn_options);
  }

 private:
  PostgresTableOptions options_;
  std::vector<std::string> secrets_;
  std::optional<std::string> password_;
  std::string dsn_options_;  // the dsn's own `options`, kept ahead of ours
  std::string relation_;     // "\"s\".\"t\"" or "(query) AS q"
  std::vector<PgColumn> columns_;
};

// ---- statements ----------------------------------------------------------------------------

Result<PgResult> Exec(const Session& session, PGconn* connection, const std::string& sql,
                      const std::vector<std::string>& params, int result_format,
                      const std::string& what) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& param : params) values.push_back(param.c_str());
  PgResult result(PQexecParams(connection, sql.c_str(), static_cast<int>(params.size()), nullptr,
                               values.data(), nullptr, nullptr, result_format));
  auto status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return session.StatementError(result.get(), connection, what);
  }
  return result;
}

std::string SqlState(const Status& status) {
  auto at = status.message().rfind("(SQLSTATE ");
  return at == std::string::npos ? "" : status.message().substr(at + 10, 5);
}

// ---- filters -------------------------------------------------------------------------------

Result<const PgColumn*> FindColumn(const Session& session, const std::string& name) {
  for (const PgColumn& column : session.columns()) {
    if (column.name == name) return &column;
  }
  std::string known;
  for (const PgColumn& column : session.columns()) known += (known.empty() ? "" : ", ") + column.name;
  return session.Error(StatusCode::kInvalid,
                       "unknown column '" + name + "' (columns: " + known + ")");
}

// The AND of the filters that can be pushed ("" for none). Invalid for an unknown column or a
// filter that does not apply to its column's type.
Result<std::string> AndSql(const Session& session, const std::vector<engine::ScanFilter>& filters,
                           std::vector<std::string>& params) {
  std::string sql;
  for (const auto& filter : filters) {
    NL_ASSIGN_OR_RETURN(const PgColumn* column, FindColumn(session, filter.column));
    Status checked = engine::CheckFilter(filter, column->type);
    if (!checked.ok()) return session.Error(checked.code(), checked.message());
    auto condition = FilterSql(filter, *column, params);
    if (condition) sql += (sql.empty() ? "" : " AND ") + *condition;
  }
  return sql;
}

Result<std::string> WhereSql(const Session& session, const engine::ScanRequest& scan,
                             std::vector<std::string>& params) {
  NL_ASSIGN_OR_RETURN(std::string all, AndSql(session, scan.filters, params));
  std::string any;
  size_t mark = params.size();
  for (const auto& group : scan.any_of) {
    NL_ASSIGN_OR_RETURN(std::string conjunction, AndSql(session, group, params));
    if (conjunction.empty()) {  // a list with nothing pushed holds for every row: so does the OR
      any.clear();
      params.resize(mark);
      // Still check the remaining groups for unknown columns and bad filters.
      for (const auto& rest : scan.any_of) {
        std::vector<std::string> ignored;
        NL_RETURN_NOT_OK(AndSql(session, rest, ignored).status());
      }
      break;
    }
    any += (any.empty() ? "(" : " OR (") + conjunction + ")";
  }
  if (!any.empty()) all += (all.empty() ? "" : " AND ") + ("(" + any + ")");
  return all.empty() ? "" : " WHERE " + all;
}

// ---- the stream ----------------------------------------------------------------------------

// About this many bytes of values per batch: wide rows (long text, arrays, JSON) make smaller
// batches than fetch_rows.
constexpr int64_t kBatchBytes = 16 << 20;
constexpr int64_t kFirstFetch = 1024;  // a cursor's first FETCH, which measures the row width

class PostgresStream final : public engine::BatchStream {
 public:
  PostgresStream(std::shared_ptr<const Session> session, Connection connection,
                 std::vector<const PgColumn*> columns)
      : session_(std::move(session)),
        connection_(std::move(connection)),
        columns_(std::move(columns)),
        fetch_rows_(std::min<int64_t>(kFirstFetch, session_->options().fetch_rows)) {}

  Result<bool> Next(engine::RecordBatch* batch) override {
    if (!connection_) return false;
    if (!pending_) NL_RETURN_NOT_OK(SendFetch());
    int64_t asked = fetch_rows_;
    NL_ASSIGN_OR_RETURN(PgResult result, TakeResult());
    int rows = PQntuples(result.get());
    if (rows < asked) {
      connection_.reset();  // the cursor is exhausted: end the transaction, free the server
    } else {
      if (!sized_) SizeFetches(result.get());
      NL_RETURN_NOT_OK(SendFetch());  // the server prepares the next rows while we decode
    }
    if (rows == 0) return false;
    batch->num_rows = rows;
    batch->columns.resize(columns_.size());
    for (size_t i = 0; i < columns_.size(); ++i) {
      Status decoded = postgres::DecodeColumn(postgres::Cells(result.get()), static_cast<int>(i),
                                              *columns_[i], &batch->columns[i]);
      if (!decoded.ok()) {
        connection_.reset();
        return session_->Error(decoded.code(), decoded.message());
      }
    }
    return true;
  }

 private:
  // After the first (small) full batch: as many rows per FETCH as make kBatchBytes, at most
  // fetch_rows.
  void SizeFetches(const PGresult* result) {
    sized_ = true;
    int64_t bytes = 0;
    int rows = PQntuples(result), fields = PQnfields(result);
    for (int row = 0; row < rows; ++row) {
      for (int field = 0; field < fields; ++field) bytes += PQgetlength(result, row, field) + 4;
    }
    int64_t per_row = std::max<int64_t>(1, bytes / std::max(rows, 1));
    fetch_rows_ = std::max<int64_t>(256, kBatchBytes / per_row);
    fetch_rows_ = std::min(fetch_rows_, session_->options().fetch_rows);
  }

  Status SendFetch() {
    std::string fetch = "FETCH FORWARD " + std::to_string(fetch_rows_) + " FROM neuralake_cursor";
    if (!PQsendQueryParams(connection_.get(), fetch.c_str(), 0, nullptr, nullptr, nullptr,
                           nullptr, 1)) {
      Status error = session_->StatementError(nullptr, connection_.get(), "fetching rows");
      connection_.reset();
      return error;
    }
    pending_ = true;
    return Status::OK();
  }

  Result<PgResult> TakeResult() {
    pending_ = false;
    PgResult result(PQgetResult(connection_.get()));
    while (PGresult* extra = PQgetResult(connection_.get())) PQclear(extra);
    if (!result || PQresultStatus(result.get()) != PGRES_TUPLES_OK) {
      Status error = session_->StatementError(result.get(), connection_.get(), "fetching rows");
      connection_.reset();
      return error;
    }
    return result;
  }

  std::shared_ptr<const Session> session_;
  Connection connection_;  // reset (closed) when the rows are done or on an error
  std::vector<const PgColumn*> columns_;
  int64_t fetch_rows_;     // rows the next FETCH asks for
  bool sized_ = false;     // fetch_rows_ adapted to the row width
  bool pending_ = false;   // a FETCH was sent and its result not yet taken
};

// The rows of `COPY (SELECT ...) TO STDOUT (FORMAT binary)`, for reads that bind no values (COPY
// takes no parameters): the server streams without waiting for FETCHes. Each CopyData message is
// one row (the first also carries the file header): a field count, then (length, bytes) per
// field, length -1 for NULL; a field count of -1 ends the data.
class CopyStream final : public engine::BatchStream {
 public:
  CopyStream(std::shared_ptr<const Session> session, Connection connection,
             std::vector<const PgColumn*> columns)
      : session_(std::move(session)), connection_(std::move(connection)),
        columns_(std::move(columns)) {}
  ~CopyStream() override { FreeRows(); }

  Result<bool> Next(engine::RecordBatch* batch) override {
    FreeRows();
    if (!connection_) return false;
    int fields = static_cast<int>(columns_.size());
    int rows = 0;
    int64_t bytes = 0;
    while (rows < session_->options().fetch_rows && bytes < kBatchBytes) {
      char* buffer = nullptr;
      int length = PQgetCopyData(connection_.get(), &buffer, 0);
      if (length == -1) {
        NL_RETURN_NOT_OK(Finish());
        break;
      }
      if (length < 0) return Fail(session_->StatementError(nullptr, connection_.get(), "copying rows"));
      buffers_.push_back(buffer);
      bytes += length;
      NL_ASSIGN_OR_RETURN(bool row, ParseRow(buffer, length, fields));
      rows += row ? 1 : 0;
    }
    if (rows == 0) return false;
    postgres::Cells cells(&cells_, rows, fields);
    batch->num_rows = rows;
    batch->columns.resize(columns_.size());
    for (int i = 0; i < fields; ++i) {
      Status decoded = postgres::DecodeColumn(cells, i, *columns_[static_cast<size_t>(i)],
                                              &batch->columns[static_cast<size_t>(i)]);
      if (!decoded.ok()) return Fail(session_->Error(decoded.code(), decoded.message()));
    }
    return true;
  }

 private:
  static int32_t Be32(const char* p) {
    auto u = reinterpret_cast<const unsigned char*>(p);
    return static_cast<int32_t>((uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) |
                                (uint32_t{u[2]} << 8) | u[3]);
  }

  // Appends one message's cells; false for the end-of-data marker.
  Result<bool> ParseRow(const char* at, int length, int fields) {
    const char* end = at + length;
    auto corrupt = [&] {
      return Fail(session_->Error(StatusCode::kCorrupt, "malformed COPY binary row"));
    };
    if (!header_read_) {
      static constexpr char kSignature[] = "PGCOPY\n\377\r\n";  // 11 bytes with its NUL
      if (length < 19 || std::memcmp(at, kSignature, 11) != 0) return corrupt();
      int32_t extension = Be32(at + 15);
      if (extension < 0 || length < 19 + extension) return corrupt();
      at += 19 + extension;
      header_read_ = true;
      if (at == end) return false;
    }
    if (end - at < 2) return corrupt();
    auto count = static_cast<int16_t>((static_cast<unsigned char>(at[0]) << 8) |
                                      static_cast<unsigned char>(at[1]));
    at += 2;
    if (count == -1) return false;
    if (count != fields) return corrupt();
    for (int i = 0; i < fields; ++i) {
      if (end - at < 4) return corrupt();
      int32_t size = Be32(at);
      at += 4;
      if (size < 0) {
        cells_.push_back({});
        continue;
      }
      if (end - at < size) return corrupt();
      cells_.push_back({at, size});
      at += size;
    }
    return true;
  }

  // The COPY's closing result; then the connection is closed.
  Status Finish() {
    PgResult result(PQgetResult(connection_.get()));
    while (PGresult* extra = PQgetResult(connection_.get())) PQclear(extra);
    if (!result || PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
      return Fail(session_->StatementError(result.get(), connection_.get(), "copying rows"));
    }
    connection_.reset();
    return Status::OK();
  }

  Status Fail(Status status) {
    connection_.reset();
    return status;
  }

  void FreeRows() {
    for (char* buffer : buffers_) PQfreemem(buffer);
    buffers_.clear();
    cells_.clear();
  }

  std::shared_ptr<const Session> session_;
  Connection connection_;  // reset (closed) when the rows are done or on an error
  std::vector<const PgColumn*> columns_;
  bool header_read_ = false;
  std::vector<char*> buffers_;          // the current batch's messages (cells_ point into them)
  std::vector<postgres::Cell> cells_;   // row-major
};

Result<std::unique_ptr<engine::BatchStream>> CountRows(std::shared_ptr<const Session> session,
                                                       const std::string& from,
                                                       const std::vector<std::string>& params) {
  NL_ASSIGN_OR_RETURN(Connection connection, session->Connect());
  NL_ASSIGN_OR_RETURN(PgResult result,
                      Exec(*session, connection.get(),
                           "SELECT count(*) FROM (SELECT FROM " + from + ") AS counted", params,
                           0, "counting rows"));
  int64_t rows = std::strtoll(PQgetvalue(result.get(), 0, 0), nullptr, 10);
  std::vector<engine::RecordBatch> batches;
  if (rows > 0) batches.emplace_back().num_rows = rows;
  return engine::StreamOf(std::move(batches));
}

Result<std::unique_ptr<engine::BatchStream>> Open(std::shared_ptr<const Session> session,
                                                  const engine::SourceRequest& request) {
  std::vector<std::string> params;
  NL_ASSIGN_OR_RETURN(std::string where, WhereSql(*session, request.scan, params));
  std::string limit =
      request.scan.limit >= 0 ? " LIMIT " + std::to_string(request.scan.limit) : "";
  if (request.count_only) return CountRows(session, session->relation() + where + limit, params);

  std::vector<const PgColumn*> columns;
  if (request.scan.columns.empty()) {
    for (const PgColumn& column : session->columns()) columns.push_back(&column);
  } else {
    for (const std::string& name : request.scan.columns) {
      NL_ASSIGN_OR_RETURN(const PgColumn* column, FindColumn(*session, name));
      columns.push_back(column);
    }
  }
  std::string select;
  for (const PgColumn* column : columns) {
    select += (select.empty() ? "" : ", ") + column->select_expr;
  }
  auto declare = [&](const std::string& tail) {
    return "DECLARE neuralake_cursor NO SCROLL CURSOR FOR SELECT " + select + " FROM " +
           session->relation() + tail;
  };
  NL_ASSIGN_OR_RETURN(Connection connection, session->Connect());
  if (params.empty()) {  // nothing to bind: COPY streams faster than a cursor
    std::string copy = "COPY (SELECT " + select + " FROM " + session->relation() + where + limit +
                       ") TO STDOUT (FORMAT binary)";
    PgResult started(PQexec(connection.get(), copy.c_str()));
    if (!started || PQresultStatus(started.get()) != PGRES_COPY_OUT) {
      return session->StatementError(started.get(), connection.get(), "reading rows");
    }
    return std::unique_ptr<engine::BatchStream>(
        std::make_unique<CopyStream>(session, std::move(connection), std::move(columns)));
  }
  NL_RETURN_NOT_OK(
      Exec(*session, connection.get(), "BEGIN READ ONLY", {}, 0, "starting a read").status());
  auto declared = Exec(*session, connection.get(), declare(where + limit), params, 0,
                       "reading rows");
  if (!declared.ok() && !where.empty() && SqlState(declared.status()).rfind("22", 0) == 0) {
    // A filter value PostgreSQL cannot cast to its column's type: read without the filters (the
    // engine applies them; the limit goes too, as it counts filtered rows).
    NL_RETURN_NOT_OK(
        Exec(*session, connection.get(), "ROLLBACK", {}, 0, "starting a read").status());
    NL_RETURN_NOT_OK(
        Exec(*session, connection.get(), "BEGIN READ ONLY", {}, 0, "starting a read").status());
    declared = Exec(*session, connection.get(), declare(""), {}, 0, "reading rows");
  }
  NL_RETURN_NOT_OK(declared.status());
  return std::unique_ptr<engine::BatchStream>(
      std::make_unique<PostgresStream>(session, std::move(connection), std::move(columns)));
}

// ---- describing ----------------------------------------------------------------------------

Result<std::string> RelationSql(const PostgresTableOptions& options) {
  if (!options.query.empty()) {
    std::string query = options.query;
    while (!query.empty() && (std::isspace(static_cast<unsigned char>(query.back())) ||
                              query.back() == ';')) {
      query.pop_back();
    }
    return "(" + query + ") AS q";
  }
  auto dot = options.table.find('.');
  if (dot == std::string::npos) return QuoteIdentifier(options.table);
  std::string schema = options.table.substr(0, dot);
  std::string name = options.table.substr(dot + 1);
  if (schema.empty() || name.empty() || name.find('.') != std::string::npos) {
    return Status::Invalid("table " + options.table_name + ": option table '" + options.table +
                           "' is not schema.name or name");
  }
  return QuoteIdentifier(schema) + "." + QuoteIdentifier(name);
}

// pg_type facts for every described column, in column order.
constexpr const char* kTypeInfoSql =
    "SELECT t.oid, c.m, format_type(t.oid, c.m), t.typtype, t.typcategory, t.typelem, "
    "coalesce(e.typtype, 'b'), coalesce(e.typcategory, 'U'), "
    "CASE WHEN t.typelem <> 0 THEN format_type(t.typelem, c.m) ELSE '' END "
    "FROM unnest($1::oid[], $2::int4[]) WITH ORDINALITY AS c(o, m, i) "
    "JOIN pg_type t ON t.oid = c.o LEFT JOIN pg_type e ON e.oid = t.typelem ORDER BY c.i";

Status Describe(Session& session, PGconn* connection) {
  const PostgresTableOptions& options = session.options();
  std::string statement = "SELECT * FROM " + session.relation();
  PgResult prepared(PQprepare(connection, "", statement.c_str(), 0, nullptr));
  if (!prepared || PQresultStatus(prepared.get()) != PGRES_COMMAND_OK) {
    return session.StatementError(prepared.get(), connection,
                                  options.query.empty() ? "describing " + options.table
                                                        : "describing the query");
  }
  PgResult described(PQdescribePrepared(connection, ""));
  if (!described || PQresultStatus(described.get()) != PGRES_COMMAND_OK) {
    return session.StatementError(described.get(), connection, "describing columns");
  }
  int fields = PQnfields(described.get());
  std::string oids = "{", typmods = "{";
  std::set<std::string> names;
  for (int i = 0; i < fields; ++i) {
    oids += (i ? "," : "") + std::to_string(PQftype(described.get(), i));
    typmods += (i ? "," : "") + std::to_string(PQfmod(described.get(), i));
    if (!names.insert(PQfname(described.get(), i)).second) {
      return session.Error(StatusCode::kInvalid, std::string("two columns are named '") +
                                                     PQfname(described.get(), i) +
                                                     "'; alias them in the query");
    }
  }
  NL_ASSIGN_OR_RETURN(PgResult types, Exec(session, connection, kTypeInfoSql,
                                           {oids + "}", typmods + "}"}, 0, "reading pg_type"));
  if (PQntuples(types.get()) != fields) {
    return session.Error(StatusCode::kInternal, "pg_type did not describe every column");
  }
  for (int i = 0; i < fields; ++i) {
    auto text = [&](int field) { return std::string(PQgetvalue(types.get(), i, field)); };
    postgres::PgTypeInfo info;
    info.oid = static_cast<uint32_t>(std::stoul(text(0)));
    info.typmod = std::stoi(text(1));
    info.format = text(2);
    info.typtype = text(3)[0];
    info.category = text(4)[0];
    info.element = static_cast<uint32_t>(std::stoul(text(5)));
    info.element_typtype = text(6)[0];
    info.element_category = text(7)[0];
    info.element_format = text(8);
    auto column = postgres::MapColumn(PQfname(described.get(), i), info);
    if (!column.ok()) return session.Error(column.status().code(), column.status().message());
    session.columns().push_back(std::move(*column));
  }
  return Status::OK();
}

// The dsn's own parameters: its `options` value, and whether it holds a password.
Result<std::string> CheckDsn(const PostgresTableOptions& options) {
  auto invalid = [&](const std::string& why) {
    return Status::Invalid("table " + options.table_name + ": option dsn " + why);
  };
  char* error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(options.dsn.c_str(), &error);
  if (!parsed) {
    std::string detail = error ? OneLine(error) : "";
    PQfreemem(error);
    // The message may quote part of the dsn; leave it out if that part could be a password.
    bool risky = options.dsn.find('@') != std::string::npos ||
                 options.dsn.find("pass") != std::string::npos;
    return invalid("is not a libpq connection string" + (risky ? "" : ": " + detail));
  }
  std::string dsn_options;
  bool password = false;
  for (PQconninfoOption* option = parsed; option->keyword; ++option) {
    if (!option->val) continue;
    std::string keyword = option->keyword;
    if (keyword == "password") password = true;
    if (keyword == "options") dsn_options = option->val;
  }
  PQconninfoFree(parsed);
  if (password) {
    return invalid("holds a password; put it in the environment variable password_env names "
                   "(or PGPASSWORD / ~/.pgpass), not in the catalog");
  }
  return dsn_options;
}

}  // namespace

Result<PostgresTableOptions> PostgresOptionsFrom(const catalog::TableDefinition& definition) {
  PostgresTableOptions options;
  options.table_name = definition.QualifiedName();
  auto invalid = [&](const std::string& why) {
    return Status::Invalid("table " + options.table_name + ": " + why);
  };
  for (const auto& [key, value] : definition.options) {
    if (key == "dsn") {
      options.dsn = value;
    } else if (key == "table") {
      options.table = value;
    } else if (key == "query") {
      options.query = value;
    } else if (key == "password_env") {
      options.password_env = value;
    } else if (key == "connect_timeout" || key == "fetch_rows") {
      int64_t number = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
      if (ec != std::errc() || end != value.data() + value.size() || number <= 0 ||
          number > 100000000) {
        return invalid("option " + key + " must be a positive integer, not '" + value + "'");
      }
      if (key == "connect_timeout") {
        options.connect_timeout_seconds = static_cast<int>(number);
      } else {
        options.fetch_rows = number;
      }
    } else {
      return invalid("unknown option '" + key +
                     "' for a postgres table (dsn, table, query, password_env, connect_timeout, "
                     "fetch_rows)");
    }
  }
  if (options.dsn.empty()) return invalid("a postgres table needs the option dsn");
  if (options.table.empty() == options.query.empty()) {
    return invalid("a postgres table needs exactly one of the options table and query");
  }
  NL_RETURN_NOT_OK(CheckDsn(options).status());
  return options;
}

Result<std::shared_ptr<const engine::SourceTable>> ConnectPostgresSource(
    const PostgresTableOptions& options) {
  NL_ASSIGN_OR_RETURN(std::string dsn_options, CheckDsn(options));
  std::optional<std::string> password;
  std::vector<std::string> secrets;
  if (!options.password_env.empty()) {
    const char* value = std::getenv(options.password_env.c_str());
    if (!value || !*value) {
      return Status::Invalid("table " + options.table_name + ": password_env names " +
                             options.password_env + ", which is not set");
    }
    password = value;
    secrets.push_back(value);
  }
  if (const char* pgpassword = std::getenv("PGPASSWORD")) secrets.push_back(pgpassword);
  auto session = std::make_shared<Session>(options, std::move(secrets));
  session->SetConnectionDetails(std::move(password), std::move(dsn_options));
  NL_ASSIGN_OR_RETURN(session->relation(), RelationSql(options));
  {
    NL_ASSIGN_OR_RETURN(Connection connection, session->Connect());
    NL_RETURN_NOT_OK(Describe(*session, connection.get()));
  }
  auto source = std::make_shared<engine::SourceTable>();
  source->table = options.table_name;
  for (const PgColumn& column : session->columns()) {
    source->columns.emplace_back(column.name, column.type);
  }
  std::shared_ptr<const Session> shared = session;
  source->open = [shared](const engine::SourceRequest& request) { return Open(shared, request); };
  return std::shared_ptr<const engine::SourceTable>(std::move(source));
}

}  // namespace neuralake::sql
