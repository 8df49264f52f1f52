#include "neuralake/delta/table.h"

#include "neuralake/delta/checkpoint.h"
#include "neuralake/storage/object_store_factory.h"

namespace neuralake::delta {

Result<std::unique_ptr<DeltaTable>> DeltaTable::Open(std::string_view uri,
                                                     const TableOptions& options) {
  if (uri.empty()) return Status::Invalid("empty table URI");
  // Validate the URI as given: trimming first would turn "s3://" into the local path "s3:".
  NL_ASSIGN_OR_RETURN(storage::Location location, storage::ParseLocation(uri));
  NL_ASSIGN_OR_RETURN(auto store, storage::OpenObjectStore(location, options.storage));
  return Open(std::shared_ptr<storage::ObjectStore>(std::move(store)), uri, options);
}

Result<std::unique_ptr<DeltaTable>> DeltaTable::Open(std::shared_ptr<storage::ObjectStore> store,
                                                     std::string_view uri,
                                                     const TableOptions& options) {
  if (store == nullptr) {
    return Status::Invalid("no object store for table '" + std::string(uri) + "'");
  }
  NL_ASSIGN_OR_RETURN(storage::Location location, storage::ParseLocation(uri));
  std::string trimmed(uri);
  while (trimmed.size() > 1 && trimmed.back() == '/' && !trimmed.ends_with("://")) {
    trimmed.pop_back();
  }
  std::unique_ptr<DeltaTable> table(new DeltaTable());
  table->uri_ = std::move(trimmed);
  table->location_ = std::move(location);
  table->store_ = std::move(store);
  table->options_ = options;
  DeltaTable* self = table.get();
  table->log_ = std::make_unique<DeltaLog>(
      table->store_.get(), table->uri_,
      [self](const CheckpointFiles& files) -> Result<std::vector<Action>> {
        NL_ASSIGN_OR_RETURN(engine::Engine * engine, self->GetEngine());
        return ReadCheckpointActions(*engine, *self, files);
      });
  return table;
}

std::string DeltaTable::DataRoot() const {
  if (location_.scheme == "file") return location_.path;
  return location_.ToUri();
}

std::string DeltaTable::DataFileUri(const std::string& path) const {
  if (IsAbsolutePath(path)) {
    if (path.rfind("file:", 0) == 0) {
      auto location = storage::ParseLocation(path);
      if (location.ok()) return location->path;
    }
    return path;
  }
  return DataRoot() + "/" + path;
}

Result<engine::Engine*> DeltaTable::GetEngine() {
  if (options_.engine != nullptr) return options_.engine;
  std::lock_guard lock(engine_mutex_);
  if (!owned_engine_) {
    engine::EngineOptions engine_options;
    engine_options.storage = options_.storage;
    engine_options.threads = options_.engine_threads;
    // Checkpoints and data files are immutable (versioned or unique names): a checkpoint read
    // twice in one snapshot load (adds typed, other actions as JSON) is fetched once.
    engine_options.cache_remote_files = true;
    NL_ASSIGN_OR_RETURN(owned_engine_, engine::Engine::Make(engine_options));
  }
  return owned_engine_.get();
}

Result<bool> DeltaTable::Exists() const {
  NL_ASSIGN_OR_RETURN(auto last, log_->ReadLastCheckpoint());
  if (last) return true;
  NL_ASSIGN_OR_RETURN(storage::ListPage page, store_->ListPaged(kLogPrefix, "", 100));
  for (const auto& object : page.objects) {
    auto name = ParseLogFileName(object.key);
    if (name.kind != LogFileName::Kind::kOther) return true;
  }
  if (!page.next_token.empty()) {
    NL_ASSIGN_OR_RETURN(LogListing listing, log_->List());
    return listing.LatestVersion().has_value();
  }
  return false;
}

Result<std::shared_ptr<const Snapshot>> DeltaTable::LoadSnapshot(
    std::optional<int64_t> version) const {
  NL_ASSIGN_OR_RETURN(auto snapshot, log_->LoadSnapshot(version));
  NL_RETURN_NOT_OK(CheckReadSupported(snapshot->protocol, snapshot->metadata));
  return snapshot;
}

Result<std::shared_ptr<const Snapshot>> DeltaTable::LoadSnapshotAtTimestamp(
    int64_t timestamp_ms) const {
  NL_ASSIGN_OR_RETURN(auto snapshot, log_->LoadSnapshotAtTimestamp(timestamp_ms));
  NL_RETURN_NOT_OK(CheckReadSupported(snapshot->protocol, snapshot->metadata));
  return snapshot;
}

}  // namespace neuralake::delta
