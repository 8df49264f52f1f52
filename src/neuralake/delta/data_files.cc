// Data files of a write: the table's columns written through engine::WriteParquet, the written
// files turned into add actions (partition values, stats), NOT NULL columns and CHECK constraints
// checked.

#include <algorithm>

#include "neuralake/common/units.h"
#include "neuralake/delta/stats.h"
#include "neuralake/delta/writer_internal.h"

namespace neuralake::delta {
namespace write_internal {
namespace {

constexpr int64_t kDefaultTargetFileSize = 128LL << 20;
// The engine checks file sizes per row group; below this a "size" would mean a file per group.
constexpr int64_t kMinimumTargetFileSize = 1LL << 20;

// The projection of `source` onto the table's columns: cast to the table types, partition columns
// as their partition text; table columns the data lacks are NULL (partition columns) or left out
// (data columns read back as NULL).
Result<engine::ParquetWriteSpec> TableWriteSpec(const ResolvedSource& source, const Schema& target,
                                                const std::vector<std::string>& partition_columns) {
  engine::ParquetWriteSpec spec;
  spec.partition_text = DeltaPartitionEncoding();
  for (const auto& field : target.fields) {
    const StructField* data_field = source.schema.Find(field.name);
    NL_ASSIGN_OR_RETURN(engine::ColumnType type, EngineColumnType(field.type));
    std::optional<std::string> from;
    if (data_field != nullptr) from = data_field->name;
    if (IsPartitionColumn(partition_columns, field.name)) {
      if (field.type.kind() != DataType::Kind::kPrimitive &&
          field.type.kind() != DataType::Kind::kDecimal) {
        return Status::Invalid("partition column '" + field.name + "' has type " +
                               field.type.ToString() + "; partition columns must be primitive");
      }
      spec.columns.push_back(engine::OutputColumn::Of(
          field.name, from, std::move(type), engine::OutputColumn::Conversion::kPartitionText));
      spec.partition_by.push_back(field.name);
      continue;
    }
    if (data_field == nullptr) continue;
    spec.columns.push_back(engine::OutputColumn::Of(field.name, from, std::move(type)));
  }
  if (spec.columns.empty()) return Status::Invalid("the data has no columns of the table");
  return spec;
}

// A written file's path relative to the table root.
std::string RelativePath(const std::string& uri, const std::string& root) {
  std::string relative = uri;
  if (relative.rfind(root + "/", 0) == 0) {
    relative = relative.substr(root.size() + 1);
  } else if (relative.rfind(root, 0) == 0) {
    relative = relative.substr(root.size());
    while (!relative.empty() && relative.front() == '/') relative.erase(0, 1);
  }
  return relative;
}

// NOT NULL columns: Invalid when a written file has nulls in one.
Status CheckNotNull(const Schema& target, const std::vector<engine::WrittenFile>& files) {
  for (const auto& file : files) {
    for (const auto& stats : file.columns) {
      auto path = StatsPath(target, stats.column);
      if (path.size() != 1) continue;
      const StructField* field = target.Find(path[0]);
      if (field != nullptr && !field->nullable && stats.null_count.value_or(0) > 0) {
        return Status::Invalid("column '" + field->name + "' is not nullable but the data has " +
                               std::to_string(*stats.null_count) + " null value(s)");
      }
    }
  }
  return Status::OK();
}

}  // namespace

bool CertainlyNotCommitted(const Status& status) {
  return status.IsConflict() || status.IsInvalid() || status.IsUnsupported();
}

void DeleteWritten(DeltaTable& table, const std::vector<AddFile>& adds) {
  for (const auto& add : adds) {
    if (!IsAbsolutePath(add.path)) (void)table.store().Delete(add.path);
  }
}

Result<int64_t> TargetFileSize(const Snapshot* snapshot, const WriteOptions& options,
                               const std::map<std::string, std::string>* properties) {
  if (options.target_file_size) return *options.target_file_size;
  std::optional<std::string> value;
  if (snapshot != nullptr) value = snapshot->Property(kTargetFileSizeProperty);
  if (!value && properties != nullptr) {
    auto it = properties->find(std::string(kTargetFileSizeProperty));
    if (it != properties->end()) value = it->second;
  }
  if (value) return ParseByteSize(*value);
  return kDefaultTargetFileSize;
}

Result<WrittenData> WriteDataFiles(DeltaTable& table, engine::Engine& engine,
                                   const ResolvedSource& source, const Schema& target,
                                   const std::vector<std::string>& partition_columns,
                                   int64_t target_file_size,
                                   const std::vector<CheckConstraint>* constraints) {
  if (constraints != nullptr) {
    NL_ASSIGN_OR_RETURN(std::vector<CheckConstraint> rules, InvariantsOf(target));
    rules.insert(rules.end(), constraints->begin(), constraints->end());
    if (!rules.empty() || HasNestedNotNull(target)) {
      // One scan of the source before anything is written (top-level NOT NULL included, so the
      // message names the first violated rule with an example row).
      NL_RETURN_NOT_OK(CheckRowsSatisfyConstraints(engine, source.rows, source.schema, target,
                                                   rules, true));
    }
  }
  NL_ASSIGN_OR_RETURN(engine::ParquetWriteSpec spec,
                      TableWriteSpec(source, target, partition_columns));
  std::string root = table.DataRoot();
  spec.target = root;
  // File names carry this write's id: a write that fails half-way (a conversion error) removes
  // what it left without touching other writers' files.
  spec.file_prefix = "part-" + NewUuid().substr(0, 8) + NewUuid().substr(24, 4) + "-";
  if (spec.partition_by.empty()) {
    spec.target_file_size = std::max(target_file_size, kMinimumTargetFileSize);
  }
  NL_ASSIGN_OR_RETURN(std::vector<engine::WrittenFile> files,
                      engine::WriteParquet(engine, source.rows, spec));

  WrittenData written;
  int64_t now = NowMs();
  for (const auto& file : files) {
    AddFile add;
    add.path = RelativePath(file.uri, root);
    add.partition_values = PartitionValuesOf(file, add.path, partition_columns);
    add.size = file.size_bytes;
    if (add.size <= 0) {
      auto head = table.store().Head(add.path);
      if (head.ok()) add.size = head->size;
    }
    add.modification_time = now;
    add.data_change = true;
    add.stats = StatsJson(target, partition_columns, file);
    written.rows += file.num_rows;
    written.bytes += add.size;
    written.adds.push_back(std::move(add));
  }
  Status not_null = CheckNotNull(target, files);
  if (!not_null.ok()) {
    DeleteWritten(table, written.adds);
    return not_null;
  }
  return written;
}

}  // namespace write_internal

Result<std::vector<AddFile>> WriteFiles(DeltaTable& table, const Snapshot& snapshot,
                                        const DataSource& source,
                                        std::optional<int64_t> target_file_size,
                                        bool enforce_constraints) {
  using namespace write_internal;
  NL_RETURN_NOT_OK(CheckWriteSupported(snapshot.protocol, snapshot.metadata, snapshot.schema));
  NL_ASSIGN_OR_RETURN(engine::Engine * engine, table.GetEngine());
  NL_ASSIGN_OR_RETURN(ResolvedSource resolved, ResolveSource(*engine, source, &snapshot.schema));
  NL_RETURN_NOT_OK(CheckWriteCompatible(snapshot.schema, resolved.schema, false));
  WriteOptions options;
  options.target_file_size = target_file_size;
  NL_ASSIGN_OR_RETURN(int64_t size, TargetFileSize(&snapshot, options, nullptr));
  std::vector<CheckConstraint> constraints = CheckConstraintsOf(snapshot.metadata.configuration);
  NL_ASSIGN_OR_RETURN(WrittenData written,
                      WriteDataFiles(table, *engine, resolved, snapshot.schema,
                                     snapshot.partition_columns(), size,
                                     enforce_constraints ? &constraints : nullptr));
  return std::move(written.adds);
}

}  // namespace neuralake::delta
