// bench_worker: the benchmark harness's worker for engine `neuralake`, the in-process QueryService
// (the engine behind `neuralake sql` and `neuralake serve`). It implements the worker protocol of
// bench/harness/PROTOCOL.md:
//
//   bench_worker PLAN.json
//
// reads the plan, builds one QueryService from its catalog (timed as setup_s), runs each query
// once cold and `repeats` times warm (wall time of the Query call, process CPU), writes the cold
// run's answer as JSON, then runs the throughput passes: C client threads sharing the one service
// (every QueryService method may be called from many threads).
//
// bytes_read (cold run) = local file reads (`rchar` of /proc/self/io) + the bytes the engine
// fetched from object stores, counted by a decorator on the engine's store opener: libcurl
// receives with recv(), which `rchar` does not count. Not counted: the Delta log reads of s3://
// tables (the providers open their own stores), a few KB per table.
//
// The result file is rewritten (temp file, then rename) after every query and every throughput
// run, so a crash keeps what was measured before it; its status is "running" until the end.
//
// Exit codes: 0 when the worker finished (query failures are reported per query), 1 when the
// catalog or service could not be set up or the result could not be written (the result says
// why when it could be written), 2 when the plan is unreadable.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "neuralake/catalog/catalog.h"
#include "neuralake/common/json.h"
#include "neuralake/common/result.h"
#include "neuralake/sql/query_service.h"
#include "neuralake/storage/forwarding_object_store.h"
#include "neuralake/storage/object_store.h"
#include "neuralake/storage/object_store_factory.h"
#include "neuralake/storage/storage_options.h"

