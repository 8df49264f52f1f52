#include "neuralake/server/api.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "neuralake/catalog/provider.h"
#include "neuralake/common/json.h"
#include "neuralake/common/time.h"
#include "neuralake/delta/table.h"
#include "neuralake/quality/results_table.h"
#include "neuralake/server/openapi.h"
#include "neuralake/server/static_files.h"
#include "neuralake/server/table_query.h"
#include "neuralake/storage/sigv4.h"

namespace neuralake::server {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;
constexpr std::string_view kJson = "application/json";

std::string ErrorJson(std::string_view code, std::string_view message) {
  return "{\"error\": {\"code\": " + engine::JsonString(code) +
         ", \"message\": " + engine::JsonString(message) + "}}\n";
}

void SendError(ResponseWriter& writer, int status, std::string_view code, std::string_view message,
               const Headers& headers = {}) {
  if (writer.started()) {
    // Mid-stream: the status is gone; abort so the client sees an incomplete body, not a short one.
    writer.Abort();
    return;
  }
  writer.Send(status, kJson, ErrorJson(code, message), headers);
}

// HTTP status and error code for a Status from the query layer.
std::pair<int, std::string> HttpStatusOf(const Status& status) {
  const std::string& message = status.message();
  switch (status.code()) {
    case StatusCode::kNotFound: return {404, "NotFound"};
    case StatusCode::kInvalid:
      if (message.find("Conversion Error") != std::string::npos ||
          message.find("Could not convert") != std::string::npos) {
        return {422, "InvalidValue"};
      }
      if (message.find("Catalog Error: Table with name") != std::string::npos) {
        return {404, "NotFound"};
      }
      if (message.find("only read-only SELECT") != std::string::npos ||
          message.find("only one statement") != std::string::npos) {
        return {400, "Refused"};
      }
      return {400, "BadRequest"};
    case StatusCode::kUnsupported: return {422, "Unsupported"};
    case StatusCode::kCancelled: return {408, "Timeout"};
    case StatusCode::kConflict: return {409, "Conflict"};
    case StatusCode::kIOError: return {503, "Unavailable"};
    default: return {500, "Internal"};
  }
}

void SendStatus(ResponseWriter& writer, const Status& status) {
  auto [http_status, code] = HttpStatusOf(status);
  Headers headers;
  if (http_status == 503) headers.emplace_back("Retry-After", "1");
  SendError(writer, http_status, code, status.message(), headers);
}

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// The response format from _format or the Accept header: json, ndjson, csv or parquet.
std::optional<std::string> ChooseFormat(const HttpRequest& request, const std::string& asked) {
  if (!asked.empty()) {
    std::string format = Lower(asked);
    if (format == "jsonl") format = "ndjson";
    if (format == "json" || format == "ndjson" || format == "csv" || format == "parquet") return format;
    return std::nullopt;
  }
  std::string accept = Lower(request.Header("accept").value_or(""));
  if (accept.find("application/x-ndjson") != std::string::npos ||
      accept.find("application/jsonl") != std::string::npos ||
      accept.find("application/ndjson") != std::string::npos) {
    return "ndjson";
  }
  if (accept.find("text/csv") != std::string::npos) return "csv";
  if (accept.find("parquet") != std::string::npos) return "parquet";
  return "json";
}

std::string_view ContentType(const std::string& format) {
  if (format == "ndjson") return "application/x-ndjson";
  if (format == "csv") return "text/csv; charset=utf-8";
  if (format == "parquet") return "application/vnd.apache.parquet";
  return "application/json";
}

std::string ColumnsJson(const std::vector<engine::ColumnInfo>& columns) {
  std::string out = "[";
  for (size_t i = 0; i < columns.size(); ++i) {
    out += (i ? ", " : "") + std::string("{\"name\": ") + engine::JsonString(columns[i].name) +
           ", \"type\": " + engine::JsonString(columns[i].type) + "}";
  }
  return out + "]";
}

std::string RowJson(const std::vector<std::string>& names,
                    const std::vector<std::optional<std::string>>& cells, bool objects) {
  std::string out = objects ? "{" : "[";
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i) out += ", ";
    if (objects) out += engine::JsonString(names[i]) + ": ";
    out += cells[i] ? *cells[i] : "null";
  }
  return out + (objects ? "}" : "]");
}

