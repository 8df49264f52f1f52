// The query API in-process over a local Delta table: typed filters, paging, errors, keys, and
// the HTTP layer's robustness (malformed and random requests, slow clients, large bodies,
// saturation). The live-server suite against MinIO with DuckDB-Python as the oracle is
// tests/api (pytest).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <random>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "neuralake/delta/table.h"
#include "neuralake/delta/writer.h"
#include "neuralake/server/api.h"
#include "neuralake/server/http.h"
#include "neuralake/server/table_query.h"
#include "neuralake/storage/sigv4.h"

namespace neuralake::server {
namespace {

using nlohmann::json;

// ---- a raw HTTP client over a socket ----

int Connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    return -1;
  }
  timeval timeout{20, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  return fd;
}

// Sends `raw` and reads until the server closes or `max_wait` passes.
std::string Exchange(int port, const std::string& raw, bool half_close = true) {
  int fd = Connect(port);
  if (fd < 0) return "";
  size_t sent = 0;
  while (sent < raw.size()) {
    ssize_t n = ::send(fd, raw.data() + sent, raw.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  if (half_close) ::shutdown(fd, SHUT_WR);
  std::string out;
  char buffer[65536];
  while (true) {
    ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) break;
    out.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

int StatusOf(const std::string& response) {
  if (response.rfind("HTTP/1.1 ", 0) != 0) return -1;
  return std::stoi(response.substr(9, 3));
}

std::string BodyOf(const std::string& response) {
  size_t end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

std::string Get(const std::string& target, const std::string& extra_headers = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + extra_headers + "\r\n";
}

// ---- fixtures ----

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("nl-api-test-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    auto table = delta::DeltaTable::Open((root_ / "t").string());
    ASSERT_TRUE(table.ok()) << table.status().ToString();
    delta::CreateTableOptions create;
    create.source = delta::DataSource::FromQuery(
        "SELECT i::BIGINT AS id, CASE WHEN i % 7 = 0 THEN NULL ELSE 'name-' || i END AS name, "
        "(i % 5)::INTEGER AS grp, i * 0.5 AS score, DATE '2026-01-01' + (i % 30)::INTEGER AS day, "
        "[i % 3, i % 4] AS tags, CAST(i AS DECIMAL(12,2)) AS amount FROM range(1000) t(i)");
    auto created = delta::CreateTable(**table, create);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    // A second database the restricted key may not read.
    auto other = delta::DeltaTable::Open((root_ / "secret").string());
    ASSERT_TRUE(other.ok());
    delta::CreateTableOptions secret;
    secret.source = delta::DataSource::FromQuery("SELECT 42 AS answer");
    ASSERT_TRUE(delta::CreateTable(**other, secret).ok());
  }
  void TearDown() override {
    if (server_) server_->Stop(1000);
    server_.reset();
    api_.reset();
    std::filesystem::remove_all(root_);
  }

  void Start(ApiOptions options = {}, HttpServerOptions http = {}) {
    catalog::Catalog catalog;
    catalog.Database("demo").AddDeltaTable("t", (root_ / "t").string());
    catalog.Database("vault").AddDeltaTable("secret", (root_ / "secret").string());
    auto api = Api::Make(std::move(catalog), options);
    ASSERT_TRUE(api.ok()) << api.status().ToString();
    api_ = std::move(*api);
    http.port = 0;
    http.is_inline = &Api::IsInline;
    server_ = std::make_unique<HttpServer>(
        http, [this](const HttpRequest& request, ResponseWriter& writer) { api_->Handle(request, writer); });
    ASSERT_TRUE(server_->Start().ok());
  }

  json GetJson(const std::string& target, int expected_status, const std::string& headers = "") {
    std::string response = Exchange(server_->port(), Get(target, headers));
    EXPECT_EQ(StatusOf(response), expected_status) << target << "\n" << response.substr(0, 600);
    return json::parse(BodyOf(response), nullptr, false);
  }

  std::filesystem::path root_;
  std::unique_ptr<Api> api_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(ApiTest, FiltersAreTypedAndBound) {
  Start();
  json page = GetJson("/api/v1/tables/demo/t?grp=3&id__lt=100&_columns=id,grp&_size=1000", 200);
  ASSERT_TRUE(page.is_object());
  ASSERT_EQ(page["rows"].size(), 20u);
  for (const auto& row : page["rows"]) {
    EXPECT_EQ(row["grp"], 3);
    EXPECT_LT(row["id"].get<int64_t>(), 100);
  }
  EXPECT_EQ(page["columns"][0]["type"], "BIGINT");
  EXPECT_EQ(page["truncated"], false);
  EXPECT_TRUE(page["next"].is_null());
  EXPECT_EQ(page["stats"]["version"], 0);

  // An injection attempt is a value, not SQL.
  json injected = GetJson("/api/v1/tables/demo/t?name=x%27%20OR%20%271%27=%271", 200);
  EXPECT_EQ(injected["rows"].size(), 0u);
  EXPECT_EQ(GetJson("/api/v1/tables/demo/t?name__isnull=1&_size=1000", 200)["rows"].size(), 143u);
  EXPECT_EQ(GetJson("/api/v1/tables/demo/t?id__in=1,2,3,999999", 200)["rows"].size(), 3u);
  EXPECT_EQ(GetJson("/api/v1/tables/demo/t?name__startswith=name-99&_size=1000", 200)["rows"].size(),
            10u);  // 99, 990..999 without 994 (a multiple of 7: NULL)
  EXPECT_EQ(GetJson("/api/v1/tables/demo/t?day=2026-01-05&_size=1000", 200)["rows"].size(), 34u);  // i % 30 == 4
  EXPECT_EQ(GetJson("/api/v1/tables/demo/t?amount__gte=998.5", 200)["rows"].size(), 1u);
  // tags = [i % 3, i % 4]: includes_all 2,3 needs i%3==2 and i%4==3 (or the reverse): i%12 == 11.
  EXPECT_EQ(GetJson("/api/v1/tables/demo/t?tags__includes_all=2,3&_size=1000", 200)["rows"].size(),
            1000u / 12 + 0u);
  json sorted = GetJson("/api/v1/tables/demo/t?_sort=-score&_size=3&_shape=arrays&_columns=id", 200);
  EXPECT_EQ(sorted["rows"][0][0], 999);
  EXPECT_EQ(sorted["rows"][2][0], 997);
}

TEST_F(ApiTest, BadInputIsAClearFourHundred) {
  Start();
  EXPECT_EQ(GetJson("/api/v1/tables/demo/t?id=abc", 422)["error"]["code"], "InvalidValue");
  EXPECT_EQ(GetJson("/api/v1/tables/demo/t?day=2026-13-01", 422)["error"]["code"], "InvalidValue");
  EXPECT_EQ(GetJson("/api/v1/tables/demo/t?nope=1", 400)["error"]["code"], "UnknownColumn");
  EXPECT_EQ(GetJson("/api/v1/tables/demo/t?id__near=1", 400)["error"]["code"], "UnknownOperator");
  EXPECT_EQ(GetJson("/api/v1/tables/demo/t?grp__includes=1", 400)["error"]["code"], "BadRequest");
  EXPECT_EQ(GetJson("/api/v1/tables/demo/t?_size=0", 400)["error"]["code"], "BadRequest");
  EXPECT_EQ(GetJson("/api/v1/tables/demo/t?_next=garbage", 400)["error"]["code"], "BadRequest");
  EXPECT_EQ(GetJson("/api/v1/tables/demo/t?_version=7", 404)["error"]["code"], "NotFound");
  EXPECT_EQ(GetJson("/api/v1/tables/demo/nope", 404)["error"]["code"], "NotFound");
  EXPECT_EQ(GetJson("/api/v1/nowhere", 404)["error"]["code"], "NotFound");
  EXPECT_EQ(GetJson("/api/v1/tables/demo/t?%zz=1", 400)["error"]["code"], "BadRequest");
  std::string refused = Exchange(server_->port(),
                                 "POST /api/v1/sql HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                 "Content-Length: 33\r\n\r\n{\"sql\": \"COPY x TO '/tmp/x.csv'\"}");
  EXPECT_EQ(StatusOf(refused), 400) << refused;
  EXPECT_NE(BodyOf(refused).find("Refused"), std::string::npos);
  std::string not_json = Exchange(server_->port(),
                                  "POST /api/v1/sql HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                  "Content-Length: 5\r\n\r\n{sql:");
  EXPECT_EQ(StatusOf(not_json), 400);
}

TEST_F(ApiTest, PagingReturnsEveryRowOnceWhileCommitsLand) {
  Start();
  std::set<int64_t> seen;
  std::string target = "/api/v1/tables/demo/t?_columns=id&_size=128&_sort=id";
  int pages = 0;
  while (true) {
    json page = GetJson(target, 200);
    ASSERT_TRUE(page.is_object());
    for (const auto& row : page["rows"]) EXPECT_TRUE(seen.insert(row["id"].get<int64_t>()).second);
    if (++pages == 2) {
      // A commit between pages: the token pins version 0.
      auto table = delta::DeltaTable::Open((root_ / "t").string());
      ASSERT_TRUE(table.ok());
      auto appended = delta::Append(**table, delta::DataSource::FromQuery(
          "SELECT -1::BIGINT AS id, 'new' AS name, 0 AS grp, 0.0 AS score, DATE '2026-01-01' AS day,"
          " [0, 0] AS tags, CAST(0 AS DECIMAL(12,2)) AS amount"));
      ASSERT_TRUE(appended.ok()) << appended.status().ToString();
    }
    if (page["next"].is_null()) break;
    target = "/api/v1/tables/demo/t?_columns=id&_size=128&_sort=id&_next=" + page["next"].get<std::string>();
  }
  EXPECT_EQ(pages, 8);
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_EQ(seen.count(-1), 0u);
  // The next request without a token sees the new commit.
  EXPECT_EQ(GetJson("/api/v1/tables/demo/t?id=-1", 200)["stats"]["version"], 1);
  // Time travel.
  EXPECT_EQ(GetJson("/api/v1/tables/demo/t?id=-1&_version=0", 200)["rows"].size(), 0u);
}

TEST_F(ApiTest, StreamedFormatsCarryEveryRow) {
  Start();
  std::string ndjson = BodyOf(Exchange(server_->port(), Get("/api/v1/tables/demo/t?_format=ndjson")));
  // Chunked: count the JSON lines in the de-chunked text loosely by their "id" keys.
  size_t lines = 0;
  for (size_t at = ndjson.find("{\"id\":"); at != std::string::npos;
       at = ndjson.find("{\"id\":", at + 1)) {
    ++lines;
  }
  EXPECT_EQ(lines, 1000u);
  std::string csv = Exchange(server_->port(), Get("/api/v1/tables/demo/t?_columns=id,name", "Accept: text/csv\r\n"));
  EXPECT_EQ(StatusOf(csv), 200);
  EXPECT_NE(csv.find("text/csv"), std::string::npos);
  EXPECT_NE(csv.find("id,name"), std::string::npos);
}

TEST_F(ApiTest, KeysGateDatabases) {
  std::string file = (root_ / "keys.yaml").string();
  std::filesystem::create_directories(root_);
  {
    std::ofstream out(file);
    out << "keys:\n  - {name: analyst, sha256: " << storage::sigv4::Sha256Hex("k-demo")
        << ", databases: [demo]}\n  - {name: admin, sha256: " << storage::sigv4::Sha256Hex("k-all")
        << ", databases: ['*']}\n";
  }
  auto keys = LoadApiKeys(file);
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  ApiOptions options;
  options.keys = *keys;
  Start(options);
  EXPECT_EQ(GetJson("/api/v1/tables/demo/t?id=1", 401)["error"]["code"], "Unauthorized");
  EXPECT_EQ(GetJson("/api/v1/tables/demo/t?id=1", 401, "Authorization: Bearer wrong\r\n")["error"]["code"],
            "Unauthorized");
  EXPECT_EQ(GetJson("/api/v1/tables/demo/t?id=1", 200, "Authorization: Bearer k-demo\r\n")["rows"].size(), 1u);
  EXPECT_EQ(GetJson("/api/v1/tables/vault/secret", 403, "Authorization: Bearer k-demo\r\n")["error"]["code"],
            "Forbidden");
  EXPECT_EQ(GetJson("/api/v1/tables/vault/secret", 200, "Authorization: Bearer k-all\r\n")["rows"][0]["answer"], 42);
  json catalog = GetJson("/api/v1/catalog", 200, "Authorization: Bearer k-demo\r\n");
  ASSERT_EQ(catalog["databases"].size(), 1u);
  EXPECT_EQ(catalog["databases"][0]["name"], "demo");
  // SQL through the analyst's key cannot name the other database's tables.
  std::string body = "{\"sql\": \"SELECT * FROM vault.secret\"}";
  std::string sql = Exchange(server_->port(),
                             "POST /api/v1/sql HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                             "Authorization: Bearer k-demo\r\nContent-Length: " +
                                 std::to_string(body.size()) + "\r\n\r\n" + body);
  EXPECT_GE(StatusOf(sql), 400) << sql;
  EXPECT_EQ(BodyOf(sql).find("42"), std::string::npos);
  // Health needs no key.
  EXPECT_EQ(GetJson("/api/v1/health", 200)["status"], "ok");
  // A bad key file is refused with its name.
  std::ofstream(file) << "keys:\n  - {name: x, sha256: abc, databases: [demo]}\n";
  auto bad = LoadApiKeys(file);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("64 hex"), std::string::npos);
}

TEST_F(ApiTest, MalformedAndRandomRequestsNeverStopTheServer) {
  Start();
  int port = server_->port();
  EXPECT_EQ(StatusOf(Exchange(port, "GARBAGE\r\n\r\n")), 400);
  EXPECT_EQ(StatusOf(Exchange(port, "GET / HTTP/1.1\r\nHost: x\r\nX: " + std::string(20000, 'a') +
                                        "\r\n\r\n")),
            431);
  std::string big = "POST /api/v1/sql HTTP/1.1\r\nHost: x\r\nContent-Length: 10485760\r\n\r\n" +
                    std::string(10 << 20, 'x');
  EXPECT_EQ(StatusOf(Exchange(port, big)), 413);
  std::mt19937 random(7);
  const std::string alphabet = "GETPOST /api/v1/tables/demo/t?_=&%\r\n:HTTP/1.1{}\"\\\x00\xff";
  int answered = 0;
  for (int i = 0; i < 10000; ++i) {
    std::string request;
    if (i % 3 == 0) {
      request = Get("/api/v1/tables/demo/t?id=" + std::to_string(random() % 50));
      // Flip a few bytes.
      for (int flips = 0; flips < 3; ++flips) {
        request[random() % request.size()] = alphabet[random() % alphabet.size()];
      }
    } else {
      size_t length = random() % 300;
      for (size_t j = 0; j < length; ++j) request += alphabet[random() % alphabet.size()];
      request += "\r\n\r\n";
    }
    std::string response = Exchange(port, request);
    if (StatusOf(response) > 0) ++answered;
  }
  EXPECT_GT(answered, 2500);
  // Still serving.
  EXPECT_EQ(GetJson("/api/v1/tables/demo/t?id=5", 200)["rows"].size(), 1u);
}

TEST_F(ApiTest, SlowClientsAreDroppedAndOthersServed) {
  HttpServerOptions http;
  http.read_timeout_ms = 500;
  Start({}, http);
  // Ten connections that send half a request head and then nothing.
  std::vector<int> idle;
  for (int i = 0; i < 10; ++i) {
    int fd = Connect(server_->port());
    ASSERT_GE(fd, 0);
    std::string partial = "GET /api/v1/health HTTP/1.1\r\nHost: x\r\n";
    ::send(fd, partial.data(), partial.size(), MSG_NOSIGNAL);
    idle.push_back(fd);
  }
  EXPECT_EQ(GetJson("/api/v1/tables/demo/t?id=3", 200)["rows"].size(), 1u);
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  for (int fd : idle) {
    char byte;
    // The server closed them: recv returns 0 (EOF).
    EXPECT_EQ(::recv(fd, &byte, 1, 0), 0);
    ::close(fd);
  }
  EXPECT_EQ(server_->open_connections(), 0);
}

TEST_F(ApiTest, SaturationIsA503WithRetryAfter) {
  HttpServerOptions http;
  http.workers = 1;
  http.max_queued = 0;
  ApiOptions options;
  options.query.timeout_ms = 1500;  // the slow query below is cancelled after this
  Start(options, http);
  // Keep the only worker busy with a slow query.
  std::string slow_body =
      "{\"sql\": \"SELECT count(*) FROM range(3000000000) a\"}";
  std::thread slow([&] {
    Exchange(server_->port(), "POST /api/v1/sql HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                              "Content-Length: " + std::to_string(slow_body.size()) + "\r\n\r\n" + slow_body);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::string response = Exchange(server_->port(), Get("/api/v1/tables/demo/t?id=1"));
  EXPECT_EQ(StatusOf(response), 503) << response;
  EXPECT_NE(response.find("Retry-After: 1"), std::string::npos);
  // Inline routes are still answered.
  EXPECT_EQ(StatusOf(Exchange(server_->port(), Get("/api/v1/health"))), 200);
  server_->Stop(100);
  slow.join();
}

TEST_F(ApiTest, AStreamCutByTheTimeoutNeverLooksComplete) {
  ApiOptions options;
  options.query.timeout_ms = 700;
  Start(options);
  std::string body = "{\"sql\": \"SELECT range AS i, md5(range::VARCHAR) AS h FROM range(2000000000)\", "
                     "\"format\": \"ndjson\"}";
  std::string response = Exchange(server_->port(),
                                  "POST /api/v1/sql HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                  "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  EXPECT_EQ(StatusOf(response), 200);
  EXPECT_NE(response.find("Transfer-Encoding: chunked"), std::string::npos);
  EXPECT_GT(response.size(), 100'000u);  // rows were streamed before the timeout
  // No terminating chunk: a client sees an incomplete body.
  EXPECT_NE(response.substr(response.size() - 5), "0\r\n\r\n");
  // A stream that finishes within the timeout (about 1 MB, more than one chunk) ends properly.
  body = "{\"sql\": \"SELECT range AS i, md5(range::VARCHAR) AS h FROM range(20000)\", "
         "\"format\": \"ndjson\"}";
  std::string complete = Exchange(server_->port(),
                                  "POST /api/v1/sql HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                  "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  EXPECT_EQ(StatusOf(complete), 200);
  EXPECT_EQ(complete.substr(complete.size() - 5), "0\r\n\r\n");
}

TEST(TableQueryTest, SqlHasNoRequestText) {
  std::vector<engine::ColumnInfo> columns = {{"id", "BIGINT"}, {"name", "VARCHAR"}, {"tags", "INTEGER[]"}};
  RequestError error;
  auto query = ParseTableQuery({{"name", "'; DROP TABLE x; --"}, {"tags__includes_any", "1,2"}, {"_sort", "-id"}},
                               columns, 100, &error);
  ASSERT_TRUE(query.ok()) << query.status().ToString();
  BuiltQuery built = BuildTableSql("demo.t", 3, *query, columns, 11);
  EXPECT_EQ(built.sql.find("DROP"), std::string::npos);
  EXPECT_EQ(built.params.size(), 3u);
  EXPECT_NE(built.sql.find("version => 3"), std::string::npos);
  EXPECT_NE(built.sql.find("ORDER BY \"id\" DESC"), std::string::npos);
  EXPECT_NE(built.sql.find("LIMIT 11 OFFSET 0"), std::string::npos);
  auto token = ParseNextToken(NextToken(12, 300));
  ASSERT_TRUE(token.has_value());
  EXPECT_EQ(token->first, 12);
  EXPECT_EQ(token->second, 300);
  EXPECT_FALSE(ParseNextToken("12.").has_value());
  EXPECT_FALSE(ParseNextToken("-1.2").has_value());
}

TEST(HttpTest, PercentDecoding) {
  EXPECT_EQ(PercentDecode("a%20b+c", true), "a b c");
  EXPECT_EQ(PercentDecode("a+b", false), "a+b");
  EXPECT_FALSE(PercentDecode("%2", true).has_value());
  EXPECT_FALSE(PercentDecode("%zz", true).has_value());
  auto query = ParseQueryString("a=1&&b=x%26y&c");
  ASSERT_TRUE(query.has_value());
  ASSERT_EQ(query->size(), 3u);
  EXPECT_EQ((*query)[1].second, "x&y");
  EXPECT_EQ((*query)[2].first, "c");
}

}  // namespace
}  // namespace neuralake::server