namespace neuralake::bench {
namespace {

using Json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

struct PlanQuery {
  std::string name;
  std::string sql;
};

struct Plan {
  std::string engine = "neuralake";
  std::string suite;
  std::string result_path;
  std::string answers_dir;
  std::string catalog_path;
  nlohmann::json storage;  // optional overrides of the environment's storage settings
  std::vector<PlanQuery> queries;
  int repeats = 5;
  std::vector<int> concurrency;
  std::vector<std::string> throughput_queries;
  int throughput_rounds = 1;
  double timeout_s = 600;
  int threads = 0;
  std::string neuralake_binary;  // build/bin/neuralake: asked for its version only
};

std::string FirstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

Result<std::string> ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot open " + path.string());
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::IOError("cannot read " + path.string());
  return text.str();
}

// The plan's fields; nlohmann's type errors are caught here and become one Invalid line.
Result<Plan> ParsePlan(const std::string& path) {
  NL_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  NL_ASSIGN_OR_RETURN(nlohmann::json json, ParseJson(text));
  Plan plan;
  try {
    if (!json.is_object()) return Status::Invalid("the plan is not a JSON object");
    plan.engine = json.value("engine", plan.engine);
    plan.suite = json.value("suite", std::string());
    plan.result_path = json.at("result_path").get<std::string>();
    plan.answers_dir = json.at("answers_dir").get<std::string>();
    plan.catalog_path = json.at("catalog_path").get<std::string>();
    if (json.contains("storage") && json["storage"].is_object()) plan.storage = json["storage"];
    for (const auto& query : json.at("queries")) {
      plan.queries.push_back({query.at("name").get<std::string>(),
                              query.at("sql").get<std::string>()});
    }
    plan.repeats = json.value("repeats", plan.repeats);
    plan.concurrency = json.value("concurrency", std::vector<int>{});
    plan.throughput_queries = json.value("throughput_queries", std::vector<std::string>{});
    plan.throughput_rounds = json.value("throughput_rounds", plan.throughput_rounds);
    plan.timeout_s = json.value("timeout_s", plan.timeout_s);
    plan.threads = json.value("threads", plan.threads);
    if (json.contains("neuralake") && json["neuralake"].is_string()) {
      plan.neuralake_binary = json["neuralake"].get<std::string>();
    }
  } catch (const nlohmann::json::exception& error) {
    return Status::Invalid(std::string("bad plan field: ") + error.what());
  }
  if (plan.result_path.empty()) return Status::Invalid("result_path is empty");
  if (plan.repeats < 0) return Status::Invalid("repeats is negative");
  if (plan.throughput_rounds < 0) return Status::Invalid("throughput_rounds is negative");
  for (int clients : plan.concurrency) {
    if (clients <= 0) return Status::Invalid("concurrency holds " + std::to_string(clients));
  }
  for (const auto& name : plan.throughput_queries) {
    bool known = std::any_of(plan.queries.begin(), plan.queries.end(),
                             [&](const PlanQuery& query) { return query.name == name; });
    if (!known) return Status::Invalid("throughput query " + name + " is not among the queries");
  }
  return plan;
}

// Storage from the environment (AWS_* / NEURALAKE_S3_*), overlaid with the plan's own values.
storage::StorageOptions StorageFor(const Plan& plan) {
  auto options = storage::StorageOptions::FromEnvironment();
  auto text = [&](const char* key, std::string& field) {
    auto it = plan.storage.find(key);
    if (it != plan.storage.end() && it->is_string() && !it->get<std::string>().empty()) {
      field = it->get<std::string>();
    }
  };
  if (plan.storage.is_object()) {
    text("endpoint", options.s3.endpoint);
    text("region", options.s3.region);
    text("access_key", options.s3.access_key);
    text("secret_key", options.s3.secret_key);
  }
  return options;
}

// User + system CPU seconds of the whole process (all threads).
double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& time) { return time.tv_sec + time.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// `rchar` of /proc/self/io: bytes the process (all threads) got from read-like system calls
// (read, pread, readv: local files). Nullopt where /proc has no io file.
std::optional<int64_t> ProcessBytesRead() {
  std::ifstream in("/proc/self/io");
  std::string key;
  int64_t value = 0;
  while (in >> key >> value) {
    if (key == "rchar:") return value;
  }
  return std::nullopt;
}

// Bytes the engine fetched from object stores (s3://, memory://) since the process started.
// libcurl receives with recv(), which `rchar` does not count, so bytes_read adds these.
std::atomic<int64_t> object_store_bytes{0};

// An ObjectStore that adds the bytes each Get / GetRange returns to object_store_bytes.
class MeteredObjectStore : public storage::ForwardingObjectStore {
 public:
  explicit MeteredObjectStore(std::shared_ptr<storage::ObjectStore> store)
      : ForwardingObjectStore(std::move(store)) {}

  Result<std::string> Get(std::string_view key) override { return Metered(target().Get(key)); }
  Result<std::string> GetRange(std::string_view key, int64_t offset, int64_t length) override {
    return Metered(target().GetRange(key, offset, length));
  }

 private:
  static Result<std::string> Metered(Result<std::string> bytes) {
    if (bytes.ok()) object_store_bytes.fetch_add(static_cast<int64_t>(bytes->size()));
    return bytes;
  }
};

// What the process read during a run: `rchar` (local files; summed over threads) plus the bytes
// the engine fetched from object stores. Nullopt where /proc has no io file.
std::optional<int64_t> BytesRead() {
  auto rchar = ProcessBytesRead();
  if (!rchar) return std::nullopt;
  return *rchar + object_store_bytes.load();
}

double MillisecondsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// `value` to `digits` decimals, as the double nearest that decimal (so JSON shows it as such).
double Rounded(double value, int digits) {
  double scale = std::pow(10.0, digits);
  return std::round(value * scale) / scale;
}

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t middle = values.size() / 2;
  return values.size() % 2 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

Status WriteFileAtomically(const std::filesystem::path& path, const std::string& text) {
  std::error_code error;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), error);
  if (error) return Status::IOError("cannot create " + path.parent_path().string() + ": " +
                                    error.message());
  std::filesystem::path temp = path;
  temp += ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) return Status::IOError("cannot write " + temp.string());
  }
  std::filesystem::rename(temp, path, error);
  if (error) return Status::IOError("cannot rename " + temp.string() + ": " + error.message());
  return Status::OK();
}