struct ScanFigures {
  int64_t version = -1;
  int64_t files_read = 0;
  int64_t files_pruned = 0;
  int64_t bytes_read = 0;
};

ScanFigures FiguresOf(const engine::QueryOutcome& outcome) {
  ScanFigures figures;
  for (const auto& scan : outcome.scans) {
    figures.version = std::max(figures.version, scan.version);
    figures.files_read += scan.files_read;
    figures.files_pruned += scan.files_pruned_by_partition + scan.files_pruned_by_stats;
    figures.bytes_read += scan.bytes_read;
  }
  return figures;
}

std::string StatsJson(const engine::QueryOutcome& outcome, double elapsed_ms) {
  ScanFigures figures = FiguresOf(outcome);
  char elapsed[32];
  std::snprintf(elapsed, sizeof(elapsed), "%.3f", elapsed_ms);
  return std::string("{\"elapsed_ms\": ") + elapsed +
         ", \"version\": " + (figures.version >= 0 ? std::to_string(figures.version) : "null") +
         ", \"files_read\": " + std::to_string(figures.files_read) +
         ", \"files_pruned\": " + std::to_string(figures.files_pruned) +
         ", \"bytes_read\": " + std::to_string(figures.bytes_read) + "}";
}

double MillisSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

// RFC 7234 warn-values, one per message: `299 - "<message>"` (299: a persistent warning), joined
// with ", " into one Warning header. Quotes and backslashes are escaped; control characters
// become spaces so a message cannot break the header.
std::string WarningHeaderValue(const std::vector<std::string>& warnings) {
  std::string out;
  for (const auto& warning : warnings) {
    out += (out.empty() ? "" : ", ") + std::string("299 - \"");
    for (char c : warning) {
      if (c == '"' || c == '\\') out += '\\';
      out += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? ' ' : c;
    }
    out += '"';
  }
  return out;
}

std::string StringListJson(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + engine::JsonString(items[i]);
  return out + "]";
}

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    std::string part = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (!part.empty()) parts.push_back(part);
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return parts;
}


}  // namespace

Result<std::vector<ApiKey>> LoadApiKeys(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& error) {
    return Status::Invalid("API key file '" + path + "': " + error.what());
  }
  if (!root["keys"] || !root["keys"].IsSequence()) {
    return Status::Invalid("API key file '" + path + "': expected a 'keys:' list");
  }
  std::vector<ApiKey> keys;
  int index = 0;
  for (const auto& entry : root["keys"]) {
    std::string where = "API key file '" + path + "', entry " + std::to_string(index++);
    if (!entry.IsMap() || !entry["name"] || !entry["sha256"] || !entry["databases"]) {
      return Status::Invalid(where + ": needs name, sha256 and databases");
    }
    ApiKey key;
    try {
      key.name = entry["name"].as<std::string>();
      key.sha256 = Lower(entry["sha256"].as<std::string>());
      for (const auto& database : entry["databases"]) key.databases.insert(database.as<std::string>());
    } catch (const YAML::Exception& error) {
      return Status::Invalid(where + ": " + error.what());
    }
    if (key.sha256.size() != 64 ||
        key.sha256.find_first_not_of("0123456789abcdef") != std::string::npos) {
      return Status::Invalid(where + " (" + key.name + "): sha256 must be 64 hex digits");
    }
    if (key.databases.empty()) return Status::Invalid(where + ": databases is empty");
    keys.push_back(std::move(key));
  }
  if (keys.empty()) return Status::Invalid("API key file '" + path + "' holds no keys");
  return keys;
}

namespace {

// A table's catalog metadata besides its description, as JSON members: owner, tags, deprecated
// ({message, use} or null).
std::string MetadataJson(const catalog::TableDefinition& table) {
  const catalog::TableMetadata& metadata = table.metadata;
  std::string deprecated = "null";
  if (metadata.deprecated) {
    deprecated = "{\"message\": " + engine::JsonString(metadata.deprecated->message) +
                 ", \"use\": " + engine::JsonString(metadata.deprecated->use) + "}";
  }
  return "\"owner\": " + engine::JsonString(metadata.owner) + ", \"tags\": " +
         StringListJson(metadata.tags) + ", \"deprecated\": " + deprecated;
}

}  // namespace

