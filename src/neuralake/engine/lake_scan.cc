// lake_scan: DuckDB's Parquet scan driven by a catalog snapshot's file list (see lake_scan.h).
//
// How it plugs into DuckDB 1.4: we copy the built-in parquet_scan table function and give it our
// MultiFileReader. DuckDB's multi-file machinery then asks the reader for
//   - the file list (LakeFileList: the snapshot's active files, with sizes so no HEAD is needed),
//   - the schema (Bind: the table's columns, not the first file's),
//   - per-file constants (FinalizeBind: partition values; NULL for columns a file predates),
// and pushes the query's filters into the file list at optimization time (ComplexFilterPushdown),
// where files are pruned by evaluating DuckDB's own TableFilters against statistics we build
// from partition values and Delta min/max/nullCount. Projection and row-group pruning are the
// Parquet reader's.
#include "neuralake/engine/lake_scan.h"

#include <atomic>
#include <mutex>
#include <sstream>
#include <unordered_map>

#include "duckdb.hpp"
#include "duckdb/catalog/catalog.hpp"
#include "duckdb/catalog/catalog_entry/table_function_catalog_entry.hpp"
#include "duckdb/common/multi_file/multi_file_function.hpp"
#include "duckdb/common/multi_file/multi_file_list.hpp"
#include "duckdb/common/multi_file/multi_file_reader.hpp"
#include "duckdb/common/types.hpp"
#include "duckdb/function/table_function.hpp"
#include "duckdb/main/client_context_state.hpp"
#include "duckdb/main/config.hpp"
#include "duckdb/optimizer/filter_combiner.hpp"
#include "duckdb/parser/expression/constant_expression.hpp"
#include "duckdb/parser/expression/function_expression.hpp"
#include "duckdb/parser/parsed_data/create_table_function_info.hpp"
#include "duckdb/parser/parser.hpp"
#include "duckdb/parser/statement/select_statement.hpp"
#include "duckdb/parser/tableref/subqueryref.hpp"
#include "duckdb/parser/tableref/table_function_ref.hpp"
#include "duckdb/planner/expression.hpp"
#include "duckdb/planner/table_filter.hpp"
#include "duckdb/storage/statistics/base_statistics.hpp"
#include "duckdb/storage/statistics/numeric_stats.hpp"
#include "duckdb/storage/statistics/string_stats.hpp"
#include "neuralake/engine/lake_scan_deletes.h"
#include "neuralake/engine/lake_scan_duckdb.h"
#include "neuralake/engine/source_scan.h"

