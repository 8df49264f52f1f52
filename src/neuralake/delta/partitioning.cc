// Partition values of written files, and predicates over partition columns (replaceWhere,
// DeleteRows on partition columns, conflict detection).

#include <map>
#include <mutex>

#include "neuralake/delta/writer_internal.h"

namespace neuralake::delta {
namespace write_internal {
namespace {

using engine::Engine;

// Partition values travel through the engine's PARTITION_BY as strings, and come back (the written
// files' partition values) exactly as they went in. The encoding E into those strings is
// injective, so every distinct Delta partition value gets its own group of files and decodes back
// to itself:
//   null and ''                     -> "__HIVE_DEFAULT_PARTITION__" (Delta/Spark: '' is null)
//   "__HIVE_DEFAULT_PARTITION__"    -> "%__HIVE_DEFAULT_PARTITION__"
//   any value starting with '%'     -> "%" + value
//   any other value                 -> itself
// The engine then percent-escapes the directory name (`p=a%2Fb`, `p=%25%25x` for "%x"); that layer
// is the engine's and is only undone for the path fallback below.
constexpr const char* kNullPartition = "__HIVE_DEFAULT_PARTITION__";
constexpr char kPartitionEscape = '%';

std::string Q(std::string_view name) { return Engine::QuoteIdentifier(name); }
std::string L(std::string_view text) { return Engine::QuoteLiteral(text); }

std::string PhysicalName(const StructField& field, ColumnMappingMode mode) {
  if (mode != ColumnMappingMode::kNone && field.metadata.is_object()) {
    auto it = field.metadata.find("delta.columnMapping.physicalName");
    if (it != field.metadata.end() && it->is_string()) return it->get<std::string>();
  }
  return field.name;
}

// "a%20b" -> "a b" (the engine escapes hive partition directory names this way).
std::string PercentDecode(std::string_view text) {
  auto decoded = DecodePath(text);
  return decoded.ok() ? *decoded : std::string(text);
}

// A typed SQL literal for a partition value read from the log (null and '' are NULL, as in Spark).
Result<std::string> PartitionLiteral(const std::optional<std::string>& value, const DataType& type) {
  NL_ASSIGN_OR_RETURN(std::string duck_type, DataTypeToDuckDb(type));
  if (!value || value->empty()) return "CAST(NULL AS " + duck_type + ")";
  std::string text = *value;
  if (type.IsPrimitive("timestamp")) {
    // "2024-01-01 10:00:00" (the protocol's form, delta-rs writes it) is UTC, not session time.
    bool zoned = false;
    for (size_t i = 10; i < text.size(); ++i) {
      zoned = zoned || text[i] == 'Z' || text[i] == 'z' || text[i] == '+' || text[i] == '-';
    }
    if (!zoned) text += text.size() <= 10 ? " 00:00:00+00" : "+00";  // a bare date is midnight
  }
  return "CAST(" + L(text) + " AS " + duck_type + ")";
}

struct PartitionTemplate {
  std::vector<std::string> columns;  // logical names
  std::vector<const StructField*> fields;
  std::vector<std::string> keys;  // partitionValues keys (physical names)
};

Result<PartitionTemplate> MakePartitionTemplate(const Snapshot& snapshot) {
  PartitionTemplate out;
  ColumnMappingMode mode = snapshot.column_mapping_mode();
  for (const auto& column : snapshot.partition_columns()) {
    const StructField* field = snapshot.schema.Find(column);
    if (field == nullptr) {
      return Status::Corrupt("partition column '" + column + "' is not in the table schema");
    }
    out.columns.push_back(field->name);
    out.fields.push_back(field);
    out.keys.push_back(PhysicalName(*field, mode));
  }
  return out;
}

Status PredicateError(const Status& status, const Snapshot& snapshot,
                      const std::string& predicate) {
  const std::string& message = status.message();
  std::string marker = "Referenced column \"";
  size_t at = message.find(marker);
  if (at != std::string::npos) {
    size_t start = at + marker.size();
    size_t end = message.find('"', start);
    std::string column = message.substr(start, end - start);
    std::string partitions;
    for (const auto& p : snapshot.partition_columns()) {
      partitions += (partitions.empty() ? "" : ", ") + p;
    }
    if (snapshot.schema.Find(column) != nullptr) {
      return Status::Unsupported(
          "predicate '" + predicate + "' references column '" + column +
          "', which is not a partition column; only predicates on partition columns" +
          (partitions.empty() ? std::string(" (the table has none)")
                              : " (" + partitions + ")") +
          " are supported for now");
    }
    return Status::Invalid("predicate '" + predicate + "' references unknown column '" + column +
                           "'");
  }
  return Status::Invalid("invalid predicate '" + predicate + "': " + message);
}

// Which of `tuples` satisfy `predicate`.
Result<std::vector<bool>> EvaluatePartitionPredicate(Engine& engine, const Snapshot& snapshot,
                                                     const std::string& predicate,
                                                     const std::vector<PartitionValues>& tuples) {
  NL_ASSIGN_OR_RETURN(PartitionTemplate partition, MakePartitionTemplate(snapshot));
  std::string sql = "SELECT __nl_index FROM (SELECT -1 AS __nl_index";
  for (size_t c = 0; c < partition.columns.size(); ++c) {
    NL_ASSIGN_OR_RETURN(std::string literal,
                        PartitionLiteral(std::nullopt, partition.fields[c]->type));
    sql += ", " + literal + " AS " + Q(partition.columns[c]);
  }
  for (size_t i = 0; i < tuples.size(); ++i) {
    sql += " UNION ALL SELECT " + std::to_string(i);
    for (size_t c = 0; c < partition.columns.size(); ++c) {
      auto it = tuples[i].find(partition.keys[c]);
      std::optional<std::string> value = it == tuples[i].end() ? std::nullopt : it->second;
      NL_ASSIGN_OR_RETURN(std::string literal, PartitionLiteral(value, partition.fields[c]->type));
      sql += ", " + literal;
    }
  }
  sql += ") AS __nl_partitions WHERE __nl_index >= 0 AND (" + predicate + ")";
  auto result = engine.Query(sql);
  if (!result.ok()) return PredicateError(result.status(), snapshot, predicate);
  std::vector<bool> matches(tuples.size(), false);
  for (const auto& row : result->rows) {
    if (!row.at(0)) continue;
    size_t index = static_cast<size_t>(std::stoll(*row[0]));
    if (index < matches.size()) matches[index] = true;
  }
  return matches;
}

std::string TupleKey(const PartitionValues& values) {
  std::string key;
  for (const auto& [name, value] : values) {
    key += name;
    key += value ? "=" + *value : "#null";
    key += '\0';
  }
  return key;
}

}  // namespace

engine::PartitionTextEncoding DeltaPartitionEncoding() {
  engine::PartitionTextEncoding encoding;
  encoding.null_value = kNullPartition;
  encoding.escape = kPartitionEscape;
  return encoding;
}

std::optional<std::string> DecodePartitionValue(std::string_view encoded) {
  if (encoded.empty() || encoded == kNullPartition) return std::nullopt;
  if (encoded.front() == kPartitionEscape) encoded.remove_prefix(1);
  return std::string(encoded);
}

PartitionValues PartitionValuesOf(const engine::WrittenFile& file, const std::string& relative_path,
                                  const std::vector<std::string>& partition_columns) {
  PartitionValues values;
  if (partition_columns.empty()) return values;
  std::map<std::string, std::string> found;
  for (const auto& [key, value] : file.partition_values) found[Lower(key)] = value;
  if (found.empty()) {
    // "city=paris/part-....parquet"
    size_t start = 0;
    while (true) {
      size_t slash = relative_path.find('/', start);
      if (slash == std::string::npos) break;
      std::string segment = relative_path.substr(start, slash - start);
      size_t equals = segment.find('=');
      if (equals != std::string::npos) {
        found[Lower(PercentDecode(segment.substr(0, equals)))] =
            PercentDecode(segment.substr(equals + 1));
      }
      start = slash + 1;
    }
  }
  for (const auto& column : partition_columns) {
    auto it = found.find(Lower(column));
    values[column] = it == found.end() ? std::nullopt : DecodePartitionValue(it->second);
  }
  return values;
}

Result<std::vector<const AddFile*>> FilesMatching(Engine& engine, const Snapshot& snapshot,
                                                  const std::string& predicate) {
  std::vector<PartitionValues> tuples;
  std::map<std::string, size_t> index_of;
  for (const auto& file : snapshot.files) {
    std::string key = TupleKey(file.partition_values);
    if (index_of.emplace(key, tuples.size()).second) tuples.push_back(file.partition_values);
  }
  NL_ASSIGN_OR_RETURN(std::vector<bool> matches,
                      EvaluatePartitionPredicate(engine, snapshot, predicate, tuples));
  std::vector<const AddFile*> out;
  for (const auto& file : snapshot.files) {
    if (matches[index_of.at(TupleKey(file.partition_values))]) out.push_back(&file);
  }
  return out;
}

std::function<bool(const PartitionValues&)> PartitionPredicate(
    Engine* engine, std::shared_ptr<const Snapshot> snapshot, std::string predicate) {
  auto cache = std::make_shared<std::map<std::string, bool>>();
  auto mutex = std::make_shared<std::mutex>();
  return [engine, snapshot, predicate, cache, mutex](const PartitionValues& values) {
    std::string key = TupleKey(values);
    {
      std::lock_guard lock(*mutex);
      auto it = cache->find(key);
      if (it != cache->end()) return it->second;
    }
    auto result = EvaluatePartitionPredicate(*engine, *snapshot, predicate, {values});
    bool match = !result.ok() || (*result)[0];
    std::lock_guard lock(*mutex);
    (*cache)[key] = match;
    return match;
  };
}

}  // namespace write_internal

Result<std::vector<AddFile>> FilesInPartitions(DeltaTable& table, const Snapshot& snapshot,
                                               const std::string& predicate) {
  NL_ASSIGN_OR_RETURN(engine::Engine * engine, table.GetEngine());
  NL_ASSIGN_OR_RETURN(auto matching, write_internal::FilesMatching(*engine, snapshot, predicate));
  std::vector<AddFile> out;
  out.reserve(matching.size());
  for (const AddFile* file : matching) out.push_back(*file);
  return out;
}

}  // namespace neuralake::delta
