// The postgres table kind against the project's PostgreSQL (scripts/services.sh up postgres):
// types value by value, every filter operator against PostgreSQL's own WHERE, the server's
// statement log, count/limit, connection cleanup, and the errors for bad input.
#include <unistd.h>

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "neuralake/sql/postgres_provider.h"
#include "neuralake/sql/postgres_source.h"

namespace neuralake::sql {
namespace {

using engine::ColumnType;
using engine::RecordBatch;
using engine::ScanFilter;
using engine::SourceRequest;
using Id = ColumnType::Id;

std::string PgPort() {
  if (const char* port = std::getenv("NEURALAKE_PG_PORT")) return port;
  const char* home = std::getenv("HOME");
  std::ifstream file(std::string(home ? home : "") + "/.cache/neuralake/run/postgres.port");
  std::string port;
  if (file >> port) return port;
  return "55432";
}

std::string Dsn(const std::string& user = "postgres", const std::string& extra = "") {
  return "host=127.0.0.1 port=" + PgPort() + " dbname=neuralake user=" + user + extra;
}

// The administrator's connection (setup and the oracle's WHERE).
class Admin {
 public:
  Admin() : connection_(PQconnectdb(Dsn().c_str())) {
    PQclear(PQexec(connection_, "SET client_min_messages = warning"));
  }
  ~Admin() { PQfinish(connection_); }
  bool ok() const { return PQstatus(connection_) == CONNECTION_OK; }