// One request's work: the route handlers.
class Api::Context {
 public:
  Context(Api& api, const HttpRequest& request, ResponseWriter& writer)
      : api_(api), request_(request), writer_(writer), start_(std::chrono::steady_clock::now()) {}

  void Run();

 private:
  bool Authenticate();
  bool Allowed(const std::string& database) const { return !key_ || key_->Allows(database); }
  const sql::QueryService& Service() const;
  void Health();
  void Catalog();
  void TableRoute(const std::vector<std::string>& parts);
  void Schema(const catalog::TableDefinition& table);
  void History(const catalog::TableDefinition& table);
  void Quality(const catalog::TableDefinition& table);
  void Rows(const catalog::TableDefinition& table);
  void Sql();
  // Runs `sql` and answers in `format` (json: one document; ndjson/csv streamed; parquet).
  // `page.size` > 0: one page of that many rows (the query asks for one more) whose `next` token
  // carries `page.version` (a versioned table) and the following offset.
  struct Page {
    int64_t size = 0;
    std::optional<int64_t> version;
    int64_t offset = 0;
  };
  void Answer(const std::string& sql, sql::QueryRequest query, const std::string& format,
              const std::string& shape, const Page& page);
  // The response headers every answer carries: a Warning for deprecated tables read.
  Headers ResponseHeaders() const;

  Api& api_;
  const HttpRequest& request_;
  ResponseWriter& writer_;
  std::chrono::steady_clock::time_point start_;
  const ApiKey* key_ = nullptr;
  // Deprecation warnings of the tables this request reads (QueryService::Deprecations).
  std::vector<std::string> warnings_;
};

Headers Api::Context::ResponseHeaders() const {
  if (warnings_.empty()) return {};
  return {{"Warning", WarningHeaderValue(warnings_)}};
}

bool Api::Context::Authenticate() {
  if (!api_.options_.keys) return true;
  auto header = request_.Header("authorization");
  const std::string prefix = "Bearer ";
  if (!header || header->compare(0, prefix.size(), prefix) != 0) {
    SendError(writer_, 401, "Unauthorized", "missing 'Authorization: Bearer <key>' header",
              {{"WWW-Authenticate", "Bearer"}});
    return false;
  }
  std::string digest = storage::sigv4::Sha256Hex(std::string_view(*header).substr(prefix.size()));
  for (const auto& key : api_.keys_) {
    if (key.sha256 == digest) {
      key_ = &key;
      return true;
    }
  }
  SendError(writer_, 401, "Unauthorized", "invalid API key", {{"WWW-Authenticate", "Bearer"}});
  return false;
}

const sql::QueryService& Api::Context::Service() const {
  std::string grant = "*";
  if (key_ && !key_->databases.count("*")) {
    grant.clear();
    for (const auto& database : key_->databases) grant += database + ",";
  }
  return *api_.services_.at(grant);
}

void Api::Context::Run() {
  const std::string& path = request_.path;
  const std::string& method = request_.method;
  if (path == "/api/v1/health" || path == "/health") return Health();
  if (path == "/openapi.json") {
    if (method != "GET") return SendError(writer_, 405, "MethodNotAllowed", "use GET");
    writer_.Send(200, kJson, OpenApiDocument(api_.options_.version));
    return;
  }
  if (path == "/docs" || path == "/docs/") {
    writer_.Send(200, "text/html; charset=utf-8", DocsPage());
    return;
  }
  if (path == "/metrics") {
    writer_.Send(200, "text/plain; version=0.0.4", api_.metrics_.Render());
    return;
  }
  auto parts = SplitPath(path);
  // The web UI's files: everything outside /api/ that names one (docs/ui.md).
  if (method == "GET" && (parts.empty() || parts[0] != "api") &&
      ServeStaticFile(api_.options_.ui_dir, request_, writer_)) {
    return;
  }
  if (parts.size() < 3 || parts[0] != "api" || parts[1] != "v1") {
    return SendError(writer_, 404, "NotFound", "no route " + path + " (see /openapi.json)");
  }
  if (!Authenticate()) return;
  if (parts[2] == "catalog" && parts.size() == 3) {
    if (method != "GET") return SendError(writer_, 405, "MethodNotAllowed", "use GET");
    return Catalog();
  }
  if (parts[2] == "sql" && parts.size() == 3) {
    if (method != "POST") return SendError(writer_, 405, "MethodNotAllowed", "use POST with a JSON body");
    return Sql();
  }
  if (parts[2] == "tables" && (parts.size() == 5 || parts.size() == 6)) {
    if (method != "GET") return SendError(writer_, 405, "MethodNotAllowed", "use GET");
    return TableRoute(parts);
  }
  SendError(writer_, 404, "NotFound", "no route " + path + " (see /openapi.json)");
}

