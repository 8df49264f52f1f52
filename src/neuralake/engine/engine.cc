#include "neuralake/engine/engine.h"

#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>
#include <unistd.h>

#include "duckdb.hpp"
#include "duckdb/common/types/value.hpp"
#include "duckdb/parser/parser.hpp"
#include "duckdb/parser/statement/explain_statement.hpp"
#include "neuralake/engine/engine_impl.h"
#include "neuralake/engine/lake_scan_duckdb.h"
#include "neuralake/engine/source_scan.h"
#include "neuralake/engine/object_store_file_system.h"
#include "neuralake/engine/result_encoding.h"
#include "neuralake/storage/object_store_factory.h"

namespace neuralake::engine {

int Table::ColumnIndex(std::string_view name) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// DuckDB's messages span lines: "Binder Error: ...\nCandidate bindings: ...\n\nLINE 1: SELECT x
// ...\n               ^", or a tab-indented list of candidate functions. Ours are one line: the
// lines joined by spaces (list items by ", "), the query excerpt and caret replaced by
// "(line L, column C)".
std::string OneLineMessage(const std::string& message) {
  std::string out;
  bool in_list = false;
  std::optional<std::string> line_number;
  std::optional<size_t> excerpt_start;  // offset of the excerpt in the LINE n: line
  bool excerpt_cut = false;             // DuckDB cut the front of a long line ("...")
  bool body_done = false;
  std::optional<size_t> column;
  size_t start = 0;
  while (start <= message.size()) {
    size_t end = message.find('\n', start);
    if (end == std::string::npos) end = message.size();
    std::string_view line(message.data() + start, end - start);
    start = end + 1;
    if (line.rfind("LINE ", 0) == 0) {
      size_t colon = line.find(": ");
      if (colon != std::string_view::npos) {
        line_number = std::string(line.substr(5, colon - 5));
        excerpt_start = colon + 2;
        excerpt_cut = line.substr(colon + 2).rfind("...", 0) == 0;
        continue;
      }
    }
    size_t first = 0;
    while (first < line.size() && IsBlank(line[first])) ++first;
    size_t last = line.size();
    while (last > first && IsBlank(line[last - 1])) --last;
    std::string_view text = line.substr(first, last - first);
    if (text.empty()) {
      // What follows a blank line is context and advice (file settings, "Possible fixes"):
      // only the query position is kept from there on.
      body_done = !out.empty();
      continue;
    }
    if (body_done && !(text == "^" && excerpt_start)) continue;
    if (text == "^" && excerpt_start) {
      if (!excerpt_cut && first >= *excerpt_start) column = first - *excerpt_start + 1;
      continue;
    }
    bool item = first > 0 && line[0] == '\t';
    if (out.empty()) {
      out = std::string(text);
    } else {
      out += (item && in_list && out.back() != ':') ? ", " : " ";
      out += text;
    }
    in_list = item;
  }
  if (line_number) {
    out += " (line " + *line_number + (column ? ", column " + std::to_string(*column) : "") + ")";
  }
  return out;
}

}  // namespace

Status FromDuckDBError(const duckdb::ErrorData& error) {
  std::string message = OneLineMessage(error.Message());
  if (error.Type() == duckdb::ExceptionType::INTERRUPT) return Status::Cancelled(message);
  // An object-store failure raised through ObjectStoreFileSystem (the store's retries spent:
  // MinIO down, a network error) stays an IOError, so callers retry instead of giving up on a
  // "bad input" (the ingestor treats Invalid as permanent).
  if (error.Type() == duckdb::ExceptionType::IO &&
      message.find(std::string(StatusCodeName(StatusCode::kIOError)) + ": ") != std::string::npos) {
    return Status::IOError(message);
  }
  return Status::Invalid(message);
}

