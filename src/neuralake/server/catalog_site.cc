#include "neuralake/server/catalog_site.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "neuralake/catalog/table_function.h"
#include "neuralake/common/time.h"

namespace neuralake::server {
namespace {

namespace fs = std::filesystem;

std::string SqlString(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

std::string ShellQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Snippets that need no server: the web UI adds API ones (curl, requests) when served. Every
// kind reads through SQL; Delta and Parquet locations can also be read directly.
nlohmann::json Snippets(const catalog::TableDefinition& table) {
  std::string name = table.QualifiedName();
  nlohmann::json out = nlohmann::json::array(
      {{{"label", "SQL"}, {"text", "SELECT *\nFROM " + name + "\nLIMIT 100;"}}});
  if (table.kind == catalog::TableKind::kDelta) {
    out.push_back({{"label", "neuralake CLI"},
                   {"text", "neuralake table read " + ShellQuote(table.uri) +
                                " --limit 10\nneuralake sql " +
                                ShellQuote("SELECT count(*) FROM " + name)}});
    out.push_back({{"label", "DuckDB"},
                   {"text", "INSTALL delta; LOAD delta;\nSELECT * FROM delta_scan(" +
                                SqlString(table.uri) + ") LIMIT 10;"}});
    out.push_back({{"label", "Polars"},
                   {"text", "import polars as pl\ndf = pl.scan_delta(" +
                                nlohmann::json(table.uri).dump() + ").head(10).collect()"}});
    return out;
  }
  out.push_back({{"label", "neuralake CLI"},
                 {"text", "neuralake sql " + ShellQuote("SELECT count(*) FROM " + name)}});
  if (table.kind == catalog::TableKind::kParquet) {
    bool glob = table.uri.find_first_of("*?") != std::string::npos;
    std::string files = glob ? table.uri
                             : table.uri + (table.uri.ends_with("/") ? "" : "/") + "**/*.parquet";
    out.push_back({{"label", "DuckDB"},
                   {"text", "SELECT * FROM read_parquet(" + SqlString(files) +
                                ", hive_partitioning = true) LIMIT 10;"}});
    out.push_back({{"label", "Polars"},
                   {"text", "import polars as pl\ndf = pl.scan_parquet(" +
                                nlohmann::json(files).dump() + ").head(10).collect()"}});
  }
  return out;
}

// A libpq connection string without any password (the YAML loader refuses one, the C++ API
// might not): `password=...` keywords dropped, `user:secret@` in a URI cut to `user@`.
std::string WithoutPassword(const std::string& dsn) {
  size_t scheme = dsn.find("://");
  if (scheme != std::string::npos) {
    size_t at = dsn.find('@', scheme);
    size_t colon = dsn.find(':', scheme + 3);
    std::string out = dsn;
    if (at != std::string::npos && colon != std::string::npos && colon < at) {
      out = dsn.substr(0, colon) + dsn.substr(at);
    }
    size_t query = out.find('?');
    if (query == std::string::npos) return out;
    std::string kept = out.substr(0, query);
    std::string params = out.substr(query + 1);
    std::string joined;
    size_t start = 0;
    while (start <= params.size()) {
      size_t end = params.find('&', start);
      std::string param = params.substr(start, end == std::string::npos ? end : end - start);
      std::string lower;
      for (char c : param) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (!param.empty() && !lower.starts_with("password")) {
        joined += (joined.empty() ? "" : "&") + param;
      }
      if (end == std::string::npos) break;
      start = end + 1;
    }
    return joined.empty() ? kept : kept + "?" + joined;
  }
  std::istringstream words(dsn);
  std::string word, out;
  while (words >> word) {
    std::string lower;
    for (char c : word) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower.starts_with("password")) continue;
    out += (out.empty() ? "" : " ") + word;
  }
  return out;
}

// The catalog's own description of a table: metadata and the kind's non-secret settings.
void AddMetadata(const catalog::TableDefinition& table, nlohmann::json& out) {
  const catalog::TableMetadata& meta = table.metadata;
  out["owner"] = meta.owner;
  out["tags"] = meta.tags;
  out["unique_columns"] = meta.unique_columns;
  out["dedupe"] = meta.dedupe_order_by.empty()
                      ? nlohmann::json(nullptr)
                      : nlohmann::json{{"keep", "last"}, {"order_by", meta.dedupe_order_by}};
  nlohmann::json filters = nlohmann::json::array();
  for (const auto& conjunction : meta.example_filters) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& filter : conjunction) {
      list.push_back({{"column", filter.column}, {"op", filter.op}, {"values", filter.values}});
    }
    filters.push_back(std::move(list));
  }
  out["example_filters"] = std::move(filters);
  out["latency_info"] = meta.latency_info;
  out["freshness_seconds"] =
      meta.freshness_seconds > 0 ? nlohmann::json(meta.freshness_seconds) : nlohmann::json(nullptr);
  out["data_input"] = meta.data_input;
  out["deprecated"] = meta.deprecated ? nlohmann::json{{"message", meta.deprecated->message},
                                                       {"use", meta.deprecated->use}}
                                      : nlohmann::json(nullptr);
  nlohmann::json declared = nlohmann::json::array();
  for (const auto& column : table.schema) {
    declared.push_back(
        {{"name", column.name}, {"type", column.type}, {"partition", column.partition}});
  }
  out["declared_schema"] = std::move(declared);
  // Kind-specific settings. Secrets never reach a catalog (no password in a dsn, credentials only
  // as environment variable names), so these are safe to publish; the dsn is still scrubbed.
  nlohmann::json settings = nlohmann::json::object();
  for (const auto& [key, value] : table.options) {
    settings[key] = key == "dsn" ? WithoutPassword(value) : value;
  }
  if (table.kind == catalog::TableKind::kFunction) {
    if (table.function && !settings.contains("function")) settings["function"] = table.function->name;
    settings["args"] = table.args;
  }
  out["settings"] = std::move(settings);
}