namespace neuralake::engine {

std::string ScanReport::ToString() const {
  std::ostringstream out;
  out << "scan " << table << "@v" << version << ": " << files_read << " of " << files_total
      << " files read (" << files_pruned_by_partition << " pruned by partition, "
      << files_pruned_by_stats << " by statistics), " << bytes_read << " of " << bytes_total
      << " bytes";
  if (!filters.empty()) {
    out << "; filters:";
    for (const auto& filter : filters) out << " [" << filter << "]";
  }
  return out.str();
}

namespace {

// Plans registered by RegisteredScanPlan, by id.
std::mutex plans_mutex;
std::unordered_map<std::string, std::shared_ptr<const LakeSnapshot>>& Plans() {
  static auto* plans = new std::unordered_map<std::string, std::shared_ptr<const LakeSnapshot>>();
  return *plans;
}
constexpr const char* kPlanPrefix = "__nl_plan_";

// A registered plan by id, else the catalog's resolver. Throws DuckDB binder errors.
Result<std::shared_ptr<const LakeSnapshot>> ResolvePlan(const LakeScanOptions& options,
                                                        const LakeScanRequest& request) {
  if (request.table.rfind(kPlanPrefix, 0) == 0) {
    std::lock_guard<std::mutex> lock(plans_mutex);
    auto it = Plans().find(request.table);
    if (it == Plans().end()) return Status::NotFound("scan plan " + request.table + " is gone");
    return it->second;
  }
  if (!options.resolver) throw duckdb::BinderException("lake_scan: no catalog attached");
  return options.resolver(request);
}

std::string QuoteName(const std::string& name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string QuoteText(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

Result<std::string> RenameSql(const std::string& expression, const duckdb::LogicalType& physical,
                              const duckdb::LogicalType& logical, int depth) {
  using duckdb::LogicalTypeId;
  if (physical == logical) return expression;
  auto mismatch = [&] {
    return Status::Invalid("cannot rename nested fields of " + physical.ToString() + " to " +
                           logical.ToString() + ": the shapes differ");
  };
  if (physical.id() != logical.id()) return mismatch();
  std::string var = "__nl_e" + std::to_string(depth);
  switch (logical.id()) {
    case LogicalTypeId::STRUCT: {
      const auto& from = duckdb::StructType::GetChildTypes(physical);
      const auto& to = duckdb::StructType::GetChildTypes(logical);
      if (from.size() != to.size()) return mismatch();
      std::string fields;
      for (size_t i = 0; i < to.size(); ++i) {
        NL_ASSIGN_OR_RETURN(std::string child,
                            RenameSql("struct_extract(" + expression + ", " +
                                          QuoteText(from[i].first) + ")",
                                      from[i].second, to[i].second, depth));
        fields += (i == 0 ? "" : ", ") + QuoteName(to[i].first) + " := " + child;
      }
      return "CASE WHEN (" + expression + ") IS NULL THEN NULL ELSE struct_pack(" + fields +
             ") END";
    }
    case LogicalTypeId::LIST: {
      NL_ASSIGN_OR_RETURN(std::string element,
                          RenameSql(var, duckdb::ListType::GetChildType(physical),
                                    duckdb::ListType::GetChildType(logical), depth + 1));
      return "list_transform(" + expression + ", lambda " + var + ": " + element + ")";
    }
    case LogicalTypeId::MAP: {
      NL_ASSIGN_OR_RETURN(std::string key,
                          RenameSql("struct_extract(" + var + ", 'key')",
                                    duckdb::MapType::KeyType(physical),
                                    duckdb::MapType::KeyType(logical), depth + 1));
      NL_ASSIGN_OR_RETURN(std::string value,
                          RenameSql("struct_extract(" + var + ", 'value')",
                                    duckdb::MapType::ValueType(physical),
                                    duckdb::MapType::ValueType(logical), depth + 1));
      return "CASE WHEN (" + expression + ") IS NULL THEN NULL ELSE map_from_entries(" +
             "list_transform(map_entries(" + expression + "), lambda " + var +
             ": struct_pack(\"key\" := " + key + ", \"value\" := " + value + "))) END";
    }
    default:
      return expression;  // same primitive kind (e.g. other decimal scale): the caller's CAST
  }
}

constexpr const char* kFunctionName = "lake_scan";
// Internal named parameter: read nested columns with their physical types (see LakeBindReplace).
constexpr const char* kPhysicalParameter = "__nl_physical";
// Named parameter of row-level DML (delta/dml.h): also return each row's data file and position in
// it as the columns kPositionFileColumn and kPositionRowColumn (lake_scan.h).
constexpr const char* kPositionsParameter = "__nl_positions";
constexpr const char* kReportsKey = "neuralake_lake_scan_reports";

// Per-connection collection of scan reports (DuckDB client-context state).
class ReportCollector : public duckdb::ClientContextState {
 public:
  void Add(std::shared_ptr<ScanReport> report) {
    std::lock_guard<std::mutex> lock(mutex_);
    reports_.push_back(std::move(report));
  }
  std::vector<ScanReport> Take() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<ScanReport> out;
    for (const auto& report : reports_) out.push_back(*report);
    reports_.clear();
    return out;
  }

 private:
  std::mutex mutex_;
  std::vector<std::shared_ptr<ScanReport>> reports_;
};

struct Shared {
  LakeScanOptions options;
};

struct LakeFunctionInfo : public duckdb::TableFunctionInfo {
  explicit LakeFunctionInfo(std::shared_ptr<Shared> shared) : shared(std::move(shared)) {}
  std::shared_ptr<Shared> shared;
};

// A snapshot bound into DuckDB types, shared by the reader and every (pruned) file list.
struct BoundSnapshot {
  std::shared_ptr<const LakeSnapshot> snapshot;
  std::vector<duckdb::LogicalType> types;                     // per column
  std::unordered_map<std::string, size_t> file_index;         // uri -> index in snapshot->files
};

duckdb::Value TextToValue(const std::string& text, const duckdb::LogicalType& type, bool* ok) {
  duckdb::Value result;
  std::string error;
  *ok = duckdb::Value(text).DefaultTryCastAs(type, result, &error);
  return result;
}

// Whether timestamp text ("2024-01-01 10:00:00[.f]" / "...T...") carries a zone: Z or an offset.
bool HasZone(const std::string& text) {
  for (size_t i = 10; i < text.size(); ++i) {
    char c = text[i];
    if (c == 'Z' || c == 'z' || c == '+' || c == '-') return true;
  }
  return false;
}

// A partition value as a typed constant. Null and '' are NULL (Delta/Spark); a timestamp (with time
// zone) written without an offset is UTC, whatever the session time zone.
bool PartitionConstant(const std::optional<std::string>& text, const duckdb::LogicalType& type,
                       duckdb::Value* value) {
  if (!text || text->empty()) {
    *value = duckdb::Value(type);
    return true;
  }
  std::string normalized = *text;
  if (type.id() == duckdb::LogicalTypeId::TIMESTAMP_TZ && !HasZone(normalized)) {
    normalized += normalized.size() <= 10 ? " 00:00:00+00" : "+00";  // a bare date is midnight
  }
  bool ok = false;
  *value = TextToValue(normalized, type, &ok);
  return ok;
}

// Statistics of one column of one file, as DuckDB statistics, or nullopt when unknown.
std::optional<duckdb::BaseStatistics> FileColumnStats(const LakeFile& file, const LakeColumn& column,
                                                      const duckdb::LogicalType& type) {
  using duckdb::LogicalTypeId;
  if (column.partition) {
    auto it = file.partition_values.find(column.name);
    duckdb::Value value;
    if (!PartitionConstant(it == file.partition_values.end() ? std::nullopt : it->second, type,
                           &value)) {
      return std::nullopt;
    }
    return duckdb::BaseStatistics::FromConstant(value);
  }
  auto it = file.stats.find(column.name);
  if (it == file.stats.end()) return std::nullopt;
  const LakeColumnStats& stats = it->second;
  bool all_null = stats.null_count && file.num_records >= 0 && *stats.null_count == file.num_records;
  if (all_null) return duckdb::BaseStatistics::FromConstant(duckdb::Value(type));
  if (!stats.min || !stats.max) return std::nullopt;

  auto stats_type = duckdb::BaseStatistics::GetStatsType(type);
  // Floating point min/max ignore NaN in some writers: never prune on them.
  if (type.id() == LogicalTypeId::FLOAT || type.id() == LogicalTypeId::DOUBLE) return std::nullopt;
  std::optional<duckdb::BaseStatistics> result;
  if (stats_type == duckdb::StatisticsType::NUMERIC_STATS) {
    bool ok_min = false, ok_max = false;
    duckdb::Value min = TextToValue(*stats.min, type, &ok_min);
    duckdb::Value max = TextToValue(*stats.max, type, &ok_max);
    if (!ok_min || !ok_max || min.IsNull() || max.IsNull()) return std::nullopt;
    // Delta writes timestamp statistics truncated to milliseconds: widen the max.
    if (type.id() == LogicalTypeId::TIMESTAMP || type.id() == LogicalTypeId::TIMESTAMP_TZ) {
      auto micros = max.GetValueUnsafe<int64_t>() + 1000;
      max = type.id() == LogicalTypeId::TIMESTAMP
                ? duckdb::Value::TIMESTAMP(duckdb::timestamp_t(micros))
                : duckdb::Value::TIMESTAMPTZ(duckdb::timestamp_tz_t(micros));
    }
    result = duckdb::NumericStats::CreateEmpty(type);
    duckdb::NumericStats::SetMin(*result, min);
    duckdb::NumericStats::SetMax(*result, max);
  } else if (stats_type == duckdb::StatisticsType::STRING_STATS &&
             type.id() == LogicalTypeId::VARCHAR) {
    result = duckdb::StringStats::CreateEmpty(type);
    duckdb::StringStats::Update(*result, duckdb::string_t(*stats.min));
    duckdb::StringStats::Update(*result, duckdb::string_t(*stats.max));
  } else {
    return std::nullopt;
  }
  result->SetHasNoNull();
  if (!stats.null_count || *stats.null_count > 0) result->SetHasNull();
  return result;
}

class LakeFileList : public duckdb::MultiFileList {
 public:
  explicit LakeFileList(std::string name)
      : duckdb::MultiFileList({duckdb::OpenFileInfo(name)}, duckdb::FileGlobOptions::ALLOW_EMPTY),
        name_(std::move(name)) {}

  LakeFileList(const LakeFileList& other, std::vector<size_t> selected)
      : duckdb::MultiFileList(other.paths, duckdb::FileGlobOptions::ALLOW_EMPTY),
        name_(other.name_),
        bound_(other.bound_),
        selected_(std::move(selected)),
        report_(other.report_),
        prune_(other.prune_) {}

  void SetSnapshot(std::shared_ptr<const BoundSnapshot> bound, std::shared_ptr<ScanReport> report,
                   bool prune) {
    bound_ = std::move(bound);
    report_ = std::move(report);
    prune_ = prune;
    selected_.clear();
    for (size_t i = 0; i < bound_->snapshot->files.size(); ++i) selected_.push_back(i);
  }
  const std::shared_ptr<const BoundSnapshot>& bound() const { return bound_; }

  duckdb::unique_ptr<duckdb::MultiFileList> ComplexFilterPushdown(
      duckdb::ClientContext& context, const duckdb::MultiFileOptions& options,
      duckdb::MultiFilePushdownInfo& info,
      duckdb::vector<duckdb::unique_ptr<duckdb::Expression>>& filters) override {
    if (!bound_ || !prune_ || filters.empty()) return nullptr;
    // Pruning only ever drops files; if it fails the scan reads every file instead.
    try {
      return Prune(context, info, filters);
    } catch (const std::exception& exception) {
      if (report_) {
        report_->filters.push_back(std::string("pruning skipped: ") +
                                   duckdb::ErrorData(exception).RawMessage());
      }
      return nullptr;
    }
  }

  duckdb::unique_ptr<duckdb::MultiFileList> Prune(
      duckdb::ClientContext& context, duckdb::MultiFilePushdownInfo& info,
      duckdb::vector<duckdb::unique_ptr<duckdb::Expression>>& filters) {
    duckdb::FilterCombiner combiner(context);
    for (auto it = filters.rbegin(); it != filters.rend(); ++it) combiner.AddFilter((*it)->Copy());
    duckdb::vector<duckdb::FilterPushdownResult> results;
    duckdb::TableFilterSet filter_set = combiner.GenerateTableScanFilters(info.column_indexes, results);
    if (filter_set.filters.empty()) return nullptr;

    const LakeSnapshot& snapshot = *bound_->snapshot;
    std::vector<std::string> filter_text;
    for (const auto& [column_id, filter] : filter_set.filters) {
      if (column_id < snapshot.columns.size()) {
        filter_text.push_back(filter->ToString(snapshot.columns[column_id].name));
      }
    }
    std::vector<size_t> kept;
    int64_t by_partition = 0, by_stats = 0;
    for (size_t index : selected_) {
      const LakeFile& file = snapshot.files[index];
      bool pruned = false;
      bool partition_pruned = false;
      for (const auto& [column_id, filter] : filter_set.filters) {
        if (column_id >= snapshot.columns.size()) continue;  // virtual columns
        const LakeColumn& column = snapshot.columns[column_id];
        auto stats = FileColumnStats(file, column, bound_->types[column_id]);
        if (!stats) continue;
        auto verdict = filter->CheckStatistics(*stats);
        if (verdict == duckdb::FilterPropagateResult::FILTER_ALWAYS_FALSE ||
            verdict == duckdb::FilterPropagateResult::FILTER_FALSE_OR_NULL) {
          pruned = true;
          partition_pruned = column.partition;
          break;
        }
      }
      if (!pruned) {
        kept.push_back(index);
      } else if (partition_pruned) {
        ++by_partition;
      } else {
        ++by_stats;
      }
    }
    if (report_) {
      report_->files_pruned_by_partition += by_partition;
      report_->files_pruned_by_stats += by_stats;
      report_->filters.insert(report_->filters.end(), filter_text.begin(), filter_text.end());
    }
    auto result = duckdb::make_uniq<LakeFileList>(*this, std::move(kept));
    result->UpdateReport();
    return result;
  }

  duckdb::vector<duckdb::OpenFileInfo> GetAllFiles() override {
    duckdb::vector<duckdb::OpenFileInfo> files;
    for (size_t i = 0; i < selected_.size(); ++i) files.push_back(GetFile(i));
    return files;
  }
  duckdb::FileExpandResult GetExpandResult() override {
    if (selected_.empty()) return duckdb::FileExpandResult::NO_FILES;
    return selected_.size() == 1 ? duckdb::FileExpandResult::SINGLE_FILE
                                 : duckdb::FileExpandResult::MULTIPLE_FILES;
  }
  duckdb::idx_t GetTotalFileCount() override { return selected_.size(); }

  duckdb::unique_ptr<duckdb::NodeStatistics> GetCardinality(duckdb::ClientContext&) override {
    if (!bound_) return nullptr;
    duckdb::idx_t rows = 0;
    for (size_t index : selected_) {
      int64_t records = bound_->snapshot->files[index].LiveRecords();
      if (records < 0) return nullptr;
      rows += static_cast<duckdb::idx_t>(records);
    }
    return duckdb::make_uniq<duckdb::NodeStatistics>(rows, rows);
  }

  duckdb::unique_ptr<duckdb::MultiFileList> Copy() override {
    return duckdb::make_uniq<LakeFileList>(*this, selected_);
  }

  void UpdateReport() {
    if (!report_ || !bound_) return;
    report_->files_read = static_cast<int64_t>(selected_.size());
    report_->bytes_read = 0;
    for (size_t index : selected_) report_->bytes_read += bound_->snapshot->files[index].size_bytes;
  }

 protected:
  duckdb::OpenFileInfo GetFile(duckdb::idx_t i) override {
    if (!bound_ || i >= selected_.size()) return duckdb::OpenFileInfo("");
    const LakeFile& file = bound_->snapshot->files[selected_[i]];
    duckdb::OpenFileInfo info(file.uri);
    auto extended = duckdb::make_shared_ptr<duckdb::ExtendedOpenFileInfo>();
    extended->options["file_size"] = duckdb::Value::UBIGINT(static_cast<uint64_t>(file.size_bytes));
    extended->options["last_modified"] = duckdb::Value::TIMESTAMP(
        duckdb::Timestamp::FromEpochMs(file.modification_time_ms));
    extended->options["etag"] = duckdb::Value("");
    info.extended_info = std::move(extended);
    return info;
  }

 private:
  std::string name_;
  std::shared_ptr<const BoundSnapshot> bound_;
  std::vector<size_t> selected_;
  std::shared_ptr<ScanReport> report_;
  bool prune_ = true;
};

// version => N, timestamp => '...', at => N | TIMESTAMP '...': false for other keys.
bool ParseAt(const std::string& key, const duckdb::Value& value, std::optional<int64_t>* version,
             std::optional<std::string>* timestamp) {
  std::string lower = duckdb::StringUtil::Lower(key);
  if (lower != "version" && lower != "timestamp" && lower != "at") return false;
  if (value.IsNull()) throw duckdb::BinderException("lake_scan: %s must not be NULL", key);
  auto id = value.type().id();
  bool is_version = lower == "version" || (lower == "at" && (value.type().IsIntegral()));
  if (is_version) {
    *version = value.DefaultCastAs(duckdb::LogicalType::BIGINT).GetValue<int64_t>();
  } else if (lower == "timestamp" || id == duckdb::LogicalTypeId::TIMESTAMP ||
             id == duckdb::LogicalTypeId::TIMESTAMP_TZ || id == duckdb::LogicalTypeId::DATE ||
             id == duckdb::LogicalTypeId::VARCHAR) {
    *timestamp = value.DefaultCastAs(duckdb::LogicalType::VARCHAR).GetValue<std::string>();
  } else {
    throw duckdb::BinderException("lake_scan: 'at' must be a version number or a timestamp, got %s",
                                  value.type().ToString());
  }
  return true;
}

class LakeMultiFileReader : public duckdb::MultiFileReader {
 public:
  explicit LakeMultiFileReader(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {
    function_name = kFunctionName;
  }

  static duckdb::unique_ptr<duckdb::MultiFileReader> Create(const duckdb::TableFunction& function) {
    auto& info = function.function_info->Cast<LakeFunctionInfo>();
    return duckdb::make_uniq<LakeMultiFileReader>(info.shared);
  }

  duckdb::shared_ptr<duckdb::MultiFileList> CreateFileList(
      duckdb::ClientContext& context, const duckdb::vector<std::string>& paths,
      const duckdb::FileGlobInput& glob_input) override {
    if (paths.size() != 1) {
      throw duckdb::BinderException("lake_scan takes one catalog table name, e.g. 'demo.events'");
    }
    context_ = &context;
    return duckdb::make_shared_ptr<LakeFileList>(paths[0]);
  }

  bool ParseOption(const std::string& key, const duckdb::Value& value,
                   duckdb::MultiFileOptions& options, duckdb::ClientContext& context) override {
    if (duckdb::StringUtil::Lower(key) == kPhysicalParameter) {
      physical_ = value.IsNull() ? false : value.GetValue<bool>();
      return true;
    }
    if (ParseAt(key, value, &version_, &timestamp_)) return true;
    return duckdb::MultiFileReader::ParseOption(key, value, options, context);
  }

  bool Bind(duckdb::MultiFileOptions& options, duckdb::MultiFileList& files,
            duckdb::vector<duckdb::LogicalType>& return_types, duckdb::vector<std::string>& names,
            duckdb::MultiFileReaderBindData& bind_data) override {
    auto& list = dynamic_cast<LakeFileList&>(files);
    LakeScanRequest request;
    request.table = list.GetPaths()[0].path;
    request.version = version_;
    request.timestamp = timestamp_;
    auto resolved = ResolvePlan(shared_->options, request);
    if (!resolved.ok()) {
      throw duckdb::BinderException("%s", resolved.status().ToString());
    }
    auto bound = std::make_shared<BoundSnapshot>();
    bound->snapshot = *resolved;
    for (const auto& column : bound->snapshot->columns) {
      duckdb::LogicalType type = duckdb::TransformStringToLogicalType(
          physical_ && !column.physical_type.empty() ? column.physical_type : column.type);
      bound->types.push_back(type);
      names.push_back(column.name);
      return_types.push_back(type);
    }
    for (size_t i = 0; i < bound->snapshot->files.size(); ++i) {
      bound->file_index.emplace(bound->snapshot->files[i].uri, i);
    }
    auto report = std::make_shared<ScanReport>();
    report->table = bound->snapshot->table;
    report->version = bound->snapshot->version;
    report->files_total = static_cast<int64_t>(bound->snapshot->files.size());
    for (const auto& file : bound->snapshot->files) report->bytes_total += file.size_bytes;
    list.SetSnapshot(bound, report, shared_->options.prune_files);
    list.UpdateReport();
    if (context_) {
      context_->registered_state->GetOrCreate<ReportCollector>(kReportsKey)->Add(report);
    }
    bound_ = std::move(bound);
    return true;
  }

  void BindOptions(duckdb::MultiFileOptions& options, duckdb::MultiFileList& files,
                   duckdb::vector<duckdb::LogicalType>& return_types,
                   duckdb::vector<std::string>& names,
                   duckdb::MultiFileReaderBindData& bind_data) override {
    options.auto_detect_hive_partitioning = false;
    options.hive_partitioning = false;
    options.union_by_name = false;
    duckdb::MultiFileReader::BindOptions(options, files, return_types, names, bind_data);
    bind_data.schema.clear();
    for (size_t i = 0; i < names.size(); ++i) {
      duckdb::MultiFileColumnDefinition column(names[i], return_types[i]);
      // A file written before a column was added reads it as NULL.
      column.default_expression = duckdb::make_uniq<duckdb::ConstantExpression>(
          duckdb::Value(return_types[i]));
      if (bound_ && i < bound_->snapshot->columns.size() &&
          !bound_->snapshot->columns[i].physical_name.empty()) {
        column.identifier = duckdb::Value(bound_->snapshot->columns[i].physical_name);
      }
      bind_data.schema.push_back(std::move(column));
    }
  }

  void FinalizeBind(duckdb::MultiFileReaderData& reader_data,
                    const duckdb::MultiFileOptions& file_options,
                    const duckdb::MultiFileReaderBindData& options,
                    const duckdb::vector<duckdb::MultiFileColumnDefinition>& global_columns,
                    const duckdb::vector<duckdb::ColumnIndex>& global_column_ids,
                    duckdb::ClientContext& context,
                    duckdb::optional_ptr<duckdb::MultiFileReaderGlobalState> global_state) override {
    duckdb::MultiFileReader::FinalizeBind(reader_data, file_options, options, global_columns,
                                          global_column_ids, context, global_state);
    if (!bound_) return;
    const std::string& path = reader_data.reader->GetFileName();
    auto found = bound_->file_index.find(path);
    if (found == bound_->file_index.end()) return;
    const LakeFile& file = bound_->snapshot->files[found->second];
    const auto& columns = bound_->snapshot->columns;
    for (duckdb::idx_t i = 0; i < global_column_ids.size(); ++i) {
      duckdb::column_t column_id = global_column_ids[i].GetPrimaryIndex();
      if (column_id >= columns.size() || !columns[column_id].partition) continue;
      auto value_it = file.partition_values.find(columns[column_id].name);
      std::optional<std::string> text;
      if (value_it != file.partition_values.end()) text = value_it->second;
      duckdb::Value value;
      if (!PartitionConstant(text, bound_->types[column_id], &value)) {
        throw duckdb::InvalidInputException(
            "partition value '%s' of column %s in file '%s' is not a valid %s", *text,
            columns[column_id].name, file.uri, bound_->types[column_id].ToString());
      }
      reader_data.constant_map.Add(duckdb::MultiFileGlobalIndex(i), value);
    }
  }

  duckdb::unique_ptr<duckdb::MultiFileReader> Copy() const override {
    auto copy = duckdb::make_uniq<LakeMultiFileReader>(shared_);
    copy->version_ = version_;
    copy->timestamp_ = timestamp_;
    copy->bound_ = bound_;
    copy->context_ = context_;
    copy->physical_ = physical_;
    return copy;
  }

 private:
  std::shared_ptr<Shared> shared_;
  std::optional<int64_t> version_;
  std::optional<std::string> timestamp_;
  std::shared_ptr<const BoundSnapshot> bound_;
  duckdb::ClientContext* context_ = nullptr;
  bool physical_ = false;  // kPhysicalParameter: columns typed as in the files
};

// lake_scan over a table whose nested fields are renamed by column mapping, or with deletion
// vectors, or asked for row positions (__nl_positions => true), binds to
//   SELECT <col> | CAST(<rename of col> AS <type>) AS <col>, ... [, filename AS __nl_file,
//          file_row_number AS __nl_row]
//   FROM lake_scan('<table>', version => <resolved>, __nl_physical => <renamed>)
//   [WHERE NOT __nl_row_deleted('<table>', <resolved>, filename, file_row_number)]
// (the inner scan reads renamed columns with the files' names; the version is pinned so all
// agree). Other tables bind directly (nullptr).
duckdb::unique_ptr<duckdb::TableRef> LakeBindReplace(duckdb::ClientContext& context,
                                                     duckdb::TableFunctionBindInput& input) {
  if (input.inputs.size() != 1 || input.inputs[0].IsNull()) return nullptr;
  LakeScanRequest request;
  request.table = input.inputs[0].ToString();
  std::string forwarded;
  bool positions = false;
  for (const auto& [key, value] : input.named_parameters) {
    if (duckdb::StringUtil::Lower(key) == kPhysicalParameter) return nullptr;
    if (ParseAt(key, value, &request.version, &request.timestamp)) continue;
    if (duckdb::StringUtil::Lower(key) == kPositionsParameter) {
      positions = !value.IsNull() && duckdb::BooleanValue::Get(value);
      continue;
    }
    forwarded += ", " + QuoteName(key) + " => " + value.ToSQLString();
  }
  auto& shared = input.info->Cast<LakeFunctionInfo>().shared;
  if (!shared->options.resolver && request.table.rfind(kPlanPrefix, 0) != 0) return nullptr;
  auto resolved = ResolvePlan(shared->options, request);
  if (!resolved.ok()) throw duckdb::BinderException("%s", resolved.status().ToString());
  const LakeSnapshot& snapshot = **resolved;
  bool renamed = false;
  std::string select;
  for (const auto& column : snapshot.columns) {
    std::string item = QuoteName(column.name);
    if (!column.physical_type.empty() && column.physical_type != column.type) {
      renamed = true;
      auto sql = RenameNestedFieldsSql(item, column.physical_type, column.type);
      if (!sql.ok()) {
        throw duckdb::BinderException("%s: column %s: %s", snapshot.table, column.name,
                                      sql.status().message());
      }
      item = "CAST(" + *sql + " AS " + column.type + ") AS " + QuoteName(column.name);
    }
    select += (select.empty() ? "" : ", ") + item;
  }
  bool deletes = HasDeletionVectors(snapshot);
  if (!renamed && !deletes && !positions) return nullptr;
  for (const auto& column : snapshot.columns) {
    std::string lower = duckdb::StringUtil::Lower(column.name);
    if ((deletes || positions) && (lower == "filename" || lower == "file_row_number")) {
      throw duckdb::BinderException("%s has a column named %s, which neuralake cannot read with "
                                    "deletion vectors or change by row yet", snapshot.table,
                                    column.name);
    }
  }
  if (positions) {
    select += std::string(", filename AS ") + kPositionFileColumn + ", file_row_number AS " +
              kPositionRowColumn;
  }
  std::string sql = "SELECT " + select + " FROM " + kFunctionName + "(" +
                    QuoteText(request.table) + ", version => " +
                    std::to_string(snapshot.version) + ", " + kPhysicalParameter + " => " +
                    (renamed ? "true" : "false") + forwarded + ")";
  if (deletes) sql += " WHERE " + RowDeletedFilterSql(QuoteText(request.table), snapshot.version);
  duckdb::Parser parser(context.GetParserOptions());
  parser.ParseQuery(sql);
  if (parser.statements.size() != 1 ||
      parser.statements[0]->type != duckdb::StatementType::SELECT_STATEMENT) {
    throw duckdb::InternalException("lake_scan: bad rename query");
  }
  auto statement = duckdb::unique_ptr_cast<duckdb::SQLStatement, duckdb::SelectStatement>(
      std::move(parser.statements[0]));
  return duckdb::make_uniq<duckdb::SubqueryRef>(std::move(statement), kFunctionName);
}

struct ReplacementData : public duckdb::ReplacementScanData {
  explicit ReplacementData(std::shared_ptr<Shared> shared) : shared(std::move(shared)) {}
  std::shared_ptr<Shared> shared;
};

// How many views one query may expand: a view cycle (which the query layer refuses when a service
// starts) would otherwise recurse until the stack runs out.
constexpr int kMaxViewExpansions = 256;

struct ViewExpansions : public duckdb::ClientContextState {
  duckdb::idx_t query = duckdb::DConstants::INVALID_INDEX;
  int count = 0;
};

// A view's SELECT bound in place of its name (as `alias`).
duckdb::unique_ptr<duckdb::TableRef> ViewRef(duckdb::ClientContext& context, const CatalogRef& view,
                                             const std::string& alias) {
  auto expansions = context.registered_state->GetOrCreate<ViewExpansions>("neuralake_views");
  duckdb::idx_t query = context.transaction.GetActiveQuery();
  if (expansions->query != query) {
    expansions->query = query;
    expansions->count = 0;
  }
  if (++expansions->count > kMaxViewExpansions) {
    throw duckdb::BinderException("view %s: more than %d view expansions in one query (a cycle?)",
                                  view.qualified, kMaxViewExpansions);
  }
  duckdb::Parser parser(context.GetParserOptions());
  try {
    parser.ParseQuery(view.view_sql);
  } catch (const std::exception& exception) {
    throw duckdb::BinderException("view %s: %s", view.qualified,
                                  duckdb::ErrorData(exception).RawMessage());
  }
  if (parser.statements.size() != 1 ||
      parser.statements[0]->type != duckdb::StatementType::SELECT_STATEMENT) {
    throw duckdb::BinderException("view %s must be one SELECT", view.qualified);
  }
  auto statement = duckdb::unique_ptr_cast<duckdb::SQLStatement, duckdb::SelectStatement>(
      std::move(parser.statements[0]));
  return duckdb::make_uniq<duckdb::SubqueryRef>(std::move(statement), alias);
}

duckdb::unique_ptr<duckdb::TableRef> ReplaceCatalogTable(
    duckdb::ClientContext& context, duckdb::ReplacementScanInput& input,
    duckdb::optional_ptr<duckdb::ReplacementScanData> data) {
  auto& shared = data->Cast<ReplacementData>().shared;
  if (!shared->options.lookup) return nullptr;
  // "demo.events" parses as schema demo, table events; "lake.demo.events" adds a catalog.
  std::string schema = input.schema_name;
  if (!input.catalog_name.empty() && schema.empty()) schema = input.catalog_name;
  auto found = shared->options.lookup(schema, input.table_name);
  if (!found) return nullptr;
  if (found->kind == CatalogRef::Kind::kView) return ViewRef(context, *found, input.table_name);
  auto ref = duckdb::make_uniq<duckdb::TableFunctionRef>();
  duckdb::vector<duckdb::unique_ptr<duckdb::ParsedExpression>> children;
  children.push_back(duckdb::make_uniq<duckdb::ConstantExpression>(duckdb::Value(found->qualified)));
  const char* function =
      found->kind == CatalogRef::Kind::kSource ? kSourceFunctionName : kFunctionName;
  ref->function = duckdb::make_uniq<duckdb::FunctionExpression>(function, std::move(children));
  ref->alias = input.table_name;
  return std::move(ref);
}

}  // namespace

void RegisterLakeScan(duckdb::DuckDB& db, const LakeScanOptions& options) {
  auto shared = std::make_shared<Shared>();
  shared->options = options;
  duckdb::Connection connection(db);
  auto& context = *connection.context;
  context.RunFunctionInTransaction([&]() {
    auto& catalog = duckdb::Catalog::GetSystemCatalog(context);
    auto& entry = catalog.GetEntry<duckdb::TableFunctionCatalogEntry>(
        context, DEFAULT_SCHEMA, "parquet_scan");
    duckdb::TableFunctionSet set(kFunctionName);
    for (auto function : entry.functions.functions) {
      if (function.arguments.size() != 1 ||
          function.arguments[0].id() != duckdb::LogicalTypeId::VARCHAR) {
        continue;
      }
      function.name = kFunctionName;
      function.get_multi_file_reader = LakeMultiFileReader::Create;
      function.function_info = duckdb::make_shared_ptr<LakeFunctionInfo>(shared);
      function.serialize = nullptr;
      function.deserialize = nullptr;
      function.statistics = nullptr;
      function.get_bind_info = nullptr;
      function.named_parameters.erase("schema");
      function.named_parameters.erase("hive_partitioning");
      function.named_parameters.erase("union_by_name");
      function.named_parameters["version"] = duckdb::LogicalType::BIGINT;
      function.named_parameters["timestamp"] = duckdb::LogicalType::VARCHAR;
      function.named_parameters["at"] = duckdb::LogicalType::ANY;
      function.named_parameters[kPhysicalParameter] = duckdb::LogicalType::BOOLEAN;
      function.named_parameters[kPositionsParameter] = duckdb::LogicalType::BOOLEAN;
      function.bind_replace = LakeBindReplace;
      set.AddFunction(std::move(function));
    }
    if (set.Size() == 0) throw duckdb::InternalException("parquet_scan(VARCHAR) not found");
    duckdb::CreateTableFunctionInfo info(std::move(set));
    info.on_conflict = duckdb::OnCreateConflict::REPLACE_ON_CONFLICT;
    catalog.CreateTableFunction(context, info);
    RegisterRowDeletedFunction(context, [shared](const LakeScanRequest& request) {
      return ResolvePlan(shared->options, request);
    });
  });
  auto result = connection.Query(
      "CREATE OR REPLACE MACRO delta_at(t, v) AS TABLE SELECT * FROM lake_scan(t, at => v)");
  if (result->HasError()) result->ThrowError();
  duckdb::DBConfig::GetConfig(*db.instance)
      .replacement_scans.emplace_back(ReplaceCatalogTable,
                                      duckdb::make_uniq<ReplacementData>(shared));
}

RegisteredScanPlan::RegisteredScanPlan(std::shared_ptr<const LakeSnapshot> plan) {
  static std::atomic<int64_t> next{0};
  id_ = kPlanPrefix + std::to_string(next.fetch_add(1));
  relation_ = std::string(kFunctionName) + "(" + QuoteText(id_) + ")";
  positions_relation_ = std::string(kFunctionName) + "(" + QuoteText(id_) + ", " +
                        kPositionsParameter + " => true)";
  std::lock_guard<std::mutex> lock(plans_mutex);
  Plans()[id_] = std::move(plan);
}

RegisteredScanPlan::~RegisteredScanPlan() {
  std::lock_guard<std::mutex> lock(plans_mutex);
  Plans().erase(id_);
}

Result<std::string> RenameNestedFieldsSql(const std::string& expression,
                                          const std::string& physical_type,
                                          const std::string& logical_type) {
  try {
    return RenameSql(expression, duckdb::TransformStringToLogicalType(physical_type),
                     duckdb::TransformStringToLogicalType(logical_type), 0);
  } catch (const std::exception& exception) {
    return Status::Invalid("cannot parse type: " + duckdb::ErrorData(exception).RawMessage());
  }
}

std::vector<ScanReport> TakeScanReports(duckdb::ClientContext& context) {
  auto collector = context.registered_state->Get<ReportCollector>(kReportsKey);
  if (!collector) return {};
  return collector->Take();
}

}  // namespace neuralake::engine
