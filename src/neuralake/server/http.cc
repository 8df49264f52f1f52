#include "neuralake/server/http.h"

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace neuralake::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

std::optional<std::string> HttpRequest::Header(const std::string& lower_name) const {
  auto found = headers.find(lower_name);
  if (found == headers.end()) return std::nullopt;
  return found->second;
}

std::string_view StatusReason(int status) {
  auto reason = http::obsolete_reason(static_cast<http::status>(status));
  return {reason.data(), reason.size()};
}

std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      int high = hex(text[i + 1]);
      int low = hex(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out += static_cast<char>(high * 16 + low);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<std::vector<std::pair<std::string, std::string>>> ParseQueryString(
    std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!text.empty()) {
    size_t amp = text.find('&');
    std::string_view part = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    auto name = PercentDecode(part.substr(0, eq), true);
    auto value = PercentDecode(eq == std::string_view::npos ? "" : part.substr(eq + 1), true);
    if (!name || !value) return std::nullopt;
    out.emplace_back(std::move(*name), std::move(*value));
  }
  return out;
}

namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

class Session;

}  // namespace

class HttpServer::Impl {
 public:
  Impl(HttpServerOptions options, HttpHandler handler)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        acceptor_(ioc_),
        workers_(static_cast<size_t>(std::max(1, options_.workers))) {}

  Status Start();
  void Stop(int64_t grace_ms);
  void Accept();

  // Declared first so they outlive the I/O context and the worker pool, whose destruction may
  // destroy the last references to sessions (which unregister themselves here).
  HttpServerOptions options_;
  HttpHandler handler_;
  std::atomic<int64_t> queued_{0};
  std::atomic<int64_t> connections_{0};
  std::atomic<bool> stopping_{false};
  int port_ = 0;
  // Closes each open connection (on its strand), for Stop.
  std::mutex closers_mutex_;
  uint64_t next_session_ = 0;
  std::map<uint64_t, std::function<void()>> closers_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  asio::thread_pool workers_;
  std::vector<std::thread> io_threads_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard_;
};

namespace {

// A finished response, or the state of a chunked one, written on the session's strand.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, HttpServer::Impl& server)
      : stream_(std::move(socket)), server_(server) {
    ++server_.connections_;
    beast::error_code ec;
    auto endpoint = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  }
  ~Session() {
    {
      std::lock_guard<std::mutex> lock(server_.closers_mutex_);
      server_.closers_.erase(id_);
    }
    --server_.connections_;
  }

  void Run() {
    {
      std::lock_guard<std::mutex> lock(server_.closers_mutex_);
      id_ = server_.next_session_++;
      std::weak_ptr<Session> weak = shared_from_this();
      server_.closers_[id_] = [weak] {
        if (auto self = weak.lock()) {
          asio::post(self->stream_.get_executor(), [self] { self->Close(); });
        }
      };
    }
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->DoRead(); });
  }

  // ---- used by the worker's BlockingWriter: run `op` on the strand and wait for it ----
  template <typename Op>
  bool RunOnStrand(Op op) {
    std::promise<bool> done;
    auto future = done.get_future();
    asio::post(stream_.get_executor(), [&op, &done] { op(done); });
    // Once the server has stopped its I/O threads the write never completes.
    while (future.wait_for(std::chrono::milliseconds(200)) != std::future_status::ready) {
      if (server_.ioc_.stopped()) return false;
    }
    return future.get();
  }

  beast::tcp_stream& stream() { return stream_; }
  const HttpServerOptions& options() const { return server_.options_; }
  bool keep_alive() const { return keep_alive_ && !server_.stopping_; }

  void AfterHandler(bool ok) {
    asio::post(stream_.get_executor(), [self = shared_from_this(), ok] {
      if (ok && self->keep_alive()) {
        self->DoRead();
      } else {
        self->Close();
      }
    });
  }

 private:
  void DoRead() {
    parser_.emplace();
    parser_->body_limit(static_cast<uint64_t>(server_.options_.max_body_bytes));
    parser_->header_limit(16 * 1024);
    stream_.expires_after(std::chrono::milliseconds(server_.options_.read_timeout_ms));
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec);
  void Dispatch(http::request<http::string_body> message);
  void SendSimple(int status, std::string body, bool close, const Headers& headers = {});
  // Writes a whole response, then reads the next request or closes.
  void WriteResponse(std::shared_ptr<http::response<http::string_body>> response);

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  HttpServer::Impl& server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string remote_;
  uint64_t id_ = 0;
  bool keep_alive_ = true;
  friend class BlockingWriter;
  friend class InlineWriter;
};