// Schema and figures from the table's description, for kinds without files (views, PostgreSQL,
// function tables).
void AddDescription(const catalog::TableDescription& description, nlohmann::json& out) {
  nlohmann::json schema = nlohmann::json::array();
  for (const auto& column : description.columns) {
    schema.push_back(
        {{"name", column.name}, {"type", column.type}, {"partition", column.partition}});
  }
  out["version"] = description.version ? nlohmann::json(*description.version) : nlohmann::json(nullptr);
  out["schema"] = std::move(schema);
  out["partitions"] = description.partitions;
  out["files"] = description.files ? nlohmann::json(*description.files) : nlohmann::json(nullptr);
  out["rows"] = description.rows ? nlohmann::json(*description.rows) : nlohmann::json(nullptr);
  out["bytes"] = description.bytes ? nlohmann::json(*description.bytes) : nlohmann::json(nullptr);
  out["last_commit"] = nullptr;
}

nlohmann::json TableJson(const sql::QueryService& service, const catalog::TableDefinition& table) {
  nlohmann::json out = {{"name", table.name},
                        {"kind", catalog::TableKindName(table.kind)},
                        {"description", table.description()},
                        {"uri", table.uri},
                        {"snippets", Snippets(table)}};
  AddMetadata(table, out);
  bool has_files =
      table.kind == catalog::TableKind::kDelta || table.kind == catalog::TableKind::kParquet;
  if (!has_files) {
    auto description = service.Describe(table.QualifiedName());
    if (!description.ok()) {
      out["error"] = description.status().message();
    } else {
      AddDescription(*description, out);
    }
    return out;
  }
  auto lake = service.Resolve({table.QualifiedName(), std::nullopt, std::nullopt});
  if (!lake.ok()) {
    out["error"] = lake.status().message();
    return out;
  }
  const auto& snapshot = **lake;
  int64_t rows = 0, bytes = 0, last_write = 0;
  bool rows_known = true;
  for (const auto& file : snapshot.files) {
    bytes += file.size_bytes;
    if (file.LiveRecords() < 0) rows_known = false;
    rows += std::max<int64_t>(file.LiveRecords(), 0);
    last_write = std::max(last_write, file.modification_time_ms);
  }
  nlohmann::json schema = nlohmann::json::array();
  nlohmann::json partitions = nlohmann::json::array();
  for (const auto& column : snapshot.columns) {
    schema.push_back(
        {{"name", column.name}, {"type", column.type}, {"partition", column.partition}});
    if (column.partition) partitions.push_back(column.name);
  }
  out["version"] = snapshot.version;
  out["schema"] = std::move(schema);
  out["partitions"] = std::move(partitions);
  out["files"] = snapshot.files.size();
  out["rows"] = rows_known ? nlohmann::json(rows) : nlohmann::json(nullptr);
  out["bytes"] = bytes;
  out["last_commit"] =
      last_write > 0 ? nlohmann::json(FormatIsoMillis(last_write)) : nlohmann::json(nullptr);
  return out;
}

Status WriteFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return Status::IOError("cannot write " + path.string());
  return Status::OK();
}

Result<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return std::move(text).str();
}

}  // namespace

Result<std::string> CatalogDescriptionJson(const sql::QueryService& service) {
  nlohmann::json databases = nlohmann::json::array();
  for (const auto* database : service.catalog().Databases()) {
    nlohmann::json tables = nlohmann::json::array();
    for (const auto* table : database->Tables()) tables.push_back(TableJson(service, *table));
    databases.push_back({{"name", database->name()}, {"tables", std::move(tables)}});
  }
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  nlohmann::json out = {{"generated_at", FormatIsoMillis(now)},
                        {"databases", std::move(databases)}};
  return out.dump(2) + "\n";
}

Status WriteCatalogSite(const std::string& description_json, const std::string& ui_dir,
                        const std::string& site_dir) {
  if (ui_dir.empty()) {
    return Status::NotFound("no built web UI (run scripts/setup.sh web, or give --ui-dir)");
  }
  std::error_code error;
  fs::create_directories(site_dir, error);
  if (error) return Status::IOError("cannot create " + site_dir + ": " + error.message());
  NL_ASSIGN_OR_RETURN(std::string index, ReadFile(fs::path(ui_dir) / "index.html"));
  const std::string app_tag = "<script src=\"app.js\"></script>";
  size_t at = index.find(app_tag);
  if (at == std::string::npos)
    return Status::Invalid(ui_dir + "/index.html has no app.js script tag");
  index.insert(at, "<script src=\"catalog.js\"></script>\n  ");
  NL_RETURN_NOT_OK(WriteFile(fs::path(site_dir) / "index.html", index));
  for (const char* name : {"app.js", "style.css"}) {
    NL_ASSIGN_OR_RETURN(std::string text, ReadFile(fs::path(ui_dir) / name));
    NL_RETURN_NOT_OK(WriteFile(fs::path(site_dir) / name, text));
  }
  // "</" is escaped so a description holding "</script>" cannot end the script element early.
  std::string embedded;
  for (size_t i = 0; i < description_json.size(); ++i) {
    if (description_json[i] == '<') {
      embedded += "\\u003c";
    } else {
      embedded += description_json[i];
    }
  }
  NL_RETURN_NOT_OK(WriteFile(fs::path(site_dir) / "catalog.json", description_json));
  return WriteFile(fs::path(site_dir) / "catalog.js",
                   "// Generated by `neuralake catalog export`.\nwindow.NEURALAKE_CATALOG = " +
                       embedded + ";\n");
}

}  // namespace neuralake::server
