// The catalog in other tools' formats (`neuralake catalog export --format datarepo|roapi`).
//
//   DatarepoJson  datarepo's data.json: {catalogs: [{name, package_name, metadata, databases:
//                 [{name, tables: [{name, description, partitions, columns, selected_columns,
//                 supports_sql_filter, table_type, latency_info, example_notebook, data_input,
//                 uri, ...}]}]}]}, made from our catalog description (server::CatalogDescriptionJson)
//   RoapiConfig   a ROAPI YAML config serving the tables ROAPI can read: Delta tables, and Parquet
//                 prefixes (Hive partition columns listed); others skipped, each named in a comment
//
// Thread safety: plain functions.
#pragma once

#include <string>

#include "neuralake/common/result.h"
#include "neuralake/sql/query_service.h"

namespace neuralake::cli {

// `description_json` as server::CatalogDescriptionJson returns it; `catalog_name` names the one
// catalog of the document.
Result<std::string> DatarepoJson(const std::string& description_json, const std::string& catalog_name);

// `origin` (the catalog file) is named in the header comment.
Result<std::string> RoapiConfig(const sql::QueryService& service, const std::string& origin);

}  // namespace neuralake::cli