std::string ErrorBody(std::string_view code, std::string_view message) {
  std::string out = "{\"error\": {\"code\": \"";
  out += code;
  out += "\", \"message\": \"";
  for (char c : message) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out += c;
  }
  out += "\"}}\n";
  return out;
}

template <typename Message>
void AddHeaders(Message& message, std::string_view content_type, const Headers& headers) {
  message.set(http::field::server, "neuralake");
  message.set(http::field::content_type, content_type);
  for (const auto& [name, value] : headers) message.set(name, value);
}

// Writes from a worker thread, each write waited for (back-pressure).
class BlockingWriter : public ResponseWriter {
 public:
  // `release` runs once, just before the last write of the response is issued (or when the
  // handler returns without one): the request stops counting against the worker queue before the
  // client can send its next request on the same connection.
  BlockingWriter(Session& session, std::function<void()> release)
      : session_(session), release_(std::move(release)) {}

  void Release() {
    if (release_) {
      release_();
      release_ = nullptr;
    }
  }

  bool Send(int status, std::string_view content_type, std::string body,
            const Headers& headers) override {
    if (started_) return false;
    started_ = true;
    status_ = status;
    auto response = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(status), 11);
    AddHeaders(*response, content_type, headers);
    response->keep_alive(session_.keep_alive());
    response->body() = std::move(body);
    response->prepare_payload();
    bytes_ += static_cast<int64_t>(response->body().size());
    Release();
    ok_ = session_.RunOnStrand([&](std::promise<bool>& done) {
      session_.stream().expires_after(
          std::chrono::milliseconds(session_.options().write_timeout_ms));
      http::async_write(session_.stream(), *response,
                        [response, &done](beast::error_code ec, size_t) { done.set_value(!ec); });
    });
    finished_ = true;
    return ok_;
  }

  bool BeginStream(int status, std::string_view content_type, const Headers& headers) override {
    if (started_) return false;
    started_ = true;
    status_ = status;
    head_.emplace(static_cast<http::status>(status), 11);
    AddHeaders(*head_, content_type, headers);
    head_->keep_alive(session_.keep_alive());
    head_->chunked(true);
    serializer_.emplace(*head_);
    ok_ = session_.RunOnStrand([&](std::promise<bool>& done) {
      session_.stream().expires_after(
          std::chrono::milliseconds(session_.options().write_timeout_ms));
      http::async_write_header(session_.stream(), *serializer_,
                               [&done](beast::error_code ec, size_t) { done.set_value(!ec); });
    });
    return ok_;
  }

  bool Write(std::string_view chunk) override {
    if (!ok_ || !serializer_ || finished_) return false;
    if (chunk.empty()) return true;
    bytes_ += static_cast<int64_t>(chunk.size());
    ok_ = session_.RunOnStrand([&](std::promise<bool>& done) {
      session_.stream().expires_after(
          std::chrono::milliseconds(session_.options().write_timeout_ms));
      asio::async_write(session_.stream(), http::make_chunk(asio::const_buffer(chunk.data(), chunk.size())),
                        [&done](beast::error_code ec, size_t) { done.set_value(!ec); });
    });
    return ok_;
  }

  bool End() override {
    if (!ok_ || !serializer_ || finished_) return false;
    finished_ = true;
    Release();
    ok_ = session_.RunOnStrand([&](std::promise<bool>& done) {
      session_.stream().expires_after(
          std::chrono::milliseconds(session_.options().write_timeout_ms));
      asio::async_write(session_.stream(), http::make_chunk_last(),
                        [&done](beast::error_code ec, size_t) { done.set_value(!ec); });
    });
    return ok_;
  }

  void Abort() override {
    if (finished_) return;
    finished_ = true;
    ok_ = false;
    Release();
    session_.RunOnStrand([&](std::promise<bool>& done) {
      beast::error_code ignored;
      session_.stream().socket().shutdown(tcp::socket::shutdown_both, ignored);
      done.set_value(true);
    });
  }

  bool started() const override { return started_; }
  int status() const override { return status_; }
  int64_t bytes_sent() const override { return bytes_; }
  // The connection can serve another request.
  bool reusable() const { return ok_ && finished_; }

 private:
  Session& session_;
  std::function<void()> release_;
  bool started_ = false;
  bool finished_ = false;
  bool ok_ = true;
  int status_ = 0;
  int64_t bytes_ = 0;
  std::optional<http::response<http::empty_body>> head_;
  std::optional<http::response_serializer<http::empty_body>> serializer_;
};