void Api::Context::Health() {
  writer_.Send(200, kJson,
               "{\"status\": \"ok\", \"version\": " + engine::JsonString(api_.options_.version) + "}\n");
}

void Api::Context::Catalog() {
  const auto& service = Service();
  std::string out = "{\"databases\": [";
  bool first_database = true;
  for (const auto* database : api_.catalog_.Databases()) {
    if (!Allowed(database->name())) continue;
    out += std::string(first_database ? "" : ", ") + "{\"name\": " + engine::JsonString(database->name()) +
           ", \"tables\": [";
    first_database = false;
    bool first_table = true;
    for (const auto* table : database->Tables()) {
      out += std::string(first_table ? "" : ", ") + "{\"name\": " + engine::JsonString(table->name) +
             ", \"kind\": " + engine::JsonString(catalog::TableKindName(table->kind)) +
             ", \"description\": " + engine::JsonString(table->description()) +
             ", \"uri\": " + engine::JsonString(table->uri) + ", " + MetadataJson(*table);
      first_table = false;
      auto description = service.Describe(table->QualifiedName());
      if (!description.ok()) {
        out += ", \"error\": " + engine::JsonString(description.status().message()) + "}";
        continue;
      }
      auto figure = [](const std::optional<int64_t>& value) {
        return value ? std::to_string(*value) : std::string("null");
      };
      std::vector<engine::ColumnInfo> columns;
      std::string partitions = "[";
      for (const auto& column : description->columns) columns.push_back({column.name, column.type});
      for (const auto& name : description->partitions) {
        partitions += (partitions.size() > 1 ? ", " : "") + engine::JsonString(name);
      }
      out += ", \"version\": " + figure(description->version) + ", \"schema\": " +
             ColumnsJson(columns) + ", \"partitions\": " + partitions + "]" +
             ", \"files\": " + figure(description->files) +
             ", \"rows\": " + figure(description->rows) +
             ", \"bytes\": " + figure(description->bytes) + "}";
    }
    out += "]}";
  }
  out += "]}\n";
  writer_.Send(200, kJson, std::move(out));
}

void Api::Context::TableRoute(const std::vector<std::string>& parts) {
  auto table = api_.catalog_.Resolve(parts[3] + "." + parts[4]);
  if (!table.ok()) return SendError(writer_, 404, "NotFound", table.status().message());
  if (!Allowed(parts[3])) {
    return SendError(writer_, 403, "Forbidden",
                     "this API key may not read database '" + parts[3] + "'");
  }
  // The table's deprecation (and those of the tables a view reads) on every answer about it.
  warnings_ = Service().Deprecations("SELECT * FROM " + engine::Engine::QuoteIdentifier(parts[3]) +
                                     "." + engine::Engine::QuoteIdentifier(parts[4]));
  if (parts.size() == 5) return Rows(**table);
  if (parts[5] == "schema") return Schema(**table);
  if (parts[5] == "history") return History(**table);
  if (parts[5] == "quality") return Quality(**table);
  SendError(writer_, 404, "NotFound", "no route " + request_.path + " (see /openapi.json)");
}

