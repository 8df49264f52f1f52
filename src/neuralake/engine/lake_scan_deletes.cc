// Deletion vectors in lake_scan: LakeDeletionVector's lazy load and the __nl_row_deleted filter
// (see lake_scan_deletes.h).
#include "neuralake/engine/lake_scan_deletes.h"

#include <algorithm>
#include <unordered_map>

#include "duckdb.hpp"
#include "duckdb/catalog/catalog.hpp"
#include "duckdb/execution/expression_executor.hpp"
#include "duckdb/function/scalar_function.hpp"
#include "duckdb/parser/parsed_data/create_scalar_function_info.hpp"
#include "duckdb/planner/expression/bound_function_expression.hpp"

namespace neuralake::engine {

Result<std::shared_ptr<const DeletedRows>> LakeDeletionVector::Load() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (rows_) return rows_;
  if (!loader_) return Status::Internal("deletion vector without a loader");
  NL_ASSIGN_OR_RETURN(rows_, loader_());
  if (!rows_) return Status::Internal("deletion vector loader returned nothing");
  return rows_;
}

bool HasDeletionVectors(const LakeSnapshot& snapshot) {
  for (const auto& file : snapshot.files) {
    if (file.deletion_vector) return true;
  }
  return false;
}

std::string RowDeletedFilterSql(const std::string& quoted_table, int64_t version) {
  return std::string("NOT ") + kRowDeletedFunction + "(" + quoted_table + ", " +
         std::to_string(version) + ", filename, file_row_number)";
}

namespace {

struct RowDeletedInfo : public duckdb::ScalarFunctionInfo {
  explicit RowDeletedInfo(PlanResolver resolve) : resolve(std::move(resolve)) {}
  PlanResolver resolve;
};

// The plan's files by URI: each one's deletion vector, or null.
using VectorsByFile = std::unordered_map<std::string, const LakeDeletionVector*>;

struct RowDeletedData : public duckdb::FunctionData {
  std::shared_ptr<const LakeSnapshot> plan;  // keeps the vectors alive
  std::shared_ptr<const VectorsByFile> files;

