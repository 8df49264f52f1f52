#include "neuralake/delta/snapshot.h"

#include <algorithm>
#include <cctype>
#include <variant>

namespace neuralake::delta {
namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool Contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// True if any field (at any depth) has a metadata key starting with `prefix`.
bool AnyFieldMetadata(const std::vector<StructField>& fields, std::string_view prefix) {
  for (const auto& field : fields) {
    if (field.metadata.is_object()) {
      for (auto it = field.metadata.begin(); it != field.metadata.end(); ++it) {
        if (it.key().rfind(prefix, 0) == 0) return true;
      }
    }
    const DataType* type = &field.type;
    while (type->kind() == DataType::Kind::kArray || type->kind() == DataType::Kind::kMap) {
      if (type->kind() == DataType::Kind::kMap &&
          type->key().kind() == DataType::Kind::kStruct &&
          AnyFieldMetadata(type->key().fields(), prefix)) {
        return true;
      }
      type = type->kind() == DataType::Kind::kArray ? &type->element() : &type->value();
    }
    if (type->kind() == DataType::Kind::kStruct && AnyFieldMetadata(type->fields(), prefix)) {
      return true;
    }
  }
  return false;
}

ColumnMappingMode MappingModeOf(const Protocol& protocol, const Metadata& metadata) {
  bool honoured = protocol.min_reader_version == 2 ||
                  (protocol.min_reader_version >= 3 && protocol.HasReaderFeature("columnMapping"));
  if (!honoured) return ColumnMappingMode::kNone;
  auto it = metadata.configuration.find(std::string(kColumnMappingModeProperty));
  if (it == metadata.configuration.end()) return ColumnMappingMode::kNone;
  std::string mode = Lower(it->second);
  if (mode == "name") return ColumnMappingMode::kName;
  if (mode == "id") return ColumnMappingMode::kId;
  return ColumnMappingMode::kNone;
}

Status UnsupportedFeature(const char* kind, std::string_view feature) {
  return Status::Unsupported("table requires " + std::string(kind) + " feature '" +
                             std::string(feature) + "' which neuralake does not support");
}

}  // namespace

const std::vector<std::string>& SupportedReaderFeatures() {
  static const std::vector<std::string> kFeatures = {
      "columnMapping", "timestampNtz", "typeWidening", "typeWidening-preview",
      "vacuumProtocolCheck", "deletionVectors", "v2Checkpoint"};
  return kFeatures;
}

const std::vector<std::string>& SupportedWriterFeatures() {
  static const std::vector<std::string> kFeatures = {
      "appendOnly",        "invariants",      "checkConstraints",    "changeDataFeed",
      "generatedColumns",  "identityColumns", "columnMapping",       "timestampNtz",
      "domainMetadata",    "vacuumProtocolCheck", "inCommitTimestamp", "typeWidening",
      "typeWidening-preview", "deletionVectors", "v2Checkpoint", "clustering",
      // Accepted only while delta.rowTrackingSuspended=true (see CheckWriteSupported).
      "rowTracking"};
  return kFeatures;
}

std::optional<int64_t> Snapshot::AppTransactionVersion(std::string_view app_id) const {
  auto it = app_transactions.find(std::string(app_id));
  if (it == app_transactions.end()) return std::nullopt;
  return it->second.version;
}

int64_t Snapshot::TotalBytes() const {
  int64_t total = 0;
  for (const auto& file : files) total += file.size;
  return total;
}

std::optional<std::string> Snapshot::Property(std::string_view key) const {
  auto it = metadata.configuration.find(std::string(key));
  if (it == metadata.configuration.end()) return std::nullopt;
  return it->second;
}

int64_t Snapshot::CheckpointInterval() const {
  auto value = Property(kCheckpointIntervalProperty);
  if (value) {
    try {
      int64_t interval = std::stoll(*value);
      if (interval > 0) return interval;
    } catch (...) {
    }
  }
  return 100;
}

ColumnMappingMode Snapshot::column_mapping_mode() const {
  return MappingModeOf(protocol, metadata);
}

std::optional<int64_t> Snapshot::VersionTimestamp() const {
  auto it = commit_timestamps.find(version);
  if (it == commit_timestamps.end()) return std::nullopt;
  return it->second;
}