namespace {

// "<system temp>/neuralake-duckdb-<pid>-<n>": DuckDB creates it only when it spills.
std::string PrivateTempDirectory() {
  static std::atomic<int64_t> counter{0};
  std::error_code error;
  std::filesystem::path base = std::filesystem::temp_directory_path(error);
  if (error) base = "/tmp";
  return (base / ("neuralake-duckdb-" + std::to_string(::getpid()) + "-" +
                  std::to_string(counter.fetch_add(1))))
      .string();
}

std::string StripQuotes(std::string name) {
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
    name = name.substr(1, name.size() - 2);
    std::string unescaped;
    for (size_t i = 0; i < name.size(); ++i) {
      unescaped += name[i];
      if (name[i] == '"' && i + 1 < name.size() && name[i + 1] == '"') ++i;
    }
    return unescaped;
  }
  return name;
}

}  // namespace

std::string QuoteInexactJsonNumbers(std::string_view json) {
  std::string out;
  out.reserve(json.size() + 16);
  bool in_string = false;
  for (size_t i = 0; i < json.size();) {
    char c = json[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < json.size()) {
        out += json[i + 1];
        i += 2;
        continue;
      }
      if (c == '"') in_string = false;
      ++i;
      continue;
    }
    if (c == '"') {
      in_string = true;
      out += c;
      ++i;
      continue;
    }
    if (c != '-' && !(c >= '0' && c <= '9')) {
      out += c;
      ++i;
      continue;
    }
    // A number token: -?digits[.digits][(e|E)[+-]digits].
    size_t start = i;
    int significant = 0;
    bool leading = true;
    bool exact_integer = true;
    if (json[i] == '-') ++i;
    auto digits = [&] {
      while (i < json.size() && json[i] >= '0' && json[i] <= '9') {
        if (json[i] != '0') leading = false;
        if (!leading) ++significant;
        ++i;
      }
    };
    digits();
    if (i < json.size() && json[i] == '.') {
      exact_integer = false;
      ++i;
      digits();
    }
    if (i < json.size() && (json[i] == 'e' || json[i] == 'E')) {
      exact_integer = false;
      ++i;
      if (i < json.size() && (json[i] == '+' || json[i] == '-')) ++i;
      while (i < json.size() && json[i] >= '0' && json[i] <= '9') ++i;
    }
    std::string_view token = json.substr(start, i - start);
    if (!exact_integer && significant > 15) {
      out += '"';
      out += token;
      out += '"';
    } else {
      out += token;
    }
  }
  return out;
}

namespace {

// nl_json_exact_numbers(VARCHAR) -> VARCHAR: QuoteInexactJsonNumbers for SQL (the JSON-lines
// reader of delta/writer.cc uses it before DuckDB's JSON functions parse numbers as doubles).
void RegisterJsonFunctions(duckdb::DuckDB& db) {
  duckdb::Connection connection(db);
  connection.CreateVectorizedFunction(
      "nl_json_exact_numbers", {duckdb::LogicalType::VARCHAR}, duckdb::LogicalType::VARCHAR,
      [](duckdb::DataChunk& args, duckdb::ExpressionState&, duckdb::Vector& result) {
        duckdb::UnaryExecutor::Execute<duckdb::string_t, duckdb::string_t>(
            args.data[0], result, args.size(), [&](duckdb::string_t text) {
              std::string quoted =
                  QuoteInexactJsonNumbers(std::string_view(text.GetData(), text.GetSize()));
              return duckdb::StringVector::AddString(result, quoted);
            });
      });
}

}  // namespace

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