void Api::Context::Schema(const catalog::TableDefinition& table) {
  std::optional<int64_t> version;
  for (const auto& [name, value] : request_.query) {
    if (name == "_version") {
      version = ParseInteger(value);
      if (!version) return SendError(writer_, 400, "BadRequest", "_version must be an integer");
    }
  }
  auto description = Service().Describe(table.QualifiedName(), {version, std::nullopt});
  if (!description.ok()) return SendStatus(writer_, description.status());
  std::string columns = "[";
  std::string partitions = "[";
  for (const auto& column : description->columns) {
    columns += std::string(columns.size() > 1 ? ", " : "") + "{\"name\": " +
               engine::JsonString(column.name) + ", \"type\": " + engine::JsonString(column.type) +
               ", \"partition\": " + (column.partition ? "true" : "false") + "}";
  }
  for (const auto& name : description->partitions) {
    partitions += (partitions.size() > 1 ? ", " : "") + engine::JsonString(name);
  }
  std::string pinned = description->version ? std::to_string(*description->version) : "null";
  writer_.Send(200, kJson,
               "{\"table\": " + engine::JsonString(table.QualifiedName()) + ", \"kind\": " +
                   engine::JsonString(catalog::TableKindName(table.kind)) +
                   ", \"version\": " + pinned + ", \"columns\": " + columns +
                   "], \"partitions\": " + partitions + "]}\n",
               ResponseHeaders());
}

void Api::Context::History(const catalog::TableDefinition& table) {
  int64_t limit = 100;
  for (const auto& [name, value] : request_.query) {
    if (name == "_size") {
      limit = ParseInteger(value).value_or(-1);
      if (limit < 1) return SendError(writer_, 400, "BadRequest", "_size must be an integer >= 1");
    }
  }
  if (table.kind != catalog::TableKind::kDelta) {
    return SendError(writer_, 400, "NotVersioned",
                     "table " + table.QualifiedName() + " is a " +
                         std::string(catalog::TableKindName(table.kind)) +
                         " table; only Delta tables have a commit history");
  }
  // The table's own storage settings (catalog `storage:` overrides) over the service's.
  auto storage = catalog::TableStorage(table, api_.options_.query.storage);
  if (!storage.ok()) return SendStatus(writer_, storage.status());
  delta::TableOptions options;
  options.storage = *storage;
  auto opened = delta::DeltaTable::Open(table.uri, options);
  if (!opened.ok()) return SendStatus(writer_, opened.status());
  auto history = (*opened)->log().History(limit);
  if (!history.ok()) return SendStatus(writer_, history.status());
  std::string out = "{\"table\": " + engine::JsonString(table.QualifiedName()) + ", \"commits\": [";
  bool first = true;
  for (const auto& record : *history) {
    out += std::string(first ? "" : ", ") + "{\"version\": " + std::to_string(record.version) +
           ", \"timestamp\": " + engine::JsonString(FormatIsoMillis(record.timestamp_ms)) +
           ", \"operation\": " +
           (record.info ? engine::JsonString(record.info->Operation()) : std::string("null"));
    if (record.info && record.info->fields.contains("operationParameters")) {
      out += ", \"parameters\": " + record.info->fields["operationParameters"].dump();
    }
    if (record.info && record.info->fields.contains("operationMetrics")) {
      out += ", \"metrics\": " + record.info->fields["operationMetrics"].dump();
    }
    out += "}";
    first = false;
  }
  writer_.Send(200, kJson, out + "]}\n", ResponseHeaders());
}

// The latest data-quality result of each expectation, from `_quality` beside the table
// (docs/quality.md).
void Api::Context::Quality(const catalog::TableDefinition& table) {
  if (table.uri.empty()) {
    return SendError(writer_, 404, "NotFound",
                     "table " + table.QualifiedName() + " has no location, so no _quality table");
  }
  auto storage = catalog::TableStorage(table, api_.options_.query.storage);
  if (!storage.ok()) return SendStatus(writer_, storage.status());
  delta::TableOptions options;
  options.storage = *storage;
  std::string uri = quality::DefaultQualityUri(table.uri);
  auto results = quality::LatestResultsJson(uri, options, table.QualifiedName());
  if (!results.ok()) return SendStatus(writer_, results.status());
  writer_.Send(200, kJson,
               "{\"table\": " + engine::JsonString(table.QualifiedName()) +
                   ", \"quality_uri\": " + engine::JsonString(uri) +
                   ", \"expectations\": " + std::to_string(table.expectations.size()) +
                   ", \"results\": " + *results + "}\n",
               ResponseHeaders());
}

