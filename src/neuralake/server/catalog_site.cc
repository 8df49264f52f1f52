#include "neuralake/server/catalog_site.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

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

// Snippets that need no server: the web UI adds API ones (curl, requests) when served.
nlohmann::json Snippets(const catalog::TableDefinition& table) {
  std::string name = table.QualifiedName();
  return nlohmann::json::array({
      {{"label", "SQL"}, {"text", "SELECT *\nFROM " + name + "\nLIMIT 100;"}},
      {{"label", "neuralake CLI"},
       {"text", "neuralake table read " + ShellQuote(table.uri) + " --limit 10\nneuralake sql " +
                    ShellQuote("SELECT count(*) FROM " + name)}},
      {{"label", "DuckDB"},
       {"text", "INSTALL delta; LOAD delta;\nSELECT * FROM delta_scan(" + SqlString(table.uri) +
                    ") LIMIT 10;"}},
      {{"label", "Polars"},
       {"text", "import polars as pl\ndf = pl.scan_delta(" + nlohmann::json(table.uri).dump() +
                    ").head(10).collect()"}},
  });
}

nlohmann::json TableJson(const sql::QueryService& service, const catalog::TableDefinition& table) {
  nlohmann::json out = {{"name", table.name},
                        {"kind", catalog::TableKindName(table.kind)},
                        {"description", table.description()},
                        {"uri", table.uri},
                        {"snippets", Snippets(table)}};
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
    if (file.num_records < 0) rows_known = false;
    rows += std::max<int64_t>(file.num_records, 0);
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
