// Delta log actions: the typed form of one line of a `_delta_log/<version>.json` commit file.
//
// Each action type mirrors the Delta protocol (PROTOCOL.md, "Actions"): protocol, metaData, add,
// remove, txn, commitInfo and domainMetadata. Actions we do not interpret (cdc, sidecar,
// checkpointMetadata, anything newer) parse into UnknownAction and are kept verbatim, as the
// protocol requires readers to tolerate them.
//
// Paths: in the log, add/remove paths are URIs (RFC 2396), i.e. percent-encoded. In these structs
// `path` is always the DECODED form (the relative object key below the table root, or an absolute
// URI); ParseAction decodes and ActionToJson encodes.
//
// Plain value types; no I/O; thread-compatible.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "neuralake/common/result.h"

namespace neuralake::delta {

struct Protocol {
  int32_t min_reader_version = 1;
  int32_t min_writer_version = 2;
  // Present only for reader version 3 / writer version 7.
  std::optional<std::vector<std::string>> reader_features;
  std::optional<std::vector<std::string>> writer_features;

  bool HasReaderFeature(std::string_view feature) const;
  bool HasWriterFeature(std::string_view feature) const;
  bool operator==(const Protocol&) const = default;
};

struct Format {
  std::string provider = "parquet";
  std::map<std::string, std::string> options;
  bool operator==(const Format&) const = default;
};

struct Metadata {
  std::string id;
  std::optional<std::string> name;
  std::optional<std::string> description;
  Format format;
  std::string schema_string;
  std::vector<std::string> partition_columns;
  std::map<std::string, std::string> configuration;
  std::optional<int64_t> created_time;
  bool operator==(const Metadata&) const = default;
};

// Partition column -> serialized value; std::nullopt is a null partition value.
using PartitionValues = std::map<std::string, std::optional<std::string>>;

struct DeletionVectorDescriptor {
  std::string storage_type;  // "u", "i" or "p"
  std::string path_or_inline_dv;
  std::optional<int32_t> offset;
  int32_t size_in_bytes = 0;
  int64_t cardinality = 0;

  // `<storageType><pathOrInlineDv>[@<offset>]`, the DV part of a logical file's key.
  std::string UniqueId() const;
  bool operator==(const DeletionVectorDescriptor&) const = default;
};

struct AddFile {
  std::string path;  // decoded
  PartitionValues partition_values;
  int64_t size = 0;
  int64_t modification_time = 0;
  bool data_change = true;
  std::optional<std::string> stats;  // the JSON statistics document, as a string
  std::optional<std::map<std::string, std::string>> tags;
  std::optional<DeletionVectorDescriptor> deletion_vector;
  std::optional<int64_t> base_row_id;
  std::optional<int64_t> default_row_commit_version;
  std::optional<std::string> clustering_provider;

  // Key of the logical file: path, plus the DV id when there is one.
  std::string LogicalKey() const;
  bool operator==(const AddFile&) const = default;
};

struct RemoveFile {
  std::string path;  // decoded
  std::optional<int64_t> deletion_timestamp;
  bool data_change = true;
  std::optional<bool> extended_file_metadata;
  std::optional<PartitionValues> partition_values;
  std::optional<int64_t> size;
  std::optional<std::string> stats;
  std::optional<std::map<std::string, std::string>> tags;
  std::optional<DeletionVectorDescriptor> deletion_vector;
  std::optional<int64_t> base_row_id;
  std::optional<int64_t> default_row_commit_version;

  std::string LogicalKey() const;
  bool operator==(const RemoveFile&) const = default;
};

// The remove action that logically deletes `add` at `timestamp_ms`, with extended metadata.
RemoveFile RemoveFor(const AddFile& add, int64_t timestamp_ms, bool data_change = true);

struct SetTransaction {
  std::string app_id;
  int64_t version = 0;
  std::optional<int64_t> last_updated;
  bool operator==(const SetTransaction&) const = default;
};

// Free-form provenance. `fields` is the whole commitInfo object; accessors read the known keys.
struct CommitInfo {
  nlohmann::json fields = nlohmann::json::object();

  std::optional<int64_t> Timestamp() const;
  std::optional<int64_t> InCommitTimestamp() const;
  std::string Operation() const;  // "" when absent
  bool operator==(const CommitInfo&) const = default;
};

struct DomainMetadata {
  std::string domain;
  std::string configuration;
  bool removed = false;
  bool operator==(const DomainMetadata&) const = default;
};

// An action we do not interpret, kept as its key ("cdc") and JSON value.
struct UnknownAction {
  std::string key;
  nlohmann::json value;
  bool operator==(const UnknownAction&) const = default;
};

using Action = std::variant<Protocol, Metadata, AddFile, RemoveFile, SetTransaction, CommitInfo,
                            DomainMetadata, UnknownAction>;

// {"add": {...}} etc. Paths are URI-encoded; absent optionals are omitted.
nlohmann::json ActionToJson(const Action& action);
// Inverse of ActionToJson. Null-valued fields count as absent (checkpoint rows have them).
// Errors are Corrupt and describe the problem without naming a file (callers add that).
Result<Action> ActionFromJson(const nlohmann::json& json);

// One action as one line of JSON (no trailing newline).
std::string SerializeAction(const Action& action);
Result<Action> ParseAction(std::string_view line);

// A whole commit file: one action per line, each line '\n'-terminated.
std::string SerializeCommit(const std::vector<Action>& actions);
// Parses a commit file; a malformed line fails with Corrupt naming `file_name` and the line.
Result<std::vector<Action>> ParseCommit(std::string_view text, std::string_view file_name);

// Percent-encoding of add/remove paths: every byte other than A-Z a-z 0-9 - . _ ~ / = is encoded.
std::string EncodePath(std::string_view path);
// Percent-decoding; Corrupt on a malformed escape.
Result<std::string> DecodePath(std::string_view uri);
// True for paths with a URI scheme ("s3://b/k", "file:/x"), which are not relative to the table.
bool IsAbsolutePath(std::string_view path);

}  // namespace neuralake::delta