void Api::Context::Rows(const catalog::TableDefinition& table) {
  // Which state of the table: _version, the version in a _next token, or _timestamp (time travel
  // and pinned pages read versioned kinds only; the others answer NotVersioned).
  catalog::TableAt at;
  for (const auto& [name, value] : request_.query) {
    if (name == "_next") {
      auto token = ParseNextToken(value);
      if (token && token->version) at.version = token->version;
    } else if (name == "_version") {
      at.version = ParseInteger(value);
      if (!at.version) return SendError(writer_, 400, "BadRequest", "_version must be an integer");
    } else if (name == "_timestamp") {
      at.timestamp = value;
    }
  }
  if (at.version) at.timestamp.reset();
  const auto& service = Service();
  // The version the pages pin: what `at` resolves to now (the latest for a first page). Kinds
  // without versions describe none and are read as they are.
  auto description = service.Describe(table.QualifiedName(), at);
  if (!description.ok()) return SendStatus(writer_, description.status());
  catalog::TableAt pinned = at;
  if (description->version) pinned = {description->version, std::nullopt};
  auto relation = service.RelationOf(table.QualifiedName(), pinned);
  if (!relation.ok()) return SendStatus(writer_, relation.status());
  const auto& [from, columns] = *relation;
  int64_t max_size = api_.options_.max_rows > 0 ? api_.options_.max_rows : INT64_MAX;
  RequestError error;
  auto query = ParseTableQuery(request_.query, columns, max_size, &error);
  if (!query.ok()) return SendError(writer_, error.status, error.code, error.message);
  auto format = ChooseFormat(request_, query->format);
  if (!format) {
    return SendError(writer_, 400, "BadRequest",
                     "unknown _format '" + query->format + "' (json, ndjson, csv, parquet)");
  }
  bool sized = false;
  for (const auto& [name, value] : request_.query) sized = sized || name == "_size";
  // JSON pages by default; the streamed formats return every row unless a _size is given.
  bool paged = *format == "json" || sized;
  Page page;
  page.size = paged ? (sized ? query->size : api_.options_.default_page_size) : 0;
  page.version = description->version;
  page.offset = query->offset;
  auto built = BuildTableSql(from, *query, columns, paged ? page.size + 1 : INT64_MAX, paged);
  if (!built.ok()) return SendStatus(writer_, built.status());
  sql::QueryRequest request;
  request.params = std::move(built->params);
  Answer(built->sql, std::move(request), *format, query->shape, page);
}

void Api::Context::Sql() {
  auto body = ParseJson(request_.body);
  if (!body.ok() || !body->is_object()) {
    return SendError(writer_, 400, "BadRequest",
                     "the body must be a JSON object {\"sql\": \"...\", \"params\": [...]}" +
                         (body.ok() ? std::string() : ": " + body.status().message()));
  }
  const auto& json = *body;
  if (!json.contains("sql") || !json["sql"].is_string()) {
    return SendError(writer_, 400, "BadRequest", "\"sql\" (a string) is required");
  }
  sql::QueryRequest query;
  if (json.contains("params")) {
    if (!json["params"].is_array()) return SendError(writer_, 400, "BadRequest", "\"params\" must be a list");
    for (const auto& param : json["params"]) {
      if (param.is_null()) {
        query.params.emplace_back(std::monostate{});
      } else if (param.is_boolean()) {
        query.params.emplace_back(param.get<bool>());
      } else if (param.is_number_integer()) {
        query.params.emplace_back(param.get<int64_t>());
      } else if (param.is_number()) {
        query.params.emplace_back(param.get<double>());
      } else if (param.is_string()) {
        query.params.emplace_back(param.get<std::string>());
      } else {
        return SendError(writer_, 400, "BadRequest", "params must be scalars (null, bool, number, string)");
      }
    }
  }
  if (json.contains("max_rows")) {
    if (!json["max_rows"].is_number_integer() || json["max_rows"].get<int64_t>() < 1) {
      return SendError(writer_, 400, "BadRequest", "\"max_rows\" must be an integer >= 1");
    }
    query.max_rows = json["max_rows"].get<int64_t>();
  }
  std::string asked = json.contains("format") && json["format"].is_string() ? json["format"].get<std::string>() : "";
  auto format = ChooseFormat(request_, asked);
  if (!format) return SendError(writer_, 400, "BadRequest", "unknown format '" + asked + "'");
  std::string shape = json.contains("shape") && json["shape"] == "arrays" ? "arrays" : "objects";
  const std::string& text = json["sql"].get_ref<const std::string&>();
  // Known before the query runs, so streamed answers carry them in their headers too.
  warnings_ = Service().Deprecations(text);
  Answer(text, std::move(query), *format, shape, Page{});
}