Result<std::unique_ptr<Engine>> Engine::Make(const EngineOptions& options) {
  StoreOpener opener = options.store_opener;
  if (!opener) {
    storage::StorageOptions storage_options = options.storage;
    opener = [storage_options](const storage::Location& root)
        -> Result<std::shared_ptr<storage::ObjectStore>> {
      NL_ASSIGN_OR_RETURN(auto store, storage::OpenObjectStore(root, storage_options));
      return std::shared_ptr<storage::ObjectStore>(std::move(store));
    };
  }
  std::unique_ptr<Engine> engine;
  Status status = Guarded([&]() -> Status {
    duckdb::DBConfig config;
    config.SetOptionByName("autoinstall_known_extensions", duckdb::Value::BOOLEAN(false));
    config.SetOptionByName("autoload_known_extensions", duckdb::Value::BOOLEAN(false));
    config.SetOptionByName("enable_external_file_cache",
                           duckdb::Value::BOOLEAN(options.cache_remote_files));
    if (options.threads > 0) {
      config.SetOptionByName("threads", duckdb::Value::BIGINT(options.threads));
    }
    if (!options.memory_limit.empty()) {
      config.SetOptionByName("memory_limit", duckdb::Value(options.memory_limit));
    }
    // DuckDB spills to "./.tmp" by default, relative to the current directory, and a restricted
    // engine lets queries read its temp directory: make it a private absolute one.
    config.SetOptionByName("temp_directory", duckdb::Value(PrivateTempDirectory()));
    auto db = std::make_unique<duckdb::DuckDB>(nullptr, &config);
    db->instance->GetFileSystem().RegisterSubSystem(
        duckdb::make_uniq<ObjectStoreFileSystem>(opener));
    // Always: scan plans run directly (RegisteredScanPlan) need lake_scan without a catalog.
    RegisterLakeScan(*db, options.lake.value_or(LakeScanOptions{}));
    RegisterSourceScan(*db, options.lake ? options.lake->source_resolver : SourceResolver{});
    RegisterJsonFunctions(*db);
    if (options.cache_remote_files) {
      // Parsed Parquet footers are kept too (same reason: lake data files never change in place),
      // so a point lookup does not re-read and re-decode the footer of the file it reads. A
      // Parquet setting, so SET once the database is up (before a restricted engine locks it).
      duckdb::Connection connection(*db);
      auto result = connection.Query("SET parquet_metadata_cache = true");
      if (result->HasError()) return FromDuckDBError(result->GetErrorObject());
    }
    if (options.restricted) {
      // Only the listed directories stay readable once external access is off; then nothing
      // may change the configuration again.
      std::string allowed;
      for (const auto& directory : options.allowed_directories) {
        if (directory.empty()) continue;
        std::string path = directory;
        if (path.find("://") == std::string::npos) {
          path = std::filesystem::absolute(path).lexically_normal().string();
        }
        if (path.back() != '/') path += "/";
        allowed += (allowed.empty() ? "" : ", ") + QuoteLiteral(path);
      }
      duckdb::Connection connection(*db);
      for (const std::string& statement :
           {"SET allowed_directories = [" + allowed + "]",
            std::string("SET enable_external_access = false"),
            std::string("SET lock_configuration = true")}) {
        auto result = connection.Query(statement);
        if (result->HasError()) return FromDuckDBError(result->GetErrorObject());
      }
    }
    engine.reset(new Engine(std::make_unique<Impl>(std::move(db), opener)));
    return Status::OK();
  });
  if (!status.ok()) return status.WithContext("starting the DuckDB engine");
  return engine;
}

Result<Table> Engine::Query(std::string_view sql) {
  Table table;
  Status status = Guarded([&]() -> Status {
    duckdb::Connection connection(*impl_->db);
    auto result = connection.Query(std::string(sql));
    if (result->HasError()) return FromDuckDBError(result->GetErrorObject());
    for (size_t i = 0; i < result->names.size(); ++i) {
      table.columns.push_back({result->names[i], result->types[i].ToString()});
    }
    while (auto chunk = result->Fetch()) {
      if (chunk->size() == 0) break;
      for (duckdb::idx_t row = 0; row < chunk->size(); ++row) {
        std::vector<std::optional<std::string>> cells;
        cells.reserve(chunk->ColumnCount());
        for (duckdb::idx_t column = 0; column < chunk->ColumnCount(); ++column) {
          duckdb::Value value = chunk->GetValue(column, row);
          if (value.IsNull()) {
            cells.emplace_back(std::nullopt);
          } else {
            cells.emplace_back(value.ToString());
          }
        }
        table.rows.push_back(std::move(cells));
      }
    }
    return Status::OK();
  });
  if (!status.ok()) return status;
  return table;
}