// Collects the one response of an inline route; the session writes it after the handler returns.
class InlineWriter : public ResponseWriter {
 public:
  bool Send(int status, std::string_view content_type, std::string body,
            const Headers& headers) override {
    if (started_) return false;
    started_ = true;
    status_ = status;
    content_type_ = content_type;
    body_ = std::move(body);
    headers_ = headers;
    return true;
  }
  bool BeginStream(int, std::string_view, const Headers&) override { return false; }
  bool Write(std::string_view) override { return false; }
  bool End() override { return false; }
  void Abort() override {}
  bool started() const override { return started_; }
  int status() const override { return status_; }
  int64_t bytes_sent() const override { return static_cast<int64_t>(body_.size()); }

  bool started_ = false;
  int status_ = 0;
  std::string content_type_;
  std::string body_;
  Headers headers_;
};

HttpRequest ToRequest(http::request<http::string_body>& message, const std::string& remote) {
  HttpRequest request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  request.remote = remote;
  std::string_view target = request.target;
  size_t question = target.find('?');
  auto path = PercentDecode(target.substr(0, question), false);
  request.path = path ? *path : std::string(target.substr(0, question));
  if (question != std::string_view::npos) {
    auto query = ParseQueryString(target.substr(question + 1));
    if (query) {
      request.query = std::move(*query);
    } else {
      request.query.emplace_back("\x01malformed", "");
    }
  }
  for (const auto& field : message) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    request.headers[name] = std::string(field.value());
  }
  request.body = std::move(message.body());
  return request;
}

void Session::SendSimple(int status, std::string body, bool close, const Headers& headers) {
  auto response =
      std::make_shared<http::response<http::string_body>>(static_cast<http::status>(status), 11);
  AddHeaders(*response, "application/json", headers);
  response->keep_alive(!close && keep_alive());
  response->body() = std::move(body);
  WriteResponse(std::move(response));
}

void Session::WriteResponse(std::shared_ptr<http::response<http::string_body>> response) {
  response->prepare_payload();
  stream_.expires_after(std::chrono::milliseconds(server_.options_.write_timeout_ms));
  bool keep = response->keep_alive();
  http::async_write(stream_, *response,
                    [self = shared_from_this(), response, keep](beast::error_code ec, size_t) {
                      if (!ec && keep) {
                        self->DoRead();
                      } else {
                        self->Close();
                      }
                    });
}

void Session::OnRead(beast::error_code ec) {
  if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
      ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
      ec == asio::error::eof) {
    return Close();
  }
  if (ec == http::error::body_limit) {
    return SendSimple(413, ErrorBody("PayloadTooLarge",
                                     "request body larger than " +
                                         std::to_string(server_.options_.max_body_bytes) + " bytes"),
                      true);
  }
  if (ec == http::error::header_limit) {
    return SendSimple(431, ErrorBody("HeaderTooLarge", "request head larger than 16 KiB"), true);
  }
  if (ec) {
    return SendSimple(400, ErrorBody("BadRequest", "malformed HTTP request: " + ec.message()), true);
  }
  auto message = parser_->release();
  keep_alive_ = message.keep_alive();
  Dispatch(std::move(message));
}

