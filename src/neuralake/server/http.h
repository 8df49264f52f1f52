// A small HTTP/1.1 server on Boost.Beast/Asio: keep-alive, bounded requests, slow-client timeouts,
// and a bounded worker pool so I/O threads never run queries.
//
//   HttpServer server(options, [&](const HttpRequest& request, ResponseWriter& writer) { ... });
//   NL_RETURN_NOT_OK(server.Start());    // binds; port 0 picks a free one (server.port())
//   server.Stop();                       // stops accepting, lets in-flight requests finish
//
// A route marked inline (`Options::is_inline`) runs on the I/O thread (health, metrics: cheap and
// never blocking); every other request runs on a worker. When `max_queued` requests already wait
// for a worker the server answers 503 with Retry-After itself. Request heads larger than 16 KiB
// get 431, bodies larger than `max_body_bytes` 413, a request whose head or body does not arrive
// within `read_timeout_ms` is dropped, and a client that does not read its response within
// `write_timeout_ms` is disconnected (the handler's writes then fail).
//
// Thread safety: handlers run concurrently on the worker threads.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "neuralake/common/status.h"

namespace neuralake::server {

struct HttpRequest {
  std::string method;                 // "GET", "POST", ...
  std::string target;                 // as sent: path and query
  std::string path;                   // percent-decoded path
  // Query parameters in order, names and values percent-decoded ('+' is a space).
  std::vector<std::pair<std::string, std::string>> query;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string remote;                 // peer address

  std::optional<std::string> Header(const std::string& lower_name) const;
};

// How a handler answers. Either Send once, or BeginStream, any number of Write, then End.
// Writes block until the bytes are handed to the socket (back-pressure: a slow reader slows the
// handler, memory stays bounded); they return false once the client is gone.
class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;
  virtual bool Send(int status, std::string_view content_type, std::string body,
                    const std::vector<std::pair<std::string, std::string>>& headers = {}) = 0;
  virtual bool BeginStream(int status, std::string_view content_type,
                           const std::vector<std::pair<std::string, std::string>>& headers = {}) = 0;
  virtual bool Write(std::string_view chunk) = 0;
  virtual bool End() = 0;
  // Gives up on a started stream: the connection is closed without the final chunk, so the client
  // sees an incomplete body (an error), never a silently shortened one.
  virtual void Abort() = 0;
  virtual bool started() const = 0;
  virtual int status() const = 0;
  virtual int64_t bytes_sent() const = 0;
};

using HttpHandler = std::function<void(const HttpRequest& request, ResponseWriter& writer)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                     // 0: any free port
  int io_threads = 1;
  int workers = 4;                     // concurrent handler runs
  int max_queued = 256;                // waiting for a worker beyond this: 503
  int64_t max_body_bytes = 1 << 20;
  // Whole request (head and body), counted from when the server starts waiting for it, so an idle
  // keep-alive connection is closed after this long too.
  int64_t read_timeout_ms = 10'000;
  int64_t write_timeout_ms = 30'000;   // per write
  int max_connections = 10'000;        // beyond this new connections are closed at once
  // Requests this returns true for run on the I/O thread.
  std::function<bool(const HttpRequest&)> is_inline;
  // Called once per finished request (access log, metrics).
  std::function<void(const HttpRequest&, int status, int64_t bytes, double seconds)> on_done;
};

// Standard reason phrase of an HTTP status ("Not Found").
std::string_view StatusReason(int status);

// Percent-decodes `text` ('+' as space when `plus_is_space`); nullopt for a malformed escape.
std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space);

// Splits "a=1&b=x%20y" into decoded pairs; nullopt for a malformed escape.
std::optional<std::vector<std::pair<std::string, std::string>>> ParseQueryString(
    std::string_view text);

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, HttpHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts the I/O threads and workers. Invalid/IOError when the address cannot be bound.
  Status Start();
  // Stops accepting, waits up to `grace_ms` for in-flight requests, then closes every connection.
  void Stop(int64_t grace_ms = 10'000);
  int port() const;
  int64_t queue_depth() const;       // requests waiting for or running on a worker
  int64_t open_connections() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace neuralake::server
