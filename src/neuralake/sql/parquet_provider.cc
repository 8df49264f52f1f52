#include "neuralake/sql/parquet_provider.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "neuralake/engine/glob.h"
#include "neuralake/engine/parquet_write.h"
#include "neuralake/storage/location.h"
#include "neuralake/storage/object_store_factory.h"

namespace neuralake::sql {
namespace {

// The directory name Hive and Spark write for a NULL partition value.
constexpr std::string_view kHiveNull = "__HIVE_DEFAULT_PARTITION__";

// Where a table's files are: the root partition paths are relative to, and for a glob the pattern
// the keys below the root must match.
struct ParquetLocation {
  storage::Location root;
  std::string pattern;      // empty: every .parquet key below the root
  std::string list_prefix;  // the literal start of the pattern's first segment (lists less)
};

Result<ParquetLocation> ParseParquetLocation(const std::string& uri) {
  if (uri.empty()) return Status::Invalid("a parquet table needs a uri (a prefix or a glob)");
  ParquetLocation out;
  std::string root = uri;
  size_t wildcard = uri.find_first_of("*?[");
  if (wildcard != std::string::npos) {
    size_t slash = uri.rfind('/', wildcard);
    if (slash == std::string::npos) {
      return Status::Invalid("glob '" + uri + "' needs a directory before its first wildcard");
    }
    root = slash == 0 ? "/" : uri.substr(0, slash);
    out.pattern = uri.substr(slash + 1);
    out.list_prefix = out.pattern.substr(0, wildcard - slash - 1);
  }
  auto location = storage::ParseLocation(root);
  if (!location.ok()) return location.status();
  out.root = std::move(*location);
  return out;
}

// What the engine reads: a local path, or the store URI.
std::string LocationText(const storage::Location& location) {
  return location.scheme == "file" ? location.path : location.ToUri();
}

std::string FileUri(const storage::Location& root, const std::string& key) {
  return LocationText(root.Child(key));
}

// "_SUCCESS", "_delta_log/...", ".part-0.parquet.crc", "_temporary/...": never table data.
bool HasHiddenSegment(std::string_view key) {
  size_t start = 0;
  while (start < key.size()) {
    if (key[start] == '_' || key[start] == '.') return true;
    size_t slash = key.find('/', start);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return false;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "%2F" -> "/"; a '%' not followed by two hex digits stays as written.
std::string PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      int high = HexValue(text[i + 1]);
      int low = HexValue(text[i + 2]);
      if (high >= 0 && low >= 0) {
        out.push_back(static_cast<char>(high * 16 + low));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

// The `name=value` directories of a key relative to the table root, in path order.
using PartitionPath = std::vector<std::pair<std::string, std::optional<std::string>>>;

PartitionPath PathPartitions(std::string_view key) {
  PartitionPath out;
  size_t start = 0;
  for (size_t slash = key.find('/'); slash != std::string_view::npos;
       start = slash + 1, slash = key.find('/', start)) {
    std::string_view segment = key.substr(start, slash - start);
    size_t equals = segment.find('=');
    if (equals == 0 || equals == std::string_view::npos) continue;  // a plain directory
    std::string_view value = segment.substr(equals + 1);
    std::optional<std::string> decoded;
    if (value != kHiveNull) decoded = PercentDecode(value);
    out.emplace_back(PercentDecode(segment.substr(0, equals)), std::move(decoded));
  }
  return out;
}

std::string PartitionNames(const PartitionPath& path) {
  if (path.empty()) return "none";
  std::string out;
  for (const auto& [name, value] : path) out += (out.empty() ? "" : ", ") + name;
  return out;
}

bool IsInteger(const std::string& text) {
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return !text.empty() && error == std::errc() && end == text.data() + text.size();
}

engine::LakeColumn MakeColumn(std::string name, std::string type, bool partition) {
  engine::LakeColumn column;
  column.name = std::move(name);
  column.type = std::move(type);
  column.partition = partition;
  return column;
}

bool SameListing(const std::vector<storage::ObjectInfo>& a,
                 const std::vector<storage::ObjectInfo>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const storage::ObjectInfo& x, const storage::ObjectInfo& y) {
                      return x.key == y.key && x.size == y.size && x.modified_ms == y.modified_ms;
                    });
}

class ParquetProvider final : public catalog::TableProvider {
 public:
  ParquetProvider(catalog::TableDefinition definition, catalog::ProviderContext context,
                  ParquetLocation location, std::unique_ptr<storage::ObjectStore> store)
      : definition_(std::move(definition)),
        context_(std::move(context)),
        location_(std::move(location)),
        store_(std::move(store)) {}

  const catalog::TableDefinition& definition() const override { return definition_; }

  Result<std::shared_ptr<const engine::LakeSnapshot>> Plan(const catalog::TableAt& at) override {
    if (!at.Latest()) return catalog::NotVersioned(definition_);
    std::lock_guard<std::mutex> lock(mutex_);
    return Latest();
  }

  Result<std::vector<std::string>> Locations() override {
    return std::vector<std::string>{LocationText(location_.root)};
  }

 private:
  struct ListedFile {
    const storage::ObjectInfo* object;
    std::string uri;
    PartitionPath partitions;
  };

  Status Context(const Status& status) const {
    return status.WithContext("table " + definition_.QualifiedName() + " (" + definition_.uri +
                              ")");
  }

  // Callers hold mutex_.
  Result<std::shared_ptr<const engine::LakeSnapshot>> Latest() {
    auto now = std::chrono::steady_clock::now();
    if (plan_ && context_.refresh_interval_ms > 0 &&
        now - checked_ < std::chrono::milliseconds(context_.refresh_interval_ms)) {
      ++context_.counters->fresh;
      return plan_;
    }
    auto listed = ListFiles();
    if (!listed.ok()) return Context(listed.status());
    checked_ = now;
    if (plan_ && SameListing(*listed, listing_)) {
      ++context_.counters->unchanged;
      return plan_;
    }
    auto plan = BuildPlan(*listed);
    if (!plan.ok()) return Context(plan.status());
    if (plan_) {
      ++context_.counters->refreshes;
    } else {
      ++context_.counters->full_loads;
    }
    plan_ = std::move(*plan);
    listing_ = std::move(*listed);
    return plan_;
  }

  // The table's data files, sorted by key.
  Result<std::vector<storage::ObjectInfo>> ListFiles() {
    NL_ASSIGN_OR_RETURN(auto objects, store_->List(location_.list_prefix));
    std::vector<storage::ObjectInfo> out;
    for (auto& object : objects) {
      if (HasHiddenSegment(object.key)) continue;
      bool wanted = location_.pattern.empty() ? object.key.ends_with(".parquet")
                                              : engine::GlobMatch(location_.pattern, object.key);
      if (wanted) out.push_back(std::move(object));
    }
    return out;
  }

  const catalog::DeclaredColumn* Declared(const std::string& name) const {
    for (const auto& column : definition_.schema) {
      if (column.name == name) return &column;
    }
    return nullptr;
  }

  bool HasDeclaredDataColumns() const {
    return std::any_of(definition_.schema.begin(), definition_.schema.end(),
                       [](const catalog::DeclaredColumn& column) { return !column.partition; });
  }

  // Every file with its partition directories; Invalid when two files differ in their names.
  Result<std::vector<ListedFile>> PartitionFiles(const std::vector<storage::ObjectInfo>& objects) {
    std::vector<ListedFile> files;
    files.reserve(objects.size());
    for (const auto& object : objects) {
      files.push_back({&object, FileUri(location_.root, object.key), PathPartitions(object.key)});
      const ListedFile& first = files.front();
      const ListedFile& file = files.back();
      bool same = std::equal(first.partitions.begin(), first.partitions.end(),
                             file.partitions.begin(), file.partitions.end(),
                             [](const auto& a, const auto& b) { return a.first == b.first; });
      if (!same) {
        return Status::Invalid(
            "files " + first.uri + " and " + file.uri + " have different partition directories (" +
            PartitionNames(first.partitions) + " vs " + PartitionNames(file.partitions) + ")");
      }
    }
    if (files.empty()) return files;
    for (const auto& column : definition_.schema) {
      if (!column.partition) continue;
      const auto& path = files.front().partitions;
      bool found = std::any_of(path.begin(), path.end(),
                               [&](const auto& entry) { return entry.first == column.name; });
      if (!found) {
        return Status::Invalid("declared partition column '" + column.name +
                               "' is not a directory of " + files.front().uri +
                               " (its partition directories: " + PartitionNames(path) + ")");
      }
    }
    return files;
  }

  // The columns of the newest file (read once per newest file).
  Result<engine::TypedColumns> FileColumns(const std::vector<ListedFile>& files) {
    auto newest = std::max_element(files.begin(), files.end(), [](const auto& a, const auto& b) {
      return std::pair(a.object->modified_ms, a.object->key) <
             std::pair(b.object->modified_ms, b.object->key);
    });
    if (newest->uri == schema_uri_) return schema_columns_;
    if (!context_.parquet_schema) {
      return Status::Invalid(
          "no declared schema, and no Parquet schema reader to read the one of " + newest->uri);
    }
    auto columns = context_.parquet_schema(newest->uri);
    if (!columns.ok()) return columns.status().WithContext("reading the schema of " + newest->uri);
    if (columns->empty()) return Status::Invalid(newest->uri + " has no columns");
    schema_uri_ = newest->uri;
    schema_columns_ = std::move(*columns);
    return schema_columns_;
  }

  // The type of partition column `name` (index `index` of the paths): declared, else inferred
  // from every listed value.
  std::string PartitionType(const std::string& name, size_t index,
                            const std::vector<ListedFile>& files) const {
    if (const auto* declared = Declared(name)) return declared->type;
    for (const auto& file : files) {
      const auto& value = file.partitions[index].second;
      if (value && !IsInteger(*value)) return "VARCHAR";
    }
    return "BIGINT";
  }

  Result<std::shared_ptr<const engine::LakeSnapshot>> BuildPlan(
      const std::vector<storage::ObjectInfo>& objects) {
    NL_ASSIGN_OR_RETURN(std::vector<ListedFile> files, PartitionFiles(objects));
    bool declared_data = HasDeclaredDataColumns();
    if (files.empty() && !declared_data) {
      return Status::Invalid("no parquet files under " + definition_.uri +
                             " and no declared schema (declare the columns to read an empty "
                             "location as an empty table)");
    }
    engine::TypedColumns file_columns;
    if (!declared_data) {
      NL_ASSIGN_OR_RETURN(file_columns, FileColumns(files));
    }
    const PartitionPath no_partitions;
    const PartitionPath& path = files.empty() ? no_partitions : files.front().partitions;
    std::map<std::string, std::string> partition_types;
    for (size_t i = 0; i < path.size(); ++i) {
      partition_types[path[i].first] = PartitionType(path[i].first, i, files);
    }

    auto plan = std::make_shared<engine::LakeSnapshot>();
    plan->table = definition_.QualifiedName();
    plan->version = -1;
    std::set<std::string> placed;
    if (declared_data) {
      for (const auto& column : definition_.schema) {
        bool partition = column.partition || partition_types.count(column.name) != 0;
        plan->columns.push_back(MakeColumn(column.name, column.type, partition));
        placed.insert(column.name);
      }
    } else {
      for (const auto& [name, type] : file_columns) {
        if (partition_types.count(name) != 0) continue;  // the directory's value wins
        plan->columns.push_back(MakeColumn(name, engine::ColumnTypeSql(type), false));
        placed.insert(name);
      }
    }
    for (const auto& [name, value] : path) {
      if (placed.count(name) == 0) {
        plan->columns.push_back(MakeColumn(name, partition_types[name], true));
      }
    }

    plan->files.reserve(files.size());
    for (auto& listed : files) {
      engine::LakeFile file;
      file.uri = std::move(listed.uri);
      file.size_bytes = listed.object->size;
      file.modification_time_ms = listed.object->modified_ms;
      for (auto& [name, value] : listed.partitions) file.partition_values[name] = std::move(value);
      plan->files.push_back(std::move(file));
    }
    return std::shared_ptr<const engine::LakeSnapshot>(std::move(plan));
  }

  const catalog::TableDefinition definition_;
  const catalog::ProviderContext context_;
  const ParquetLocation location_;
  std::unique_ptr<storage::ObjectStore> store_;
  std::mutex mutex_;
  std::shared_ptr<const engine::LakeSnapshot> plan_;  // the latest plan, of `listing_`
  std::vector<storage::ObjectInfo> listing_;
  std::chrono::steady_clock::time_point checked_;  // when the location was last listed
  std::string schema_uri_;                         // the file `schema_columns_` came from
  engine::TypedColumns schema_columns_;
};

}  // namespace

Result<std::unique_ptr<catalog::TableProvider>> MakeParquetProvider(
    const catalog::TableDefinition& definition, const catalog::ProviderContext& context) {
  NL_ASSIGN_OR_RETURN(ParquetLocation location, ParseParquetLocation(definition.uri));
  std::set<std::string> names;
  for (const auto& column : definition.schema) {
    if (!names.insert(column.name).second) {
      return Status::Invalid("the declared schema names column '" + column.name + "' twice");
    }
  }
  NL_ASSIGN_OR_RETURN(storage::StorageOptions storage,
                      catalog::TableStorage(definition, context.storage));
  NL_ASSIGN_OR_RETURN(auto store, storage::OpenObjectStore(location.root, storage));
  return std::unique_ptr<catalog::TableProvider>(std::make_unique<ParquetProvider>(
      definition, context, std::move(location), std::move(store)));
}

}  // namespace neuralake::sql