void Session::Dispatch(http::request<http::string_body> message) {
  auto request = std::make_shared<HttpRequest>(ToRequest(message, remote_));
  auto start = std::chrono::steady_clock::now();
  auto done = [this, request, start](int status, int64_t bytes) {
    if (!server_.options_.on_done) return;
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    server_.options_.on_done(*request, status, bytes, seconds);
  };
  if (server_.options_.is_inline && server_.options_.is_inline(*request)) {
    InlineWriter writer;
    server_.handler_(*request, writer);
    if (!writer.started_) {
      writer.Send(500, "application/json", ErrorBody("Internal", "no response"), {});
    }
    done(writer.status_, writer.bytes_sent());
    auto response = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(writer.status_), 11);
    AddHeaders(*response, writer.content_type_, writer.headers_);
    response->keep_alive(keep_alive());
    response->body() = std::move(writer.body_);
    WriteResponse(std::move(response));
    return;
  }
  int64_t limit = server_.options_.workers + server_.options_.max_queued;
  if (server_.queued_.fetch_add(1) >= limit) {
    --server_.queued_;
    done(503, 0);
    return SendSimple(503,
                      ErrorBody("Unavailable", "the server is saturated; retry after a second"),
                      false, {{"Retry-After", "1"}});
  }
  asio::post(server_.workers_, [self = shared_from_this(), request, done] {
    BlockingWriter writer(*self, [self] { --self->server_.queued_; });
    try {
      self->server_.handler_(*request, writer);
    } catch (const std::exception& error) {
      if (!writer.started()) {
        writer.Send(500, "application/json", ErrorBody("Internal", error.what()), {});
      }
    }
    if (!writer.started()) {
      writer.Send(500, "application/json", ErrorBody("Internal", "no response"), {});
    } else if (!writer.reusable()) {
      writer.End();
    }
    writer.Release();
    done(writer.status(), writer.bytes_sent());
    self->AfterHandler(writer.reusable());
  });
}

}  // namespace

Status HttpServer::Impl::Start() {
  beast::error_code ec;
  auto address = asio::ip::make_address(options_.host, ec);
  if (ec) return Status::Invalid("--host '" + options_.host + "' is not an IP address");
  tcp::endpoint endpoint(address, static_cast<unsigned short>(options_.port));
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::IOError("cannot listen on " + options_.host + ":" +
                           std::to_string(options_.port) + ": " + ec.message());
  }
  port_ = acceptor_.local_endpoint().port();
  guard_.emplace(ioc_.get_executor());
  Accept();
  for (int i = 0; i < std::max(1, options_.io_threads); ++i) {
    io_threads_.emplace_back([this] { ioc_.run(); });
  }
  return Status::OK();
}

void HttpServer::Impl::Accept() {
  acceptor_.async_accept(asio::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    } else if (connections_ >= options_.max_connections) {
      beast::error_code ignored;
      socket.close(ignored);
    } else {
      socket.set_option(tcp::no_delay(true), ec);
      std::make_shared<Session>(std::move(socket), *this)->Run();
    }
    Accept();
  });
}

void HttpServer::Impl::Stop(int64_t grace_ms) {
  if (stopping_.exchange(true)) return;
  asio::post(ioc_, [this] {
    beast::error_code ignored;
    acceptor_.close(ignored);
  });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(grace_ms);
  while (queued_ > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // Close every connection (idle keep-alive ones, slow readers), give the I/O threads a moment
  // to run the closes, then stop them.
  std::vector<std::function<void()>> closers;
  {
    std::lock_guard<std::mutex> lock(closers_mutex_);
    for (auto& [id, close] : closers_) closers.push_back(close);
  }
  // Outside the lock: a session may be destroyed (and unregister itself) during its close.
  for (auto& close : closers) close();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  guard_.reset();
  ioc_.stop();
  for (auto& thread : io_threads_) thread.join();
  io_threads_.clear();
  workers_.stop();
  workers_.join();
}

HttpServer::HttpServer(HttpServerOptions options, HttpHandler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

HttpServer::~HttpServer() { Stop(0); }

Status HttpServer::Start() { return impl_->Start(); }
void HttpServer::Stop(int64_t grace_ms) {
  if (impl_->io_threads_.empty() && !impl_->stopping_) {
    impl_->stopping_ = true;
    return;
  }
  impl_->Stop(grace_ms);
}
int HttpServer::port() const { return impl_->port_; }
int64_t HttpServer::queue_depth() const { return impl_->queued_; }
int64_t HttpServer::open_connections() const { return impl_->connections_; }

}  // namespace neuralake::server