  void Exec(const std::string& sql) {
    PGresult* result = PQexec(connection_, sql.c_str());
    auto status = PQresultStatus(result);
    EXPECT_TRUE(status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
        << sql << ": " << PQresultErrorMessage(result);
    PQclear(result);
  }
  // The first column of every row, as text.
  std::vector<std::string> Column(const std::string& sql) {
    PGresult* result = PQexec(connection_, sql.c_str());
    EXPECT_EQ(PQresultStatus(result), PGRES_TUPLES_OK) << sql << ": " << PQresultErrorMessage(result);
    std::vector<std::string> values;
    for (int row = 0; row < PQntuples(result); ++row) values.push_back(PQgetvalue(result, row, 0));
    PQclear(result);
    return values;
  }

 private:
  PGconn* connection_;
};

catalog::TableDefinition Definition(const std::string& name,
                                    std::map<std::string, std::string> options) {
  catalog::TableDefinition definition;
  definition.database = "demo";
  definition.name = name;
  definition.kind = catalog::TableKind::kPostgres;
  definition.options = std::move(options);
  return definition;
}

Result<std::shared_ptr<const engine::SourceTable>> SourceFor(
    const std::string& name, std::map<std::string, std::string> options) {
  NL_ASSIGN_OR_RETURN(auto provider,
                      MakePostgresProvider(Definition(name, std::move(options)), {}));
  return provider->Source();
}

Result<std::vector<RecordBatch>> ReadAll(const engine::SourceTable& source,
                                         const SourceRequest& request) {
  NL_ASSIGN_OR_RETURN(auto stream, source.open(request));
  std::vector<RecordBatch> batches;
  RecordBatch batch;
  while (true) {
    NL_ASSIGN_OR_RETURN(bool more, stream->Next(&batch));
    if (!more) break;
    batches.push_back(std::move(batch));
  }
  return batches;
}

std::string Int128Text(__int128 value) {
  if (value == 0) return "0";
  bool negative = value < 0;
  std::string digits;
  while (value != 0) {
    int digit = static_cast<int>(value % 10);
    digits.insert(digits.begin(), static_cast<char>('0' + (negative ? -digit : digit)));
    value /= 10;
  }
  return (negative ? "-" : "") + digits;
}

// One cell as text: NULL, numbers, strings in quotes, lists in brackets.
std::string Cell(const engine::Column& column, int64_t row) {
  if (!column.IsValid(row)) return "NULL";
  auto index = static_cast<size_t>(row);
  switch (column.type.id) {
    case Id::kFloat:
    case Id::kDouble: {
      std::ostringstream out;
      out.precision(17);
      out << column.doubles[index];
      return out.str();
    }
    case Id::kDecimal: return Int128Text(column.decimals[index]);
    case Id::kString:
    case Id::kBinary: return "'" + column.strings[index] + "'";
    case Id::kList: {
      std::string out = "[";
      for (int64_t i = column.offsets[index]; i < column.offsets[index + 1]; ++i) {
        out += (i > column.offsets[index] ? "," : "") + Cell(column.children[0], i);
      }
      return out + "]";
    }
    default: return std::to_string(column.ints[index]);
  }
}

int64_t Micros(int year, unsigned month, unsigned day, int64_t seconds_of_day) {
  auto days = std::chrono::sys_days(std::chrono::year(year) / month / day).time_since_epoch();
  return (days.count() * 86400 + seconds_of_day) * 1000000;
}

void ExpectTypeMatrix(const RecordBatch& batch) {
  ASSERT_EQ(batch.num_rows, 3);
  std::string nines38(38, '9');
  std::map<std::string, std::vector<std::string>> expected = {
      {"id", {"1", "2", "3"}},
      {"b", {"1", "0", "NULL"}},
      {"i2", {"-32768", "32767", "NULL"}},
      {"i4", {"-2147483648", "2147483647", "NULL"}},
      {"i8", {"-9223372036854775808", "9223372036854775807", "NULL"}},
      {"o", {"4294967295", "0", "NULL"}},
      {"f4", {"1.5", "-0.25", "NULL"}},
      {"f8", {"-1e+308", "2.5", "NULL"}},
      {"n", {nines38, "-" + nines38, "NULL"}},
      {"n2", {"-99999", "1", "NULL"}},
      {"nfree", {"1.25", "-1.0000000000000001e-05", "NULL"}},
      {"t", {"''", "'h\xc3\xa9llo'", "NULL"}},
      {"vc", {"''", "'varchar'", "NULL"}},
      {"bc", {"'ab  '", "'abcd'", "NULL"}},
      {"u", {"'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'", "'00000000-0000-0000-0000-000000000000'",
             "NULL"}},
      {"j", {"'{\"a\": [1, 2]}'", "'[]'", "NULL"}},
      {"jb", {"'{\"a\": \"x\", \"b\": 1}'", "'null'", "NULL"}},
      {"by", {std::string("'\0\xff" "A'", 5), "''", "NULL"}},
      {"d", {"10956", "10957", "NULL"}},
      {"ts", {"1", std::to_string(Micros(1900, 1, 1, 0)), "NULL"}},
      {"tz", {std::to_string(Micros(2026, 3, 1, 10 * 3600)), "-500000", "NULL"}},
      {"tm", {"'13:45:00'", "'00:00:00'", "NULL"}},
      {"iv", {"'1 day 02:00:00'", "'-3 mons'", "NULL"}},
      {"mood", {"'happy'", "'sad'", "NULL"}},
      {"ia", {"[1,NULL,3]", "[]", "NULL"}},
      {"ta", {"['x',NULL,'']", "[]", "NULL"}},
      {"na", {"[150,NULL]", "[]", "NULL"}},
      {"ua", {"['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11']", "[]", "NULL"}},
  };
  ASSERT_EQ(batch.columns.size(), expected.size());
  for (const auto& column : batch.columns) {
    ASSERT_EQ(column.length, 3) << column.name;
    for (int64_t row = 0; row < 3; ++row) {
      EXPECT_EQ(Cell(column, row), expected[column.name][static_cast<size_t>(row)])
          << "column " << column.name << " row " << row;
    }
  }
}

// Each test process has its own schema: ctest runs the cases in parallel processes, which must
// not drop each other's tables.
const std::string& S() {
  static const std::string schema = "nl_pg_test_" + std::to_string(::getpid());
  return schema;
}

class PostgresSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(admin_.ok()) << "PostgreSQL is not up: scripts/services.sh up postgres";
    admin_.Exec("CREATE SCHEMA IF NOT EXISTS " + S());
  }
  void TearDown() override {
    if (admin_.ok()) admin_.Exec("DROP SCHEMA IF EXISTS " + S() + " CASCADE");
  }

  // The ids a plain PostgreSQL WHERE returns from <schema>.items.
  std::vector<int64_t> OracleIds(const std::string& where) {
    std::vector<int64_t> ids;
    for (const auto& id : admin_.Column("SELECT id FROM " + S() + ".items WHERE " + where +
                                        " ORDER BY id")) {
      ids.push_back(std::stoll(id));
    }
    return ids;
  }

  void CreateItems() {
    admin_.Exec("DROP TABLE IF EXISTS " + S() + ".items");
    admin_.Exec(
        "CREATE TABLE " + S() + ".items AS SELECT g AS id, "
        "CASE WHEN g % 10 = 0 THEN NULL ELSE 'name_' || (g % 37) END AS name, "
        "(g % 100) / 4.0::float8 AS score, "
        "CASE WHEN g % 7 = 0 THEN NULL ELSE (((g * 13) % 1000) / 10.0)::numeric(8,2) END AS amount, "
        "timestamptz '2026-01-01 00:00:00+00' + g * interval '1 hour' AS ts, "
        "ARRAY['t' || (g % 5), CASE WHEN g % 11 = 0 THEN NULL ELSE 't' || (g % 3) END] AS tags, "
        "(g % 2 = 0) AS flag, md5(g::text)::uuid AS u, (g % 9)::int2 AS small "
        "FROM generate_series(1, 500) g");
  }