Status Engine::Execute(std::string_view sql) {
  return Guarded([&]() -> Status {
    duckdb::Connection connection(*impl_->db);
    auto result = connection.Query(std::string(sql));
    if (result->HasError()) return FromDuckDBError(result->GetErrorObject());
    return Status::OK();
  });
}

Result<std::vector<WrittenFile>> Engine::CopyWithStats(std::string_view copy_sql) {
  std::vector<WrittenFile> files;
  Status status = Guarded([&]() -> Status {
    duckdb::Connection connection(*impl_->db);
    auto result = connection.Query(std::string(copy_sql));
    if (result->HasError()) return FromDuckDBError(result->GetErrorObject());
    auto index_of = [&](const std::string& name) -> int {
      for (size_t i = 0; i < result->names.size(); ++i) {
        if (result->names[i] == name) return static_cast<int>(i);
      }
      return -1;
    };
    int filename = index_of("filename");
    int count = index_of("count");
    int size = index_of("file_size_bytes");
    int stats = index_of("column_statistics");
    int partitions = index_of("partition_keys");
    if (filename < 0 || count < 0 || stats < 0) {
      return Status::Invalid("CopyWithStats needs COPY ... (FORMAT parquet, RETURN_STATS)");
    }
    while (auto chunk = result->Fetch()) {
      if (chunk->size() == 0) break;
      for (duckdb::idx_t row = 0; row < chunk->size(); ++row) {
        WrittenFile file;
        file.uri = chunk->GetValue(filename, row).ToString();
        file.num_rows = chunk->GetValue(count, row).GetValue<int64_t>();
        if (size >= 0) file.size_bytes = chunk->GetValue(size, row).GetValue<int64_t>();
        duckdb::Value column_stats = chunk->GetValue(stats, row);
        if (!column_stats.IsNull()) {
          for (const auto& entry : duckdb::MapValue::GetChildren(column_stats)) {
            const auto& pair = duckdb::StructValue::GetChildren(entry);
            WrittenFile::ColumnStats column;
            column.column = StripQuotes(pair[0].ToString());
            if (!pair[1].IsNull()) {
              for (const auto& stat : duckdb::MapValue::GetChildren(pair[1])) {
                const auto& kv = duckdb::StructValue::GetChildren(stat);
                std::string key = kv[0].ToString();
                if (kv[1].IsNull()) continue;
                std::string value = kv[1].ToString();
                if (key == "min") column.min = value;
                else if (key == "max") column.max = value;
                else if (key == "null_count") column.null_count = std::stoll(value);
              }
            }
            file.columns.push_back(std::move(column));
          }
        }
        if (partitions >= 0) {
          duckdb::Value keys = chunk->GetValue(partitions, row);
          if (!keys.IsNull()) {
            for (const auto& entry : duckdb::MapValue::GetChildren(keys)) {
              const auto& kv = duckdb::StructValue::GetChildren(entry);
              file.partition_values.emplace_back(kv[0].ToString(),
                                                 kv[1].IsNull() ? "" : kv[1].ToString());
            }
          }
        }
        files.push_back(std::move(file));
      }
    }
    return Status::OK();
  });
  if (!status.ok()) return status;
  return files;
}

const char* ColumnKindSqlType(ColumnKind kind) {
  switch (kind) {
    case ColumnKind::kBool: return "BOOLEAN";
    case ColumnKind::kInt32: return "INTEGER";
    case ColumnKind::kInt64: return "BIGINT";
    case ColumnKind::kDouble: return "DOUBLE";
    case ColumnKind::kString: return "VARCHAR";
    case ColumnKind::kTimestampMicros: return "TIMESTAMP WITH TIME ZONE";
    case ColumnKind::kDate: return "DATE";
  }
  return "VARCHAR";
}