  duckdb::unique_ptr<duckdb::FunctionData> Copy() const override {
    auto copy = duckdb::make_uniq<RowDeletedData>();
    copy->plan = plan;
    copy->files = files;
    return std::move(copy);
  }
  bool Equals(const duckdb::FunctionData& other) const override {
    return plan == other.Cast<RowDeletedData>().plan;
  }
};

duckdb::unique_ptr<duckdb::FunctionData> BindRowDeleted(
    duckdb::ClientContext& context, duckdb::ScalarFunction& function,
    duckdb::vector<duckdb::unique_ptr<duckdb::Expression>>& arguments) {
  if (!arguments[0]->IsFoldable() || !arguments[1]->IsFoldable()) {
    throw duckdb::BinderException("%s: the table and version must be constants",
                                  kRowDeletedFunction);
  }
  duckdb::Value table = duckdb::ExpressionExecutor::EvaluateScalar(context, *arguments[0]);
  duckdb::Value version = duckdb::ExpressionExecutor::EvaluateScalar(context, *arguments[1]);
  if (table.IsNull() || version.IsNull()) {
    throw duckdb::BinderException("%s: the table and version must not be NULL",
                                  kRowDeletedFunction);
  }
  LakeScanRequest request;
  request.table = table.ToString();
  request.version = version.GetValue<int64_t>();
  auto resolved = function.function_info->Cast<RowDeletedInfo>().resolve(request);
  if (!resolved.ok()) throw duckdb::BinderException("%s", resolved.status().ToString());
  auto data = duckdb::make_uniq<RowDeletedData>();
  data->plan = *resolved;
  auto files = std::make_shared<VectorsByFile>();
  for (const auto& file : data->plan->files) {
    files->emplace(file.uri, file.deletion_vector.get());
  }
  data->files = std::move(files);
  return std::move(data);
}

// The deleted rows of `file` (nullptr: none); throws when the file is not in the plan or its
// vector does not load, so a row is never shown by mistake.
const DeletedRows* RowsOf(const RowDeletedData& data, const std::string& file,
                          std::vector<std::shared_ptr<const DeletedRows>>& keep) {
  auto it = data.files->find(file);
  if (it == data.files->end()) {
    throw duckdb::InternalException("%s: file '%s' is not in the scan plan of %s",
                                    kRowDeletedFunction, file, data.plan->table);
  }
  if (it->second == nullptr) return nullptr;
  auto rows = it->second->Load();
  if (!rows.ok()) {
    throw duckdb::IOException("%s: file '%s': %s", data.plan->table, file,
                              rows.status().ToString());
  }
  keep.push_back(*rows);
  return keep.back().get();
}

// Whether every row of the chunk names the same file (valid) and the positions are consecutive
// from a non-negative first one.
bool OneFileConsecutiveRows(const duckdb::UnifiedVectorFormat& files,
                            const duckdb::UnifiedVectorFormat& rows, duckdb::idx_t count) {
  if (count == 0) return false;
  const auto* file_values = duckdb::UnifiedVectorFormat::GetData<duckdb::string_t>(files);
  const auto* row_values = duckdb::UnifiedVectorFormat::GetData<int64_t>(rows);
  auto first_file = files.sel->get_index(0);
  auto first_row = rows.sel->get_index(0);
  if (!files.validity.RowIsValid(first_file) || !rows.validity.RowIsValid(first_row)) return false;
  const duckdb::string_t& name = file_values[first_file];
  int64_t first = row_values[first_row];
  if (first < 0) return false;
  for (duckdb::idx_t i = 1; i < count; ++i) {
    auto file_index = files.sel->get_index(i);
    auto row_index = rows.sel->get_index(i);
    if (!rows.validity.RowIsValid(row_index) ||
        row_values[row_index] != first + static_cast<int64_t>(i)) {
      return false;
    }
    if (file_index != first_file &&
        (!files.validity.RowIsValid(file_index) || !(file_values[file_index] == name))) {
      return false;
    }
  }
  return true;
}

void RowDeleted(duckdb::DataChunk& args, duckdb::ExpressionState& state,
                duckdb::Vector& result) {
  auto& expression = state.expr.Cast<duckdb::BoundFunctionExpression>();
  const auto& data = expression.bind_info->Cast<RowDeletedData>();
  const duckdb::idx_t count = args.size();
  duckdb::UnifiedVectorFormat files, rows;
  args.data[2].ToUnifiedFormat(count, files);
  args.data[3].ToUnifiedFormat(count, rows);
  const auto* file_values = duckdb::UnifiedVectorFormat::GetData<duckdb::string_t>(files);
  const auto* row_values = duckdb::UnifiedVectorFormat::GetData<int64_t>(rows);
  result.SetVectorType(duckdb::VectorType::FLAT_VECTOR);
  auto* out = duckdb::FlatVector::GetData<bool>(result);
  std::vector<std::shared_ptr<const DeletedRows>> keep;
  if (OneFileConsecutiveRows(files, rows, count)) {
    // The common case: a chunk of one file's consecutive rows, answered in one pass over the
    // vector's rows in that range instead of a lookup per row.
    const duckdb::string_t& name = file_values[files.sel->get_index(0)];
    const DeletedRows* deleted = RowsOf(data, name.GetString(), keep);
    int64_t first = row_values[rows.sel->get_index(0)];
    if (deleted == nullptr) {
      std::fill(out, out + count, false);
    } else {
      deleted->MarkRange(static_cast<uint64_t>(first), count, out);
    }
    return;
  }
  const DeletedRows* current = nullptr;
  std::string current_file;
  bool have_file = false;
  for (duckdb::idx_t i = 0; i < count; ++i) {
    auto file_index = files.sel->get_index(i);
    auto row_index = rows.sel->get_index(i);
    if (!files.validity.RowIsValid(file_index) || !rows.validity.RowIsValid(row_index)) {
      out[i] = false;
      continue;
    }
    const duckdb::string_t& name = file_values[file_index];
    if (!have_file || name.GetSize() != current_file.size() ||
        std::memcmp(name.GetData(), current_file.data(), current_file.size()) != 0) {
      current_file = name.GetString();
      current = RowsOf(data, current_file, keep);
      have_file = true;
    }
    int64_t row = row_values[row_index];
    out[i] = current != nullptr && row >= 0 && current->Contains(static_cast<uint64_t>(row));
  }
}

}  // namespace

void RegisterRowDeletedFunction(duckdb::ClientContext& context, PlanResolver resolve) {
  duckdb::ScalarFunction function(
      kRowDeletedFunction,
      {duckdb::LogicalType::VARCHAR, duckdb::LogicalType::BIGINT, duckdb::LogicalType::VARCHAR,
       duckdb::LogicalType::BIGINT},
      duckdb::LogicalType::BOOLEAN, RowDeleted, BindRowDeleted);
  function.function_info = duckdb::make_shared_ptr<RowDeletedInfo>(std::move(resolve));
  function.null_handling = duckdb::FunctionNullHandling::SPECIAL_HANDLING;
  duckdb::CreateScalarFunctionInfo info(std::move(function));
  info.on_conflict = duckdb::OnCreateConflict::REPLACE_ON_CONFLICT;
  duckdb::Catalog::GetSystemCatalog(context).CreateFunction(context, info);
}

}  // namespace neuralake::engine
