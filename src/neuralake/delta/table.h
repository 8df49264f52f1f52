// DeltaTable: one Delta table location with everything needed to read and change it.
//
// Opens the object store rooted at the table URI (local path, s3://bucket/prefix or
// memory://name/prefix), owns the DeltaLog over it and hands the log a checkpoint reader backed by
// the engine. The engine (DuckDB) is borrowed when the caller passes one (TableOptions::engine) or
// created on first need, so metadata-only work (history, JSON-only snapshots) never starts DuckDB.
//
// Thread safety: snapshot loading and commits may run concurrently on one DeltaTable; the lazily
// created engine is guarded by a mutex.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "neuralake/common/result.h"
#include "neuralake/delta/log.h"
#include "neuralake/delta/snapshot.h"
#include "neuralake/engine/engine.h"
#include "neuralake/storage/location.h"
#include "neuralake/storage/object_store.h"
#include "neuralake/storage/storage_options.h"

namespace neuralake::delta {

struct TableOptions {
  storage::StorageOptions storage;
  engine::Engine* engine = nullptr;  // borrowed when set; otherwise created when first needed
  int engine_threads = 0;            // for a created engine; 0 = DuckDB's default
};

class DeltaTable {
 public:
  // Does no I/O beyond opening the store; a missing table is only noticed when it is read.
  static Result<std::unique_ptr<DeltaTable>> Open(std::string_view uri,
                                                  const TableOptions& options = {});
  // A table over a store the caller made (e.g. a FaultyObjectStore in tests), rooted at the
  // table; `uri` names the same location for messages and for the engine (which must reach the
  // same bytes through its own store opener, see EngineOptions::store_opener).
  static Result<std::unique_ptr<DeltaTable>> Open(std::shared_ptr<storage::ObjectStore> store,
                                                  std::string_view uri,
                                                  const TableOptions& options = {});

  // The URI as given (without a trailing '/').
  const std::string& uri() const { return uri_; }
  const storage::Location& location() const { return location_; }
  storage::ObjectStore& store() { return *store_; }
  // The same store, shared (e.g. by a scan plan's deletion-vector loaders).
  std::shared_ptr<storage::ObjectStore> shared_store() const { return store_; }
  const DeltaLog& log() const { return *log_; }

  // How SQL names the table root and a file below it: a plain absolute path for local tables,
  // the URI otherwise.
  std::string DataRoot() const;
  std::string DataFileUri(const std::string& path) const;

  Result<engine::Engine*> GetEngine();

  // Whether `_delta_log/` holds any commit or checkpoint.
  Result<bool> Exists() const;

  // Snapshots, checked for read support (Unsupported names the missing feature).
  Result<std::shared_ptr<const Snapshot>> LoadSnapshot(
      std::optional<int64_t> version = std::nullopt) const;
  Result<std::shared_ptr<const Snapshot>> LoadSnapshotAtTimestamp(int64_t timestamp_ms) const;

 private:
  DeltaTable() = default;

  std::string uri_;
  storage::Location location_;
  std::shared_ptr<storage::ObjectStore> store_;
  std::unique_ptr<DeltaLog> log_;
  TableOptions options_;
  std::mutex engine_mutex_;
  std::unique_ptr<engine::Engine> owned_engine_;
};

}  // namespace neuralake::delta
