// The HTTP/JSON query API over a catalog (`neuralake serve`). Routes, formats and errors are
// documented in docs/api.md and served as OpenAPI 3.1 at /openapi.json.
//
//   NL_ASSIGN_OR_RETURN(auto api, server::Api::Make(std::move(catalog), options));
//   HttpServer http(http_options, api->Handler());
//
// Thread safety: Handle may run on many threads at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "neuralake/catalog/catalog.h"
#include "neuralake/common/result.h"
#include "neuralake/server/http.h"
#include "neuralake/server/metrics.h"
#include "neuralake/sql/query_service.h"

namespace neuralake::server {

// One API key: its SHA-256 (hex), a name for logs and the databases it may read ("*": all).
struct ApiKey {
  std::string name;
  std::string sha256;
  std::set<std::string> databases;

  bool Allows(const std::string& database) const {
    return databases.count("*") > 0 || databases.count(database) > 0;
  }
};

// Reads a key file:
//   keys:
//     - {name: analyst, sha256: <64 hex>, databases: [demo]}
// Errors name the file and the entry.
Result<std::vector<ApiKey>> LoadApiKeys(const std::string& path);

struct ApiOptions {
  sql::QueryServiceOptions query;   // storage, DuckDB threads, memory limit, timeout
  int64_t max_rows = 1'000'000;     // per JSON response and per SQL query; 0: no limit
  int64_t default_page_size = 100;
  std::optional<std::vector<ApiKey>> keys;  // unset: no authentication
  std::string docs_dir;             // where /docs files live ("" : the built-in page)
  std::string ui_dir;               // the built web UI served at / ("": no UI; static_files.h)
  std::string version = "dev";
};

class Api {
 public:
  static Result<std::unique_ptr<Api>> Make(catalog::Catalog catalog, ApiOptions options);
  ~Api();

  void Handle(const HttpRequest& request, ResponseWriter& writer);
  // Cheap routes (health, metrics, openapi, docs) that may run on the I/O thread.
  static bool IsInline(const HttpRequest& request);

  Metrics& metrics() { return metrics_; }
  const catalog::Catalog& catalog() const { return catalog_; }

  class Context;

 private:
  Api(catalog::Catalog catalog, ApiOptions options);

  catalog::Catalog catalog_;
  ApiOptions options_;
  Metrics metrics_;
  // One query service per distinct set of readable databases (a key's SQL sees only its tables);
  // "*" serves every database.
  std::map<std::string, std::unique_ptr<sql::QueryService>> services_;
  std::vector<ApiKey> keys_;
  friend class Context;
};

}  // namespace neuralake::server