namespace {

// Copies rows [offset, offset + count) of `column` into a DuckDB vector.
void FillVector(const ColumnData& column, size_t offset, size_t count, duckdb::Vector& vector) {
  auto& validity = duckdb::FlatVector::Validity(vector);
  for (size_t i = 0; i < count; ++i) {
    if (!column.IsValid(offset + i)) validity.SetInvalid(i);
  }
  switch (column.kind) {
    case ColumnKind::kBool: {
      auto* data = duckdb::FlatVector::GetData<bool>(vector);
      for (size_t i = 0; i < count; ++i) data[i] = column.ints[offset + i] != 0;
      break;
    }
    case ColumnKind::kInt32:
    case ColumnKind::kDate: {
      auto* data = duckdb::FlatVector::GetData<int32_t>(vector);
      for (size_t i = 0; i < count; ++i) data[i] = static_cast<int32_t>(column.ints[offset + i]);
      break;
    }
    case ColumnKind::kInt64:
    case ColumnKind::kTimestampMicros: {
      auto* data = duckdb::FlatVector::GetData<int64_t>(vector);
      for (size_t i = 0; i < count; ++i) data[i] = column.ints[offset + i];
      break;
    }
    case ColumnKind::kDouble: {
      auto* data = duckdb::FlatVector::GetData<double>(vector);
      for (size_t i = 0; i < count; ++i) data[i] = column.doubles[offset + i];
      break;
    }
    case ColumnKind::kString: {
      auto* data = duckdb::FlatVector::GetData<duckdb::string_t>(vector);
      for (size_t i = 0; i < count; ++i) {
        const std::string& text = column.strings[offset + i];
        data[i] = duckdb::StringVector::AddString(vector, text.data(), text.size());
      }
      break;
    }
  }
}

}  // namespace

Status Engine::LoadBatches(const std::string& name,
                           const std::vector<const ColumnBatch*>& batches) {
  if (batches.empty()) return Status::Invalid("LoadBatches needs at least one batch");
  const ColumnBatch& first = *batches.front();
  std::string ddl = "CREATE OR REPLACE TABLE " + QuoteIdentifier(name) + " (";
  for (size_t i = 0; i < first.columns.size(); ++i) {
    if (i > 0) ddl += ", ";
    ddl += QuoteIdentifier(first.columns[i].name) + " " +
           ColumnKindSqlType(first.columns[i].kind);
  }
  ddl += ")";
  return Guarded([&]() -> Status {
    duckdb::Connection connection(*impl_->db);
    auto created = connection.Query(ddl);
    if (created->HasError()) return FromDuckDBError(created->GetErrorObject());
    duckdb::Appender appender(connection, name);
    duckdb::vector<duckdb::LogicalType> types = appender.GetActiveTypes();
    duckdb::DataChunk chunk;
    chunk.Initialize(duckdb::Allocator::DefaultAllocator(), types);
    for (const ColumnBatch* batch : batches) {
      if (batch->columns.size() != types.size()) {
        return Status::Invalid("LoadBatches: batches have different columns");
      }
      for (size_t offset = 0; offset < static_cast<size_t>(batch->num_rows);
           offset += STANDARD_VECTOR_SIZE) {
        size_t count = std::min<size_t>(STANDARD_VECTOR_SIZE, batch->num_rows - offset);
        chunk.Reset();
        for (size_t c = 0; c < batch->columns.size(); ++c) {
          FillVector(batch->columns[c], offset, count, chunk.data[c]);
        }
        chunk.SetCardinality(count);
        appender.AppendDataChunk(chunk);
      }
    }
    appender.Close();
    return Status::OK();
  });
}

Status Engine::DropTable(const std::string& name) {
  return Execute("DROP TABLE IF EXISTS " + QuoteIdentifier(name));
}

