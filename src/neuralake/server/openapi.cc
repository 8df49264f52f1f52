#include "neuralake/server/openapi.h"

#include <nlohmann/json.hpp>

#include "neuralake/server/table_query.h"

namespace neuralake::server {
namespace {

using nlohmann::json;

json Param(const std::string& name, const std::string& in, const std::string& description,
           json schema = {{"type", "string"}}, bool required = false) {
  return {{"name", name}, {"in", in}, {"description", description}, {"required", required},
          {"schema", std::move(schema)}};
}

json ErrorResponses() {
  json error_ref = {{"$ref", "#/components/schemas/Error"}};
  json out;
  for (auto [code, text] : std::vector<std::pair<std::string, std::string>>{
           {"400", "Malformed request, unknown column/operator/parameter, refused SQL, time "
                   "travel or history of a table without versions"},
           {"401", "Missing or invalid API key"},
           {"403", "The key may not read this database"},
           {"404", "Unknown database, table or version"},
           {"408", "The query ran longer than the timeout"},
           {"413", "Request body too large"},
           {"422", "A value of the wrong type for its column"},
           {"503", "Saturated (with Retry-After) or storage unavailable"}}) {
    out[code] = {{"description", text},
                 {"content", {{"application/json", {{"schema", error_ref}}}}}};
  }
  return out;
}

json ResultContent() {
  json result_ref = {{"$ref", "#/components/schemas/Result"}};
  return {{"application/json", {{"schema", result_ref}}},
          {"application/x-ndjson", {{"schema", {{"type", "string"}}}}},
          {"text/csv", {{"schema", {{"type", "string"}}}}},
          {"application/vnd.apache.parquet", {{"schema", {{"type", "string"}, {"format", "binary"}}}}}};
}

}  // namespace

std::string OpenApiDocument(const std::string& version) {
  json table_params = json::array(
      {Param("db", "path", "database name", {{"type", "string"}}, true),
       Param("table", "path", "table name", {{"type", "string"}}, true)});
  json rows_params = table_params;
  std::string ops;
  for (const auto& op : FilterOperators()) ops += (ops.empty() ? "" : ", ") + op;
  rows_params.push_back(
      {{"name", "filters"},
       {"in", "query"},
       {"description", "Filters (the catalog's Filter API, the same for every table kind): "
                           "col=value (eq) or col__op=value with op one of " + ops +
                           ". in/notin/includes_any/includes_all take comma-separated values; "
                           "isnull/notnull take no value. Values are parsed by the column's type "
                           "(422 naming column, type and value) and bound, never pasted into SQL."},
       {"style", "form"},
       {"explode", true},
       {"schema", {{"type", "object"}, {"additionalProperties", {{"type", "string"}}}}}});
  rows_params.push_back(Param("_columns", "query", "comma-separated columns to return"));
  rows_params.push_back(Param("_sort", "query", "comma-separated sort columns, '-' for descending"));
  rows_params.push_back(Param("_size", "query", "rows per page (JSON default 100; streamed formats: all rows)",
                              {{"type", "integer"}, {"minimum", 1}}));
  rows_params.push_back(Param("_next", "query",
                              "paging token from the previous page's `next`: <version>.<offset> for "
                              "Delta tables (the version is pinned), <offset> for other kinds"));
  rows_params.push_back(Param("_version", "query",
                              "read this table version (time travel; Delta tables only, other kinds "
                              "answer 400)",
                              {{"type", "integer"}, {"minimum", 0}}));
  rows_params.push_back(Param("_timestamp", "query",
                              "read the version current at this ISO-8601 time (Delta tables only)"));
  rows_params.push_back(Param("_format", "query", "json, ndjson, csv or parquet (default: from Accept)",
                              {{"type", "string"}, {"enum", {"json", "ndjson", "csv", "parquet"}}}));
  rows_params.push_back(Param("_shape", "query", "JSON rows as objects (default) or arrays",
                              {{"type", "string"}, {"enum", {"objects", "arrays"}}}));
  json errors = ErrorResponses();
  auto with_errors = [&](json responses) {
    for (auto& [code, value] : errors.items()) responses[code] = value;
    return responses;
  };
  json error_schema = {
      {"type", "object"},
      {"properties",
       {{"error", {{"type", "object"},
                   {"properties", {{"code", {{"type", "string"}}}, {"message", {{"type", "string"}}}}}}}}}};
  json column_schema = {{"type", "object"},
                        {"properties", {{"name", {{"type", "string"}}}, {"type", {{"type", "string"}}}}}};
  json stats_schema = {{"type", "object"},
                       {"properties", {{"elapsed_ms", {{"type", "number"}}},
                                       {"version", {{"type", {"integer", "null"}}}},
                                       {"files_read", {{"type", "integer"}}},
                                       {"files_pruned", {{"type", "integer"}}},
                                       {"bytes_read", {{"type", "integer"}}}}}};
  json result_schema = {
      {"type", "object"},
      {"properties",
       {{"columns", {{"type", "array"}, {"items", column_schema}}},
        {"rows", {{"type", "array"}, {"description", "objects (or arrays with _shape=arrays)"}}},
        {"truncated", {{"type", "boolean"}}},
        {"next", {{"type", {"string", "null"}}}},
        {"stats", stats_schema},
        {"warnings", {{"type", "array"},
                      {"items", {{"type", "string"}}},
                      {"description", "deprecated tables the request read (absent when none)"}}}}}};
  json sql_body = {{"type", "object"},
                   {"required", {"sql"}},
                   {"properties", {{"sql", {{"type", "string"}}},
                                   {"params", {{"type", "array"}, {"description", "bound to $1, $2, ..."}}},
                                   {"max_rows", {{"type", "integer"}, {"minimum", 1}}},
                                   {"format", {{"type", "string"}}},
                                   {"shape", {{"type", "string"}}}}}};
  auto get = [&](const std::string& summary, json parameters, json responses, bool open = false) {
    json op = {{"summary", summary}, {"responses", std::move(responses)}};
    if (!parameters.is_null()) op["parameters"] = std::move(parameters);
    if (open) op["security"] = json::array();
    return json{{"get", std::move(op)}};
  };
  json warning_header = {
      {"Warning",
       {{"description", "299 - \"<message>\" per deprecated table read (RFC 7234), comma-separated"},
        {"schema", {{"type", "string"}}}}}};
  json plain_ok = {{"200", {{"description", "ok"}}}};
  json ok = {{"200", {{"description", "ok"}, {"headers", warning_header}}}};
  json rows_ok = {
      {"200", {{"description", "rows"}, {"headers", warning_header}, {"content", ResultContent()}}}};
  json paths;
  paths["/api/v1/health"] = get("Liveness", nullptr, plain_ok, true);
  paths["/api/v1/catalog"] = get(
      "Databases and tables: kind (delta, parquet, postgres, view, function), description, owner, "
      "tags, deprecated, schema, partitions, version, files, rows, bytes",
      nullptr, with_errors(plain_ok));
  paths["/api/v1/tables/{db}/{table}"] =
      get("Rows of a table of any kind, filtered, sorted, paged", rows_params, with_errors(rows_ok));
  paths["/api/v1/tables/{db}/{table}/schema"] =
      get("Kind, columns and partition columns (version: Delta tables)", table_params,
          with_errors(ok));
  paths["/api/v1/tables/{db}/{table}/history"] =
      get("Commits, newest first (Delta tables; other kinds answer 400)", table_params,
          with_errors(ok));
  paths["/api/v1/tables/{db}/{table}/quality"] =
      get("The latest data-quality result of each expectation (from _quality beside the table)",
          table_params, with_errors(ok));
  paths["/api/v1/sql"] = {
      {"post", {{"summary", "One read-only SELECT over the catalog's tables"},
                {"requestBody", {{"required", true},
                                 {"content", {{"application/json", {{"schema", sql_body}}}}}}},
                {"responses", with_errors(rows_ok)}}}};
  paths["/metrics"] = get("Prometheus metrics (text exposition format)", nullptr, plain_ok, true);
  paths["/openapi.json"] = get("This document", nullptr, plain_ok, true);
  json doc;
  doc["openapi"] = "3.1.0";
  doc["info"] = {{"title", "Neuralake query API"},
                 {"version", version},
                 {"description", "Read-only HTTP/JSON access to the tables of a Neuralake catalog."}};
  doc["components"]["securitySchemes"]["bearer"] = {{"type", "http"}, {"scheme", "bearer"}};
  doc["components"]["schemas"]["Error"] = error_schema;
  doc["components"]["schemas"]["Result"] = result_schema;
  doc["security"] = json::array({json{{"bearer", json::array()}}});
  doc["paths"] = std::move(paths);
  return doc.dump(2) + "\n";
}

std::string DocsPage() {
  // Renders /openapi.json with a few lines of inline script: no CDN, works offline.
  return R"html(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Neuralake API</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#1d2733}
h1{font-size:1.5em} .route{border:1px solid #d5dde6;border-radius:6px;margin:.8em 0;padding:.6em .9em}
.method{display:inline-block;min-width:3.5em;font-weight:600;color:#fff;border-radius:4px;padding:0 .4em;margin-right:.5em}
.get{background:#2f7d4f}.post{background:#2d5fa8} code{background:#f1f4f7;padding:0 .25em;border-radius:3px}
table{border-collapse:collapse;margin-top:.4em} td{border-top:1px solid #e7ecf1;padding:.2em .6em;vertical-align:top}
</style></head><body>
<h1>Neuralake API</h1><p id="info">Loading <code>/openapi.json</code>...</p><div id="routes"></div>
<script>
fetch('/openapi.json').then(r => r.json()).then(doc => {
  document.getElementById('info').textContent = doc.info.description + ' (version ' + doc.info.version + ')';
  const root = document.getElementById('routes');
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const div = document.createElement('div'); div.className = 'route';
      const head = document.createElement('div');
      const badge = document.createElement('span'); badge.className = 'method ' + method;
      badge.textContent = method.toUpperCase(); head.appendChild(badge);
      const code = document.createElement('code'); code.textContent = path; head.appendChild(code);
      const summary = document.createElement('span'); summary.textContent = ' ' + (op.summary || '');
      head.appendChild(summary); div.appendChild(head);
      if (op.parameters && op.parameters.length) {
        const table = document.createElement('table');
        for (const p of op.parameters) {
          const row = table.insertRow();
          row.insertCell().textContent = p.name; row.insertCell().textContent = p.in;
          row.insertCell().textContent = p.description || '';
        }
        div.appendChild(table);
      }
      root.appendChild(div);
    }
  }
}).catch(e => { document.getElementById('info').textContent = 'cannot load /openapi.json: ' + e; });
</script></body></html>
)html";
}

}  // namespace neuralake::server
