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

}  // namespace
}  // namespace neuralake::catalog