  Admin admin_;
};

TEST_F(PostgresSourceTest, PostgresTypeMatrixValueByValue) {
  admin_.Exec("DROP TABLE IF EXISTS " + S() + ".types");
  admin_.Exec("DROP TYPE IF EXISTS " + S() + ".mood");
  admin_.Exec("CREATE TYPE " + S() + ".mood AS ENUM ('sad', 'happy')");
  admin_.Exec(
      "CREATE TABLE " + S() + ".types (id int4, b bool, i2 int2, i4 int4, i8 int8, o oid, "
      "f4 float4, f8 float8, n numeric(38,10), n2 numeric(5,2), nfree numeric, t text, "
      "vc varchar(10), bc char(4), u uuid, j json, jb jsonb, by bytea, d date, ts timestamp, "
      "tz timestamptz, tm time, iv interval, mood " + S() + ".mood, ia int4[], ta text[], "
      "na numeric(6,2)[], ua uuid[])");
  admin_.Exec(
      "INSERT INTO " + S() + ".types VALUES "
      "(1, true, -32768, -2147483648, -9223372036854775808, 4294967295, 1.5, -1e308, "
      "9999999999999999999999999999.9999999999, -999.99, 1.25, '', '', 'ab', "
      "'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '{\"a\": [1, 2]}', '{\"b\": 1, \"a\": \"x\"}', "
      "'\\x00ff41', '1999-12-31', '1970-01-01 00:00:00.000001', '2026-03-01 12:00:00+02', "
      "'13:45:00', '1 day 02:00:00', 'happy', '{1,NULL,3}', '{\"x\",NULL,\"\"}', '{1.50,NULL}', "
      "'{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}'),"
      "(2, false, 32767, 2147483647, 9223372036854775807, 0, -0.25, 2.5, "
      "-9999999999999999999999999999.9999999999, 0.01, -0.00001, 'h\xc3\xa9llo', 'varchar', "
      "'abcd', '00000000-0000-0000-0000-000000000000', '[]', 'null', '', '2000-01-01', "
      "'1900-01-01 00:00:00', '1969-12-31 23:59:59.5+00', '00:00:00', '-3 mons', 'sad', '{}', "
      "'{}', '{}', '{}'),"
      "(3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
      "NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)");
  auto source = SourceFor("types", {{"dsn", Dsn()}, {"table", "" + S() + ".types"}});
  ASSERT_TRUE(source.ok()) << source.status().ToString();

  std::map<std::string, std::string> types;
  for (const auto& [name, type] : (*source)->columns) types[name] = engine::ColumnTypeSql(type);
  EXPECT_EQ(types["b"], "BOOLEAN");
  EXPECT_EQ(types["i2"], "SMALLINT");
  EXPECT_EQ(types["o"], "BIGINT");
  EXPECT_EQ(types["f4"], "FLOAT");
  EXPECT_EQ(types["n"], "DECIMAL(38,10)");
  EXPECT_EQ(types["n2"], "DECIMAL(5,2)");
  EXPECT_EQ(types["nfree"], "DOUBLE");
  EXPECT_EQ(types["u"], "VARCHAR");
  EXPECT_EQ(types["by"], "BLOB");
  EXPECT_EQ(types["d"], "DATE");
  EXPECT_EQ(types["ts"], "TIMESTAMP");
  EXPECT_EQ(types["tz"], "TIMESTAMP WITH TIME ZONE");
  EXPECT_EQ(types["tm"], "VARCHAR");
  EXPECT_EQ(types["mood"], "VARCHAR");
  EXPECT_EQ(types["ia"], "INTEGER[]");
  EXPECT_EQ(types["na"], "DECIMAL(6,2)[]");

  // Read twice: with a bound filter (a cursor's FETCHes) and without (COPY binary).
  SourceRequest filtered;
  filtered.scan.filters.push_back(*ScanFilter::Make("id", ">", {int64_t{0}}));
  for (const SourceRequest& request : {filtered, SourceRequest{}}) {
    SCOPED_TRACE(request.scan.filters.empty() ? "COPY" : "cursor");
    auto batches = ReadAll(**source, request);
    ASSERT_TRUE(batches.ok()) << batches.status().ToString();
    ASSERT_EQ(batches->size(), 1u);
    ExpectTypeMatrix((*batches)[0]);
  }
}

TEST_F(PostgresSourceTest, PostgresEveryFilterOperatorMatchesPostgresWhere) {
  CreateItems();
  auto source = SourceFor("items", {{"dsn", Dsn()}, {"table", "" + S() + ".items"}});
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  using V = std::vector<engine::QueryParam>;
  struct Case {
    std::string column, op;
    V values;
    std::string where;
  };
  std::vector<Case> cases = {
      {"id", "=", {int64_t{42}}, "id = 42"},
      {"id", "!=", {int64_t{42}}, "id <> 42"},
      {"score", "<", {10.5}, "score < 10.5"},
      {"score", "<=", {10.5}, "score <= 10.5"},
      {"score", ">", {20.0}, "score > 20"},
      {"score", ">=", {20.0}, "score >= 20"},
      {"small", "=", {int64_t{3}}, "small = 3"},
      {"name", "=", {std::string("name_3")}, "name = 'name_3'"},
      {"name", "!=", {std::string("name_3")}, "name <> 'name_3'"},
      {"name", ">", {std::string("name_30")}, "name COLLATE \"C\" > 'name_30'"},
      {"name", "<=", {std::string("name_12")}, "name COLLATE \"C\" <= 'name_12'"},
      {"id", "in", {int64_t{1}, int64_t{2}, int64_t{3}, int64_t{999}}, "id IN (1, 2, 3, 999)"},
      {"id", "not in", {int64_t{1}, int64_t{2}, int64_t{3}}, "id NOT IN (1, 2, 3)"},
      {"name", "in", {std::string("name_1"), std::string("name_2")},
       "name IN ('name_1', 'name_2')"},
      {"name", "contains", {std::string("e_1")}, "strpos(name, 'e_1') > 0"},
      {"name", "starts with", {std::string("name_2")}, "name LIKE 'name\\_2%'"},
      {"name", "ends with", {std::string("_5")}, "name LIKE '%\\_5'"},
      {"tags", "includes", {std::string("t1")}, "'t1' = ANY(tags)"},
      {"tags", "includes any", {std::string("t1"), std::string("t4")}, "tags && '{t1,t4}'"},
      {"tags", "includes all", {std::string("t1"), std::string("t2")}, "tags @> '{t1,t2}'"},
      {"name", "is null", {}, "name IS NULL"},
      {"amount", "is not null", {}, "amount IS NOT NULL"},
      {"amount", ">=", {std::string("50.5")}, "amount >= 50.5"},
      {"amount", "<", {25.25}, "amount < 25.25"},
      {"ts", ">=", {std::string("2026-01-10 00:00:00")}, "ts >= '2026-01-10 00:00:00+00'"},
      {"flag", "=", {true}, "flag"},
      {"u", "=", {std::string("e4da3b7f-bbce-2345-d777-2b0674a318d5")},
       "u = 'e4da3b7fbbce2345d7772b0674a318d5'"},
      {"u", "<", {std::string("2")}, "u::text < '2'"},
  };
  for (const Case& test : cases) {
    auto filter = ScanFilter::Make(test.column, test.op, test.values);
    ASSERT_TRUE(filter.ok()) << filter.status().ToString();
    SourceRequest request;
    request.scan.columns = {"id"};
    request.scan.filters = {*filter};
    auto batches = ReadAll(**source, request);
    ASSERT_TRUE(batches.ok()) << test.where << ": " << batches.status().ToString();
    std::vector<int64_t> ids;
    for (const auto& batch : *batches) {
      for (int64_t row = 0; row < batch.num_rows; ++row) {
        ids.push_back(batch.columns[0].ints[static_cast<size_t>(row)]);
      }
    }
    std::vector<int64_t> expected = OracleIds(test.where);
    EXPECT_FALSE(expected.empty()) << test.where << " selects nothing: a weak case";
    EXPECT_EQ(ids, expected) << test.column << " " << test.op << " (" << test.where << ")";
  }

  // An OR of AND lists, with an AND list beside it.
  SourceRequest request;
  request.scan.columns = {"id", "flag"};
  request.scan.filters = {*ScanFilter::Make("score", ">=", {1.0})};
  request.scan.any_of = {{*ScanFilter::Make("id", "<", {int64_t{10}})},
                         {*ScanFilter::Make("id", ">", {int64_t{490}}),
                          *ScanFilter::Make("flag", "=", {true})}};
  auto batches = ReadAll(**source, request);
  ASSERT_TRUE(batches.ok()) << batches.status().ToString();
  std::vector<int64_t> ids;
  for (int64_t row = 0; row < (*batches)[0].num_rows; ++row) ids.push_back((*batches)[0].columns[0].ints[row]);
  EXPECT_EQ(ids, OracleIds("score >= 1 AND (id < 10 OR (id > 490 AND flag))"));

  // A filter on an unknown column is Invalid naming it; one that does not apply to its type too.
  request.scan.filters = {*ScanFilter::Make("nope", "=", {int64_t{1}})};
  auto unknown = (*source)->open(request);
  ASSERT_FALSE(unknown.ok());
  EXPECT_TRUE(unknown.status().IsInvalid());
  EXPECT_NE(unknown.status().message().find("table demo.items"), std::string::npos);
  EXPECT_NE(unknown.status().message().find("'nope'"), std::string::npos);
  request.scan.filters = {*ScanFilter::Make("id", "contains", {std::string("1")})};
  EXPECT_TRUE((*source)->open(request).status().IsInvalid());

  // A value PostgreSQL cannot cast to the column's type: the filter is not pushed (the engine
  // filters), the read still works.
  request.scan.any_of.clear();
  request.scan.filters = {*ScanFilter::Make("id", "=", {std::string("not a number")})};
  auto unpushed = ReadAll(**source, request);
  ASSERT_TRUE(unpushed.ok()) << unpushed.status().ToString();
  int64_t rows = 0;
  for (const auto& batch : *unpushed) rows += batch.num_rows;
  EXPECT_EQ(rows, 500);
}

TEST_F(PostgresSourceTest, PostgresStatementLogShowsTheWhereAndOnlyMatchingRowsAreFetched) {
  admin_.Exec("DROP TABLE IF EXISTS " + S() + ".big");
  admin_.Exec("CREATE TABLE " + S() + ".big AS SELECT g AS id, g % 1000 AS bucket, "
              "md5(g::text) AS payload FROM generate_series(1, 100000) g");
  // A reader whose statements the server logs.
  admin_.Exec("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'nl_pg_logged') "
              "THEN CREATE ROLE nl_pg_logged LOGIN; END IF; END $$");
  admin_.Exec("ALTER ROLE nl_pg_logged SET log_statement = 'all'");
  admin_.Exec("GRANT USAGE ON SCHEMA " + S() + " TO nl_pg_logged");
  admin_.Exec("GRANT SELECT ON ALL TABLES IN SCHEMA " + S() + " TO nl_pg_logged");
  const char* home = std::getenv("HOME");
  std::string log_path = std::string(home ? home : "") + "/.cache/neuralake/logs/postgres.log";
  std::ifstream before(log_path, std::ios::ate);
  ASSERT_TRUE(before.good()) << "no server log at " << log_path;
  auto offset = before.tellg();

  auto source = SourceFor("big", {{"dsn", Dsn("nl_pg_logged")}, {"table", "" + S() + ".big"}});
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  SourceRequest request;
  request.scan.columns = {"id", "bucket"};
  request.scan.filters = {*ScanFilter::Make("bucket", "=", {int64_t{7}})};
  auto batches = ReadAll(**source, request);
  ASSERT_TRUE(batches.ok()) << batches.status().ToString();
  int64_t rows = 0;
  for (const auto& batch : *batches) {
    rows += batch.num_rows;
    for (int64_t row = 0; row < batch.num_rows; ++row) {
      EXPECT_EQ(batch.columns[1].ints[static_cast<size_t>(row)], 7);
    }
  }
  EXPECT_EQ(rows, 100);  // 0.1% of the table crossed the wire

  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the log is written async
  std::ifstream after(log_path);
  after.seekg(offset);
  std::string logged((std::istreambuf_iterator<char>(after)), std::istreambuf_iterator<char>());
  auto declare = logged.find("DECLARE neuralake_cursor NO SCROLL CURSOR FOR SELECT \"id\", "
                             "\"bucket\" FROM \"" + S() + "\".\"big\" WHERE \"bucket\" = "
                             "$1::integer");
  ASSERT_NE(declare, std::string::npos) << "the server log has no DECLARE with the WHERE:\n"
                                        << logged.substr(0, 4000);
  EXPECT_NE(logged.find("parameters: $1 = '7'", declare), std::string::npos) << logged;
  EXPECT_NE(logged.find("FETCH FORWARD", declare), std::string::npos);
}

TEST_F(PostgresSourceTest, PostgresCountOnlyLimitAndQueryTables) {
  CreateItems();
  auto source = SourceFor("items", {{"dsn", Dsn()}, {"table", "" + S() + ".items"}});
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  auto count = [&](SourceRequest request) {
    auto batches = ReadAll(**source, request);
    EXPECT_TRUE(batches.ok()) << batches.status().ToString();
    int64_t rows = 0;
    if (!batches.ok()) return int64_t{-1};
    for (const auto& batch : *batches) {
      if (request.count_only) {
        EXPECT_TRUE(batch.columns.empty());
      }
      rows += batch.num_rows;
    }
    return rows;
  };
  SourceRequest request;
  request.count_only = true;
  EXPECT_EQ(count(request), 500);
  request.scan.filters = {*ScanFilter::Make("id", "<=", {int64_t{100}})};
  EXPECT_EQ(count(request), 100);
  request.scan.limit = 7;
  EXPECT_EQ(count(request), 7);
  request.count_only = false;
  request.scan.columns = {"name", "id", "name"};  // a column twice, in request order
  request.scan.limit = 5;
  auto batches = ReadAll(**source, request);
  ASSERT_TRUE(batches.ok()) << batches.status().ToString();
  ASSERT_EQ((*batches)[0].num_rows, 5);
  ASSERT_EQ((*batches)[0].columns.size(), 3u);
  EXPECT_EQ((*batches)[0].columns[1].name, "id");
  EXPECT_EQ((*batches)[0].columns[2].name, "name");
  request.scan.limit = 0;
  EXPECT_EQ(count(request), 0);

  // A query table; batches of fetch_rows rows.
  auto query = SourceFor("named", {{"dsn", Dsn()},
                                   {"query", "SELECT id, upper(name) AS shout FROM "
                                             "" + S() + ".items WHERE id <= 250;"},
                                   {"fetch_rows", "100"}});
  ASSERT_TRUE(query.ok()) << query.status().ToString();
  ASSERT_EQ((*query)->columns.size(), 2u);
  SourceRequest all;
  all.scan.filters = {*ScanFilter::Make("shout", "starts with", {std::string("NAME_1")})};
  auto rows = ReadAll(**query, all);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  int64_t total = 0;
  for (const auto& batch : *rows) total += batch.num_rows;
  EXPECT_EQ(total, static_cast<int64_t>(OracleIds("id <= 250 AND name LIKE 'name\\_1%'").size()));
  auto unfiltered = ReadAll(**query, SourceRequest{});
  ASSERT_TRUE(unfiltered.ok());
  EXPECT_EQ(unfiltered->size(), 3u);  // 100 + 100 + 50
}

TEST_F(PostgresSourceTest, PostgresWideRowsMakeSmallerBatches) {
  auto source = SourceFor("wide", {{"dsn", Dsn()},
                                   {"query", "SELECT g AS id, repeat('x', 20000) AS wide "
                                             "FROM generate_series(1, 3000) g"}});
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  SourceRequest filtered;  // a cursor; unfiltered: COPY
  filtered.scan.filters = {*ScanFilter::Make("id", ">", {int64_t{0}})};
  for (const SourceRequest& request : {filtered, SourceRequest{}}) {
    SCOPED_TRACE(request.scan.filters.empty() ? "COPY" : "cursor");
    auto batches = ReadAll(**source, request);
    ASSERT_TRUE(batches.ok()) << batches.status().ToString();
    int64_t rows = 0;
    for (const auto& batch : *batches) {
      EXPECT_LE(batch.num_rows, 1024);  // ~16 MB of values per batch, not 32768 rows
      EXPECT_EQ(batch.columns[1].strings.back().size(), 20000u);
      rows += batch.num_rows;
    }
    EXPECT_EQ(rows, 3000);
    EXPECT_GE(batches->size(), 3u);
  }
}

int Backends(Admin& admin, const std::string& application) {
  return std::stoi(admin.Column("SELECT count(*) FROM pg_stat_activity WHERE application_name = '" +
                                application + "'")[0]);
}

bool WaitForBackends(Admin& admin, const std::string& application, int expected) {
  for (int i = 0; i < 100; ++i) {
    if (Backends(admin, application) == expected) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

TEST_F(PostgresSourceTest, PostgresEarlyStreamDestructionClosesTheConnection) {
  admin_.Exec("CREATE TABLE IF NOT EXISTS " + S() + ".big AS SELECT g AS id, g % 1000 AS bucket, "
              "md5(g::text) AS payload FROM generate_series(1, 100000) g");
  auto source = SourceFor("big", {{"dsn", Dsn("postgres", " application_name=nl_pg_leak")},
                                  {"table", "" + S() + ".big"},
                                  {"fetch_rows", "1000"}});
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  ASSERT_TRUE(WaitForBackends(admin_, "nl_pg_leak", 0));  // describing closed its connection
  SourceRequest filtered;  // a bound filter: a cursor; none: COPY
  filtered.scan.filters = {*ScanFilter::Make("id", ">", {int64_t{0}})};
  for (const SourceRequest& request : {filtered, SourceRequest{}}) {
    SCOPED_TRACE(request.scan.filters.empty() ? "COPY" : "cursor");
    {
      auto stream = (*source)->open(request);
      ASSERT_TRUE(stream.ok()) << stream.status().ToString();
      RecordBatch batch;
      ASSERT_TRUE(*(*stream)->Next(&batch));
      EXPECT_EQ(batch.num_rows, 1000);
      auto states = admin_.Column(
          "SELECT state FROM pg_stat_activity WHERE application_name = 'nl_pg_leak'");
      ASSERT_EQ(states.size(), 1u);
      EXPECT_TRUE(states[0] == "active" || states[0] == "idle in transaction") << states[0];
    }  // destroyed after one batch of 100,000 rows
    EXPECT_TRUE(WaitForBackends(admin_, "nl_pg_leak", 0)) << "the stream's backend is still there";

    // A stream read to its end closes its connection by itself.
    auto stream = (*source)->open(request);
    ASSERT_TRUE(stream.ok());
    RecordBatch batch;
    int64_t rows = 0;
    while (*(*stream)->Next(&batch)) rows += batch.num_rows;
    EXPECT_EQ(rows, 100000);
    EXPECT_TRUE(WaitForBackends(admin_, "nl_pg_leak", 0));
  }
}

void ExpectNamesTable(const Status& status, const std::string& table) {
  EXPECT_FALSE(status.ok());
  std::printf("  %s\n", status.ToString().c_str());  // the messages users see, in the test log
  EXPECT_NE(status.message().find("table demo." + table + ":"), std::string::npos)
      << status.ToString();
}

TEST_F(PostgresSourceTest, PostgresBadInputNamesTheTable) {
  // Unreachable: the factory succeeds (a service starts), the first use fails.
  auto provider = MakePostgresProvider(
      Definition("down", {{"dsn", "host=127.0.0.1 port=1 dbname=x user=y"}, {"table", "t"}}), {});
  ASSERT_TRUE(provider.ok()) << provider.status().ToString();
  EXPECT_EQ((*provider)->Binding(), catalog::TableProvider::BindingKind::kSource);
  auto down = (*provider)->Source();
  ExpectNamesTable(down.status(), "down");
  EXPECT_TRUE(down.status().IsIOError()) << down.status().ToString();
  EXPECT_NE(down.status().message().find("cannot connect"), std::string::npos);

  // A missing table: NotFound; not cached, so the table appearing later is read.
  admin_.Exec("DROP TABLE IF EXISTS " + S() + ".later");
  auto later = MakePostgresProvider(
      Definition("later", {{"dsn", Dsn()}, {"table", "" + S() + ".later"}}), {});
  ASSERT_TRUE(later.ok());
  auto missing = (*later)->Source();
  ExpectNamesTable(missing.status(), "later");
  EXPECT_TRUE(missing.status().IsNotFound()) << missing.status().ToString();
  admin_.Exec("CREATE TABLE " + S() + ".later (x int)");
  EXPECT_TRUE((*later)->Source().ok());

  // A type without a mapping.
  admin_.Exec("DROP TABLE IF EXISTS " + S() + ".shapes");
  admin_.Exec("CREATE TABLE " + S() + ".shapes (id int, area polygon)");
  auto shapes = SourceFor("shapes", {{"dsn", Dsn()}, {"table", "" + S() + ".shapes"}});
  ExpectNamesTable(shapes.status(), "shapes");
  EXPECT_TRUE(shapes.status().IsUnsupported());
  EXPECT_NE(shapes.status().message().find("column 'area' has PostgreSQL type polygon"),
            std::string::npos)
      << shapes.status().ToString();
  // ... which a query can cast.
  EXPECT_TRUE(SourceFor("shapes", {{"dsn", Dsn()},
                                   {"query", "SELECT id, area::text AS area FROM " + S() + ".shapes"}})
                  .ok());

  // A failing query.
  auto bad_query = SourceFor("q", {{"dsn", Dsn()}, {"query", "SELECT nope FROM " + S() + ".shapes"}});
  ExpectNamesTable(bad_query.status(), "q");
  EXPECT_TRUE(bad_query.status().IsInvalid()) << bad_query.status().ToString();

  // A dsn holding a password: refused without echoing it.
  for (std::string dsn : {Dsn() + " password=Hunter2-in-dsn",
                          "postgresql://postgres:Hunter2-in-dsn@127.0.0.1:" + PgPort() + "/x"}) {
    auto refused = MakePostgresProvider(Definition("leaky", {{"dsn", dsn}, {"table", "t"}}), {});
    ExpectNamesTable(refused.status(), "leaky");
    EXPECT_TRUE(refused.status().IsInvalid());
    EXPECT_EQ(refused.status().message().find("Hunter2"), std::string::npos)
        << refused.status().ToString();
  }
  // Options: neither / both of table and query, an unknown key, an unset password variable.
  ExpectNamesTable(MakePostgresProvider(Definition("o", {{"dsn", Dsn()}}), {}).status(), "o");
  ExpectNamesTable(MakePostgresProvider(Definition("o", {{"dsn", Dsn()}, {"table", "a"},
                                                         {"query", "SELECT 1"}}), {})
                       .status(),
                   "o");
  ExpectNamesTable(
      MakePostgresProvider(Definition("o", {{"dsn", Dsn()}, {"table", "a"}, {"tabel", "b"}}), {})
          .status(),
      "o");
  ::unsetenv("NL_PG_TEST_UNSET");
  ExpectNamesTable(SourceFor("o", {{"dsn", Dsn()}, {"table", "" + S() + ".later"},
                                   {"password_env", "NL_PG_TEST_UNSET"}})
                       .status(),
                   "o");
}

TEST_F(PostgresSourceTest, PostgresWrongPasswordNeverShowsThePassword) {
  auto rules = admin_.Column("SELECT count(*) FROM pg_hba_file_rules "
                             "WHERE 'nl_secret' = ANY(user_name) AND auth_method = 'scram-sha-256'");
  ASSERT_EQ(rules, std::vector<std::string>{"1"})
      << "pg_hba.conf has no password line for nl_secret: run scripts/services.sh up postgres";
  const std::string right = "Right-Pw-7d3c91";
  const std::string wrong = "Wr0ng-Secret-Value-42";
  admin_.Exec("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'nl_secret') "
              "THEN CREATE ROLE nl_secret LOGIN; END IF; END $$");
  admin_.Exec("ALTER ROLE nl_secret PASSWORD '" + right + "'");
  admin_.Exec("GRANT USAGE ON SCHEMA " + S() + " TO nl_secret");
  admin_.Exec("CREATE TABLE IF NOT EXISTS " + S() + ".later (x int)");
  admin_.Exec("GRANT SELECT ON " + S() + ".later TO nl_secret");
  std::map<std::string, std::string> options = {{"dsn", Dsn("nl_secret")},
                                                {"table", "" + S() + ".later"},
                                                {"password_env", "NL_PG_TEST_PASSWORD"}};
  ::setenv("NL_PG_TEST_PASSWORD", wrong.c_str(), 1);
  auto refused = SourceFor("secret", options);
  ExpectNamesTable(refused.status(), "secret");
  EXPECT_TRUE(refused.status().IsIOError());
  EXPECT_NE(refused.status().message().find("password authentication failed"), std::string::npos)
      << refused.status().ToString();
  EXPECT_EQ(refused.status().ToString().find(wrong), std::string::npos);
  const char* home = std::getenv("HOME");
  std::ifstream log(std::string(home ? home : "") + "/.cache/neuralake/logs/postgres.log");
  std::string logged((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_EQ(logged.find(wrong), std::string::npos) << "the server log holds the password";

  // Scrubbing: a password that also appears in the server's message (here as the user name of a
  // role that does not exist) is replaced by *** in the error.
  ::setenv("NL_PG_TEST_PASSWORD", "nl_pg_scrub_me", 1);
  auto scrubbed = SourceFor("secret", {{"dsn", Dsn("nl_pg_scrub_me")},
                                       {"table", "" + S() + ".later"},
                                       {"password_env", "NL_PG_TEST_PASSWORD"}});
  ExpectNamesTable(scrubbed.status(), "secret");
  EXPECT_EQ(scrubbed.status().message().find("nl_pg_scrub_me"), std::string::npos);
  EXPECT_NE(scrubbed.status().message().find("role \"***\" does not exist"), std::string::npos)
      << scrubbed.status().ToString();

  ::setenv("NL_PG_TEST_PASSWORD", right.c_str(), 1);
  auto accepted = SourceFor("secret", options);
  EXPECT_TRUE(accepted.ok()) << accepted.status().ToString();
  if (accepted.ok()) {
    EXPECT_TRUE(ReadAll(**accepted, SourceRequest{}).ok());
  }
  ::unsetenv("NL_PG_TEST_PASSWORD");
}

}  // namespace
}  // namespace neuralake::sql