void Api::Context::Answer(const std::string& sql, sql::QueryRequest query, const std::string& format,
                          const std::string& shape, const Page& page) {
  const auto& service = Service();
  const int64_t page_size = page.size;
  const Headers headers = ResponseHeaders();
  if (api_.options_.max_rows > 0 && (query.max_rows == 0 || query.max_rows > api_.options_.max_rows) &&
      format == "json") {
    query.max_rows = page_size > 0 ? page_size + 1 : api_.options_.max_rows;
  }
  bool objects = shape != "arrays";
  if (format == "json") {
    query.cells = engine::CellEncoding::kJson;
    auto outcome = service.Query(sql, query);
    if (!outcome.ok()) return SendStatus(writer_, outcome.status());
    auto& rows = outcome->table.rows;
    std::string next = "null";
    bool truncated = outcome->truncated;
    if (page_size > 0 && static_cast<int64_t>(rows.size()) > page_size) {
      rows.resize(static_cast<size_t>(page_size));
      next = engine::JsonString(NextToken(page.version, page.offset + page_size));
      truncated = true;
    }
    auto names = engine::UniqueColumnNames(outcome->table.columns);
    std::string out = "{\"columns\": " + ColumnsJson(outcome->table.columns) + ", \"rows\": [";
    for (size_t i = 0; i < rows.size(); ++i) {
      out += (i ? ",\n" : "\n") + RowJson(names, rows[i], objects);
    }
    api_.metrics_.Rows(static_cast<int64_t>(rows.size()));
    out += "], \"truncated\": " + std::string(truncated ? "true" : "false") + ", \"next\": " + next +
           ", \"stats\": " + StatsJson(*outcome, MillisSince(start_));
    if (!warnings_.empty()) out += ", \"warnings\": " + StringListJson(warnings_);
    writer_.Send(200, kJson, std::move(out) + "}\n", headers);
    return;
  }
  if (format == "parquet") {
    // DuckDB writes the file; it is then streamed from a private temporary path.
    std::string path = (std::filesystem::temp_directory_path() /
                        ("neuralake-api-" + std::to_string(::getpid()) + "-" +
                         std::to_string(reinterpret_cast<uintptr_t>(this)) + ".parquet"))
                           .string();
    auto outcome = service.Export(sql, path, "parquet");
    if (!outcome.ok()) {
      std::filesystem::remove(path);
      return SendStatus(writer_, outcome.status());
    }
    std::ifstream file(path, std::ios::binary);
    writer_.BeginStream(200, ContentType(format), headers);
    std::string buffer(1 << 20, '\0');
    while (file.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || file.gcount() > 0) {
      if (!writer_.Write(std::string_view(buffer.data(), static_cast<size_t>(file.gcount())))) break;
    }
    writer_.End();
    std::filesystem::remove(path);
    api_.metrics_.Rows(outcome->row_count);
    return;
  }
  bool csv = format == "csv";
  query.cells = csv ? engine::CellEncoding::kCsv : engine::CellEncoding::kJson;
  std::vector<std::string> names;
  std::string buffer;
  auto flush = [&](size_t at_least) -> Status {
    if (buffer.size() < at_least || buffer.empty()) return Status::OK();
    if (!writer_.started() && !writer_.BeginStream(200, ContentType(format), headers)) {
      return Status::Cancelled("client gone");
    }
    bool ok = writer_.Write(buffer);
    buffer.clear();
    return ok ? Status::OK() : Status::Cancelled("client gone");
  };
  auto header = [&](const std::vector<engine::ColumnInfo>& columns) {
    if (!names.empty() || columns.empty()) return;
    names = engine::UniqueColumnNames(columns);
    if (csv) buffer += engine::CsvLine(std::vector<std::optional<std::string>>(names.begin(), names.end()));
  };
  int64_t sent = 0;
  auto outcome = service.Stream(sql, query, [&](const std::vector<engine::ColumnInfo>& columns,
                                                const engine::Table& rows) -> Status {
    header(columns);
    for (const auto& row : rows.rows) {
      if (page_size > 0 && sent >= page_size) break;
      buffer += csv ? engine::CsvLine(row) : engine::JsonObjectLine(names, row);
      ++sent;
    }
    return flush(256 * 1024);
  });
  if (!outcome.ok()) {
    if (writer_.started()) {
      writer_.Abort();  // a cut stream (timeout, error): the chunked body never completes
      return;
    }
    return SendStatus(writer_, outcome.status());
  }
  header(outcome->table.columns);
  api_.metrics_.Rows(sent);
  if (!writer_.started()) {
    // Everything fit in the buffer: one plain response with its length.
    writer_.Send(200, ContentType(format), std::move(buffer), headers);
    return;
  }
  if (flush(0).ok()) writer_.End();
}

