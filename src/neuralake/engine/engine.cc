#include "neuralake/engine/engine.h"

#include <chrono>
#include <map>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "duckdb.hpp"
#include "duckdb/common/types/value.hpp"
#include "duckdb/parser/statement/explain_statement.hpp"
#include "neuralake/engine/lake_scan_duckdb.h"
#include "neuralake/engine/object_store_file_system.h"
#include "neuralake/storage/object_store_factory.h"

namespace neuralake::engine {

int Table::ColumnIndex(std::string_view name) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

class Engine::Impl {
 public:
  Impl(std::unique_ptr<duckdb::DuckDB> db, StoreOpener opener)
      : db(std::move(db)), opener(std::move(opener)) {}
  std::unique_ptr<duckdb::DuckDB> db;
  StoreOpener opener;
};

namespace {

// The one place DuckDB's errors become Status.
Status FromDuckDBError(const duckdb::ErrorData& error) {
  if (error.Type() == duckdb::ExceptionType::INTERRUPT) {
    return Status::Cancelled(error.Message());
  }
  return Status::Invalid(error.Message());
}

template <typename Function>
Status Guarded(Function&& function) {
  try {
    return function();
  } catch (const std::exception& exception) {
    return FromDuckDBError(duckdb::ErrorData(exception));
  }
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
    auto db = std::make_unique<duckdb::DuckDB>(nullptr, &config);
    db->instance->GetFileSystem().RegisterSubSystem(
        duckdb::make_uniq<ObjectStoreFileSystem>(opener));
    if (options.lake) RegisterLakeScan(*db, *options.lake);
    if (options.restricted) {
      // Only the listed directories stay readable once external access is off; then nothing
      // may change the configuration again.
      std::string allowed;
      for (const auto& directory : options.allowed_directories) {
        std::string path = directory.empty() || directory.back() == '/' ? directory
                                                                        : directory + "/";
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

void AppendRows(Table& table, duckdb::DataChunk& chunk, duckdb::idx_t count) {
  for (duckdb::idx_t row = 0; row < count; ++row) {
    std::vector<std::optional<std::string>> cells;
    cells.reserve(chunk.ColumnCount());
    for (duckdb::idx_t column = 0; column < chunk.ColumnCount(); ++column) {
      duckdb::Value value = chunk.GetValue(column, row);
      if (value.IsNull()) {
        cells.emplace_back(std::nullopt);
      } else {
        cells.emplace_back(value.ToString());
      }
    }
    table.rows.push_back(std::move(cells));
  }
}

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

// Runs `sql` on `connection` under `options`; each fetched chunk goes to `sink` (which returns
// the number of rows it kept). Fills the outcome's columns, truncated flag and scan reports.
Status RunChecked(duckdb::Connection& connection, std::string_view sql, const QueryOptions& options,
                  QueryOutcome& outcome,
                  const std::function<duckdb::idx_t(duckdb::QueryResult&, duckdb::DataChunk&,
                                                    duckdb::idx_t)>& sink) {
  auto statements = connection.ExtractStatements(std::string(sql));
  if (statements.empty()) return Status::Invalid("empty query");
  if (options.select_only) {
    if (statements.size() != 1) {
      return Status::Invalid("only one statement per query is allowed (got " +
                             std::to_string(statements.size()) + ")");
    }
    auto type = statements[0]->type;
    if (type == duckdb::StatementType::EXPLAIN_STATEMENT) {
      type = statements[0]->Cast<duckdb::ExplainStatement>().stmt->type;
    }
    if (type != duckdb::StatementType::SELECT_STATEMENT) {
      return Status::Invalid("only read-only SELECT queries are allowed; this is a " +
                             StatementTypeName(type) + " statement");
    }
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
  auto pending = connection.PendingQuery(std::move(statements.back()), true);
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
                        AppendRows(outcome.table, chunk, take);
                        return take;
                      });
  });
  if (!status.ok()) return status;
  outcome.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return outcome;
}

Result<QueryOutcome> Engine::ExportQuery(std::string_view sql, const QueryOptions& options,
                                         const std::string& target, const std::string& format) {
  std::string copy_options;
  if (format == "parquet") {
    copy_options = "FORMAT parquet";
  } else if (format == "csv") {
    copy_options = "FORMAT csv, HEADER true";
  } else if (format == "json") {
    copy_options = "FORMAT json";
  } else {
    return Status::Invalid("unknown export format '" + format + "' (parquet, csv, json)");
  }
  QueryOutcome outcome;
  auto start = std::chrono::steady_clock::now();
  Status status = Guarded([&]() -> Status {
    // A private, unrestricted engine receives the rows and writes them.
    duckdb::DBConfig config;
    config.SetOptionByName("autoinstall_known_extensions", duckdb::Value::BOOLEAN(false));
    config.SetOptionByName("autoload_known_extensions", duckdb::Value::BOOLEAN(false));
    duckdb::DuckDB sink_db(nullptr, &config);
    sink_db.instance->GetFileSystem().RegisterSubSystem(
        duckdb::make_uniq<ObjectStoreFileSystem>(impl_->opener));
    duckdb::Connection sink(sink_db);
    std::unique_ptr<duckdb::Appender> appender;
    duckdb::Connection connection(*impl_->db);
    NL_RETURN_NOT_OK(RunChecked(
        connection, sql, options, outcome,
        [&](duckdb::QueryResult& result, duckdb::DataChunk& chunk, duckdb::idx_t take) {
          if (!appender) {
            std::string ddl = "CREATE TABLE export_rows (";
            std::map<std::string, int> seen;
            for (size_t i = 0; i < result.names.size(); ++i) {
              std::string name = result.names[i];
              int n = seen[name]++;
              if (n > 0) name += "_" + std::to_string(n);
              ddl += (i ? ", " : "") + QuoteIdentifier(name) + " " + result.types[i].ToString();
            }
            auto created = sink.Query(ddl + ")");
            if (created->HasError()) created->ThrowError();
            appender = std::make_unique<duckdb::Appender>(sink, "export_rows");
          }
          if (take < chunk.size()) chunk.SetCardinality(take);
          appender->AppendDataChunk(chunk);
          return take;
        }));
    if (!appender) {
      // No rows: still write a file with the right columns.
      std::string ddl = "CREATE TABLE export_rows (";
      for (size_t i = 0; i < outcome.table.columns.size(); ++i) {
        ddl += (i ? ", " : "") + QuoteIdentifier(outcome.table.columns[i].name) + " " +
               outcome.table.columns[i].type;
      }
      auto created = sink.Query(ddl + ")");
      if (created->HasError()) return FromDuckDBError(created->GetErrorObject());
    } else {
      appender->Close();
    }
    auto copied = sink.Query("COPY export_rows TO " + QuoteLiteral(target) + " (" +
                             copy_options + ")");
    if (copied->HasError()) return FromDuckDBError(copied->GetErrorObject());
    return Status::OK();
  });
  if (!status.ok()) return status;
  outcome.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return outcome;
}

}  // namespace neuralake::engine