Status Engine::RemoveFiles(const std::vector<std::string>& uris) {
  Status first;
  for (const auto& uri : uris) {
    Status status = Guarded([&]() -> Status {
      (void)impl_->db->GetFileSystem().TryRemoveFile(uri);
      return Status::OK();
    });
    if (first.ok() && !status.ok()) first = status;
  }
  return first;
}

std::string Engine::QuoteIdentifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    out += c;
    if (c == '"') out += '"';
  }
  return out + "\"";
}

std::string Engine::QuoteLiteral(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

namespace {

std::string StatementTypeName(duckdb::StatementType type) {
  std::string name = duckdb::StatementTypeToString(type);
  return name;
}

// Interrupts the connection's query when the timeout passes first.
class Watchdog {
 public:
  Watchdog(duckdb::Connection& connection, int64_t timeout_ms) {
    if (timeout_ms <= 0) return;
    thread_ = std::thread([this, &connection, timeout_ms]() {
      std::unique_lock<std::mutex> lock(mutex_);
      if (!cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [this] { return done_; })) {
        fired_ = true;
        connection.Interrupt();
      }
    });
  }
  ~Watchdog() { Stop(); }
  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  bool fired() const { return fired_; }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  bool fired_ = false;
  std::thread thread_;
};

}  // namespace

duckdb::Value ToDuckValue(const QueryParam& param) {
  struct Visitor {
    duckdb::Value operator()(std::monostate) const { return duckdb::Value(); }
    duckdb::Value operator()(bool value) const { return duckdb::Value::BOOLEAN(value); }
    duckdb::Value operator()(int64_t value) const { return duckdb::Value::BIGINT(value); }
    duckdb::Value operator()(double value) const { return duckdb::Value::DOUBLE(value); }
    duckdb::Value operator()(const std::string& value) const { return duckdb::Value(value); }
  };
  return std::visit(Visitor{}, param);
}

namespace {

// Runs `sql` on `connection` under `options`; each fetched chunk goes to `sink` (which returns
// the number of rows it kept). Fills the outcome's columns, truncated flag and scan reports.
Status RunChecked(duckdb::Connection& connection, std::string_view sql, const QueryOptions& options,
                  QueryOutcome& outcome,
                  const std::function<duckdb::idx_t(duckdb::QueryResult&, duckdb::DataChunk&,
                                                    duckdb::idx_t)>& sink) {
  if (options.select_only) {
    // Checked on the parser's statements: ExtractStatements below already expands PRAGMAs
    // (PRAGMA version, show_tables, ...) into SELECTs.
    duckdb::Parser parser;
    parser.ParseQuery(std::string(sql));
    if (parser.statements.empty()) return Status::Invalid("empty query");
    if (parser.statements.size() != 1) {
      return Status::Invalid("only one statement per query is allowed (got " +
                             std::to_string(parser.statements.size()) + ")");
    }
    auto type = parser.statements[0]->type;
    if (type == duckdb::StatementType::EXPLAIN_STATEMENT) {
      type = parser.statements[0]->Cast<duckdb::ExplainStatement>().stmt->type;
    }
    if (type != duckdb::StatementType::SELECT_STATEMENT) {
      return Status::Invalid("only read-only SELECT queries are allowed; this is a " +
                             StatementTypeName(type) + " statement");
    }
  }
  auto statements = connection.ExtractStatements(std::string(sql));
  if (statements.empty()) return Status::Invalid("empty query");
  if (options.select_only && statements.size() != 1) {
    return Status::Invalid("only one statement per query is allowed");
  }
  TakeScanReports(*connection.context);
  Watchdog watchdog(connection, options.timeout_ms);
  auto timed_out = [&](Status status) {
    if (watchdog.fired()) {
      return Status::Cancelled("query cancelled: it ran longer than the timeout of " +
                               std::to_string(options.timeout_ms) + " ms");
    }
    return status;
  };
  for (size_t i = 0; i + 1 < statements.size(); ++i) {
    auto result = connection.Query(std::move(statements[i]));
    if (result->HasError()) return timed_out(FromDuckDBError(result->GetErrorObject()));
  }
  duckdb::vector<duckdb::Value> values;
  for (const auto& param : options.params) values.push_back(ToDuckValue(param));
  auto pending = values.empty() ? connection.PendingQuery(std::move(statements.back()), true)
                                : connection.PendingQuery(std::move(statements.back()), values, true);
  if (pending->HasError()) return timed_out(FromDuckDBError(pending->GetErrorObject()));
  auto result = pending->Execute();
  if (result->HasError()) return timed_out(FromDuckDBError(result->GetErrorObject()));
  for (size_t i = 0; i < result->names.size(); ++i) {
    outcome.table.columns.push_back({result->names[i], result->types[i].ToString()});
  }
  int64_t rows = 0;
  while (true) {
    duckdb::unique_ptr<duckdb::DataChunk> chunk;
    duckdb::ErrorData error;
    if (!result->TryFetch(chunk, error)) return timed_out(FromDuckDBError(error));
    if (!chunk || chunk->size() == 0) break;
    duckdb::idx_t take = chunk->size();
    if (options.max_rows > 0 && rows + static_cast<int64_t>(take) > options.max_rows) {
      take = static_cast<duckdb::idx_t>(options.max_rows - rows);
      outcome.truncated = true;
    }
    rows += static_cast<int64_t>(sink(*result, *chunk, take));
    if (outcome.truncated) break;
  }
  outcome.row_count = rows;
  watchdog.Stop();
  if (watchdog.fired()) return timed_out(Status::OK());
  outcome.scans = TakeScanReports(*connection.context);
  return Status::OK();
}

}  // namespace

