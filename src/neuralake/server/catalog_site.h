// The catalog as one JSON document (databases, tables, descriptions, schemas with partition
// columns, version, files/rows/bytes, last data write, code snippets) and the static catalog web
// site built from it (`neuralake catalog export`): the web UI's files plus catalog.js, which sets
// window.NEURALAKE_CATALOG, so the site works opened from file:// (where fetch() is blocked).
//
// Thread safety: stateless functions.
#pragma once

#include <string>

#include "neuralake/catalog/catalog.h"
#include "neuralake/common/result.h"
#include "neuralake/sql/query_service.h"

namespace neuralake::server {

// Every table of `service`'s catalog at its latest version: its definition, its metadata (owner,
// tags, unique_columns, dedupe, example_filters, latency_info, freshness_seconds, data_input,
// deprecated, declared_schema) and its kind's non-secret settings (docs/catalog.md), then its
// schema and figures (Delta and Parquet from their plan, other kinds from their description). A
// table that cannot be read keeps its definition and gets an "error" field instead of a schema.
Result<std::string> CatalogDescriptionJson(const sql::QueryService& service);

// Writes index.html, app.js and style.css from `ui_dir` and catalog.js (+ catalog.json) holding
// `description_json` into `site_dir` (created if missing).
Status WriteCatalogSite(const std::string& description_json, const std::string& ui_dir,
                        const std::string& site_dir);

}  // namespace neuralake::server
