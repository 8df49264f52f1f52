#include "neuralake/delta/checkpoint.h"

#include <algorithm>
#include <cctype>
#include <set>

#include <nlohmann/json.hpp>

#include "neuralake/common/json.h"
#include "neuralake/common/units.h"
#include "neuralake/delta/table.h"
#include "neuralake/delta/transaction.h"
#include "neuralake/engine/parquet_json.h"

namespace neuralake::delta {
namespace {

using engine::ColumnType;
using engine::ParquetField;
using Id = engine::ColumnType::Id;

ColumnType Struct(const std::vector<std::pair<std::string, ColumnType>>& fields) {
  std::vector<std::string> names;
  std::vector<ColumnType> types;
  for (const auto& [name, type] : fields) {
    names.push_back(name);
    types.push_back(type);
  }
  return ColumnType::Struct(std::move(names), std::move(types));
}

ColumnType StringMap() {
  return ColumnType::Map(ColumnType::Of(Id::kString), ColumnType::Of(Id::kString));
}

ColumnType DeletionVectorType() {
  return Struct({{"storageType", ColumnType::Of(Id::kString)},
                 {"pathOrInlineDv", ColumnType::Of(Id::kString)},
                 {"offset", ColumnType::Of(Id::kInt32)},
                 {"sizeInBytes", ColumnType::Of(Id::kInt32)},
                 {"cardinality", ColumnType::Of(Id::kInt64)}});
}

// The Spark-compatible checkpoint schema.
std::vector<ParquetField> CheckpointColumns(bool with_domains) {
  const ColumnType string = ColumnType::Of(Id::kString);
  const ColumnType int32 = ColumnType::Of(Id::kInt32);
  const ColumnType int64 = ColumnType::Of(Id::kInt64);
  const ColumnType boolean = ColumnType::Of(Id::kBoolean);
  std::vector<ParquetField> columns = {
      {"txn", Struct({{"appId", string}, {"version", int64}, {"lastUpdated", int64}})},
      {"add", Struct({{"path", string},
                      {"partitionValues", StringMap()},
                      {"size", int64},
                      {"modificationTime", int64},
                      {"dataChange", boolean},
                      {"stats", string},
                      {"tags", StringMap()},
                      {"deletionVector", DeletionVectorType()},
                      {"baseRowId", int64},
                      {"defaultRowCommitVersion", int64},
                      {"clusteringProvider", string}})},
      {"remove", Struct({{"path", string},
                         {"deletionTimestamp", int64},
                         {"dataChange", boolean},
                         {"extendedFileMetadata", boolean},
                         {"partitionValues", StringMap()},
                         {"size", int64},
                         {"tags", StringMap()},
                         {"deletionVector", DeletionVectorType()},
                         {"baseRowId", int64},
                         {"defaultRowCommitVersion", int64}})},
      {"metaData", Struct({{"id", string},
                           {"name", string},
                           {"description", string},
                           {"format", Struct({{"provider", string}, {"options", StringMap()}})},
                           {"schemaString", string},
                           {"partitionColumns", ColumnType::List(string)},
                           {"configuration", StringMap()},
                           {"createdTime", int64}})},
      {"protocol", Struct({{"minReaderVersion", int32},
                           {"minWriterVersion", int32},
                           {"readerFeatures", ColumnType::List(string)},
                           {"writerFeatures", ColumnType::List(string)}})},
  };
  if (with_domains) {
    columns.push_back({"domainMetadata",
                       Struct({{"domain", string}, {"configuration", string}, {"removed", boolean}})});
  }
  return columns;
}

}  // namespace

std::vector<ParquetField> CheckpointSchema(bool with_domains) {
  return CheckpointColumns(with_domains);
}

namespace {

int64_t Retention(const Snapshot& snapshot, std::string_view property, int64_t fallback) {
  auto value = snapshot.Property(property);
  if (!value) return fallback;
  auto parsed = ParseDurationMs(*value, UnitlessDuration::kRefused);
  return parsed.ok() ? *parsed : fallback;
}

constexpr int64_t kDayMs = 86'400'000;

}  // namespace

namespace {

// The fields of an add read as typed columns, in this order; then the whole add as JSON when it
// has tags or a deletion vector.
enum AddCell {
  kPath,
  kSize,
  kModificationTime,
  kDataChange,
  kStats,
  kPartitionValues,
  kBaseRowId,
  kDefaultRowCommitVersion,
  kClusteringProvider,
  kWholeAdd,
};

engine::StructColumnRead AddColumnRead() {
  engine::StructColumnRead read;
  read.column = "add";
  // {name, as JSON text, required}: the protocol's required fields must exist; the others may be
  // absent (older writers).
  read.fields = {{"path", false, true},        {"size", false, true},
                 {"modificationTime", false, true}, {"dataChange", false, true},
                 {"stats", false, false},      {"partitionValues", true, false},
                 {"baseRowId", false, false},  {"defaultRowCommitVersion", false, false},
                 {"clusteringProvider", false, false}};
  read.whole_as_json_when_set = {"tags", "deletionVector"};
  return read;
}

// One add from its typed cells (AddCell order); the error is the message only.
Result<Action> AddFromCells(const std::vector<std::optional<std::string>>& r) {
  if (r[kWholeAdd]) {
    NL_ASSIGN_OR_RETURN(nlohmann::json add, ParseJson(*r[kWholeAdd]));
    nlohmann::json value = nlohmann::json::object({{"add", std::move(add)}});
    return ActionFromJson(value);
  }
  if (!r[kPath]) return Status::Corrupt("add.path is missing");
  AddFile add;
  auto decoded = DecodePath(*r[kPath]);
  if (!decoded.ok()) return Status::Corrupt("add.path: " + decoded.status().message());
  add.path = std::move(decoded).value();
  auto to_int = [](const std::optional<std::string>& cell) -> std::optional<int64_t> {
    if (!cell) return std::nullopt;
    return std::stoll(*cell);
  };
  try {
    add.size = to_int(r[kSize]).value_or(0);
    add.modification_time = to_int(r[kModificationTime]).value_or(0);
    add.base_row_id = to_int(r[kBaseRowId]);
    add.default_row_commit_version = to_int(r[kDefaultRowCommitVersion]);
  } catch (const std::exception&) {
    return Status::Corrupt("a numeric field does not parse");
  }
  add.data_change = !r[kDataChange] || *r[kDataChange] == "true";
  add.stats = r[kStats];
  add.clustering_provider = r[kClusteringProvider];
  const auto& partition_values = r[kPartitionValues];
  if (partition_values && *partition_values != "{}") {
    nlohmann::json values = nlohmann::json::parse(*partition_values, nullptr, false);
    if (!values.is_object()) return Status::Corrupt("partitionValues is not an object");
    for (auto it = values.begin(); it != values.end(); ++it) {
      const auto& v = it.value();
      std::string text = v.is_null()     ? std::string()
                         : v.is_string() ? v.get<std::string>()
                                         : v.dump();
      // The protocol: an empty string is a null partition value.
      if (text.empty()) {
        add.partition_values[it.key()] = std::nullopt;
      } else {
        add.partition_values[it.key()] = std::move(text);
      }
    }
  }
  return Action(std::move(add));
}

// The add actions of a checkpoint, read as typed columns: most of a checkpoint is adds and most
// of an add is its stats string, which the generic path would escape into JSON and parse back
// (nlohmann) for nothing. Adds with tags or a deletion vector — rare — come as JSON. Returns
// false when the checkpoint has no add column (the generic path then reads everything).
Result<bool> ReadCheckpointAdds(engine::Engine& engine, const std::vector<std::string>& uris,
                                const std::string& key, std::vector<Action>* actions) {
  size_t row = 0;
  Status decode_error;
  Status read = engine::ReadParquetStructFields(
      engine, uris, AddColumnRead(), [&](const engine::Table& rows) -> Status {
        actions->reserve(actions->size() + rows.rows.size());
        for (const auto& cells : rows.rows) {
          ++row;
          auto action = AddFromCells(cells);
          if (!action.ok()) {
            decode_error = Status::Corrupt("checkpoint " + key + " add row " +
                                           std::to_string(row) + ": " + action.status().message());
            return decode_error;
          }
          actions->push_back(std::move(action).value());
        }
        return Status::OK();
      });
  if (!decode_error.ok()) return decode_error;
  if (read.code() == StatusCode::kNotFound) return false;
  if (!read.ok()) {
    return Status::Corrupt("cannot read checkpoint " + key + ": " + read.message());
  }
  return true;
}

// A non-add checkpoint row ({"txn": ..., "add": null, ...}) as an action; nullopt for a row
// whose columns are all null.
Result<std::optional<Action>> RowAction(const std::string& json) {
  NL_ASSIGN_OR_RETURN(nlohmann::json value, ParseJson(json));
  bool empty = true;
  for (auto it = value.begin(); it != value.end(); ++it) {
    if (!it.value().is_null()) empty = false;
  }
  if (empty) return std::optional<Action>();
  NL_ASSIGN_OR_RETURN(Action action, ActionFromJson(value));
  return std::optional<Action>(std::move(action));
}

}  // namespace

Result<std::vector<Action>> ReadCheckpointActions(engine::Engine& engine, const DeltaTable& table,
                                                  const CheckpointFiles& files) {
  if (files.files.empty()) return std::vector<Action>{};
  std::vector<std::string> uris;
  for (const auto& file : files.files) uris.push_back(table.DataFileUri(file.key));
  const std::string& key = files.files.front().key;
  std::vector<Action> actions;
  NL_ASSIGN_OR_RETURN(bool has_adds, ReadCheckpointAdds(engine, uris, key, &actions));
  bool adds_read = has_adds && !actions.empty();
  // Everything else (protocol, metaData, txn, remove, domainMetadata, ...) through JSON.
  size_t row = 0;
  Status decode_error;
  Status read = engine::ReadParquetRowsAsJson(
      engine, uris, adds_read ? "add" : "", [&](const engine::Table& rows) -> Status {
        actions.reserve(actions.size() + rows.rows.size());
        for (const auto& cells : rows.rows) {
          ++row;
          const auto& cell = cells.at(0);
          if (!cell) continue;
          auto action = RowAction(*cell);
          if (!action.ok()) {
            decode_error = Status::Corrupt("checkpoint " + key + " row " + std::to_string(row) +
                                           ": " + action.status().message());
            return decode_error;
          }
          if (*action) actions.push_back(std::move(**action));
        }
        return Status::OK();
      });
  if (!decode_error.ok()) return decode_error;
  if (!read.ok()) {
    return Status::Corrupt("cannot read checkpoint " + key + ": " + read.message());
  }
  return actions;
}

std::vector<Action> CheckpointActions(const Snapshot& snapshot, int64_t now_ms) {
  std::vector<Action> actions;
  actions.reserve(snapshot.files.size() + snapshot.tombstones.size() + 8);
  actions.push_back(snapshot.protocol);
  actions.push_back(snapshot.metadata);
  for (const auto& [app_id, txn] : snapshot.app_transactions) actions.push_back(txn);
  for (const auto& [domain, metadata] : snapshot.domains) actions.push_back(metadata);
  for (const auto& file : snapshot.files) {
    AddFile add = file;
    add.data_change = false;
    actions.push_back(std::move(add));
  }
  int64_t retention = Retention(snapshot, kDeletedFileRetentionProperty, 7 * kDayMs);
  for (const auto& tombstone : snapshot.tombstones) {
    if (tombstone.deletion_timestamp.value_or(0) < now_ms - retention) continue;
    RemoveFile remove = tombstone;
    remove.data_change = false;
    remove.stats.reset();  // checkpoint tombstones carry no stats
    actions.push_back(std::move(remove));
  }
  return actions;
}

Result<LastCheckpoint> WriteCheckpoint(DeltaTable& table, const Snapshot& snapshot) {
  NL_ASSIGN_OR_RETURN(engine::Engine * engine, table.GetEngine());
  std::vector<Action> actions = CheckpointActions(snapshot, NowMs());
  int64_t num_adds = 0;
  std::string ndjson;
  for (const auto& action : actions) {
    if (std::holds_alternative<AddFile>(action)) ++num_adds;
    ndjson += SerializeAction(action);
    ndjson += '\n';
  }

  // Encoded by the engine, then published with one atomic put of the whole file.
  auto bytes = engine::JsonLinesToParquet(*engine, ndjson,
                                          CheckpointColumns(!snapshot.domains.empty()), "checkpoint");
  if (!bytes.ok()) {
    return bytes.status().WithContext("writing the checkpoint of version " +
                                      std::to_string(snapshot.version));
  }
  std::string key = CheckpointKey(snapshot.version);
  NL_RETURN_NOT_OK(table.store().Put(key, *bytes));

  LastCheckpoint last;
  last.version = snapshot.version;
  last.size = static_cast<int64_t>(actions.size());
  last.size_in_bytes = static_cast<int64_t>(bytes->size());
  last.num_of_add_files = num_adds;
  NL_ASSIGN_OR_RETURN(auto existing, table.log().ReadLastCheckpoint());
  if (!existing || existing->version <= snapshot.version) {
    NL_RETURN_NOT_OK(table.store().Put(kLastCheckpointKey, SerializeLastCheckpoint(last)));
  }
  return last;
}

namespace {

// V2 checkpoint sidecars (`_delta_log/_sidecars/`) older than `cutoff` that no retained checkpoint
// (version >= keep_from, `log_objects` is the listing of `_delta_log/` before cleanup) names.
// Retained checkpoints are read only when there is such an old sidecar, so tables without V2
// checkpoints pay one listing.
Result<int64_t> CleanupSidecars(DeltaTable& table, const std::vector<storage::ObjectInfo>& log_objects,
                                int64_t keep_from, int64_t cutoff) {
  NL_ASSIGN_OR_RETURN(auto sidecars, table.store().List(kSidecarPrefix));
  std::vector<const storage::ObjectInfo*> old;
  for (const auto& sidecar : sidecars) {
    if (sidecar.modified_ms <= cutoff) old.push_back(&sidecar);
  }
  if (old.empty()) return 0;
  std::set<std::string> referenced;
  for (const auto& object : log_objects) {
    LogFileName name = ParseLogFileName(object.key);
    bool single_file = name.kind == LogFileName::Kind::kCheckpoint ||
                       name.kind == LogFileName::Kind::kUuidCheckpoint;
    if (!single_file || name.version < keep_from) continue;
    auto actions = table.log().ReadCheckpoint(CheckpointFiles{name.version, {object}},
                                              /*resolve_sidecars=*/false);
    if (!actions.ok()) {
      // Unreadable: keep every sidecar rather than guess which ones it needs.
      return 0;
    }
    for (const auto& action : *actions) {
      const auto* unknown = std::get_if<UnknownAction>(&action);
      if (unknown == nullptr || unknown->key != "sidecar") continue;
      auto file = SidecarFile(unknown->value);
      if (file.ok()) referenced.insert(file->key);
    }
  }
  int64_t deleted = 0;
  for (const auto* sidecar : old) {
    if (referenced.count(sidecar->key) > 0) continue;
    NL_RETURN_NOT_OK(table.store().Delete(sidecar->key));
    ++deleted;
  }
  return deleted;
}

}  // namespace

Result<CleanupResult> CleanupLog(DeltaTable& table, const Snapshot& latest, int64_t now_ms) {
  CleanupResult result;
  auto enabled = latest.Property("delta.enableExpiredLogCleanup");
  if (enabled && *enabled == "false") return result;
  int64_t cutoff = now_ms - Retention(latest, kLogRetentionProperty, 30 * kDayMs);
  NL_ASSIGN_OR_RETURN(LogListing listing, table.log().List());
  std::optional<int64_t> cutoff_commit;
  for (const auto& [version, info] : listing.commits) {
    if (info.modified_ms <= cutoff && version <= latest.version) cutoff_commit = version;
  }
  if (!cutoff_commit) return result;
  const CheckpointFiles* checkpoint = listing.CheckpointAtOrBefore(*cutoff_commit);
  if (checkpoint == nullptr) return result;
  int64_t keep_from = checkpoint->version;
  result.retained_from_version = keep_from;
  NL_ASSIGN_OR_RETURN(auto objects, table.store().List(kLogPrefix));
  for (const auto& object : objects) {
    std::string_view name = std::string_view(object.key).substr(kLogPrefix.size());
    if (name.size() < 21 || name[20] != '.' ||
        !std::all_of(name.begin(), name.begin() + 20,
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
      continue;
    }
    if (name[0] != '0') continue;  // beyond int64
    int64_t version = std::stoll(std::string(name.substr(0, 20)));
    if (version >= keep_from) continue;
    std::string_view rest = name.substr(21);
    bool log_file = rest == "json" || rest == "crc" || rest.rfind("checkpoint.", 0) == 0 ||
                    rest.ends_with(".compacted.json");
    if (!log_file) continue;
    NL_RETURN_NOT_OK(table.store().Delete(object.key));
    ++result.deleted_files;
  }
  NL_ASSIGN_OR_RETURN(int64_t sidecars, CleanupSidecars(table, objects, keep_from, cutoff));
  result.deleted_files += sidecars;
  return result;
}

Status CheckpointIfDue(DeltaTable& table, const Snapshot& snapshot) {
  int64_t interval = snapshot.CheckpointInterval();
  if (snapshot.version <= 0 || snapshot.version % interval != 0) return Status::OK();
  NL_RETURN_NOT_OK(WriteCheckpoint(table, snapshot).status());
  return CleanupLog(table, snapshot, NowMs()).status();
}

}  // namespace neuralake::delta