Api::Api(catalog::Catalog catalog, ApiOptions options)
    : catalog_(std::move(catalog)), options_(std::move(options)) {}

Api::~Api() = default;

Result<std::unique_ptr<Api>> Api::Make(catalog::Catalog catalog, ApiOptions options) {
  std::unique_ptr<Api> api(new Api(std::move(catalog), std::move(options)));
  if (api->options_.keys) api->keys_ = *api->options_.keys;
  // One query service per distinct grant: a key's SQL sees only its databases' tables.
  std::set<std::string> grants = {"*"};
  for (const auto& key : api->keys_) {
    if (key.databases.count("*")) continue;
    std::string grant;
    for (const auto& database : key.databases) grant += database + ",";
    grants.insert(grant);
  }
  for (const auto& grant : grants) {
    catalog::Catalog visible;
    for (const auto* table : api->catalog_.AllTables()) {
      if (grant == "*" || grant.find(table->database + ",") == 0 ||
          grant.find("," + table->database + ",") != std::string::npos) {
        visible.Database(table->database).AddTable(*table);
      }
    }
    NL_ASSIGN_OR_RETURN(auto service, sql::QueryService::Make(std::move(visible), api->options_.query));
    api->services_[grant] = std::move(service);
  }
  Api* self = api.get();
  api->metrics_.extra = [self] {
    std::string out =
        "# HELP neuralake_snapshot_cache Snapshot cache lookups: full loads, refreshes, unchanged "
        "(one LIST), fresh (no LIST).\n# TYPE neuralake_snapshot_cache counter\n";
    sql::CacheStats total;
    for (const auto& [grant, service] : self->services_) {
      auto stats = service->cache_stats();
      total.full_loads += stats.full_loads;
      total.refreshes += stats.refreshes;
      total.unchanged += stats.unchanged;
      total.fresh += stats.fresh;
    }
    out += "neuralake_snapshot_cache{result=\"full_load\"} " + std::to_string(total.full_loads) + "\n";
    out += "neuralake_snapshot_cache{result=\"refresh\"} " + std::to_string(total.refreshes) + "\n";
    out += "neuralake_snapshot_cache{result=\"unchanged\"} " + std::to_string(total.unchanged) + "\n";
    out += "neuralake_snapshot_cache{result=\"fresh\"} " + std::to_string(total.fresh) + "\n";
    return out;
  };
  return api;
}

bool Api::IsInline(const HttpRequest& request) {
  return request.path == "/api/v1/health" || request.path == "/health" ||
         request.path == "/metrics" || request.path == "/openapi.json" || request.path == "/docs" ||
         request.path == "/docs/";
}

void Api::Handle(const HttpRequest& request, ResponseWriter& writer) {
  Context context(*this, request, writer);
  context.Run();
}

}  // namespace neuralake::server
