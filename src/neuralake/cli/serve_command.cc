// `neuralake serve`: the HTTP/JSON query API over a catalog (src/neuralake/server, docs/api.md).
//
//   neuralake serve --catalog FILE [--host 127.0.0.1] [--port 8080] [--api-keys FILE]
//                   [--threads N] [--max-rows N] [--timeout 30s] [--max-concurrent-queries N]
//                   [--refresh 1s] [--ui-dir DIR] [--quiet]
//
// Prints "listening on http://HOST:PORT" on stdout once bound, one access-log line per request on
// stderr, and stops gracefully on SIGINT/SIGTERM (in-flight requests finish).
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <thread>

#include <CLI/CLI.hpp>

#include "neuralake/catalog/catalog_file.h"
#include "neuralake/cli/cli.h"
#include "neuralake/cli/flag_values.h"
#include "neuralake/server/api.h"
#include "neuralake/server/http.h"
#include "neuralake/server/static_files.h"
#include "neuralake/service/stop_flag.h"

namespace neuralake::cli {
namespace {

struct ServeFlags {
  std::string catalog;
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string api_keys;
  int threads = 0;
  int64_t max_rows = 1'000'000;
  std::string timeout = "30s";
  int max_concurrent = 0;
  int max_queued = 256;
  std::string refresh = "1s";
  // Bounded by default: sorts of large pages and Parquet exports spill to disk instead of growing
  // the server without limit (DuckDB's own default is 80% of RAM).
  std::string memory_limit = "2GB";
  std::string ui_dir;  // "": the built UI beside the binary or in the source tree; "none": no UI
  bool quiet = false;
};

bool IsLoopback(const std::string& host) {
  return host == "127.0.0.1" || host == "::1" || host == "localhost" ||
         host.rfind("127.", 0) == 0;
}

Status ServeCommand(const GlobalOptions& global, const ServeFlags& flags, std::ostream& out,
                    std::ostream& err) {
  if (flags.port < 0 || flags.port > 65535) return Status::Invalid("--port must be 0..65535");
  if (flags.max_rows < 0) return Status::Invalid("--max-rows must not be negative");
  if (flags.api_keys.empty() && !IsLoopback(flags.host)) {
    return Status::Invalid("--host " + flags.host +
                           " is not loopback: give --api-keys FILE to serve beyond this machine");
  }
  server::ApiOptions options;
  NL_ASSIGN_OR_RETURN(options.query.timeout_ms, DurationFlag("--timeout", flags.timeout));
  NL_ASSIGN_OR_RETURN(options.query.refresh_interval_ms, DurationFlag("--refresh", flags.refresh));
  options.query.storage = global.storage;
  options.query.threads = flags.threads;
  options.query.memory_limit = flags.memory_limit;
  options.max_rows = flags.max_rows;
  options.version = "neuralake";
  options.ui_dir = flags.ui_dir.empty() ? server::DefaultUiDir() : flags.ui_dir == "none" ? "" : flags.ui_dir;
  if (!flags.ui_dir.empty() && flags.ui_dir != "none" &&
      !std::filesystem::is_regular_file(std::filesystem::path(flags.ui_dir) / "index.html")) {
    return Status::Invalid("--ui-dir " + flags.ui_dir + " holds no index.html (build it: scripts/setup.sh web)");
  }
  if (!flags.api_keys.empty()) {
    NL_ASSIGN_OR_RETURN(auto keys, server::LoadApiKeys(flags.api_keys));
    options.keys = std::move(keys);
  }
  NL_ASSIGN_OR_RETURN(catalog::Catalog catalog, catalog::LoadCatalogFile(flags.catalog));
  size_t tables = catalog.AllTables().size();
  NL_ASSIGN_OR_RETURN(auto api, server::Api::Make(std::move(catalog), options));

  server::HttpServerOptions http;
  http.host = flags.host == "localhost" ? "127.0.0.1" : flags.host;
  http.port = flags.port;
  http.workers = flags.max_concurrent > 0 ? flags.max_concurrent
                                          : std::max(2, static_cast<int>(std::thread::hardware_concurrency()) * 2);
  http.max_queued = flags.max_queued;
  http.is_inline = &server::Api::IsInline;
  std::mutex log_mutex;
  server::Metrics* metrics = &api->metrics();
  http.on_done = [&, metrics](const server::HttpRequest& request, int status, int64_t bytes,
                              double seconds) {
    metrics->Request(status, bytes, seconds);
    if (flags.quiet) return;
    char line[96];
    std::snprintf(line, sizeof(line), " %d %lld %.1fms", status, static_cast<long long>(bytes),
                  seconds * 1000);
    std::lock_guard<std::mutex> lock(log_mutex);
    err << request.remote << " " << request.method << " " << request.target << line << "\n";
    err.flush();
  };
  server::HttpServer server(http, [&api](const server::HttpRequest& request,
                                         server::ResponseWriter& writer) {
    api->Handle(request, writer);
  });
  metrics->queue_depth = [&server] { return server.queue_depth(); };
  metrics->connections = [&server] { return server.open_connections(); };
  NL_RETURN_NOT_OK(server.Start());
  service::StopFlag stop;
  service::ScopedStopSignals signals(stop);
  out << "listening on http://" << http.host << ":" << server.port() << " (" << tables
      << " tables, " << http.workers << " query workers"
      << (options.keys ? ", API keys required" : ", no authentication") << ")" << std::endl;
  if (!options.ui_dir.empty()) {
    out << "web UI at http://" << http.host << ":" << server.port() << "/ (files in " << options.ui_dir
        << ")" << std::endl;
  }
  while (!stop.WaitFor(1000)) {
  }
  err << "stopping: waiting for in-flight requests\n";
  server.Stop(10'000);
  out << "stopped" << std::endl;
  return Status::OK();
}

}  // namespace

void AddServeCommand(CLI::App& app, CommandContext& context) {
  auto flags = std::make_shared<ServeFlags>();
  CLI::App* serve = app.add_subcommand("serve", "HTTP/JSON query API over a catalog");
  serve->add_option("--catalog", flags->catalog,
                    "catalog YAML (default: $NEURALAKE_CATALOG, else ./catalog.yaml)");
  serve->add_option("--host", flags->host, "address to bind (default 127.0.0.1)");
  serve->add_option("--port", flags->port, "port (default 8080; 0 picks a free one)");
  serve->add_option("--api-keys", flags->api_keys,
                    "YAML file of API keys (SHA-256) and their databases; required off loopback");
  serve->add_option("--threads", flags->threads, "DuckDB threads per query (default: all cores)");
  serve->add_option("--max-rows", flags->max_rows,
                    "rows per JSON response (default 1000000; streamed formats are not capped)");
  serve->add_option("--timeout", flags->timeout, "cancel a query after this long (default 30s)");
  serve->add_option("--max-concurrent-queries", flags->max_concurrent,
                    "query workers (default: 2 x cores)");
  serve->add_option("--max-queued", flags->max_queued,
                    "requests waiting for a worker before 503 (default 256)");
  serve->add_option("--refresh", flags->refresh,
                    "how stale a cached table snapshot may be (default 1s; 0 lists the log on every request)");
  serve->add_option("--memory-limit", flags->memory_limit,
                    "DuckDB memory limit (default 2GB; larger sorts and exports spill to disk)");
  serve->add_option("--ui-dir", flags->ui_dir,
                    "built web UI to serve at / (default: share/neuralake/ui beside the binary, else "
                    "web/dist; 'none': no UI)");
  serve->add_flag("-q,--quiet", flags->quiet, "no access log");
  serve->callback([&context, flags] {
    context.action = [&context, flags] {
      return ServeCommand(context.options, *flags, *context.out, *context.err);
    };
  });
}

}  // namespace neuralake::cli