Result<QueryOutcome> Engine::RunQuery(std::string_view sql, const QueryOptions& options) {
  QueryOutcome outcome;
  auto start = std::chrono::steady_clock::now();
  Status status = Guarded([&]() -> Status {
    duckdb::Connection connection(*impl_->db);
    return RunChecked(connection, sql, options, outcome,
                      [&](duckdb::QueryResult&, duckdb::DataChunk& chunk, duckdb::idx_t take) {
                        AppendRows(outcome.table, chunk, take, options.cells);
                        return take;
                      });
  });
  if (!status.ok()) return status;
  outcome.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return outcome;
}

Result<QueryOutcome> Engine::StreamQuery(std::string_view sql, const QueryOptions& options,
                                         const RowSink& on_rows) {
  QueryOutcome outcome;
  auto start = std::chrono::steady_clock::now();
  Status sink_status;
  Status status = Guarded([&]() -> Status {
    duckdb::Connection connection(*impl_->db);
    return RunChecked(connection, sql, options, outcome,
                      [&](duckdb::QueryResult&, duckdb::DataChunk& chunk, duckdb::idx_t take) {
                        Table rows;
                        AppendRows(rows, chunk, take, options.cells);
                        sink_status = on_rows(outcome.table.columns, rows);
                        // Stops the query: the sink's status is returned below.
                        if (!sink_status.ok()) throw duckdb::InterruptException();
                        return take;
                      });
  });
  if (!sink_status.ok()) return sink_status;
  if (!status.ok()) return status;
  outcome.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return outcome;
}