// `text` as a JSON string (invalid UTF-8 replaced, never thrown).
std::string JsonText(const std::string& text) {
  return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The answer file: {"columns": [...], "rows": [[...], ...]}. Cells come from the engine's JSON
// cell encoding and are written as they are (exact decimals, no round trip through a double); a
// cell that is not valid JSON (none should be) is written as a string.
std::string AnswerJson(const engine::Table& table) {
  std::string out = "{\"columns\": [";
  for (size_t i = 0; i < table.columns.size(); ++i) {
    if (i > 0) out += ", ";
    out += JsonText(table.columns[i].name);
  }
  out += "],\n \"rows\": [";
  for (size_t r = 0; r < table.rows.size(); ++r) {
    out += r == 0 ? "\n  [" : ",\n  [";
    const auto& row = table.rows[r];
    for (size_t c = 0; c < row.size(); ++c) {
      if (c > 0) out += ", ";
      if (!row[c]) {
        out += "null";
      } else if (nlohmann::json::accept(*row[c])) {
        out += *row[c];
      } else {
        out += JsonText(*row[c]);
      }
    }
    out += "]";
  }
  out += "]}\n";
  return out;
}

// "ok", "timeout" (Cancelled: the request's timeout interrupted the query) or "error".
std::string StatusName(const Status& status) {
  if (status.ok()) return "ok";
  return status.IsCancelled() ? "timeout" : "error";
}

// "neuralake 0.1.0 (DuckDB v1.4.4)": the CLI's --version (same build) and DuckDB's version().
std::string EngineVersion(const Plan& plan, const sql::QueryService& service) {
  std::string version = "neuralake";
  if (!plan.neuralake_binary.empty() && std::filesystem::exists(plan.neuralake_binary)) {
    std::string command = "'" + plan.neuralake_binary + "' --version 2>/dev/null";
    if (plan.neuralake_binary.find('\'') == std::string::npos) {
      if (FILE* pipe = popen(command.c_str(), "r")) {
        char line[256] = {};
        if (std::fgets(line, sizeof(line), pipe) != nullptr) {
          std::string text = FirstLine(line);
          if (text.rfind("neuralake", 0) == 0) version = text;
        }
        pclose(pipe);
      }
    }
  }
  auto duckdb = service.Query("SELECT version()");
  if (duckdb.ok() && !duckdb->table.rows.empty() && !duckdb->table.rows[0].empty() &&
      duckdb->table.rows[0][0]) {
    version += " (DuckDB " + *duckdb->table.rows[0][0] + ")";
  }
  return version;
}

class Worker {
 public:
  explicit Worker(Plan plan) : plan_(std::move(plan)) {
    result_ = {{"engine", plan_.engine},
               {"suite", plan_.suite},
               {"engine_version", nullptr},
               {"status", "running"},
               {"error", nullptr},
               {"setup_s", nullptr},
               {"queries", Json::array()},
               {"throughput", Json::array()}};
  }

  // 0: finished; 1: setup failed or the result could not be written.
  int Run() {
    Status status = Setup();
    if (!status.ok()) {
      std::cerr << "error: " << FirstLine(status.ToString()) << "\n";
      result_["status"] = "error";
      result_["error"] = FirstLine(status.ToString());
      (void)WriteResult();
      return 1;
    }
    if (!WriteResult().ok()) return 1;
    for (const auto& query : plan_.queries) {
      result_["queries"].push_back(RunQuery(query));
      if (!WriteResult().ok()) return 1;
    }
    for (int clients : plan_.concurrency) {
      if (plan_.throughput_queries.empty() || plan_.throughput_rounds == 0) break;
      result_["throughput"].push_back(RunThroughput(clients));
      if (!WriteResult().ok()) return 1;
    }
    result_["status"] = "ok";
    return WriteResult().ok() ? 0 : 1;
  }

 private:
  Status Setup() {
    auto start = Clock::now();
    NL_ASSIGN_OR_RETURN(auto catalog, catalog::Catalog::FromYamlFile(plan_.catalog_path));
    sql::QueryServiceOptions options;
    options.storage = StorageFor(plan_);
    options.threads = plan_.threads;
    options.timeout_ms = 0;  // per request instead (QueryRequest::timeout_ms)
    storage::StorageOptions storage_options = options.storage;
    options.store_opener = [storage_options](const storage::Location& root)
        -> Result<std::shared_ptr<storage::ObjectStore>> {
      NL_ASSIGN_OR_RETURN(auto store, storage::OpenObjectStore(root, storage_options));
      return std::shared_ptr<storage::ObjectStore>(
          std::make_shared<MeteredObjectStore>(std::move(store)));
    };
    NL_ASSIGN_OR_RETURN(service_, sql::QueryService::Make(std::move(catalog), options));
    result_["setup_s"] = Rounded(MillisecondsSince(start) / 1000, 6);
    result_["engine_version"] = EngineVersion(plan_, *service_);
    return Status::OK();
  }

  sql::QueryRequest Request() const {
    sql::QueryRequest request;
    request.cells = engine::CellEncoding::kJson;
    request.timeout_ms = static_cast<int64_t>(plan_.timeout_s * 1000);
    return request;
  }

  // The cold run: its time, CPU, bytes read and rows into `entry`, its answer to answers_dir.
  Status RunCold(const PlanQuery& query, const sql::QueryRequest& request, Json& entry,
                 double& cpu_s) {
    auto bytes_before = BytesRead();
    double cpu_before = ProcessCpuSeconds();
    auto start = Clock::now();
    auto cold = service_->Query(query.sql, request);
    double cold_ms = MillisecondsSince(start);
    cpu_s += ProcessCpuSeconds() - cpu_before;
    auto bytes_after = BytesRead();
    if (bytes_before && bytes_after) entry["bytes_read"] = *bytes_after - *bytes_before;
    if (!cold.ok()) return cold.status();
    entry["cold_ms"] = Rounded(cold_ms, 3);
    entry["rows"] = cold->row_count;
    auto answer = std::filesystem::path(plan_.answers_dir) / (query.name + ".json");
    Status written = WriteFileAtomically(answer, AnswerJson(cold->table));
    if (written.ok()) {
      entry["answer"] = answer.string();
    } else {
      std::cerr << "warning: " << FirstLine(written.ToString()) << "\n";
    }
    return Status::OK();
  }

  // The warm runs, until the first failure.
  Status RunWarm(const PlanQuery& query, const sql::QueryRequest& request,
                 std::vector<double>& warm_ms, double& cpu_s) {
    double cpu_before = ProcessCpuSeconds();
    Status status;
    for (int run = 0; run < plan_.repeats && status.ok(); ++run) {
      auto start = Clock::now();
      auto warm = service_->Query(query.sql, request);
      double ms = MillisecondsSince(start);
      if (warm.ok()) {
        warm_ms.push_back(ms);
      } else {
        status = warm.status();
      }
    }
    cpu_s += ProcessCpuSeconds() - cpu_before;
    return status;
  }

  Json RunQuery(const PlanQuery& query) {
    Json entry = {{"name", query.name}, {"status", "ok"},          {"error", nullptr},
                  {"cold_ms", nullptr}, {"warm_ms", Json::array()}, {"rows", nullptr},
                  {"cpu_s", nullptr},   {"bytes_read", nullptr},    {"answer", nullptr}};
    const sql::QueryRequest request = Request();
    double cpu_s = 0;
    std::vector<double> warm_ms;
    Status status = RunCold(query, request, entry, cpu_s);
    if (status.ok()) status = RunWarm(query, request, warm_ms, cpu_s);
    for (double ms : warm_ms) entry["warm_ms"].push_back(Rounded(ms, 3));
    entry["cpu_s"] = Rounded(cpu_s, 6);
    if (!status.ok()) {
      entry["status"] = StatusName(status);
      entry["error"] = FirstLine(status.ToString());
    }

    std::ostringstream line;
    line.setf(std::ios::fixed);
    line.precision(1);
    line << plan_.suite << " " << plan_.engine << " " << query.name << " "
         << entry["status"].get<std::string>();
    if (entry["cold_ms"].is_number()) line << " cold " << entry["cold_ms"].get<double>() << " ms";
    if (!warm_ms.empty()) line << " warm p50 " << Median(warm_ms) << " ms";
    if (!status.ok()) line << ": " << FirstLine(status.ToString());
    std::cerr << line.str() << std::endl;
    return entry;
  }

  // C clients on their own threads, all sharing the service; client i runs throughput_rounds
  // passes over throughput_queries starting at query i mod n. `queries` counts every query run,
  // `qps` only those that succeeded.
  Json RunThroughput(int clients) {
    std::vector<const PlanQuery*> cycle;
    for (const auto& name : plan_.throughput_queries) {
      for (const auto& query : plan_.queries) {
        if (query.name == name) cycle.push_back(&query);
      }
    }
    const sql::QueryRequest request = Request();
    const size_t n = cycle.size();
    std::atomic<int64_t> runs{0};
    std::atomic<int64_t> errors{0};
    double cpu_before = ProcessCpuSeconds();
    auto start = Clock::now();
    std::vector<std::thread> threads;
    threads.reserve(clients);
    for (int client = 0; client < clients; ++client) {
      threads.emplace_back([&, client] {
        for (int round = 0; round < plan_.throughput_rounds; ++round) {
          for (size_t k = 0; k < n; ++k) {
            const PlanQuery& query = *cycle[(client + k) % n];
            auto outcome = service_->Query(query.sql, request);
            runs.fetch_add(1);
            if (!outcome.ok()) errors.fetch_add(1);
          }
        }
      });
    }
    for (auto& thread : threads) thread.join();
    double seconds = MillisecondsSince(start) / 1000;
    double cpu_s = ProcessCpuSeconds() - cpu_before;
    int64_t ok_runs = runs.load() - errors.load();
    double qps = seconds > 0 ? ok_runs / seconds : 0;
    Json entry = {{"concurrency", clients},
                  {"queries", runs.load()},
                  {"errors", errors.load()},
                  {"seconds", Rounded(seconds, 6)},
                  {"qps", Rounded(qps, 3)},
                  {"cpu_s", Rounded(cpu_s, 6)}};

    std::ostringstream line;
    line.setf(std::ios::fixed);
    line.precision(2);
    line << plan_.suite << " " << plan_.engine << " throughput c=" << clients << " "
         << runs.load() << " queries " << errors.load() << " errors " << seconds << " s " << qps
         << " qps";
    std::cerr << line.str() << std::endl;
    return entry;
  }

  Status WriteResult() {
    Status status = WriteFileAtomically(
        plan_.result_path, result_.dump(2, ' ', false, Json::error_handler_t::replace) + "\n");
    if (!status.ok()) std::cerr << "error: " << FirstLine(status.ToString()) << "\n";
    return status;
  }

  Plan plan_;
  Json result_;
  std::unique_ptr<sql::QueryService> service_;
};

}  // namespace
}  // namespace neuralake::bench

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "error: usage: bench_worker PLAN.json\n";
    return 2;
  }
  auto plan = neuralake::bench::ParsePlan(argv[1]);
  if (!plan.ok()) {
    std::cerr << "error: " << argv[1] << ": "
              << neuralake::bench::FirstLine(plan.status().ToString()) << "\n";
    return 2;
  }
  try {
    return neuralake::bench::Worker(std::move(plan).value()).Run();
  } catch (const std::exception& error) {
    // nlohmann or the standard library; our own APIs do not throw.
    std::cerr << "error: " << neuralake::bench::FirstLine(error.what()) << "\n";
    return 1;
  }
}
