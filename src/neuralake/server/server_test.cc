// The query API in-process over a local Delta table (and a Parquet copy, views, a function table
// and a deprecated table: every kind through the same filters): typed filters, paging, errors, keys,
// deprecation warnings, and
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
#include <map>
#include <set>
#include <random>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "neuralake/catalog/catalog.h"
#include "neuralake/delta/table.h"
#include "neuralake/delta/writer.h"
#include "neuralake/server/api.h"
#include "neuralake/server/http.h"
#include "neuralake/server/table_query.h"
#include "neuralake/engine/engine.h"
#include "neuralake/engine/scan.h"
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
    // The same 1,000 rows as plain Parquet (two files) for the parquet table.
    std::filesystem::create_directories(root_ / "pq");
    auto engine = engine::Engine::Make({});
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    for (int part = 0; part < 2; ++part) {
      std::string file = (root_ / "pq" / ("part-" + std::to_string(part) + ".parquet")).string();
      auto written = (*engine)->Query(
          "COPY (SELECT i::BIGINT AS id, CASE WHEN i % 7 = 0 THEN NULL ELSE 'name-' || i END AS "
          "name, (i % 5)::INTEGER AS grp, i * 0.5 AS score, DATE '2026-01-01' + (i % 30)::INTEGER "
          "AS day, [i % 3, i % 4] AS tags, CAST(i AS DECIMAL(12,2)) AS amount FROM range(" +
          std::to_string(part * 500) + ", " + std::to_string(part * 500 + 500) + ") t(i)) TO '" +
          file + "' (FORMAT parquet)");
      ASSERT_TRUE(written.ok()) << written.status().ToString();
    }
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
    // Every other kind (postgres aside): parquet, a view, a function table; and a deprecated
    // table with a view over it.
    catalog.Database("demo")
        .AddParquetTable("pq", (root_ / "pq").string() + "/")
        .AddView("v", "SELECT * FROM demo.t WHERE id < 500")
        .AddView("v_old", "SELECT id, grp FROM demo.old");
    catalog::TableDefinition generated;
    generated.name = "gen";
    generated.kind = catalog::TableKind::kFunction;
    generated.options["function"] = "generate";
    generated.args = {{"schema", "events"}, {"rows", "1000"}};
    generated.metadata.owner = "data-eng";
    generated.metadata.tags = {"synthetic", "bronze"};
    catalog.Database("demo").AddTable(generated);
    catalog::TableDefinition old;
    old.name = "old";
    old.kind = catalog::TableKind::kDelta;
    old.uri = (root_ / "t").string();
    old.metadata.deprecated = catalog::Deprecation{"moved", "demo.t"};
    catalog.Database("demo").AddTable(old);
    auto api = Api::Make(std::move(catalog), options);
    ASSERT_TRUE(api.ok()) << api.status().ToString();
    api_ = std::move(*api);
    http.port = 0;
    http.is_inline = &Api::IsInline;
    server_ = std::make_unique<HttpServer>(
        http, [this](const HttpRequest& request, ResponseWriter& writer) { api_->Handle(request, writer); });
    ASSERT_TRUE(server_->Start().ok());
  }

  // The `id` column of every row the JSON route returns for `target`, in the order returned.
  std::vector<int64_t> Ids(const std::string& target, const std::string& column = "id") {
    json page = GetJson(target, 200);
    std::vector<int64_t> ids;
    if (!page.is_object()) return ids;
    for (const auto& row : page["rows"]) ids.push_back(row[column].get<int64_t>());
    return ids;
  }

  std::string Post(const std::string& body) {
    return Exchange(server_->port(), "POST /api/v1/sql HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                     "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
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
  // The timeout leaves the small stream below ample time even under ASan on a loaded machine.
  ApiOptions options;
  options.query.timeout_ms = 2500;
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

// The rows route over every kind through one Filter API: the parquet copy and a view over the
// Delta table answer exactly what the Delta table answers with the same filters (and the view's
// own condition); the function table answers what SQL over it answers.
TEST_F(ApiTest, EveryKindServesRowsThroughTheFilterApi) {
  Start();
  const std::vector<std::string> filters = {
      "grp=3&id__lt=100", "name__isnull=1", "name__startswith=name-99", "name__contains=-5",
      "name__endswith=7", "tags__includes_all=2,3", "tags__includes=1", "day__gte=2026-01-25",
      "amount__gte=998.5", "id__in=1,2,3,999999", "grp__notin=0,1", "score__lte=10",
      "grp__ne=2&score__gt=200", "name__notnull=1&id__lte=20"};
  for (const auto& filter : filters) {
    std::string tail = "&_columns=id&_size=1000&_sort=id";
    std::vector<int64_t> delta = Ids("/api/v1/tables/demo/t?" + filter + tail);
    EXPECT_FALSE(delta.empty()) << filter;
    EXPECT_EQ(Ids("/api/v1/tables/demo/pq?" + filter + tail), delta) << filter;
    EXPECT_EQ(Ids("/api/v1/tables/demo/v?" + filter + tail),
              Ids("/api/v1/tables/demo/t?" + filter + "&id__lt=500" + tail))
        << filter;
  }
  const std::vector<std::pair<std::string, std::string>> generated = {
      {"event_type=click", "event_type = 'click'"},
      {"device__in=tablet,desktop&event_id__lt=300", "device IN ('tablet', 'desktop') AND event_id < 300"},
      {"revenue__notnull=1", "revenue IS NOT NULL"},
      {"revenue__gt=20", "revenue > 20"},
      {"country__startswith=D&event_type__ne=page_view", "starts_with(country, 'D') AND event_type <> 'page_view'"}};
  for (const auto& [filter, where] : generated) {
    std::vector<int64_t> got =
        Ids("/api/v1/tables/demo/gen?" + filter + "&_columns=event_id&_size=1000&_sort=event_id", "event_id");
    std::string response = Post("{\"sql\": \"SELECT event_id FROM demo.gen WHERE " + where +
                                " ORDER BY event_id\"}");
    json want = json::parse(BodyOf(response), nullptr, false);
    ASSERT_TRUE(want.is_object()) << response;
    std::vector<int64_t> expected;
    for (const auto& row : want["rows"]) expected.push_back(row["event_id"].get<int64_t>());
    EXPECT_FALSE(expected.empty()) << filter;
    EXPECT_EQ(got, expected) << filter;
  }
  // A type error names the column on every kind.
  json bad = GetJson("/api/v1/tables/demo/gen?event_id=seven", 422);
  EXPECT_NE(bad["error"]["message"].get<std::string>().find("event_id"), std::string::npos);
  EXPECT_EQ(GetJson("/api/v1/tables/demo/pq?day=2026-13-01", 422)["error"]["code"], "InvalidValue");
}

// Kinds without versions: no pinning (offset-only tokens), time travel is a 400 naming the table,
// no history; the schema route says what kind a table is.
TEST_F(ApiTest, UnversionedKindsPageWithoutPinsAndRefuseTimeTravel) {
  Start();
  for (const std::string table : {"v", "pq", "gen"}) {
    for (const std::string at : {"_version=0", "_timestamp=2026-01-01T00:00:00Z", "_next=0.100"}) {
      json refused = GetJson("/api/v1/tables/demo/" + table + "?" + at, 400);
      EXPECT_NE(refused["error"]["message"].get<std::string>().find("has no versions"), std::string::npos)
          << table << " " << refused.dump();
      EXPECT_NE(refused["error"]["message"].get<std::string>().find("demo." + table), std::string::npos);
    }
    json history = GetJson("/api/v1/tables/demo/" + table + "/history", 400);
    EXPECT_NE(history["error"]["message"].get<std::string>().find("only Delta tables"), std::string::npos);
    json schema = GetJson("/api/v1/tables/demo/" + table + "/schema", 200);
    EXPECT_TRUE(schema["version"].is_null());
    EXPECT_EQ(schema["kind"], table == "v" ? "view" : table == "pq" ? "parquet" : "function");
  }
  EXPECT_EQ(GetJson("/api/v1/tables/demo/t/schema", 200)["kind"], "delta");
  std::set<int64_t> seen;
  std::string target = "/api/v1/tables/demo/v?_columns=id&_size=128";
  int pages = 0;
  while (true) {
    json page = GetJson(target, 200);
    ASSERT_TRUE(page.is_object());
    for (const auto& row : page["rows"]) EXPECT_TRUE(seen.insert(row["id"].get<int64_t>()).second);
    ++pages;
    if (page["next"].is_null()) break;
    std::string next = page["next"].get<std::string>();
    EXPECT_EQ(next, std::to_string(128 * pages));  // an offset, no version
    target = "/api/v1/tables/demo/v?_columns=id&_size=128&_next=" + next;
  }
  EXPECT_EQ(pages, 4);
  EXPECT_EQ(seen.size(), 500u);
  // Delta pages still pin "<version>.<offset>".
  EXPECT_EQ(GetJson("/api/v1/tables/demo/t?_columns=id&_size=10", 200)["next"], "0.10");
}

// A deprecated table's answers carry a Warning header (and "warnings" in JSON envelopes), also
// when read through a view or SQL; the catalog lists kinds and metadata.
TEST_F(ApiTest, DeprecatedTablesWarnAndTheCatalogListsMetadata) {
  Start();
  const std::string warning = "table demo.old is deprecated: moved; use demo.t";
  std::string rows = Exchange(server_->port(), Get("/api/v1/tables/demo/old?id=1"));
  EXPECT_EQ(StatusOf(rows), 200) << rows;
  EXPECT_NE(rows.find("Warning: 299 - \"" + warning + "\"\r\n"), std::string::npos) << rows;
  json page = json::parse(BodyOf(rows), nullptr, false);
  ASSERT_TRUE(page.is_object());
  EXPECT_EQ(page["rows"].size(), 1u);
  EXPECT_EQ(page["warnings"], json::array({warning}));
  std::string csv = Exchange(server_->port(), Get("/api/v1/tables/demo/old?_format=csv&id__lt=3"));
  EXPECT_NE(csv.find("Warning: 299"), std::string::npos) << csv;
  std::string through_view = Exchange(server_->port(), Get("/api/v1/tables/demo/v_old?id=1"));
  EXPECT_NE(through_view.find(warning), std::string::npos) << through_view;
  EXPECT_NE(Exchange(server_->port(), Get("/api/v1/tables/demo/old/schema")).find("Warning: 299"),
            std::string::npos);
  std::string sql = Post("{\"sql\": \"SELECT count(*) AS n FROM demo.old\"}");
  EXPECT_EQ(StatusOf(sql), 200) << sql;
  EXPECT_NE(sql.find("Warning: 299 - \"" + warning + "\""), std::string::npos) << sql;
  EXPECT_EQ(json::parse(BodyOf(sql))["warnings"], json::array({warning}));
  std::string streamed = Post("{\"sql\": \"SELECT id FROM demo.old\", \"format\": \"ndjson\"}");
  EXPECT_NE(streamed.find("Warning: 299"), std::string::npos);
  // Tables in good standing: no header, no "warnings".
  std::string fine = Exchange(server_->port(), Get("/api/v1/tables/demo/t?id=1"));
  EXPECT_EQ(fine.find("Warning:"), std::string::npos);
  EXPECT_FALSE(json::parse(BodyOf(fine)).contains("warnings"));
  std::string fine_sql = Post("{\"sql\": \"SELECT count(*) AS n FROM demo.t\"}");
  EXPECT_EQ(fine_sql.find("Warning:"), std::string::npos);
  EXPECT_FALSE(json::parse(BodyOf(fine_sql)).contains("warnings"));

  json catalog = GetJson("/api/v1/catalog", 200);
  std::map<std::string, json> tables;
  for (const auto& table : catalog["databases"][0]["tables"]) tables[table["name"]] = table;
  EXPECT_EQ(tables["pq"]["kind"], "parquet");
  EXPECT_EQ(tables["v"]["kind"], "view");
  EXPECT_EQ(tables["gen"]["kind"], "function");
  EXPECT_EQ(tables["t"]["kind"], "delta");
  EXPECT_EQ(tables["gen"]["owner"], "data-eng");
  EXPECT_EQ(tables["gen"]["tags"], json::array({"synthetic", "bronze"}));
  EXPECT_TRUE(tables["t"]["deprecated"].is_null());
  EXPECT_EQ(tables["old"]["deprecated"]["message"], "moved");
  EXPECT_EQ(tables["old"]["deprecated"]["use"], "demo.t");
  EXPECT_FALSE(tables["v"].contains("error")) << tables["v"].dump();
  EXPECT_EQ(tables["pq"]["schema"].size(), 7u);
}

// The OpenAPI document lists the engine's operator spellings and the warnings members.
TEST_F(ApiTest, OpenApiDescribesFiltersKindsAndWarnings) {
  Start();
  json doc = GetJson("/openapi.json", 200);
  ASSERT_TRUE(doc.is_object());
  const json& rows = doc["paths"]["/api/v1/tables/{db}/{table}"]["get"];
  std::string filters;
  for (const auto& param : rows["parameters"]) {
    if (param["name"] == "filters") filters = param["description"];
  }
  for (const auto& op : FilterOperators()) EXPECT_NE(filters.find(" " + op), std::string::npos) << op;
  EXPECT_TRUE(doc["components"]["schemas"]["Result"]["properties"].contains("warnings"));
  EXPECT_TRUE(rows["responses"]["200"]["headers"].contains("Warning"));
}

TEST(TableQueryTest, SqlHasNoRequestText) {
  using engine::ColumnType;
  engine::TypedColumns columns = {{"id", ColumnType::Of(ColumnType::Id::kInt64)},
                                  {"name", ColumnType::Of(ColumnType::Id::kString)},
                                  {"tags", ColumnType::List(ColumnType::Of(ColumnType::Id::kInt32))}};
  RequestError error;
  auto query = ParseTableQuery({{"name", "'; DROP TABLE x; --"}, {"tags__includes_any", "1,2"}, {"_sort", "-id"}},
                               columns, 100, &error);
  ASSERT_TRUE(query.ok()) << query.status().ToString();
  // The filters are the Filter API's, typed by their columns.
  ASSERT_EQ(query->filters.size(), 2u);
  EXPECT_EQ(query->filters[0].op, engine::ScanFilter::Op::kEqual);
  EXPECT_EQ(std::get<std::string>(query->filters[0].value), "'; DROP TABLE x; --");
  EXPECT_EQ(query->filters[1].op, engine::ScanFilter::Op::kIncludesAny);
  ASSERT_EQ(query->filters[1].values.size(), 2u);
  EXPECT_EQ(std::get<int64_t>(query->filters[1].values[1]), 2);
  auto built = BuildTableSql("lake_scan('demo.t', version => 3)", *query, columns, 11);
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  EXPECT_EQ(built->sql.find("DROP"), std::string::npos);
  EXPECT_EQ(built->params.size(), 3u);
  EXPECT_NE(built->sql.find("FROM lake_scan('demo.t', version => 3) WHERE"), std::string::npos);
  // Compiled by the engine's one filter compiler: the same text engine::FiltersSql makes.
  std::vector<engine::QueryParam> params;
  auto where = engine::FiltersSql(query->filters, {}, columns, params);
  ASSERT_TRUE(where.ok());
  EXPECT_NE(built->sql.find(" WHERE " + *where + " ORDER BY"), std::string::npos) << built->sql;
  EXPECT_NE(built->sql.find("ORDER BY \"id\" DESC"), std::string::npos);
  EXPECT_NE(built->sql.find("LIMIT 11 OFFSET 0"), std::string::npos);
  auto token = ParseNextToken(NextToken(12, 300));
  ASSERT_TRUE(token.has_value());
  EXPECT_EQ(token->version, 12);
  EXPECT_EQ(token->offset, 300);
  // Unversioned kinds page by offset alone.
  EXPECT_EQ(NextToken(std::nullopt, 300), "300");
  token = ParseNextToken("300");
  ASSERT_TRUE(token.has_value());
  EXPECT_FALSE(token->version.has_value());
  EXPECT_EQ(token->offset, 300);
  EXPECT_FALSE(ParseNextToken("12.").has_value());
  EXPECT_FALSE(ParseNextToken("-1.2").has_value());
  EXPECT_FALSE(ParseNextToken("").has_value());
  EXPECT_FALSE(ParseNextToken("x").has_value());
}

TEST(TableQueryTest, OperatorsAndValuesAreCheckedWithTheirColumns) {
  using engine::ColumnType;
  engine::TypedColumns columns = {{"id", ColumnType::Of(ColumnType::Id::kInt64)},
                                  {"name", ColumnType::Of(ColumnType::Id::kString)},
                                  {"day", ColumnType::Of(ColumnType::Id::kDate)},
                                  {"tags", ColumnType::List(ColumnType::Of(ColumnType::Id::kInt32))}};
  // Every HTTP spelling is the engine's (FilterOpApiName), and only those are accepted.
  EXPECT_EQ(FilterOperators().size(), 16u);
  for (const auto& op : FilterOperators()) {
    auto parsed = engine::ParseFilterOp(op);
    ASSERT_TRUE(parsed.ok()) << op;
    EXPECT_EQ(engine::FilterOpApiName(*parsed), op);
  }
  struct Case {
    std::string name, value;
    int status;
    std::string code, named;
  };
  for (const Case& bad : std::vector<Case>{
           {"id", "seven", 422, "InvalidValue", "BIGINT"},
           {"day__gt", "2026-13-01", 422, "InvalidValue", "DATE"},
           {"tags__includes", "x", 422, "InvalidValue", "INTEGER[]"},
           {"id__contains", "1", 400, "BadRequest", "text columns"},
           {"name__includes", "a", 400, "BadRequest", "lists"},
           {"id__not_in", "1", 400, "UnknownOperator", "not_in"},
           {"id__=", "1", 400, "UnknownOperator", "="},
           {"nope__eq", "1", 400, "UnknownColumn", "nope"},
           {"id__isnull", "x", 400, "BadRequest", "no value"}}) {
    RequestError error;
    auto query = ParseTableQuery({{bad.name, bad.value}}, columns, 100, &error);
    ASSERT_FALSE(query.ok()) << bad.name;
    EXPECT_EQ(error.status, bad.status) << bad.name << ": " << error.message;
    EXPECT_EQ(error.code, bad.code) << bad.name << ": " << error.message;
    EXPECT_NE(error.message.find(bad.named), std::string::npos) << error.message;
  }
  RequestError error;
  auto query = ParseTableQuery({{"day__in", "2026-01-01,2026-02-01"}, {"id__notnull", ""},
                                {"name__endswith", "x"}},
                               columns, 100, &error);
  ASSERT_TRUE(query.ok()) << error.message;
  EXPECT_EQ(query->filters[0].op, engine::ScanFilter::Op::kIn);
  EXPECT_EQ(query->filters[1].op, engine::ScanFilter::Op::kIsNotNull);
  EXPECT_EQ(query->filters[2].op, engine::ScanFilter::Op::kEndsWith);
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
