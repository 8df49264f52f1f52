// Table operations: CreateTable, Append, Overwrite. Each resolves its source,
// checks the schema (enforce, merge or overwrite), writes data files (data_files.cc), and commits
// the add/remove actions through a Transaction (AppendCommitter: retries, checkpoint when due).

#include "neuralake/delta/writer.h"

#include <algorithm>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "neuralake/common/units.h"
#include "neuralake/delta/append_committer.h"
#include "neuralake/delta/checkpoint.h"
#include "neuralake/delta/constraints.h"
#include "neuralake/delta/scan_plan.h"
#include "neuralake/delta/writer_internal.h"

namespace neuralake::delta {
namespace {

using engine::Engine;
using nlohmann::json;
using namespace write_internal;

json StringArray(const std::vector<std::string>& values) { return json(values); }

// ---- commits ----

WriteResult FinishResult(const CommitResult& commit, const WrittenData& written,
                         int64_t files_removed, bool schema_changed) {
  WriteResult result;
  result.version = commit.version;
  result.committed = !commit.skipped;
  result.skipped = commit.skipped;
  result.attempts = commit.attempts;
  result.files_added = commit.skipped ? 0 : static_cast<int64_t>(written.adds.size());
  result.rows_added = commit.skipped ? 0 : written.rows;
  result.bytes_added = commit.skipped ? 0 : written.bytes;
  result.files_removed = commit.skipped ? 0 : files_removed;
  result.schema_changed = schema_changed && !commit.skipped;
  result.post_commit_status = commit.post_commit_status;
  result.snapshot = commit.snapshot;
  return result;
}

// Commits `txn` with the options' commit settings, then checkpoints when due.
Result<CommitResult> CommitAppend(DeltaTable& table, Transaction& txn, const WriteOptions& options) {
  return AppendCommitter(&table, options.checkpoint_when_due).Commit(txn, options.commit);
}

void SetMetrics(Transaction& txn, const WrittenData& written, int64_t files_removed) {
  txn.SetCommitInfoField("operationMetrics",
                         {{"numFiles", std::to_string(written.adds.size())},
                          {"numOutputRows", std::to_string(written.rows)},
                          {"numOutputBytes", std::to_string(written.bytes)},
                          {"numRemovedFiles", std::to_string(files_removed)}});
}

// Protocol needed after a schema change, or nullopt when the current one suffices.
std::optional<Protocol> UpgradedProtocol(const Protocol& current, const Schema& schema) {
  if (!UsesTimestampNtz(schema)) return std::nullopt;
  if (current.HasReaderFeature("timestampNtz") && current.HasWriterFeature("timestampNtz")) {
    return std::nullopt;
  }
  Protocol upgraded = current;
  std::set<std::string> reader;
  if (upgraded.reader_features) {
    reader.insert(upgraded.reader_features->begin(), upgraded.reader_features->end());
  }
  std::set<std::string> writer;
  if (upgraded.writer_features) {
    writer.insert(upgraded.writer_features->begin(), upgraded.writer_features->end());
  } else {
    // Features implied by the legacy writer version stay supported.
    if (current.min_writer_version >= 2) writer.insert({"appendOnly", "invariants"});
    if (current.min_writer_version >= 3) writer.insert("checkConstraints");
    if (current.min_writer_version >= 4) writer.insert({"changeDataFeed", "generatedColumns"});
    if (current.min_writer_version >= 5) writer.insert("columnMapping");
    if (current.min_writer_version >= 6) writer.insert("identityColumns");
  }
  if (current.min_reader_version == 2) reader.insert("columnMapping");
  reader.insert("timestampNtz");
  writer.insert("timestampNtz");
  upgraded.min_reader_version = 3;
  upgraded.min_writer_version = 7;
  upgraded.reader_features = std::vector<std::string>(reader.begin(), reader.end());
  upgraded.writer_features = std::vector<std::string>(writer.begin(), writer.end());
  return upgraded;
}

std::string OperationSchemaMode(SchemaMode mode) {
  switch (mode) {
    case SchemaMode::kEnforce:
      return "";
    case SchemaMode::kMerge:
      return "merge";
    case SchemaMode::kOverwrite:
      return "overwrite";
  }
  return "";
}

Result<std::shared_ptr<const Snapshot>> LatestForWrite(DeltaTable& table) {
  auto snapshot = table.LoadSnapshot();
  if (!snapshot.ok()) {
    if (snapshot.status().IsNotFound() && snapshot.status().message().find("no Delta table") !=
                                              std::string::npos) {
      return Status::NotFound("no Delta table at '" + table.uri() +
                              "' (create it first with `neuralake table create`)");
    }
    return snapshot.status();
  }
  NL_RETURN_NOT_OK(CheckWriteSupported((*snapshot)->protocol, (*snapshot)->metadata,
                                       (*snapshot)->schema));
  return snapshot;
}

// Shared by Append and Overwrite: schema handling, data files, and the transaction skeleton.
struct PreparedWrite {
  std::shared_ptr<const Snapshot> snapshot;
  Schema target;
  bool schema_changed = false;
  std::optional<Metadata> new_metadata;
  std::optional<Protocol> new_protocol;
  WrittenData written;
};

Result<PreparedWrite> PrepareWrite(DeltaTable& table, Engine& engine, const DataSource& source,
                                   const WriteOptions& options, bool overwrite) {
  PreparedWrite prepared;
  NL_ASSIGN_OR_RETURN(prepared.snapshot, LatestForWrite(table));
  const Snapshot& snapshot = *prepared.snapshot;
  bool typed_from_table = options.schema_mode != SchemaMode::kOverwrite;
  NL_ASSIGN_OR_RETURN(ResolvedSource resolved,
                      ResolveSource(engine, source, typed_from_table ? &snapshot.schema : nullptr));
  switch (options.schema_mode) {
    case SchemaMode::kEnforce:
      NL_RETURN_NOT_OK(CheckWriteCompatible(snapshot.schema, resolved.schema, false));
      prepared.target = snapshot.schema;
      break;
    case SchemaMode::kMerge: {
      NL_ASSIGN_OR_RETURN(prepared.target, MergeSchemas(snapshot.schema, resolved.schema));
      prepared.schema_changed = !(prepared.target == snapshot.schema);
      break;
    }
    case SchemaMode::kOverwrite: {
      if (!overwrite) {
        return Status::Invalid("schema mode 'overwrite' is only allowed when overwriting a table");
      }
      prepared.target = resolved.schema;
      for (const auto& column : snapshot.partition_columns()) {
        if (prepared.target.Find(column) == nullptr) {
          return Status::Invalid("the new schema lacks partition column '" + column + "'");
        }
      }
      prepared.schema_changed = !(prepared.target == snapshot.schema);
      break;
    }
  }
  if (prepared.schema_changed) {
    Metadata metadata = snapshot.metadata;
    metadata.schema_string = SerializeSchema(prepared.target);
    prepared.new_metadata = metadata;
    prepared.new_protocol = UpgradedProtocol(snapshot.protocol, prepared.target);
    NL_RETURN_NOT_OK(CheckWriteSupported(
        prepared.new_protocol ? *prepared.new_protocol : snapshot.protocol, metadata,
        prepared.target));
  }
  NL_ASSIGN_OR_RETURN(int64_t target_size, TargetFileSize(&snapshot, options, nullptr));
  std::vector<CheckConstraint> constraints =
      CheckConstraintsOf(snapshot.metadata.configuration);
  NL_ASSIGN_OR_RETURN(prepared.written,
                      WriteDataFiles(table, engine, resolved, prepared.target,
                                     snapshot.partition_columns(), target_size, &constraints));
  return prepared;
}

Result<WriteResult> CommitPrepared(DeltaTable& table, PreparedWrite& prepared, Transaction& txn,
                                   const WriteOptions& options, int64_t files_removed) {
  if (prepared.new_protocol) txn.AddAction(*prepared.new_protocol);
  if (prepared.new_metadata) txn.AddAction(*prepared.new_metadata);
  for (const auto& add : prepared.written.adds) txn.AddAction(add);
  if (options.app_id) txn.SetAppTransaction(*options.app_id, options.app_version);
  SetMetrics(txn, prepared.written, files_removed);
  auto commit = CommitAppend(table, txn, options);
  if (!commit.ok()) {
    if (CertainlyNotCommitted(commit.status())) DeleteWritten(table, prepared.written.adds);
    return commit.status();
  }
  if (commit->skipped) DeleteWritten(table, prepared.written.adds);
  return FinishResult(*commit, prepared.written, files_removed, prepared.schema_changed);
}

// The partition columns of a new table, as the schema spells them: each in the schema, primitive,
// named once, and not every column.
Result<std::vector<std::string>> CheckedPartitionColumns(const Schema& schema,
                                                         const std::vector<std::string>& requested) {
  std::vector<std::string> partition_columns;
  for (const auto& column : requested) {
    const StructField* field = schema.Find(column);
    if (field == nullptr) {
      return Status::Invalid("partition column '" + column + "' is not in the schema (columns: " +
                             [&] {
                               std::string names;
                               for (const auto& n : schema.FieldNames()) {
                                 names += (names.empty() ? "" : ", ") + n;
                               }
                               return names;
                             }() +
                             ")");
    }
    if (field->type.kind() != DataType::Kind::kPrimitive &&
        field->type.kind() != DataType::Kind::kDecimal) {
      return Status::Invalid("partition column '" + column + "' has type " +
                             field->type.ToString() + "; partition columns must be primitive");
    }
    if (IsPartitionColumn(partition_columns, field->name)) {
      return Status::Invalid("partition column '" + column + "' is listed twice");
    }
    partition_columns.push_back(field->name);
  }
  if (!partition_columns.empty() && partition_columns.size() == schema.fields.size()) {
    return Status::Invalid("cannot partition by every column of the table");
  }
  return partition_columns;
}

// Properties a new table is created with: values we act on must parse.
Status CheckNewTableProperties(const std::map<std::string, std::string>& properties) {
  for (const auto& [key, value] : properties) {
    if (key == kCheckpointIntervalProperty) {
      try {
        if (std::stoll(value) <= 0) throw std::invalid_argument("not positive");
      } catch (...) {
        return Status::Invalid("property " + key + " must be a positive integer, not '" + value +
                               "'");
      }
    }
    if (key == kLogRetentionProperty || key == kDeletedFileRetentionProperty) {
      NL_RETURN_NOT_OK(ParseDurationMs(value, UnitlessDuration::kRefused)
                           .status().WithContext("property " + key));
    }
    if (key == kTargetFileSizeProperty) {
      NL_RETURN_NOT_OK(ParseByteSize(value).status().WithContext("property " + key));
    }
    if (key == "delta.enableDeletionVectors" && Lower(value) != "true" &&
        Lower(value) != "false") {
      return Status::Invalid("property " + key + " must be true or false, not '" + value + "'");
    }
    if (key == kColumnMappingModeProperty && Lower(value) != "none") {
      return Status::Unsupported("creating tables with column mapping is not supported yet");
    }
  }
  return Status::OK();
}

}  // namespace

Protocol ProtocolFor(const Schema& schema, const std::map<std::string, std::string>& properties) {
  Protocol protocol;  // (1, 2)
  bool ntz = UsesTimestampNtz(schema);
  auto ict = properties.find(std::string(kInCommitTimestampsProperty));
  bool in_commit_timestamps = ict != properties.end() && Lower(ict->second) == "true";
  auto cdf = properties.find("delta.enableChangeDataFeed");
  bool change_data_feed = cdf != properties.end() && Lower(cdf->second) == "true";
  bool check_constraints = !CheckConstraintsOf(properties).empty();
  auto dv = properties.find("delta.enableDeletionVectors");
  bool deletion_vectors = dv != properties.end() && Lower(dv->second) == "true";
  if (!ntz && !in_commit_timestamps && !deletion_vectors) {
    if (check_constraints) protocol.min_writer_version = 3;
    if (change_data_feed) protocol.min_writer_version = 4;
    return protocol;
  }
  std::vector<std::string> writer = {"appendOnly", "invariants"};
  if (check_constraints) writer.push_back("checkConstraints");
  if (change_data_feed) writer.push_back("changeDataFeed");
  if (in_commit_timestamps) writer.push_back("inCommitTimestamp");
  protocol.min_writer_version = 7;
  std::vector<std::string> reader;
  if (deletion_vectors) {
    writer.push_back("deletionVectors");
    reader.push_back("deletionVectors");
  }
  if (ntz) {
    writer.push_back("timestampNtz");
    reader.push_back("timestampNtz");
  }
  if (!reader.empty()) {
    protocol.min_reader_version = 3;
    protocol.reader_features = reader;
  }
  protocol.writer_features = writer;
  return protocol;
}

Result<WriteResult> CreateTable(DeltaTable& table, const CreateTableOptions& options) {
  NL_RETURN_NOT_OK(storage::CheckTableLocation(table.location()));
  NL_ASSIGN_OR_RETURN(bool exists, table.Exists());
  if (exists) return Status::Invalid("a Delta table already exists at '" + table.uri() + "'");
  if (!options.schema && !options.source) {
    return Status::Invalid("creating a table needs a schema or source data");
  }
  Engine* engine = nullptr;
  std::optional<ResolvedSource> resolved;
  if (options.source) {
    NL_ASSIGN_OR_RETURN(engine, table.GetEngine());
    NL_ASSIGN_OR_RETURN(resolved, ResolveSource(*engine, *options.source,
                                                options.schema ? &*options.schema : nullptr));
  }
  Schema schema = options.schema ? *options.schema : resolved->schema;
  if (options.schema && resolved) {
    NL_RETURN_NOT_OK(CheckWriteCompatible(schema, resolved->schema, false));
  }
  if (schema.fields.empty()) return Status::Invalid("a table needs at least one column");
  NL_ASSIGN_OR_RETURN(std::vector<std::string> partition_columns,
                      CheckedPartitionColumns(schema, options.partition_columns));
  NL_RETURN_NOT_OK(CheckNewTableProperties(options.properties));

  Metadata metadata;
  metadata.id = NewUuid();
  metadata.name = options.name;
  metadata.description = options.description;
  metadata.schema_string = SerializeSchema(schema);
  metadata.partition_columns = partition_columns;
  metadata.configuration = options.properties;
  metadata.created_time = NowMs();
  Protocol protocol = ProtocolFor(schema, options.properties);

  WrittenData written;
  if (resolved) {
    NL_ASSIGN_OR_RETURN(int64_t target_size,
                        TargetFileSize(nullptr, options.write, &options.properties));
    std::vector<CheckConstraint> constraints = CheckConstraintsOf(options.properties);
    NL_ASSIGN_OR_RETURN(written, WriteDataFiles(table, *engine, *resolved, schema,
                                                partition_columns, target_size, &constraints));
  }
  Transaction txn(&table.log());
  txn.SetOperation(resolved ? "CREATE TABLE AS SELECT" : "CREATE TABLE",
                   {{"isManaged", "false"},
                    {"description", options.description.value_or("")},
                    {"partitionBy", StringArray(partition_columns).dump()},
                    {"properties", json(options.properties).dump()}});
  txn.AddAction(protocol);
  txn.AddAction(metadata);
  for (const auto& add : written.adds) txn.AddAction(add);
  if (options.write.app_id) txn.SetAppTransaction(*options.write.app_id, options.write.app_version);
  SetMetrics(txn, written, 0);
  auto commit = CommitAppend(table, txn, options.write);
  if (!commit.ok()) {
    if (CertainlyNotCommitted(commit.status())) DeleteWritten(table, written.adds);
    return commit.status();
  }
  return FinishResult(*commit, written, 0, false);
}

Result<DataSource> TypedForTable(DeltaTable& table, const DataSource& source) {
  if (source.rows.kind != engine::WriteSource::Kind::kFiles) return source;
  NL_ASSIGN_OR_RETURN(bool exists, table.Exists());
  if (!exists) return source;
  NL_ASSIGN_OR_RETURN(Engine * engine, table.GetEngine());
  NL_ASSIGN_OR_RETURN(auto snapshot, LatestForWrite(table));
  NL_ASSIGN_OR_RETURN(ResolvedSource resolved, ResolveSource(*engine, source, &snapshot->schema));
  DataSource typed = source;
  typed.rows = std::move(resolved.rows);
  return typed;
}

Result<WriteResult> Append(DeltaTable& table, const DataSource& source,
                           const WriteOptions& options) {
  NL_ASSIGN_OR_RETURN(Engine * engine, table.GetEngine());
  NL_ASSIGN_OR_RETURN(PreparedWrite prepared,
                      PrepareWrite(table, *engine, source, options, /*overwrite=*/false));
  if (prepared.written.adds.empty() && !options.app_id) {
    // No rows: nothing to commit (a schema merge alone is not an append). An idempotent write
    // (app_id) still commits, to record its txn version.
    WriteResult result;
    result.version = prepared.snapshot->version;
    result.snapshot = prepared.snapshot;
    return result;
  }
  Transaction txn(&table.log(), prepared.snapshot);
  json parameters = {{"mode", "Append"},
                     {"partitionBy", StringArray(prepared.snapshot->partition_columns()).dump()}};
  if (options.schema_mode == SchemaMode::kMerge) parameters["mergeSchema"] = "true";
  txn.SetOperation("WRITE", parameters);
  // A schema change reads the metadata; plain appends read nothing (blind appends commute).
  return CommitPrepared(table, prepared, txn, options, 0);
}

Result<WriteResult> Overwrite(DeltaTable& table, const DataSource& source,
                              const std::optional<std::string>& predicate,
                              const WriteOptions& options) {
  NL_ASSIGN_OR_RETURN(Engine * engine, table.GetEngine());
  if (predicate && options.schema_mode == SchemaMode::kOverwrite) {
    return Status::Invalid("schema mode 'overwrite' replaces the whole table; it cannot be "
                           "combined with a predicate");
  }
  std::shared_ptr<const Snapshot> snapshot;
  std::vector<const AddFile*> removed;
  if (predicate) {
    // Validate the predicate (partition columns only) before writing anything.
    NL_ASSIGN_OR_RETURN(snapshot, LatestForWrite(table));
    NL_ASSIGN_OR_RETURN(removed, FilesMatching(*engine, *snapshot, *predicate));
    // Every new row must satisfy the predicate.
    auto violations = engine::CountRowsNotSatisfying(*engine, source.rows, *predicate);
    if (!violations.ok()) {
      return Status::Invalid("cannot check the new data against predicate '" + *predicate +
                             "': " + violations.status().message());
    }
    int64_t count = *violations;
    if (count > 0) {
      return Status::Invalid(std::to_string(count) + " row(s) of the new data do not satisfy the "
                             "overwrite predicate '" + *predicate + "'");
    }
  }
  NL_ASSIGN_OR_RETURN(PreparedWrite prepared,
                      PrepareWrite(table, *engine, source, options, /*overwrite=*/true));
  if (prepared.new_metadata && options.schema_mode == SchemaMode::kOverwrite) {
    // Properties and partitioning stay; the schema is the data's.
  }
  if (predicate) {
    // The snapshot may have advanced between validation and writing: re-evaluate on the one the
    // transaction reads.
    NL_ASSIGN_OR_RETURN(removed, FilesMatching(*engine, *prepared.snapshot, *predicate));
  } else {
    removed.clear();
    for (const auto& file : prepared.snapshot->files) removed.push_back(&file);
  }
  Transaction txn(&table.log(), prepared.snapshot);
  json parameters = {{"mode", "Overwrite"},
                     {"partitionBy", StringArray(prepared.snapshot->partition_columns()).dump()}};
  if (predicate) parameters["predicate"] = *predicate;
  std::string schema_mode = OperationSchemaMode(options.schema_mode);
  if (!schema_mode.empty()) parameters["schemaMode"] = schema_mode;
  txn.SetOperation("WRITE", parameters);
  if (predicate) {
    txn.ReadPartitions(PartitionPredicate(engine, prepared.snapshot, *predicate), *predicate);
  } else {
    txn.ReadWholeTable();
  }
  int64_t now = NowMs();
  for (const AddFile* file : removed) {
    txn.ReadFile(file->path);
    txn.AddAction(RemoveFor(*file, now));
  }
  return CommitPrepared(table, prepared, txn, options, static_cast<int64_t>(removed.size()));
}


}  // namespace neuralake::delta
