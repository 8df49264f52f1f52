// PostgreSQL smoke test via libpq against the project's own cluster (scripts/services.sh).
#include <libpq-fe.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace {

std::string ConnectionString() {
  if (const char* dsn = std::getenv("NEURALAKE_PG_DSN"); dsn != nullptr && *dsn != '\0') {
    return dsn;
  }
  std::string port = "55432";
  if (const char* env = std::getenv("NEURALAKE_PG_PORT"); env != nullptr && *env != '\0') {
    port = env;
  } else {
    const char* home = std::getenv("HOME");
    const char* cache = std::getenv("NEURALAKE_CACHE");
    std::string dir = cache != nullptr ? cache : std::string(home ? home : "") + "/.cache/neuralake";
    std::ifstream file(dir + "/run/postgres.port");
    if (file) file >> port;
  }
  return "host=127.0.0.1 port=" + port + " user=postgres dbname=neuralake connect_timeout=5";
}

TEST(PostgresSmokeTest, ParameterizedInsertAndReadBack) {
  PGconn* connection = PQconnectdb(ConnectionString().c_str());
  ASSERT_EQ(PQstatus(connection), CONNECTION_OK)
      << PQerrorMessage(connection)
      << " (is PostgreSQL running? start the local services with `make services-up`)";

  PGresult* result = PQexec(connection,
                            "CREATE TEMP TABLE readings (id bigint primary key, device text, "
                            "value double precision)");
  ASSERT_EQ(PQresultStatus(result), PGRES_COMMAND_OK) << PQerrorMessage(connection);
  PQclear(result);

  for (int i = 0; i < 100; ++i) {
    std::string id = std::to_string(i);
    std::string device = "device-" + std::to_string(i % 4);
    std::string value = std::to_string(i * 0.5);
    const char* params[] = {id.c_str(), device.c_str(), value.c_str()};
    result = PQexecParams(connection, "INSERT INTO readings VALUES ($1, $2, $3)", 3, nullptr,
                          params, nullptr, nullptr, 0);
    ASSERT_EQ(PQresultStatus(result), PGRES_COMMAND_OK) << PQerrorMessage(connection);
    PQclear(result);
  }

  result = PQexec(connection,
                  "SELECT count(*), sum(value), count(DISTINCT device) FROM readings");
  ASSERT_EQ(PQresultStatus(result), PGRES_TUPLES_OK) << PQerrorMessage(connection);
  EXPECT_EQ(std::string(PQgetvalue(result, 0, 0)), "100");
  EXPECT_DOUBLE_EQ(std::atof(PQgetvalue(result, 0, 1)), 0.5 * (99 * 100 / 2));
  EXPECT_EQ(std::string(PQgetvalue(result, 0, 2)), "4");
  PQclear(result);

  const char* param[] = {"device-2"};
  result = PQexecParams(connection, "SELECT id FROM readings WHERE device = $1 ORDER BY id", 1,
                        nullptr, param, nullptr, nullptr, 0);
  ASSERT_EQ(PQresultStatus(result), PGRES_TUPLES_OK);
  ASSERT_EQ(PQntuples(result), 25);
  EXPECT_EQ(std::string(PQgetvalue(result, 0, 0)), "2");
  EXPECT_EQ(std::string(PQgetvalue(result, 24, 0)), "98");
  PQclear(result);
  PQfinish(connection);
}

}  // namespace
