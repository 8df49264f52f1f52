#include "neuralake/delta/checkpoint.h"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "neuralake/common/json.h"
#include "neuralake/common/units.h"
#include "neuralake/delta/table.h"
#include "neuralake/delta/transaction.h"
#include "neuralake/storage/object_store_factory.h"

namespace neuralake::delta {
namespace {

// A process-wide memory namespace where checkpoints are staged before they are published.
constexpr const char* kStagingNamespace = "neuralake-delta-staging";

constexpr const char* kMap = "MAP(VARCHAR, VARCHAR)";
constexpr const char* kDeletionVector =
    "STRUCT(storageType VARCHAR, pathOrInlineDv VARCHAR, \"offset\" INTEGER, sizeInBytes INTEGER, "
    "cardinality BIGINT)";

// The Spark-compatible checkpoint schema, as DuckDB column types.
std::vector<std::pair<std::string, std::string>> CheckpointColumns(bool with_domains) {
  std::vector<std::pair<std::string, std::string>> columns = {
      {"txn", "STRUCT(appId VARCHAR, \"version\" BIGINT, lastUpdated BIGINT)"},
      {"add", std::string("STRUCT(path VARCHAR, partitionValues ") + kMap +
                  ", size BIGINT, modificationTime BIGINT, dataChange BOOLEAN, stats VARCHAR, "
                  "tags " + kMap + ", deletionVector " + kDeletionVector +
                  ", baseRowId BIGINT, defaultRowCommitVersion BIGINT, clusteringProvider "
                  "VARCHAR)"},
      {"remove", std::string("STRUCT(path VARCHAR, deletionTimestamp BIGINT, dataChange BOOLEAN, "
                             "extendedFileMetadata BOOLEAN, partitionValues ") +
                     kMap + ", size BIGINT, tags " + kMap + ", deletionVector " +
                     kDeletionVector + ", baseRowId BIGINT, defaultRowCommitVersion BIGINT)"},
      {"metaData", std::string("STRUCT(id VARCHAR, \"name\" VARCHAR, description VARCHAR, "
                               "format STRUCT(provider VARCHAR, \"options\" ") +
                       kMap + "), schemaString VARCHAR, partitionColumns VARCHAR[], "
                       "\"configuration\" " + kMap + ", createdTime BIGINT)"},
      {"protocol",
       "STRUCT(minReaderVersion INTEGER, minWriterVersion INTEGER, readerFeatures VARCHAR[], "
       "writerFeatures VARCHAR[])"},
  };
  if (with_domains) {
    columns.push_back(
        {"domainMetadata", "STRUCT(domain VARCHAR, \"configuration\" VARCHAR, removed BOOLEAN)"});
  }
  return columns;
}

Result<std::unique_ptr<storage::ObjectStore>> StagingStore() {
  return storage::MakeMemoryObjectStore(kStagingNamespace, "");
}

int64_t Retention(const Snapshot& snapshot, std::string_view property, int64_t fallback) {
  auto value = snapshot.Property(property);
  if (!value) return fallback;
  auto parsed = ParseDurationMs(*value, UnitlessDuration::kRefused);
  return parsed.ok() ? *parsed : fallback;
}

constexpr int64_t kDayMs = 86'400'000;

}  // namespace

namespace {

// The add actions of a checkpoint, read as typed columns: most of a checkpoint is adds and most
// of an add is its stats string, which the generic path would escape into JSON (DuckDB's to_json)
// and parse back (nlohmann) for nothing. Adds with tags or a deletion vector — rare — still go
// through the generic JSON path. Column presence follows the checkpoint's schema.
Status ReadCheckpointAdds(engine::Engine& engine, const std::string& files, const std::string& key,
                          std::vector<Action>* actions) {
  auto type = engine.Query("SELECT typeof(add) FROM read_parquet([" + files +
                           "], union_by_name = true, hive_partitioning = false) LIMIT 1");
  if (!type.ok()) return Status::OK();  // no add column: the generic path reads everything
  if (type->rows.empty() || !type->rows[0][0]) return Status::OK();
  const std::string& add_type = *type->rows[0][0];
  if (add_type.rfind("STRUCT(", 0) != 0) return Status::OK();  // no add column at all
  auto has = [&](const char* field) {
    return add_type.find(std::string("(") + field + " ") != std::string::npos ||
           add_type.find(std::string(", ") + field + " ") != std::string::npos;
  };
  auto optional = [&](const char* field, bool json_text) {
    if (!has(field)) return std::string("NULL");
    return json_text ? "to_json(add." + std::string(field) + ")" : "add." + std::string(field);
  };
  std::string needs_generic = "false";
  if (has("tags")) needs_generic += " OR add.tags IS NOT NULL";
  if (has("deletionVector")) needs_generic += " OR add.deletionVector IS NOT NULL";
  std::string sql =
      "SELECT add.path, add.size, add.modificationTime, add.dataChange, " +
      optional("stats", false) + ", " + optional("partitionValues", true) + ", " +
      optional("baseRowId", false) + ", " + optional("defaultRowCommitVersion", false) + ", " +
      optional("clusteringProvider", false) + ", CASE WHEN " + needs_generic +
      " THEN to_json(add) END FROM read_parquet([" + files +
      "], union_by_name = true, hive_partitioning = false) WHERE add IS NOT NULL";
  auto rows = engine.Query(sql);
  if (!rows.ok()) return rows.status();
  auto corrupt = [&](size_t row, const std::string& message) {
    return Status::Corrupt("checkpoint " + key + " add row " + std::to_string(row + 1) + ": " +
                           message);
  };
  auto to_int = [](const std::optional<std::string>& cell) -> std::optional<int64_t> {
    if (!cell) return std::nullopt;
    return std::stoll(*cell);
  };
  actions->reserve(actions->size() + rows->rows.size());
  for (size_t i = 0; i < rows->rows.size(); ++i) {
    const auto& r = rows->rows[i];
    if (r[9]) {
      auto add = ParseJson(*r[9]);
      if (!add.ok()) return corrupt(i, add.status().message());
      nlohmann::json value = nlohmann::json::object({{"add", std::move(add).value()}});
      auto action = ActionFromJson(value);
      if (!action.ok()) return corrupt(i, action.status().message());
      actions->push_back(std::move(action).value());
      continue;
    }
    if (!r[0]) return corrupt(i, "add.path is missing");
    AddFile add;
    auto decoded = DecodePath(*r[0]);
    if (!decoded.ok()) return corrupt(i, "add.path: " + decoded.status().message());
    add.path = std::move(decoded).value();
    try {
      add.size = to_int(r[1]).value_or(0);
      add.modification_time = to_int(r[2]).value_or(0);
      add.base_row_id = to_int(r[6]);
      add.default_row_commit_version = to_int(r[7]);
    } catch (const std::exception&) {
      return corrupt(i, "a numeric field does not parse");
    }
    add.data_change = !r[3] || *r[3] == "true";
    add.stats = r[4];
    add.clustering_provider = r[8];
    if (r[5] && *r[5] != "{}") {
      nlohmann::json values = nlohmann::json::parse(*r[5], nullptr, false);
      if (!values.is_object()) return corrupt(i, "partitionValues is not an object");
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
    actions->push_back(std::move(add));
  }
  return Status::OK();
}

}  // namespace

Result<std::vector<Action>> ReadCheckpointActions(engine::Engine& engine, const DeltaTable& table,
                                                  const CheckpointFiles& files) {
  if (files.files.empty()) return std::vector<Action>{};
  std::string list;
  for (const auto& file : files.files) {
    if (!list.empty()) list += ", ";
    list += engine::Engine::QuoteLiteral(table.DataFileUri(file.key));
  }
  const std::string& key = files.files.front().key;
  std::vector<Action> actions;
  Status adds = ReadCheckpointAdds(engine, list, key, &actions);
  if (!adds.ok()) {
    return Status::Corrupt("cannot read checkpoint " + key + ": " + adds.message());
  }
  bool adds_read = !actions.empty();
  // Everything else (protocol, metaData, txn, remove, domainMetadata, ...) through JSON.
  std::string sql = "SELECT to_json(checkpoint_row) FROM read_parquet([" + list +
                    "], union_by_name = true, hive_partitioning = false) AS checkpoint_row";
  if (adds_read) sql += " WHERE checkpoint_row.add IS NULL";
  auto rows = engine.Query(sql);
  if (!rows.ok()) {
    return Status::Corrupt("cannot read checkpoint " + key + ": " + rows.status().message());
  }
  actions.reserve(actions.size() + rows->rows.size());
  for (size_t i = 0; i < rows->rows.size(); ++i) {
    const auto& cell = rows->rows[i].at(0);
    if (!cell) continue;
    auto parsed = ParseJson(*cell);
    if (!parsed.ok()) {
      return Status::Corrupt("checkpoint " + key + " row " + std::to_string(i + 1) + ": " +
                             parsed.status().message());
    }
    nlohmann::json value = std::move(parsed).value();
    bool empty = true;
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (!it.value().is_null()) empty = false;
    }
    if (empty) continue;
    auto action = ActionFromJson(value);
    if (!action.ok()) {
      return Status::Corrupt("checkpoint " + key + " row " + std::to_string(i + 1) + ": " +
                             action.status().message());
    }
    actions.push_back(std::move(action).value());
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

  NL_ASSIGN_OR_RETURN(auto staging, StagingStore());
  std::string id = NewUuid();
  std::string json_key = "checkpoint-" + id + ".json";
  std::string parquet_key = "checkpoint-" + id + ".parquet";
  std::string staging_root = std::string("memory://") + kStagingNamespace + "/";
  NL_RETURN_NOT_OK(staging->Put(json_key, ndjson));

  std::string columns;
  std::string select;
  for (const auto& [name, type] : CheckpointColumns(!snapshot.domains.empty())) {
    if (!columns.empty()) {
      columns += ", ";
      select += ", ";
    }
    columns += name + ": " + engine::Engine::QuoteLiteral(type);
    select += engine::Engine::QuoteIdentifier(name);
  }
  std::string sql = "COPY (SELECT " + select + " FROM read_json(" +
                    engine::Engine::QuoteLiteral(staging_root + json_key) +
                    ", format = 'newline_delimited', columns = {" + columns +
                    "})) TO " + engine::Engine::QuoteLiteral(staging_root + parquet_key) +
                    " (FORMAT parquet)";
  Status copied = engine->Execute(sql);
  (void)staging->Delete(json_key);
  if (!copied.ok()) {
    (void)staging->Delete(parquet_key);
    return copied.WithContext("writing the checkpoint of version " +
                              std::to_string(snapshot.version));
  }
  auto bytes = staging->Get(parquet_key);
  (void)staging->Delete(parquet_key);
  if (!bytes.ok()) return bytes.status();

  // Publish: one atomic put of the whole file.
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
  return result;
}

Status CheckpointIfDue(DeltaTable& table, const Snapshot& snapshot) {
  int64_t interval = snapshot.CheckpointInterval();
  if (snapshot.version <= 0 || snapshot.version % interval != 0) return Status::OK();
  NL_RETURN_NOT_OK(WriteCheckpoint(table, snapshot).status());
  return CleanupLog(table, snapshot, NowMs()).status();
}

}  // namespace neuralake::delta
