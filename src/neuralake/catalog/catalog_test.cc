#include "neuralake/catalog/catalog.h"

#include <gtest/gtest.h>

namespace neuralake::catalog {
namespace {

TEST(CatalogTest, BuiltInCodeAndResolved) {
  Catalog catalog;
  catalog.Database("demo")
      .AddDeltaTable("events", "s3://lake/events", "click stream")
      .AddParquetTable("zones", "s3://lake/zones/*.parquet");
  catalog.Database("ops").AddDeltaTable("logs", "/var/lake/logs");

  auto events = catalog.Resolve("demo.events");
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  EXPECT_EQ((*events)->uri, "s3://lake/events");
  EXPECT_EQ((*events)->kind, TableKind::kDelta);
  EXPECT_EQ((*events)->QualifiedName(), "demo.events");
  EXPECT_EQ(catalog.AllTables().size(), 3u);

  auto missing = catalog.Resolve("demo.nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("events, zones"), std::string::npos);
  EXPECT_EQ(catalog.Resolve("nodb.events").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(catalog.Resolve("events").status().code(), StatusCode::kNotFound);  // ambiguous
}

TEST(CatalogTest, LoadsTheDocumentedYamlShape) {
  auto catalog = Catalog::FromYamlString(
      "databases: {demo: {tables: {ev: {type: delta, uri: \"s3://lake/ev\"}}}}");
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  auto ev = catalog->Resolve("demo.ev");
  ASSERT_TRUE(ev.ok());
  EXPECT_EQ((*ev)->uri, "s3://lake/ev");
  auto short_name = catalog->Resolve("ev");  // one database: prefix optional
  ASSERT_TRUE(short_name.ok());
}

TEST(CatalogTest, BadYamlNamesTheProblemAndLine) {
  auto unknown_type = Catalog::FromYamlString(
      "databases:\n  demo:\n    tables:\n      ev:\n        type: iceberg\n        uri: x\n",
      "cat.yaml");
  ASSERT_FALSE(unknown_type.ok());
  EXPECT_NE(unknown_type.status().message().find("unknown table type 'iceberg'"),
            std::string::npos);
  EXPECT_NE(unknown_type.status().message().find("cat.yaml line 5"), std::string::npos)
      << unknown_type.status().message();

  auto no_uri = Catalog::FromYamlString("databases: {d: {tables: {t: {type: delta}}}}");
  EXPECT_NE(no_uri.status().message().find("has no 'uri'"), std::string::npos);
  auto typo = Catalog::FromYamlString("databases: {d: {tables: {t: {type: delta, url: x}}}}");
  EXPECT_NE(typo.status().message().find("unknown key 'url'"), std::string::npos);
  auto bad_name = Catalog::FromYamlString("databases: {d: {tables: {\"a-b\": {type: delta, uri: x}}}}");
  EXPECT_NE(bad_name.status().message().find("invalid table name"), std::string::npos);
  auto missing_file = Catalog::FromYamlFile("/nonexistent/catalog.yaml");
  EXPECT_EQ(missing_file.status().code(), StatusCode::kNotFound);
}

TEST(CatalogTest, YamlCoversEveryKindAndMetadataKey) {
  auto catalog = Catalog::FromYamlString(R"(
databases:
  demo:
    tables:
      events:
        type: delta
        uri: s3://lake/events
        description: click stream
        owner: data-eng
        tags: [bronze, clicks]
        unique_columns: [event_id]
        dedupe: {keep: last, order_by: event_time}
        example_filters: [[[country, "=", DE], [amount, ">=", 10]], [[event_id, in, [1, 2, 3]]]]
        latency_info: appended every second by the writer
        freshness: 5m
        data_input: Kafka topic clicks
        deprecated: {message: moved to v2, use: demo.events_v2}
        storage: {endpoint: "http://127.0.0.1:9000", region: eu-west-1, access_key_env: KEY}
      zones:
        type: parquet
        uri: s3://lake/ref/zones/
        schema: {zone_id: INTEGER, name: VARCHAR}
        partitions: [{name: region, type: VARCHAR}]
      users: {type: postgres, dsn: "host=127.0.0.1 port=5432 dbname=app user=app",
              table: public.users, password_env: APP_PG_PASSWORD}
      recent: {type: postgres, dsn: "host=h dbname=d", query: "SELECT * FROM orders"}
      de: {type: view, sql: "SELECT * FROM demo.events WHERE country = 'DE'"}
      sample: {type: function, function: generate, args: {schema: events, rows: 1000}}
)");
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  const TableDefinition* events = *catalog->Resolve("demo.events");
  const TableMetadata& meta = events->metadata;
  EXPECT_EQ(meta.description, "click stream");
  EXPECT_EQ(meta.owner, "data-eng");
  EXPECT_EQ(meta.tags, (std::vector<std::string>{"bronze", "clicks"}));
  EXPECT_EQ(meta.unique_columns, (std::vector<std::string>{"event_id"}));
  EXPECT_EQ(meta.dedupe_order_by, "event_time");
  ASSERT_EQ(meta.example_filters.size(), 2u);
  ASSERT_EQ(meta.example_filters[0].size(), 2u);
  EXPECT_EQ(meta.example_filters[0][1].op, ">=");
  EXPECT_EQ(meta.example_filters[1][0].values, (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(meta.freshness_seconds, 300);
  EXPECT_EQ(meta.data_input, "Kafka topic clicks");
  ASSERT_TRUE(meta.deprecated.has_value());
  EXPECT_EQ(meta.deprecated->use, "demo.events_v2");
  EXPECT_EQ(events->storage.at("region"), "eu-west-1");

  const TableDefinition* zones = *catalog->Resolve("demo.zones");
  ASSERT_EQ(zones->schema.size(), 3u);
  EXPECT_EQ(zones->schema[0].name, "zone_id");
  EXPECT_FALSE(zones->schema[1].partition);
  EXPECT_TRUE(zones->schema[2].partition);
  EXPECT_EQ((*catalog->Resolve("demo.users"))->options.at("password_env"), "APP_PG_PASSWORD");
  EXPECT_EQ((*catalog->Resolve("demo.recent"))->options.at("query"), "SELECT * FROM orders");
  EXPECT_EQ((*catalog->Resolve("demo.de"))->kind, TableKind::kView);
  const TableDefinition* sample = *catalog->Resolve("demo.sample");
  EXPECT_EQ(sample->options.at("function"), "generate");
  EXPECT_EQ(sample->args.at("rows"), "1000");
}

TEST(CatalogTest, SecretsAndIncompleteKindsAreRefusedWithoutEchoingThem) {
  auto password = Catalog::FromYamlString(
      "databases: {d: {tables: {u: {type: postgres, table: t, "
      "dsn: \"host=h user=u password=hunter2\"}}}}");
  ASSERT_FALSE(password.ok());
  EXPECT_NE(password.status().message().find("must not hold a password"), std::string::npos);
  EXPECT_EQ(password.status().message().find("hunter2"), std::string::npos);
  auto uri_password = Catalog::FromYamlString(
      "databases: {d: {tables: {u: {type: postgres, table: t, "
      "dsn: \"postgresql://u:hunter2@h/db\"}}}}");
  ASSERT_FALSE(uri_password.ok());
  EXPECT_EQ(uri_password.status().message().find("hunter2"), std::string::npos);
  auto key = Catalog::FromYamlString(
      "databases: {d: {tables: {t: {type: delta, uri: x, storage: {secret_key: abc}}}}}");
  ASSERT_FALSE(key.ok());
  EXPECT_NE(key.status().message().find("secret_key_env"), std::string::npos);

  auto both = Catalog::FromYamlString(
      "databases: {d: {tables: {u: {type: postgres, dsn: \"host=h\", table: t, query: q}}}}");
  EXPECT_NE(both.status().message().find("exactly one of 'table' and 'query'"), std::string::npos);
  auto no_sql = Catalog::FromYamlString("databases: {d: {tables: {v: {type: view}}}}");
  EXPECT_NE(no_sql.status().message().find("has no 'sql'"), std::string::npos);
  auto no_function = Catalog::FromYamlString("databases: {d: {tables: {f: {type: function}}}}");
  EXPECT_NE(no_function.status().message().find("has no 'function'"), std::string::npos);
  auto bad_freshness =
      Catalog::FromYamlString("databases: {d: {tables: {t: {type: delta, uri: x, freshness: soon}}}}");
  EXPECT_NE(bad_freshness.status().message().find("freshness must be a duration"),
            std::string::npos);
  auto bad_dedupe = Catalog::FromYamlString(
      "databases: {d: {tables: {t: {type: delta, uri: x, dedupe: {keep: first, order_by: ts}}}}}");
  EXPECT_NE(bad_dedupe.status().message().find("dedupe is {keep: last"), std::string::npos);
}

TEST(CatalogTest, MaterializedViewsAndExpectationsLoad) {
  auto catalog = Catalog::FromYamlString(R"Y(
databases:
  gold:
    tables:
      daily:
        type: materialized_view
        uri: s3://lake/gold/daily
        sql: "SELECT country, count(*) AS n FROM demo.events GROUP BY country"
        partition_by: [country]
        refresh: {mode: incremental, interval: 5m}
        expectations:
          - {name: has_country, type: not_null, column: country, on_violation: fail}
          - {name: positive, type: range, column: n, min: 0, mostly: 0.99, on_violation: drop}
          - {name: one_per_country, type: unique, column: country}
          - {name: known, type: foreign_key, column: country, references: "ref.countries(code)"}
          - {name: recent, type: freshness, max_age: 1h}
          - {name: rows, type: row_count, min: 1}
          - {name: codes, type: regex, column: country, pattern: "[A-Z]{2}"}
          - {name: listed, type: accepted_values, column: country, values: [DE, FR]}
          - {name: custom, type: sql, sql: "n < 1000000"}
)Y");
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  const TableDefinition* daily = *catalog->Resolve("gold.daily");
  EXPECT_EQ(daily->kind, TableKind::kMaterializedView);
  EXPECT_EQ(daily->partition_by, (std::vector<std::string>{"country"}));
  EXPECT_EQ(daily->options.at("refresh_mode"), "incremental");
  EXPECT_EQ(daily->options.at("refresh_interval"), "300");
  ASSERT_EQ(daily->expectations.size(), 9u);
  EXPECT_EQ(daily->expectations[0].on_violation, Expectation::Action::kFail);
  EXPECT_DOUBLE_EQ(daily->expectations[1].mostly, 0.99);
  EXPECT_EQ(daily->expectations[1].min, std::optional<std::string>("0"));
  EXPECT_EQ(daily->expectations[2].columns, (std::vector<std::string>{"country"}));
  EXPECT_EQ(daily->expectations[3].references_table, "ref.countries");
  EXPECT_EQ(daily->expectations[3].references_column, "code");
  EXPECT_EQ(daily->expectations[4].max_age_seconds, 3600);
  EXPECT_EQ(daily->expectations[7].values, (std::vector<std::string>{"DE", "FR"}));

  auto bad = [](const std::string& expectation) {
    return Catalog::FromYamlString("databases: {d: {tables: {t: {type: delta, uri: x, "
                                   "expectations: [" + expectation + "]}}}}");
  };
  EXPECT_NE(bad("{name: a, type: between, column: x}").status().message().find(
                "unknown expectation type 'between'"), std::string::npos);
  EXPECT_NE(bad("{name: a, type: range, column: x}").status().message().find("needs min or max"),
            std::string::npos);
  EXPECT_NE(bad("{name: a, type: not_null, column: x, on_violation: explode}").status().message().find(
                "on_violation is warn, drop or fail"), std::string::npos);
  EXPECT_NE(bad("{name: a, type: not_null, column: x}, {name: a, type: not_null, column: y}")
                .status().message().find("two expectations are named 'a'"), std::string::npos);
  EXPECT_NE(Catalog::FromYamlString("databases: {d: {tables: {m: {type: materialized_view, sql: x}}}}")
                .status().message().find("has no 'uri'"), std::string::npos);
}

}  // namespace
}  // namespace neuralake::catalog
