// `neuralake catalog check` and `catalog export --format json|datarepo|roapi`, run in-process over
// a catalog of every kind: Delta (good, deprecated, stale, missing), Parquet (declared right and
// wrong, Hive-partitioned), a view, a function table and a PostgreSQL table nothing listens for.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "neuralake/cli/cli.h"
#include "neuralake/engine/engine.h"
#include "neuralake/storage/test_environment.h"

namespace neuralake::cli {
namespace {

namespace fs = std::filesystem;

struct Outcome {
  int code;
  std::string out;
  std::string err;
};

Outcome RunCli(std::vector<std::string> args) {
  args.insert(args.begin(), "neuralake");
  std::ostringstream out, err;
  int code = Run(args, out, err);
  return {code, out.str(), err.str()};
}

// The line of `text` that starts with `prefix`, or "".
std::string LineStartingWith(const std::string& text, const std::string& prefix) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(prefix, 0) == 0) return line;
  }
  return "";
}

// A Delta table whose only commit is from 2020: its data is older than any freshness.
void WriteOldDeltaTable(const fs::path& path) {
  fs::create_directories(path / "_delta_log");
  std::ofstream(path / "_delta_log" / "00000000000000000000.json")
      << R"({"commitInfo":{"timestamp":1600000000000,"operation":"CREATE TABLE"}})" << "\n"
      << R"({"protocol":{"minReaderVersion":1,"minWriterVersion":2}})" << "\n"
      << R"({"metaData":{"id":"0b5e1c1e-0000-4000-8000-000000000001","format":{"provider":"parquet","options":{}},)"
      << R"("schemaString":"{\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}}]}",)"
      << R"("partitionColumns":[],"configuration":{},"createdTime":1600000000000}})" << "\n";
}

class CatalogCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / testing::UniqueName("nl-catalog-commands");
    fs::create_directories(root_);
    std::string csv = (root_ / "rows.csv").string();
    std::ofstream(csv) << "id,country,amount\n1,DE,12.5\n2,FR,3.0\n3,DE,20.0\n";
    Outcome created = RunCli({"table", "create", (root_ / "events").string(), "--from", csv});
    ASSERT_EQ(created.code, 0) << created.err;
    WriteOldDeltaTable(root_ / "old_feed");
    auto engine = engine::Engine::Make({});
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    for (const char* region : {"eu", "us"}) {
      fs::path dir = root_ / "zones" / (std::string("region=") + region);
      fs::create_directories(dir);
      Status written = (*engine)->Execute(
          "COPY (SELECT i::BIGINT AS zone_id, 'zone ' || i::VARCHAR AS name FROM range(4) t(i)) TO " +
          engine::Engine::QuoteLiteral((dir / "part-0.parquet").string()) + " (FORMAT parquet)");
      ASSERT_TRUE(written.ok()) << written.ToString();
    }
  }
  void TearDown() override { fs::remove_all(root_); }

  std::string WriteCatalog(const std::string& name, const std::string& text) {
    std::string path = (root_ / name).string();
    std::ofstream(path) << text;
    return path;
  }

  // Every kind, good and bad.
  std::string MixedCatalog() {
    std::string events = (root_ / "events").string();
    std::string zones = (root_ / "zones").string() + "/";
    return WriteCatalog("catalog.yaml", R"(databases:
  demo:
    tables:
      events:
        type: delta
        uri: ")" + events + R"("
        description: "Events, one row per event"
        owner: data-eng
        tags: [bronze, events]
        unique_columns: [id]
        schema: {id: bigint, country: text}
        example_filters: [[[country, "=", DE], [amount, ">=", 10]], [[id, in, [1, 2]]]]
        latency_info: "appended every second"
        data_input: "the writer"
        freshness: 1h
      events_v1:
        type: delta
        uri: ")" + events + R"("
        deprecated: {message: "replaced by the new feed", use: demo.events}
      old_feed: {type: delta, uri: ")" + (root_ / "old_feed").string() + R"(", freshness: 1d}
      broken: {type: delta, uri: ")" + (root_ / "no_such_table").string() + R"("}
      zones:
        type: parquet
        uri: ")" + zones + R"("
        schema: {zone_id: BIGINT, name: VARCHAR}
        example_filters: [[[region, "=", eu]]]
      zones_wrong: {type: parquet, uri: ")" + zones + R"(", schema: {zone_id: INTEGER, name: VARCHAR}}
      de_events: {type: view, sql: "SELECT id, country FROM demo.events WHERE country = 'DE'"}
      generated: {type: function, function: generate, args: {schema: events, rows: 50}}
      bad_filters:
        type: delta
        uri: ")" + events + R"("
        unique_columns: [nope]
        example_filters: [[[id, "=", abc]], [[country, includes, x]]]
      users:
        type: postgres
        dsn: "host=127.0.0.1 port=1 dbname=app user=app"
        table: public.users
        password_env: NL_CATALOG_TEST_PASSWORD
)");
  }

  fs::path root_;
};