Result<QueryOutcome> Engine::ExportQuery(std::string_view sql, const QueryOptions& options,
                                         const std::string& target, const std::string& format) {
  bool json = format == "json" || format == "ndjson";
  if (format != "parquet" && format != "csv" && !json) {
    return Status::Invalid("unknown export format '" + format + "' (parquet, csv, json, ndjson)");
  }
  QueryOutcome outcome;
  auto start = std::chrono::steady_clock::now();
  Status status = Guarded([&]() -> Status {
    // A private, unrestricted engine receives the rows and writes them (Parquet through COPY,
    // CSV and JSON lines rendered by us through its file systems).
    duckdb::DBConfig config;
    config.SetOptionByName("autoinstall_known_extensions", duckdb::Value::BOOLEAN(false));
    config.SetOptionByName("autoload_known_extensions", duckdb::Value::BOOLEAN(false));
    config.SetOptionByName("temp_directory", duckdb::Value(PrivateTempDirectory()));
    // The rows wait in an in-memory table until COPY writes them: bounded, the rest spills.
    config.SetOptionByName("memory_limit", duckdb::Value("1GB"));
    duckdb::DuckDB sink_db(nullptr, &config);
    sink_db.instance->GetFileSystem().RegisterSubSystem(
        duckdb::make_uniq<ObjectStoreFileSystem>(impl_->opener));
    duckdb::Connection connection(*impl_->db);
    if (format != "parquet") {
      QueryOptions text_options = options;
      text_options.cells = json ? CellEncoding::kJson : CellEncoding::kCsv;
      auto& file_system = sink_db.instance->GetFileSystem();
      auto file = file_system.OpenFile(target, duckdb::FileFlags::FILE_FLAGS_WRITE |
                                                   duckdb::FileFlags::FILE_FLAGS_FILE_CREATE_NEW);
      std::string buffer;
      std::vector<std::string> names;
      auto flush = [&](size_t at_least) {
        if (buffer.size() < at_least) return;
        file->Write(buffer.data(), buffer.size());
        buffer.clear();
      };
      auto header = [&] {
        if (!names.empty() || outcome.table.columns.empty()) return;
        names = UniqueColumnNames(outcome.table.columns);
        if (!json) {
          std::vector<std::optional<std::string>> cells(names.begin(), names.end());
          buffer += CsvLine(cells);
        }
      };
      NL_RETURN_NOT_OK(RunChecked(
          connection, sql, text_options, outcome,
          [&](duckdb::QueryResult&, duckdb::DataChunk& chunk, duckdb::idx_t take) {
            header();
            Table rows;
            AppendRows(rows, chunk, take, text_options.cells);
            for (const auto& row : rows.rows) {
              buffer += json ? JsonObjectLine(names, row) : CsvLine(row);
            }
            flush(1 << 20);
            return take;
          }));
      header();
      flush(0);
      file->Sync();
      file->Close();
      return Status::OK();
    }
    duckdb::Connection sink(sink_db);
    std::unique_ptr<duckdb::Appender> appender;
    auto create = [&](const std::vector<ColumnInfo>& columns) -> Status {
      std::vector<std::string> names = UniqueColumnNames(columns);
      std::string ddl = "CREATE TABLE export_rows (";
      for (size_t i = 0; i < columns.size(); ++i) {
        ddl += (i ? ", " : "") + QuoteIdentifier(names[i]) + " " + columns[i].type;
      }
      auto created = sink.Query(ddl + ")");
      if (created->HasError()) return FromDuckDBError(created->GetErrorObject());
      return Status::OK();
    };
    NL_RETURN_NOT_OK(RunChecked(
        connection, sql, options, outcome,
        [&](duckdb::QueryResult&, duckdb::DataChunk& chunk, duckdb::idx_t take) {
          if (!appender) {
            Status created = create(outcome.table.columns);
            if (!created.ok()) throw duckdb::IOException(created.message());
            appender = std::make_unique<duckdb::Appender>(sink, "export_rows");
          }
          if (take < chunk.size()) chunk.SetCardinality(take);
          appender->AppendDataChunk(chunk);
          return take;
        }));
    if (!appender) {
      // No rows: still write a file with the right columns.
      NL_RETURN_NOT_OK(create(outcome.table.columns));
    } else {
      appender->Close();
    }
    auto copied = sink.Query("COPY export_rows TO " + QuoteLiteral(target) + " (FORMAT parquet)");
    if (copied->HasError()) return FromDuckDBError(copied->GetErrorObject());
    return Status::OK();
  });
  if (!status.ok()) return status;
  outcome.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return outcome;
}

}  // namespace neuralake::engine