LogReplay::LogReplay(const Snapshot& base)
    : version_(base.version),
      checkpoint_version_(base.checkpoint_version),
      protocol_(base.protocol),
      metadata_(base.metadata),
      app_transactions_(base.app_transactions),
      domains_(base.domains),
      commit_timestamps_(base.commit_timestamps) {
  files_.reserve(base.files.size());
  for (const auto& file : base.files) files_.emplace(file.LogicalKey(), file);
  for (const auto& tombstone : base.tombstones) tombstones_.emplace(tombstone.LogicalKey(), tombstone);
}

void LogReplay::Apply(const Action& action) {
  if (const auto* add = std::get_if<AddFile>(&action)) {
    std::string key = add->LogicalKey();
    tombstones_.erase(key);
    files_.insert_or_assign(std::move(key), *add);
  } else if (const auto* remove = std::get_if<RemoveFile>(&action)) {
    std::string key = remove->LogicalKey();
    files_.erase(key);
    tombstones_.insert_or_assign(std::move(key), *remove);
  } else if (const auto* metadata = std::get_if<Metadata>(&action)) {
    metadata_ = *metadata;
  } else if (const auto* protocol = std::get_if<Protocol>(&action)) {
    protocol_ = *protocol;
  } else if (const auto* txn = std::get_if<SetTransaction>(&action)) {
    app_transactions_.insert_or_assign(txn->app_id, *txn);
  } else if (const auto* domain = std::get_if<DomainMetadata>(&action)) {
    if (domain->removed) {
      domains_.erase(domain->domain);
    } else {
      domains_.insert_or_assign(domain->domain, *domain);
    }
  }
  // commitInfo and unknown actions do not change the state.
}

namespace {

// A version as log file names spell it: 20 digits, zero-padded.
std::string PaddedVersion(int64_t version) {
  std::string digits = std::to_string(version);
  return std::string(20 - std::min<size_t>(20, digits.size()), '0') + digits;
}

}  // namespace

Status LogReplay::ApplyCheckpoint(int64_t version, const std::vector<Action>& actions) {
  if (version_ >= 0) {
    return Status::Internal("a checkpoint must be applied before any commit");
  }
  for (const Action& action : actions) Apply(action);
  version_ = version;
  checkpoint_version_ = version;
  metadata_source_ = "the checkpoint _delta_log/" + PaddedVersion(version) + ".checkpoint*.parquet";
  return Status::OK();
}

Status LogReplay::ApplyCommit(int64_t version, const std::vector<Action>& actions,
                              int64_t file_modified_ms) {
  if (version != version_ + 1) {
    return Status::Corrupt("log replay expected version " + std::to_string(version_ + 1) +
                           " but got version " + std::to_string(version));
  }
  std::optional<int64_t> timestamp;
  for (const Action& action : actions) {
    if (const auto* info = std::get_if<CommitInfo>(&action)) {
      timestamp = info->InCommitTimestamp();
      if (!timestamp) timestamp = info->Timestamp();
    }
    if (std::holds_alternative<Metadata>(action)) {
      metadata_source_ = "_delta_log/" + PaddedVersion(version) + ".json";
    }
    Apply(action);
  }
  commit_timestamps_[version] = timestamp.value_or(file_modified_ms);
  version_ = version;
  return Status::OK();
}