TEST_F(CatalogCommandsTest, CheckNamesEveryBrokenTableAndItsReason) {
  ::setenv("NL_CATALOG_TEST_PASSWORD", "s3cret-Pa55word", 1);
  Outcome run = RunCli({"catalog", "check", "--catalog", MixedCatalog()});
  ::unsetenv("NL_CATALOG_TEST_PASSWORD");
  EXPECT_EQ(run.code, 1) << run.out << run.err;

  std::string events = LineStartingWith(run.out, "ok   demo.events ");
  EXPECT_NE(events.find("3 columns, version 0"), std::string::npos) << run.out;
  EXPECT_NE(events.find("3 rows"), std::string::npos) << run.out;
  EXPECT_NE(LineStartingWith(run.out, "ok   demo.zones ").find("parquet"), std::string::npos)
      << run.out;
  EXPECT_NE(LineStartingWith(run.out, "ok   demo.de_events ").find("2 columns"), std::string::npos)
      << run.out;
  EXPECT_NE(LineStartingWith(run.out, "ok   demo.generated ").find("function"), std::string::npos)
      << run.out;
  // A deprecation and stale data are warnings; the tables are fine.
  EXPECT_NE(LineStartingWith(run.out, "ok   demo.events_v1 "), "") << run.out;
  EXPECT_NE(run.out.find("warning: deprecated: replaced by the new feed; use demo.events"),
            std::string::npos) << run.out;
  EXPECT_NE(LineStartingWith(run.out, "ok   demo.old_feed "), "") << run.out;
  EXPECT_NE(run.out.find("warning: stale: newest data is"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("old (freshness 1d)"), std::string::npos) << run.out;
  size_t stale = run.out.find("warning: stale");
  EXPECT_EQ(run.out.find("warning: stale", stale + 1), std::string::npos) << run.out;
  EXPECT_GT(stale, run.out.find("ok   demo.old_feed ")) << run.out;

  std::string broken = LineStartingWith(run.out, "FAIL demo.broken ");
  EXPECT_NE(broken.find("no Delta table"), std::string::npos) << run.out;
  std::string wrong = LineStartingWith(run.out, "FAIL demo.zones_wrong ");
  EXPECT_NE(wrong.find("'zone_id' is declared INTEGER but the data has BIGINT"), std::string::npos)
      << run.out;
  EXPECT_NE(LineStartingWith(run.out, "FAIL demo.bad_filters "), "") << run.out;
  EXPECT_NE(run.out.find("unique column 'nope' is not a column"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("value 'abc' is not a BIGINT"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("'includes' applies to lists"), std::string::npos) << run.out;
  std::string users = LineStartingWith(run.out, "FAIL demo.users ");
  EXPECT_NE(users.find("postgres"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("s3cret-Pa55word"), std::string::npos) << run.out;
  EXPECT_EQ(run.err.find("s3cret-Pa55word"), std::string::npos) << run.err;

  EXPECT_NE(run.out.find("10 tables: 6 ok, 4 broken, 2 warnings"), std::string::npos) << run.out;
  EXPECT_EQ(run.err,
            "error: Invalid: catalog check: 4 broken tables: demo.bad_filters, demo.broken, "
            "demo.users, demo.zones_wrong\n");
}

TEST_F(CatalogCommandsTest, CheckPassesAGoodCatalog) {
  std::string path = WriteCatalog("good.yaml", "databases: {demo: {tables: {events: {type: delta, uri: \"" +
                                                   (root_ / "events").string() +
                                                   "\", schema: {amount: DOUBLE}}}}}\n");
  Outcome run = RunCli({"catalog", "check", "--catalog", path});
  EXPECT_EQ(run.code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("1 table: 1 ok, 0 broken, 0 warnings"), std::string::npos) << run.out;
  EXPECT_EQ(run.err, "");
}

TEST_F(CatalogCommandsTest, CheckOfAnUnloadableCatalogIsOneLine) {
  std::string bad_yaml = WriteCatalog("bad.yaml", "databases: {demo: {tables: {t: {type: nope}}}}\n");
  std::string cycle = WriteCatalog(
      "cycle.yaml",
      "databases: {demo: {tables: {a: {type: view, sql: \"SELECT * FROM demo.b\"}, "
      "b: {type: view, sql: \"SELECT * FROM demo.a\"}}}}\n");
  for (const auto& path : {bad_yaml, cycle}) {
    Outcome run = RunCli({"catalog", "check", "--catalog", path});
    EXPECT_EQ(run.code, 1) << path;
    EXPECT_EQ(run.out, "") << run.out;
    EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
  }
}

// The project's PostgreSQL (scripts/services.sh): $NEURALAKE_PG_DSN, else the port it recorded.
std::string PostgresDsn() {
  if (const char* dsn = std::getenv("NEURALAKE_PG_DSN"); dsn != nullptr && *dsn != '\0') return dsn;
  std::string port = "55432";
  const char* home = std::getenv("HOME");
  std::ifstream file(std::string(home ? home : "") + "/.cache/neuralake/run/postgres.port");
  std::string read;
  if (file >> read) port = read;
  return "host=127.0.0.1 port=" + port + " dbname=neuralake user=postgres";
}

TEST_F(CatalogCommandsTest, CheckPostgresTablesAgainstTheServer) {
  std::string dsn = PostgresDsn();
  PGconn* connection = PQconnectdb(dsn.c_str());
  ASSERT_EQ(PQstatus(connection), CONNECTION_OK) << PQerrorMessage(connection);
  PGresult* setup = PQexec(connection,
                           "SET client_min_messages = warning;"
                           "CREATE SCHEMA IF NOT EXISTS catalog_check_test;"
                           "DROP TABLE IF EXISTS catalog_check_test.users;"
                           "CREATE TABLE catalog_check_test.users (user_id bigint, name text, "
                           "tier text, signed_up timestamptz);"
                           "INSERT INTO catalog_check_test.users VALUES (1, 'a', 'gold', now());");
  ASSERT_EQ(PQresultStatus(setup), PGRES_COMMAND_OK) << PQresultErrorMessage(setup);
  PQclear(setup);
  PQfinish(connection);
  std::string path = WriteCatalog("pg.yaml", R"(databases:
  demo:
    tables:
      users: {type: postgres, dsn: ")" + dsn + R"(", table: catalog_check_test.users,
              schema: {user_id: BIGINT, tier: text, signed_up: TIMESTAMPTZ},
              unique_columns: [user_id], example_filters: [[[tier, in, [gold, basic]]]]}
      missing: {type: postgres, dsn: ")" + dsn + R"(", table: catalog_check_test.nope}
      named: {type: postgres, dsn: ")" + dsn + R"(",
              query: "SELECT user_id, name FROM catalog_check_test.users", schema: {name: INTEGER}}
)");
  Outcome run = RunCli({"catalog", "check", "--catalog", path});
  EXPECT_EQ(run.code, 1) << run.out << run.err;
  EXPECT_NE(LineStartingWith(run.out, "ok   demo.users ").find("4 columns"), std::string::npos)
      << run.out;
  EXPECT_NE(LineStartingWith(run.out, "FAIL demo.missing ").find("does not exist"),
            std::string::npos) << run.out;
  EXPECT_NE(LineStartingWith(run.out, "FAIL demo.named ")
                .find("'name' is declared INTEGER but the data has VARCHAR"),
            std::string::npos) << run.out;
  EXPECT_NE(run.err.find("2 broken tables: demo.missing, demo.named"), std::string::npos) << run.err;
}

TEST_F(CatalogCommandsTest, DescribeShowsTheMetadata) {
  std::string catalog = MixedCatalog();
  Outcome events = RunCli({"catalog", "describe", "--catalog", catalog, "demo.events"});
  ASSERT_EQ(events.code, 0) << events.err;
  EXPECT_NE(events.out.find("owner:       data-eng\n"), std::string::npos) << events.out;
  EXPECT_NE(events.out.find("tags:        bronze, events\n"), std::string::npos) << events.out;
  EXPECT_NE(events.out.find("freshness:   3600s\n"), std::string::npos) << events.out;
  EXPECT_NE(events.out.find("declared:    country text\n"), std::string::npos) << events.out;
  Outcome old = RunCli({"catalog", "describe", "--catalog", catalog, "demo.events_v1"});
  EXPECT_NE(old.out.find("deprecated:  replaced by the new feed; use demo.events\n"),
            std::string::npos) << old.out;
}

TEST_F(CatalogCommandsTest, ExportRoapiServesDeltaAndParquetAndNamesWhatItSkips) {
  std::string output = (root_ / "roapi.yaml").string();
  Outcome run = RunCli({"catalog", "export", "--catalog", MixedCatalog(), "--format", "roapi",
                        "--output", output});
  ASSERT_EQ(run.code, 0) << run.err;
  std::ifstream in(output);
  std::stringstream text;
  text << in.rdbuf();
  YAML::Node config = YAML::Load(text.str());
  std::map<std::string, YAML::Node> tables;
  for (size_t i = 0; i < config["tables"].size(); ++i) {
    YAML::Node table = config["tables"][i];
    tables[table["name"].as<std::string>()] = table;
  }
  ASSERT_TRUE(tables.count("demo_events")) << text.str();
  EXPECT_EQ(tables["demo_events"]["uri"].as<std::string>(), (root_ / "events").string());
  EXPECT_EQ(tables["demo_events"]["option"]["format"].as<std::string>(), "delta");
  ASSERT_TRUE(tables.count("demo_zones")) << text.str();
  EXPECT_EQ(tables["demo_zones"]["option"]["format"].as<std::string>(), "parquet");
  ASSERT_EQ(tables["demo_zones"]["partition_columns"].size(), 1u) << text.str();
  EXPECT_EQ(tables["demo_zones"]["partition_columns"][0]["name"].as<std::string>(), "region");
  EXPECT_EQ(tables["demo_zones"]["partition_columns"][0]["data_type"].as<std::string>(), "Utf8");
  for (const char* skipped : {"demo_de_events", "demo_generated", "demo_users"}) {
    EXPECT_FALSE(tables.count(skipped)) << skipped;
  }
  EXPECT_NE(text.str().find("# skipped demo.de_events (view)"), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("# skipped demo.generated (function)"), std::string::npos);
  EXPECT_NE(text.str().find("# skipped demo.users (postgres)"), std::string::npos);
}

TEST_F(CatalogCommandsTest, ExportJsonCarriesMetadataAndDatarepoShape) {
  std::string catalog = MixedCatalog();
  Outcome json = RunCli({"catalog", "export", "--catalog", catalog, "--format", "json"});
  ASSERT_EQ(json.code, 0) << json.err;
  auto description = nlohmann::json::parse(json.out);
  std::map<std::string, nlohmann::json> tables;
  for (const auto& table : description["databases"][0]["tables"]) tables[table["name"]] = table;
  const auto& events = tables.at("events");
  EXPECT_EQ(events["owner"], "data-eng");
  EXPECT_EQ(events["tags"], nlohmann::json({"bronze", "events"}));
  EXPECT_EQ(events["unique_columns"], nlohmann::json({"id"}));
  EXPECT_EQ(events["freshness_seconds"], 3600);
  EXPECT_EQ(events["latency_info"], "appended every second");
  EXPECT_EQ(events["example_filters"][1][0]["op"], "in");
  EXPECT_EQ(events["example_filters"][1][0]["values"], nlohmann::json({"1", "2"}));
  EXPECT_EQ(events["version"], 0);
  EXPECT_EQ(events["schema"].size(), 3u);
  EXPECT_EQ(tables.at("events_v1")["deprecated"]["use"], "demo.events");
  EXPECT_TRUE(tables.at("broken").contains("error"));
  // Kinds without files are described, not errors.
  EXPECT_FALSE(tables.at("de_events").contains("error")) << tables.at("de_events").dump();
  EXPECT_EQ(tables.at("de_events")["schema"].size(), 2u);
  EXPECT_EQ(tables.at("de_events")["settings"]["sql"],
            "SELECT id, country FROM demo.events WHERE country = 'DE'");
  EXPECT_EQ(tables.at("generated")["settings"]["function"], "generate");
  EXPECT_EQ(tables.at("users")["settings"]["table"], "public.users");
  EXPECT_EQ(tables.at("users")["settings"]["dsn"], "host=127.0.0.1 port=1 dbname=app user=app");

  Outcome datarepo = RunCli({"catalog", "export", "--catalog", catalog, "--format", "datarepo"});
  ASSERT_EQ(datarepo.code, 0) << datarepo.err;
  auto data = nlohmann::json::parse(datarepo.out);
  ASSERT_EQ(data["catalogs"].size(), 1u);
  EXPECT_EQ(data["catalogs"][0]["name"], "catalog");
  std::map<std::string, nlohmann::json> exported;
  for (const auto& table : data["catalogs"][0]["databases"][0]["tables"]) {
    exported[table["name"]] = table;
  }
  EXPECT_EQ(exported.at("events")["table_type"], "DELTA_LAKE");
  EXPECT_EQ(exported.at("events")["description"], "Events, one row per event");
  EXPECT_EQ(exported.at("events")["data_input"], "the writer");
  EXPECT_EQ(exported.at("events")["uri"], (root_ / "events").string());
  EXPECT_EQ(exported.at("events")["columns"][0]["name"], "id");
  EXPECT_EQ(exported.at("events")["columns"][0]["type"], "BIGINT");
  EXPECT_EQ(exported.at("zones")["table_type"], "PARQUET");
  ASSERT_EQ(exported.at("zones")["partitions"].size(), 1u);
  EXPECT_EQ(exported.at("zones")["partitions"][0]["column_name"], "region");
  EXPECT_EQ(exported.at("zones")["partitions"][0]["value"], "eu");
  EXPECT_EQ(exported.at("generated")["table_type"], "FUNCTION");
  EXPECT_TRUE(exported.at("generated")["uri"].is_null());
  EXPECT_EQ(exported.at("events_v1")["is_deprecated"], true);
  EXPECT_EQ(exported.at("events")["is_deprecated"], false);
}

}  // namespace
}  // namespace neuralake::cli
