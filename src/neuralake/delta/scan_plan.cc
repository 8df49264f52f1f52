#include "neuralake/delta/scan_plan.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "neuralake/common/json.h"
#include "neuralake/delta/deletion_vector.h"
#include "neuralake/delta/schema.h"
#include "neuralake/delta/snapshot.h"
#include "neuralake/delta/table.h"

namespace neuralake::delta {

using nlohmann::json;

namespace {

std::string PhysicalName(const StructField& field, ColumnMappingMode mode) {
  if (mode != ColumnMappingMode::kNone && field.metadata.is_object()) {
    auto it = field.metadata.find("delta.columnMapping.physicalName");
    if (it != field.metadata.end() && it->is_string()) return it->get<std::string>();
  }
  return field.name;
}

std::optional<std::string> StatText(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number()) return value.dump();
  return std::nullopt;
}

// A deletion vector's rows as the engine's DeletedRows.
class DeletionVectorRows : public engine::DeletedRows {
 public:
  explicit DeletionVectorRows(std::shared_ptr<const DeletionVector> rows)
      : rows_(std::move(rows)) {}
  bool Contains(uint64_t row) const override { return rows_->Contains(row); }
  void MarkRange(uint64_t first, size_t count, bool* out) const override {
    rows_->MarkRange(first, count, out);
  }
  const std::shared_ptr<const DeletionVector>& rows() const { return rows_; }

 private:
  std::shared_ptr<const DeletionVector> rows_;
};

std::shared_ptr<const engine::LakeDeletionVector> DeletionVectorOf(
    const DeltaTable& table, const DeletionVectorDescriptor& descriptor) {
  auto loader = [store = table.shared_store(), uri = table.uri(),
                 descriptor]() -> Result<std::shared_ptr<const engine::DeletedRows>> {
    NL_ASSIGN_OR_RETURN(DeletionVector rows, ReadDeletionVector(*store, uri, descriptor));
    return std::shared_ptr<const engine::DeletedRows>(std::make_shared<DeletionVectorRows>(
        std::make_shared<const DeletionVector>(std::move(rows))));
  };
  return std::make_shared<engine::LakeDeletionVector>(descriptor.cardinality, std::move(loader));
}

}  // namespace

Result<std::shared_ptr<const DeletionVector>> LoadedDeletionVector(const engine::LakeFile& file) {
  if (!file.deletion_vector) return std::shared_ptr<const DeletionVector>();
  NL_ASSIGN_OR_RETURN(auto rows, file.deletion_vector->Load());
  const auto* ours = dynamic_cast<const DeletionVectorRows*>(rows.get());
  if (ours == nullptr) return Status::Internal("deletion vector of '" + file.uri + "' not ours");
  return ours->rows();
}

std::shared_ptr<const engine::LakeDeletionVector> InMemoryDeletionVector(
    std::shared_ptr<const DeletionVector> rows) {
  auto cardinality = static_cast<int64_t>(rows->Cardinality());
  auto loader = [rows]() -> Result<std::shared_ptr<const engine::DeletedRows>> {
    return std::shared_ptr<const engine::DeletedRows>(std::make_shared<DeletionVectorRows>(rows));
  };
  return std::make_shared<engine::LakeDeletionVector>(cardinality, std::move(loader));
}

void ParseAddStats(const AddFile& add, const std::map<std::string, std::string>& physical_to_logical,
                   engine::LakeFile& file) {
  if (!add.stats || add.stats->empty()) return;
  auto parsed = ParseJson(*add.stats);
  if (!parsed.ok() || !parsed->is_object()) return;
  const json& stats = *parsed;
  if (auto it = stats.find("numRecords"); it != stats.end() && it->is_number_integer()) {
    file.num_records = it->get<int64_t>();
  }
  auto section = [&](const char* name) -> const json* {
    auto it = stats.find(name);
    return it != stats.end() && it->is_object() ? &*it : nullptr;
  };
  const json* mins = section("minValues");
  const json* maxs = section("maxValues");
  const json* nulls = section("nullCount");
  for (const auto& [physical, logical] : physical_to_logical) {
    engine::LakeColumnStats column;
    if (mins) {
      if (auto it = mins->find(physical); it != mins->end()) column.min = StatText(*it);
    }
    if (maxs) {
      if (auto it = maxs->find(physical); it != maxs->end()) column.max = StatText(*it);
    }
    if (nulls) {
      if (auto it = nulls->find(physical); it != nulls->end() && it->is_number_integer()) {
        column.null_count = it->get<int64_t>();
      }
    }
    if (column.min || column.max || column.null_count) file.stats[logical] = column;
  }
}

int64_t NumRecords(const AddFile& add) {
  engine::LakeFile file;
  ParseAddStats(add, {}, file);
  if (file.num_records < 0 || !add.deletion_vector) return file.num_records;
  return std::max<int64_t>(file.num_records - add.deletion_vector->cardinality, 0);
}

Result<std::shared_ptr<const engine::LakeSnapshot>> BuildScanPlan(
    const DeltaTable& table, const Snapshot& snapshot, const std::string& name,
    const std::vector<AddFile>* files) {
  if (files == nullptr) files = &snapshot.files;
  auto plan = std::make_shared<engine::LakeSnapshot>();
  plan->table = name;
  plan->version = snapshot.version;
  ColumnMappingMode mode = snapshot.column_mapping_mode();
  const auto& partition_columns = snapshot.partition_columns();
  std::map<std::string, std::string> physical_to_logical;
  for (const auto& field : snapshot.schema.fields) {
    engine::LakeColumn column;
    column.name = field.name;
    NL_ASSIGN_OR_RETURN(column.type, DataTypeToDuckDb(field.type));
    column.partition = std::find(partition_columns.begin(), partition_columns.end(), field.name) !=
                       partition_columns.end();
    std::string physical = PhysicalName(field, mode);
    if (physical != field.name) column.physical_name = physical;
    if (mode != ColumnMappingMode::kNone) {
      NL_ASSIGN_OR_RETURN(std::string physical_type,
                          DataTypeToDuckDb(PhysicalDataType(field.type)));
      if (physical_type != column.type) column.physical_type = physical_type;
    }
    physical_to_logical[physical] = field.name;
    plan->columns.push_back(std::move(column));
  }
  if (plan->columns.empty()) return Status::Corrupt("table schema has no columns");
  plan->files.reserve(files->size());
  for (const auto& add : *files) {
    engine::LakeFile file;
    file.uri = table.DataFileUri(add.path);
    file.size_bytes = add.size;
    file.modification_time_ms = add.modification_time;
    for (const auto& [key, value] : add.partition_values) {
      auto logical = physical_to_logical.find(key);
      file.partition_values[logical == physical_to_logical.end() ? key : logical->second] = value;
    }
    ParseAddStats(add, physical_to_logical, file);
    if (add.deletion_vector) file.deletion_vector = DeletionVectorOf(table, *add.deletion_vector);
    plan->files.push_back(std::move(file));
  }
  return std::shared_ptr<const engine::LakeSnapshot>(std::move(plan));
}

}  // namespace neuralake::delta
