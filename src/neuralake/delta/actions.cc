#include "neuralake/delta/actions.h"

#include <algorithm>
#include <cctype>

#include "neuralake/common/json.h"

namespace neuralake::delta {
namespace {

using nlohmann::json;

// A field that is absent or null counts as absent.
const json* Field(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

// Thrown inside the parsers only; ActionFromJson turns it into a Status.
struct ParseError {
  std::string message;
};

std::string RequiredString(const json& object, const char* action, const char* key) {
  const json* value = Field(object, key);
  if (value == nullptr) throw ParseError{std::string(action) + " action has no '" + key + "'"};
  if (!value->is_string()) {
    throw ParseError{std::string(action) + "." + key + " is not a string"};
  }
  return value->get<std::string>();
}

int64_t ToInt64(const json& value, const char* action, const char* key) {
  if (value.is_number_integer()) return value.get<int64_t>();
  if (value.is_number_float()) return static_cast<int64_t>(value.get<double>());
  if (value.is_string()) {  // some writers quote numbers
    try {
      return std::stoll(value.get<std::string>());
    } catch (...) {
    }
  }
  throw ParseError{std::string(action) + "." + key + " is not an integer"};
}

std::optional<int64_t> OptionalInt64(const json& object, const char* action, const char* key) {
  const json* value = Field(object, key);
  if (value == nullptr) return std::nullopt;
  return ToInt64(*value, action, key);
}

int64_t RequiredInt64(const json& object, const char* action, const char* key) {
  auto value = OptionalInt64(object, action, key);
  if (!value) throw ParseError{std::string(action) + " action has no '" + key + "'"};
  return *value;
}

std::optional<std::string> OptionalString(const json& object, const char* key) {
  const json* value = Field(object, key);
  if (value == nullptr) return std::nullopt;
  if (value->is_string()) return value->get<std::string>();
  return value->dump();
}

std::optional<bool> OptionalBool(const json& object, const char* action, const char* key) {
  const json* value = Field(object, key);
  if (value == nullptr) return std::nullopt;
  if (value->is_boolean()) return value->get<bool>();
  if (value->is_string()) {
    std::string text = value->get<std::string>();
    if (text == "true") return true;
    if (text == "false") return false;
  }
  throw ParseError{std::string(action) + "." + key + " is not a boolean"};
}

std::map<std::string, std::string> StringMap(const json& value, const char* what) {
  std::map<std::string, std::string> out;
  if (value.is_null()) return out;
  if (!value.is_object()) throw ParseError{std::string(what) + " is not an object"};
  for (auto it = value.begin(); it != value.end(); ++it) {
    if (it.value().is_null()) continue;
    out[it.key()] = it.value().is_string() ? it.value().get<std::string>()
                                             : it.value().dump(-1, ' ', false,
                                                               json::error_handler_t::replace);
  }
  return out;
}

std::optional<std::map<std::string, std::string>> OptionalStringMap(const json& object,
                                                                     const char* key) {
  const json* value = Field(object, key);
  if (value == nullptr) return std::nullopt;
  return StringMap(*value, key);
}

PartitionValues ParsePartitionValues(const json& value) {
  PartitionValues out;
  if (value.is_null()) return out;
  if (!value.is_object()) throw ParseError{"partitionValues is not an object"};
  for (auto it = value.begin(); it != value.end(); ++it) {
    const json& v = it.value();
    if (v.is_null()) {
      out[it.key()] = std::nullopt;
    } else {
      std::string text = v.is_string() ? v.get<std::string>()
                                       : v.dump(-1, ' ', false, json::error_handler_t::replace);
      // The protocol: an empty string is a null partition value.
      if (text.empty()) {
        out[it.key()] = std::nullopt;
      } else {
        out[it.key()] = std::move(text);
      }
    }
  }
  return out;
}

json PartitionValuesToJson(const PartitionValues& values) {
  json out = json::object();
  for (const auto& [key, value] : values) {
    out[key] = value ? json(*value) : json(nullptr);
  }
  return out;
}

json StringMapToJson(const std::map<std::string, std::string>& values) {
  json out = json::object();
  for (const auto& [key, value] : values) out[key] = value;
  return out;
}

std::string DecodedPath(const json& object, const char* action) {
  std::string raw = RequiredString(object, action, "path");
  auto decoded = DecodePath(raw);
  if (!decoded.ok()) throw ParseError{std::string(action) + ".path: " + decoded.status().message()};
  return *decoded;
}

std::optional<DeletionVectorDescriptor> ParseDeletionVector(const json& object) {
  const json* value = Field(object, "deletionVector");
  if (value == nullptr) return std::nullopt;
  if (!value->is_object()) throw ParseError{"deletionVector is not an object"};
  DeletionVectorDescriptor dv;
  dv.storage_type = RequiredString(*value, "deletionVector", "storageType");
  dv.path_or_inline_dv = RequiredString(*value, "deletionVector", "pathOrInlineDv");
  auto offset = OptionalInt64(*value, "deletionVector", "offset");
  if (offset) dv.offset = static_cast<int32_t>(*offset);
  dv.size_in_bytes =
      static_cast<int32_t>(OptionalInt64(*value, "deletionVector", "sizeInBytes").value_or(0));
  dv.cardinality = OptionalInt64(*value, "deletionVector", "cardinality").value_or(0);
  return dv;
}

json DeletionVectorToJson(const DeletionVectorDescriptor& dv) {
  json out = {{"storageType", dv.storage_type},
              {"pathOrInlineDv", dv.path_or_inline_dv},
              {"sizeInBytes", dv.size_in_bytes},
              {"cardinality", dv.cardinality}};
  if (dv.offset) out["offset"] = *dv.offset;
  return out;
}

std::optional<std::vector<std::string>> OptionalStringList(const json& object, const char* action,
                                                           const char* key) {
  const json* value = Field(object, key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_array()) throw ParseError{std::string(action) + "." + key + " is not an array"};
  std::vector<std::string> out;
  for (const json& item : *value) {
    if (!item.is_string()) {
      throw ParseError{std::string(action) + "." + key + " has a non-string element"};
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

Protocol ParseProtocol(const json& object) {
  Protocol protocol;
  protocol.min_reader_version =
      static_cast<int32_t>(RequiredInt64(object, "protocol", "minReaderVersion"));
  protocol.min_writer_version =
      static_cast<int32_t>(RequiredInt64(object, "protocol", "minWriterVersion"));
  protocol.reader_features = OptionalStringList(object, "protocol", "readerFeatures");
  protocol.writer_features = OptionalStringList(object, "protocol", "writerFeatures");
  return protocol;
}

Metadata ParseMetadata(const json& object) {
  Metadata metadata;
  metadata.id = RequiredString(object, "metaData", "id");
  metadata.name = OptionalString(object, "name");
  metadata.description = OptionalString(object, "description");
  if (const json* format = Field(object, "format")) {
    if (!format->is_object()) throw ParseError{"metaData.format is not an object"};
    metadata.format.provider = OptionalString(*format, "provider").value_or("parquet");
    if (const json* options = Field(*format, "options")) {
      metadata.format.options = StringMap(*options, "metaData.format.options");
    }
  }
  metadata.schema_string = RequiredString(object, "metaData", "schemaString");
  metadata.partition_columns =
      OptionalStringList(object, "metaData", "partitionColumns").value_or(std::vector<std::string>{});
  if (const json* configuration = Field(object, "configuration")) {
    metadata.configuration = StringMap(*configuration, "metaData.configuration");
  }
  metadata.created_time = OptionalInt64(object, "metaData", "createdTime");
  return metadata;
}

AddFile ParseAdd(const json& object) {
  AddFile add;
  add.path = DecodedPath(object, "add");
  if (const json* values = Field(object, "partitionValues")) {
    add.partition_values = ParsePartitionValues(*values);
  }
  add.size = OptionalInt64(object, "add", "size").value_or(0);
  add.modification_time = OptionalInt64(object, "add", "modificationTime").value_or(0);
  add.data_change = OptionalBool(object, "add", "dataChange").value_or(true);
  add.stats = OptionalString(object, "stats");
  add.tags = OptionalStringMap(object, "tags");
  add.deletion_vector = ParseDeletionVector(object);
  add.base_row_id = OptionalInt64(object, "add", "baseRowId");
  add.default_row_commit_version = OptionalInt64(object, "add", "defaultRowCommitVersion");
  add.clustering_provider = OptionalString(object, "clusteringProvider");
  return add;
}

RemoveFile ParseRemove(const json& object) {
  RemoveFile remove;
  remove.path = DecodedPath(object, "remove");
  remove.deletion_timestamp = OptionalInt64(object, "remove", "deletionTimestamp");
  remove.data_change = OptionalBool(object, "remove", "dataChange").value_or(true);
  remove.extended_file_metadata = OptionalBool(object, "remove", "extendedFileMetadata");
  if (const json* values = Field(object, "partitionValues")) {
    remove.partition_values = ParsePartitionValues(*values);
  }
  remove.size = OptionalInt64(object, "remove", "size");
  remove.stats = OptionalString(object, "stats");
  remove.tags = OptionalStringMap(object, "tags");
  remove.deletion_vector = ParseDeletionVector(object);
  remove.base_row_id = OptionalInt64(object, "remove", "baseRowId");
  remove.default_row_commit_version = OptionalInt64(object, "remove", "defaultRowCommitVersion");
  return remove;
}

SetTransaction ParseTxn(const json& object) {
  SetTransaction txn;
  txn.app_id = RequiredString(object, "txn", "appId");
  txn.version = RequiredInt64(object, "txn", "version");
  txn.last_updated = OptionalInt64(object, "txn", "lastUpdated");
  return txn;
}

DomainMetadata ParseDomainMetadata(const json& object) {
  DomainMetadata domain;
  domain.domain = RequiredString(object, "domainMetadata", "domain");
  domain.configuration = OptionalString(object, "configuration").value_or("");
  domain.removed = OptionalBool(object, "domainMetadata", "removed").value_or(false);
  return domain;
}

struct ToJsonVisitor {
  json operator()(const Protocol& protocol) const {
    json out = {{"minReaderVersion", protocol.min_reader_version},
                {"minWriterVersion", protocol.min_writer_version}};
    if (protocol.reader_features) out["readerFeatures"] = *protocol.reader_features;
    if (protocol.writer_features) out["writerFeatures"] = *protocol.writer_features;
    return {{"protocol", out}};
  }
  json operator()(const Metadata& metadata) const {
    json out = json::object();
    out["id"] = metadata.id;
    if (metadata.name) out["name"] = *metadata.name;
    if (metadata.description) out["description"] = *metadata.description;
    out["format"] = {{"provider", metadata.format.provider},
                     {"options", StringMapToJson(metadata.format.options)}};
    out["schemaString"] = metadata.schema_string;
    out["partitionColumns"] = metadata.partition_columns;
    out["configuration"] = StringMapToJson(metadata.configuration);
    if (metadata.created_time) out["createdTime"] = *metadata.created_time;
    return {{"metaData", out}};
  }
  json operator()(const AddFile& add) const {
    json out = json::object();
    out["path"] = EncodePath(add.path);
    out["partitionValues"] = PartitionValuesToJson(add.partition_values);
    out["size"] = add.size;
    out["modificationTime"] = add.modification_time;
    out["dataChange"] = add.data_change;
    if (add.stats) out["stats"] = *add.stats;
    if (add.tags) out["tags"] = StringMapToJson(*add.tags);
    if (add.deletion_vector) out["deletionVector"] = DeletionVectorToJson(*add.deletion_vector);
    if (add.base_row_id) out["baseRowId"] = *add.base_row_id;
    if (add.default_row_commit_version) {
      out["defaultRowCommitVersion"] = *add.default_row_commit_version;
    }
    if (add.clustering_provider) out["clusteringProvider"] = *add.clustering_provider;
    return {{"add", out}};
  }
  json operator()(const RemoveFile& remove) const {
    json out = json::object();
    out["path"] = EncodePath(remove.path);
    if (remove.deletion_timestamp) out["deletionTimestamp"] = *remove.deletion_timestamp;
    out["dataChange"] = remove.data_change;
    if (remove.extended_file_metadata) out["extendedFileMetadata"] = *remove.extended_file_metadata;
    if (remove.partition_values) {
      out["partitionValues"] = PartitionValuesToJson(*remove.partition_values);
    }
    if (remove.size) out["size"] = *remove.size;
    if (remove.stats) out["stats"] = *remove.stats;
    if (remove.tags) out["tags"] = StringMapToJson(*remove.tags);
    if (remove.deletion_vector) {
      out["deletionVector"] = DeletionVectorToJson(*remove.deletion_vector);
    }
    if (remove.base_row_id) out["baseRowId"] = *remove.base_row_id;
    if (remove.default_row_commit_version) {
      out["defaultRowCommitVersion"] = *remove.default_row_commit_version;
    }
    return {{"remove", out}};
  }
  json operator()(const SetTransaction& txn) const {
    json out = {{"appId", txn.app_id}, {"version", txn.version}};
    if (txn.last_updated) out["lastUpdated"] = *txn.last_updated;
    return {{"txn", out}};
  }
  json operator()(const CommitInfo& info) const { return {{"commitInfo", info.fields}}; }
  json operator()(const DomainMetadata& domain) const {
    return {{"domainMetadata",
             {{"domain", domain.domain},
              {"configuration", domain.configuration},
              {"removed", domain.removed}}}};
  }
  json operator()(const UnknownAction& unknown) const { return {{unknown.key, unknown.value}}; }
};

bool IsUnreserved(unsigned char c) {
  return std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/' || c == '=';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool ContainsFeature(const std::optional<std::vector<std::string>>& features,
                     std::string_view feature) {
  return features && std::find(features->begin(), features->end(), feature) != features->end();
}

std::optional<int64_t> IntegerField(const json& fields, const char* key) {
  auto it = fields.find(key);
  if (it == fields.end()) return std::nullopt;
  if (it->is_number_integer()) return it->get<int64_t>();
  if (it->is_number_float()) return static_cast<int64_t>(it->get<double>());
  return std::nullopt;
}

}  // namespace

bool Protocol::HasReaderFeature(std::string_view feature) const {
  return ContainsFeature(reader_features, feature);
}

bool Protocol::HasWriterFeature(std::string_view feature) const {
  return ContainsFeature(writer_features, feature);
}

std::string DeletionVectorDescriptor::UniqueId() const {
  std::string id = storage_type + path_or_inline_dv;
  if (offset) id += "@" + std::to_string(*offset);
  return id;
}

std::string AddFile::LogicalKey() const {
  return deletion_vector ? path + '\0' + deletion_vector->UniqueId() : path;
}

std::string RemoveFile::LogicalKey() const {
  return deletion_vector ? path + '\0' + deletion_vector->UniqueId() : path;
}

RemoveFile RemoveFor(const AddFile& add, int64_t timestamp_ms, bool data_change) {
  RemoveFile remove;
  remove.path = add.path;
  remove.deletion_timestamp = timestamp_ms;
  remove.data_change = data_change;
  remove.extended_file_metadata = true;
  remove.partition_values = add.partition_values;
  remove.size = add.size;
  remove.stats = add.stats;
  remove.tags = add.tags;
  remove.deletion_vector = add.deletion_vector;
  remove.base_row_id = add.base_row_id;
  remove.default_row_commit_version = add.default_row_commit_version;
  return remove;
}

std::optional<int64_t> CommitInfo::Timestamp() const {
  if (!fields.is_object()) return std::nullopt;
  return IntegerField(fields, "timestamp");
}

std::optional<int64_t> CommitInfo::InCommitTimestamp() const {
  if (!fields.is_object()) return std::nullopt;
  return IntegerField(fields, "inCommitTimestamp");
}

std::string CommitInfo::Operation() const {
  if (!fields.is_object()) return "";
  auto it = fields.find("operation");
  return it != fields.end() && it->is_string() ? it->get<std::string>() : "";
}

nlohmann::json ActionToJson(const Action& action) { return std::visit(ToJsonVisitor{}, action); }

Result<Action> ActionFromJson(const nlohmann::json& value) {
  if (!value.is_object()) return Status::Corrupt("an action is not a JSON object");
  // An action is an object with one non-null key. Checkpoint rows carry the other action
  // columns as nulls, so skip those.
  const std::string* key = nullptr;
  const json* body = nullptr;
  for (auto it = value.begin(); it != value.end(); ++it) {
    if (it.value().is_null()) continue;
    if (key != nullptr) {
      return Status::Corrupt("an action has two keys ('" + *key + "' and '" + it.key() + "')");
    }
    key = &it.key();
    body = &it.value();
  }
  if (key == nullptr) return Status::Corrupt("an action has no key");
  try {
    if (*key == "commitInfo") {
      CommitInfo info;
      info.fields = *body;
      return Action(std::move(info));
    }
    if (!body->is_object()) {
      if (*key == "protocol" || *key == "metaData" || *key == "add" || *key == "remove" ||
          *key == "txn" || *key == "domainMetadata") {
        return Status::Corrupt("'" + *key + "' action is not a JSON object");
      }
      return Action(UnknownAction{*key, *body});
    }
    if (*key == "add") return Action(ParseAdd(*body));
    if (*key == "remove") return Action(ParseRemove(*body));
    if (*key == "metaData") return Action(ParseMetadata(*body));
    if (*key == "protocol") return Action(ParseProtocol(*body));
    if (*key == "txn") return Action(ParseTxn(*body));
    if (*key == "domainMetadata") return Action(ParseDomainMetadata(*body));
    return Action(UnknownAction{*key, *body});
  } catch (const ParseError& error) {
    return Status::Corrupt(error.message);
  } catch (const std::exception& error) {
    return Status::Corrupt(std::string("malformed '") + *key + "' action: " + error.what());
  }
}

std::string SerializeAction(const Action& action) {
  // Invalid UTF-8 (e.g. a partition value from a foreign writer) is replaced, never thrown.
  return ActionToJson(action).dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<Action> ParseAction(std::string_view line) {
  NL_ASSIGN_OR_RETURN(json value, ParseJson(line));
  return ActionFromJson(value);
}

std::string SerializeCommit(const std::vector<Action>& actions) {
  std::string out;
  for (const Action& action : actions) {
    out += SerializeAction(action);
    out += '\n';
  }
  return out;
}

Result<std::vector<Action>> ParseCommit(std::string_view text, std::string_view file_name) {
  std::vector<Action> actions;
  size_t start = 0;
  int line_number = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    auto action = ParseAction(line);
    if (!action.ok()) {
      return Status::Corrupt(std::string(file_name) + " line " + std::to_string(line_number) +
                             ": " + action.status().message());
    }
    actions.push_back(std::move(action).value());
  }
  return actions;
}

std::string EncodePath(std::string_view path) {
  if (IsAbsolutePath(path)) {
    // Keep the scheme and authority readable; encode the rest like a relative path.
    size_t scheme_end = path.find(':');
    size_t rest = scheme_end + 1;
    while (rest < path.size() && path[rest] == '/') ++rest;
    size_t authority_end = path.find('/', rest);
    if (authority_end == std::string_view::npos) return std::string(path);
    return std::string(path.substr(0, authority_end)) + EncodePath(path.substr(authority_end));
  }
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(path.size());
  for (unsigned char c : path) {
    if (IsUnreserved(c)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

Result<std::string> DecodePath(std::string_view uri) {
  std::string out;
  out.reserve(uri.size());
  for (size_t i = 0; i < uri.size(); ++i) {
    if (uri[i] != '%') {
      out += uri[i];
      continue;
    }
    if (i + 2 >= uri.size()) {
      return Status::Corrupt("malformed percent-escape in path '" + std::string(uri) + "'");
    }
    int high = HexValue(uri[i + 1]);
    int low = HexValue(uri[i + 2]);
    if (high < 0 || low < 0) {
      return Status::Corrupt("malformed percent-escape in path '" + std::string(uri) + "'");
    }
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

bool IsAbsolutePath(std::string_view path) {
  // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"; a one-letter "scheme" is a Windows
  // drive, which we do not treat as a URI.
  size_t colon = path.find(':');
  if (colon == std::string_view::npos || colon < 2) return false;
  if (!std::isalpha(static_cast<unsigned char>(path[0]))) return false;
  for (size_t i = 1; i < colon; ++i) {
    char c = path[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') {
      return false;
    }
  }
  return true;
}

}  // namespace neuralake::delta