Result<Snapshot> LogReplay::Finish(std::string table_uri) const {
  if (version_ < 0) return Status::NotFound("no Delta table at '" + table_uri + "'");
  if (!protocol_) {
    return Status::Corrupt("Delta log '" + table_uri + "/_delta_log' has no protocol action up to version " +
                           std::to_string(version_));
  }
  if (!metadata_) {
    return Status::Corrupt("Delta log '" + table_uri + "/_delta_log' has no metaData action up to version " +
                           std::to_string(version_));
  }
  Snapshot snapshot;
  snapshot.table_uri = std::move(table_uri);
  snapshot.version = version_;
  snapshot.protocol = *protocol_;
  snapshot.metadata = *metadata_;
  auto schema = ParseSchema(metadata_->schema_string);
  if (!schema.ok()) {
    std::string source = metadata_source_.empty() ? "version " + std::to_string(version_)
                                                  : metadata_source_;
    return schema.status().WithContext("metaData in " + source);
  }
  snapshot.schema = std::move(schema).value();
  snapshot.files.reserve(files_.size());
  for (const auto& [key, file] : files_) snapshot.files.push_back(file);
  std::sort(snapshot.files.begin(), snapshot.files.end(),
            [](const AddFile& a, const AddFile& b) { return a.LogicalKey() < b.LogicalKey(); });
  snapshot.tombstones.reserve(tombstones_.size());
  for (const auto& [key, tombstone] : tombstones_) snapshot.tombstones.push_back(tombstone);
  std::sort(snapshot.tombstones.begin(), snapshot.tombstones.end(),
            [](const RemoveFile& a, const RemoveFile& b) { return a.LogicalKey() < b.LogicalKey(); });
  snapshot.app_transactions = app_transactions_;
  snapshot.domains = domains_;
  snapshot.commit_timestamps = commit_timestamps_;
  snapshot.checkpoint_version = checkpoint_version_;
  return snapshot;
}

Status CheckReadSupported(const Protocol& protocol, const Metadata& metadata) {
  if (protocol.min_reader_version < 1 || protocol.min_reader_version > 3) {
    return Status::Unsupported("table requires Delta reader version " +
                               std::to_string(protocol.min_reader_version) +
                               "; neuralake reads versions 1 to 3");
  }
  if (protocol.min_reader_version == 3) {
    if (!protocol.reader_features) {
      return Status::Corrupt("protocol has reader version 3 but no readerFeatures");
    }
    for (const auto& feature : *protocol.reader_features) {
      if (!Contains(SupportedReaderFeatures(), feature)) {
        return UnsupportedFeature("reader", feature);
      }
    }
  }
  if (metadata.format.provider != "parquet") {
    return Status::Unsupported("table data format '" + metadata.format.provider +
                               "' is not supported (only parquet)");
  }
  return Status::OK();
}

Status CheckWriteSupported(const Protocol& protocol, const Metadata& metadata,
                           const Schema& schema) {
  NL_RETURN_NOT_OK(CheckReadSupported(protocol, metadata));
  if (protocol.min_writer_version < 1 || protocol.min_writer_version > 7) {
    return Status::Unsupported("table requires Delta writer version " +
                               std::to_string(protocol.min_writer_version) +
                               "; neuralake writes versions 2 to 7");
  }
  if (protocol.min_writer_version == 7) {
    if (!protocol.writer_features) {
      return Status::Corrupt("protocol has writer version 7 but no writerFeatures");
    }
    for (const auto& feature : *protocol.writer_features) {
      if (!Contains(SupportedWriterFeatures(), feature)) {
        return UnsupportedFeature("writer", feature);
      }
    }
  }
  // Features that are supported in name but need work we do not do yet when they are active.
  auto active = [&](std::string_view feature, int legacy_writer_version) {
    return protocol.min_writer_version == 7
               ? protocol.HasWriterFeature(feature)
               : protocol.min_writer_version >= legacy_writer_version;
  };
  if (MappingModeOf(protocol, metadata) != ColumnMappingMode::kNone) {
    return Status::Unsupported(
        "writing tables with column mapping (delta.columnMapping.mode) is not supported yet");
  }
  // Column invariants (invariants) are enforced by every write, like CHECK constraints.
  // CHECK constraints (checkConstraints) are enforced by every write (constraints.h).
  if (active("generatedColumns", 4) &&
      AnyFieldMetadata(schema.fields, "delta.generationExpression")) {
    return Status::Unsupported("writing tables with generated columns is not supported yet");
  }
  if (active("identityColumns", 6) && AnyFieldMetadata(schema.fields, "delta.identity.")) {
    return Status::Unsupported("writing tables with identity columns is not supported yet");
  }
  // Row tracking: while supported and not suspended every write must assign baseRowId /
  // defaultRowCommitVersion and raise the delta.rowTracking high-water mark, which we do not yet.
  auto suspended = metadata.configuration.find("delta.rowTrackingSuspended");
  if (protocol.HasWriterFeature("rowTracking") &&
      (suspended == metadata.configuration.end() || Lower(suspended->second) != "true")) {
    return UnsupportedFeature("writer", "rowTracking");
  }
  return Status::OK();
}

}  // namespace neuralake::delta
