// Row-level DML, step 2 (dml.h): from the positions an operation removes and the rows it adds to
// data files, a DV file and one commit; and the shared pieces of step 1 (the scan with positions).

#include <algorithm>
#include <atomic>
#include <cctype>

#include "neuralake/common/json.h"
#include "neuralake/delta/append_committer.h"
#include "neuralake/delta/dml_internal.h"
#include "neuralake/delta/scan_plan.h"
#include "neuralake/delta/snapshot.h"
#include "neuralake/delta/writer_internal.h"

namespace neuralake::delta::dml_internal {
namespace {

using engine::Engine;
using nlohmann::json;

enum class TypeClass { kNull, kNumber, kString, kBoolean, kTemporal, kBlob, kNested, kOther };

TypeClass ClassOf(const std::string& type) {
  std::string upper;
  for (char c : type) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto starts = [&](const char* prefix) { return upper.rfind(prefix, 0) == 0; };
  if (upper == "NULL" || upper == "\"NULL\"") return TypeClass::kNull;
  if (upper.find('[') != std::string::npos || starts("STRUCT") || starts("MAP") ||
      starts("UNION")) {
    return TypeClass::kNested;
  }
  for (const char* number : {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT",
                             "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE",
                             "DECIMAL", "REAL", "INT"}) {
    if (starts(number)) return TypeClass::kNumber;
  }
  if (starts("VARCHAR") || starts("STRING") || starts("TEXT")) return TypeClass::kString;
  if (starts("BOOL")) return TypeClass::kBoolean;
  if (starts("DATE") || starts("TIMESTAMP") || starts("TIME")) return TypeClass::kTemporal;
  if (starts("BLOB")) return TypeClass::kBlob;
  return TypeClass::kOther;
}

// The add's stats with `tightBounds: false`: with a deletion vector, min/max and null counts
// describe the physical rows, a superset of the live ones (still valid for pruning).
std::optional<std::string> LooseStats(const std::optional<std::string>& stats) {
  if (!stats || stats->empty()) return stats;
  auto parsed = ParseJson(*stats);
  if (!parsed.ok() || !parsed->is_object()) return stats;
  json loose = std::move(parsed).value();
  loose["tightBounds"] = false;
  return loose.dump();
}

bool UseDeletionVectors(const Snapshot& snapshot, DmlMode mode, Status* error) {
  bool enabled = DeletionVectorsEnabled(snapshot);
  switch (mode) {
    case DmlMode::kAuto:
      return enabled;
    case DmlMode::kCopyOnWrite:
      return false;
    case DmlMode::kDeletionVectors:
      if (!enabled) {
        *error = Status::Invalid(
            "the table does not have deletion vectors enabled (create it with --property "
            "delta.enableDeletionVectors=true)");
      }
      return enabled;
  }
  return false;
}

// One touched data file: every row it no longer shows after this operation.
struct Touched {
  size_t index = 0;
  std::shared_ptr<DeletionVector> rows;
  bool all_deleted = false;
  int64_t survivors = 0;  // physical rows minus deleted (0 when unknown)
};

Result<std::vector<Touched>> UniteWithOldVectors(const DmlScan& scan, Positions& deleted) {
  std::vector<Touched> touched;
  for (auto& [index, fresh] : deleted) {
    const AddFile& add = scan.snapshot->files[index];
    Touched file;
    file.index = index;
    file.rows = std::make_shared<DeletionVector>();
    if (add.deletion_vector) {
      // Loaded (and kept) by the plan when the find step scanned this file: no second read.
      NL_ASSIGN_OR_RETURN(auto old, LoadedDeletionVector(scan.plan->files[index]));
      if (old) file.rows->Union(*old);
    }
    file.rows->Union(fresh);
    int64_t physical = scan.plan->files[index].num_records;
    auto cardinality = static_cast<int64_t>(file.rows->Cardinality());
    file.all_deleted = physical >= 0 && cardinality >= physical;
    file.survivors = physical >= 0 ? std::max<int64_t>(physical - cardinality, 0) : 0;
    touched.push_back(std::move(file));
  }
  return touched;
}

// Deletion-vector mode: the DV file holding the united vector of every partly deleted file, and
// the descriptor of each (by index into `touched`).
struct VectorFile {
  std::string relative_path;  // empty: no file needed
  std::string bytes;
  std::map<size_t, DeletionVectorDescriptor> descriptors;
};

Result<VectorFile> EncodeVectors(const std::vector<Touched>& touched) {
  VectorFile file;
  std::vector<std::string> bitmaps;
  std::vector<size_t> owners;
  for (size_t i = 0; i < touched.size(); ++i) {
    if (touched[i].all_deleted) continue;
    bitmaps.push_back(touched[i].rows->Serialize());
    owners.push_back(i);
  }
  if (bitmaps.empty()) return file;
  std::vector<int32_t> offsets;
  file.bytes = EncodeDeletionVectorFile(bitmaps, &offsets);
  std::string uuid = NewUuid();
  for (size_t j = 0; j < bitmaps.size(); ++j) {
    NL_ASSIGN_OR_RETURN(
        DeletionVectorDescriptor descriptor,
        OnDiskDescriptor(uuid, "", offsets[j], static_cast<int32_t>(bitmaps[j].size()),
                         static_cast<int64_t>(touched[owners[j]].rows->Cardinality())));
    if (file.relative_path.empty()) {
      NL_ASSIGN_OR_RETURN(file.relative_path, DeletionVectorRelativePath(descriptor));
    }
    file.descriptors[owners[j]] = std::move(descriptor);
  }
  return file;
}

// Copy-on-write mode: a SELECT of the surviving rows of the partly deleted files, through a plan
// whose vectors hold every deleted row.
Result<std::string> SurvivorsSql(DeltaTable& table, const DmlScan& scan,
                                 const std::vector<Touched>& touched,
                                 std::unique_ptr<engine::RegisteredScanPlan>* registered) {
  std::vector<AddFile> files;
  std::vector<const Touched*> owners;
  for (const Touched& file : touched) {
    if (file.all_deleted) continue;
    files.push_back(scan.snapshot->files[file.index]);
    owners.push_back(&file);
  }
  if (files.empty()) return std::string();
  NL_ASSIGN_OR_RETURN(auto base, BuildScanPlan(table, *scan.snapshot, table.uri(), &files));
  auto plan = std::make_shared<engine::LakeSnapshot>(*base);
  for (size_t i = 0; i < plan->files.size(); ++i) {
    plan->files[i].deletion_vector = InMemoryDeletionVector(owners[i]->rows);
  }
  *registered = std::make_unique<engine::RegisteredScanPlan>(std::move(plan));
  return "SELECT * FROM " + (*registered)->Relation();
}

json Metrics(const DmlResult& result, const Changes& changes, int64_t vectors_removed) {
  auto text = [](int64_t value) { return std::to_string(value); };
  json metrics = {{"numDeletedRows", text(result.rows_deleted)},
                  {"numUpdatedRows", text(result.rows_updated)},
                  {"numCopiedRows", text(result.rows_copied)},
                  {"numAddedFiles", text(result.files_added)},
                  {"numRemovedFiles", text(result.files_removed)},
                  {"numDeletionVectorsAdded", text(result.deletion_vectors)},
                  {"numDeletionVectorsRemoved", text(vectors_removed)}};
  if (changes.operation == "MERGE") {
    metrics["numTargetRowsInserted"] = text(result.rows_inserted);
    metrics["numTargetRowsUpdated"] = text(result.rows_updated);
    metrics["numTargetRowsDeleted"] = text(result.rows_deleted);
  }
  return metrics;
}

}  // namespace

Result<DmlScan> OpenScan(DeltaTable& table) {
  DmlScan scan;
  auto snapshot = table.LoadSnapshot();
  if (!snapshot.ok()) {
    if (snapshot.status().IsNotFound()) {
      return Status::NotFound("no Delta table at '" + table.uri() + "'");
    }
    return snapshot.status();
  }
  scan.snapshot = std::move(snapshot).value();
  NL_RETURN_NOT_OK(CheckWriteSupported(scan.snapshot->protocol, scan.snapshot->metadata,
                                       scan.snapshot->schema));
  NL_ASSIGN_OR_RETURN(scan.plan, BuildScanPlan(table, *scan.snapshot, table.uri()));
  for (size_t i = 0; i < scan.plan->files.size(); ++i) {
    scan.file_by_uri[scan.plan->files[i].uri] = i;
  }
  scan.registered = std::make_unique<engine::RegisteredScanPlan>(scan.plan);
  return scan;
}

Result<Positions> CollectPositions(Engine& engine, const DmlScan& scan, const std::string& sql) {
  Positions positions;
  auto sink = [&](const std::vector<engine::ColumnInfo>&, const engine::Table& rows) -> Status {
    for (const auto& row : rows.rows) {
      if (row.size() < 2 || !row[0] || !row[1]) return Status::Internal("row without a position");
      auto found = scan.file_by_uri.find(*row[0]);
      if (found == scan.file_by_uri.end()) {
        return Status::Internal("a row came from '" + *row[0] + "', not a file of the table");
      }
      positions[found->second].Add(std::stoull(*row[1]));
    }
    return Status::OK();
  };
  NL_RETURN_NOT_OK(engine.StreamQuery(sql, {}, sink).status());
  return positions;
}

const std::vector<engine::LakeColumn>& Columns(const DmlScan& scan) { return scan.plan->columns; }

const engine::LakeColumn* FindColumn(const DmlScan& scan, const std::string& name) {
  std::string lower = write_internal::Lower(name);
  for (const auto& column : scan.plan->columns) {
    if (write_internal::Lower(column.name) == lower) return &column;
  }
  return nullptr;
}

Status CheckAssignable(const std::string& column, const std::string& column_type,
                       const std::string& value_type, const std::string& what) {
  TypeClass target = ClassOf(column_type);
  TypeClass value = ClassOf(value_type);
  if (value == TypeClass::kNull || value == target) return Status::OK();
  // Text into a date or timestamp column is parsed (a bad value fails the operation).
  if (value == TypeClass::kString && target == TypeClass::kTemporal) return Status::OK();
  return Status::Invalid(what + ": type mismatch: column '" + column + "' is " + column_type +
                         ", the value is " + value_type);
}

Result<std::map<std::string, std::string>> ResolveAssignments(
    Engine& engine, const DmlScan& scan, const std::vector<engine::SqlAssignment>& assignments,
    const std::string& from, const std::string& what) {
  std::map<std::string, std::string> assigned;  // column as the table spells it -> value SQL
  std::vector<const engine::LakeColumn*> targets;
  std::string probe;
  for (const auto& assignment : assignments) {
    std::string name = assignment.column;
    if (auto dot = name.rfind('.'); dot != std::string::npos) name = name.substr(dot + 1);
    const engine::LakeColumn* column = FindColumn(scan, name);
    if (column == nullptr) {
      std::string names;
      for (const auto& known : Columns(scan)) names += (names.empty() ? "" : ", ") + known.name;
      return Status::Invalid(what + ": unknown column '" + assignment.column + "' (columns: " +
                             names + ")");
    }
    if (!assigned.emplace(column->name, assignment.expression).second) {
      return Status::Invalid(what + ": column '" + column->name + "' is assigned twice");
    }
    targets.push_back(column);
    probe += (probe.empty() ? "" : ", ") + assignment.expression;
  }
  auto types = engine.Query("SELECT " + probe + " FROM " + from + " LIMIT 0");
  if (!types.ok()) return Status::Invalid(what + ": " + types.status().message());
  for (size_t i = 0; i < assignments.size(); ++i) {
    // DuckDB reports a bare NULL as INTEGER; it fits any column.
    std::string type = assignments[i].expression == "NULL" ? "NULL" : types->columns[i].type;
    NL_RETURN_NOT_OK(CheckAssignable(targets[i]->name, targets[i]->type, type, what));
  }
  return assigned;
}

std::string TempTableName() {
  static std::atomic<int64_t> next{0};
  return "__nl_dml_" + std::to_string(next.fetch_add(1));
}

Result<DmlResult> ApplyChanges(DeltaTable& table, Engine& engine, const DmlScan& scan,
                               Changes changes, const DmlOptions& options) {
  const Snapshot& snapshot = *scan.snapshot;
  Status mode_error;
  bool vectors = UseDeletionVectors(snapshot, options.mode, &mode_error);
  NL_RETURN_NOT_OK(mode_error);
  DmlResult result;
  result.version = snapshot.version;
  result.snapshot = scan.snapshot;
  result.mode = vectors ? "deletion-vectors" : "copy-on-write";
  result.rows_deleted = changes.rows_deleted;
  result.rows_updated = changes.rows_updated;
  result.rows_inserted = changes.rows_inserted;
  if (!changes.whole_files.empty()) result.mode = "metadata-only";
  if (changes.deleted.empty() && changes.new_rows_sql.empty() && changes.whole_files.empty()) {
    return result;
  }

  NL_ASSIGN_OR_RETURN(std::vector<Touched> touched,
                      UniteWithOldVectors(scan, changes.deleted));
  VectorFile vector_file;
  std::unique_ptr<engine::RegisteredScanPlan> survivors_plan;
  std::vector<std::string> sources;
  if (vectors) {
    NL_ASSIGN_OR_RETURN(vector_file, EncodeVectors(touched));
  } else {
    NL_ASSIGN_OR_RETURN(std::string survivors,
                        SurvivorsSql(table, scan, touched, &survivors_plan));
    if (!survivors.empty()) sources.push_back(survivors);
    for (const Touched& file : touched) result.rows_copied += file.all_deleted ? 0 : file.survivors;
  }
  if (!changes.new_rows_sql.empty()) sources.push_back(changes.new_rows_sql);

  std::vector<AddFile> written;
  if (!sources.empty()) {
    std::string sql;
    for (const auto& part : sources) sql += (sql.empty() ? "" : " UNION ALL ") + part;
    DataSource source = DataSource::FromQuery(sql);
    source.description = changes.operation;
    NL_ASSIGN_OR_RETURN(written, WriteFiles(table, snapshot, source, options.target_file_size));
  }
  auto cleanup = [&] {
    write_internal::DeleteWritten(table, written);
    if (!vector_file.relative_path.empty()) (void)table.store().Delete(vector_file.relative_path);
  };
  if (!vector_file.relative_path.empty()) {
    Status put = table.store().Put(vector_file.relative_path, vector_file.bytes);
    if (!put.ok()) {
      cleanup();
      return put.WithContext("writing deletion vector file " + vector_file.relative_path);
    }
  }
  if (options.before_commit) options.before_commit();

  Transaction txn(&table.log(), scan.snapshot);
  txn.SetOperation(changes.operation, changes.parameters);
  int64_t now = NowMs();
  int64_t vectors_removed = 0;
  for (size_t i = 0; i < touched.size(); ++i) {
    const AddFile& add = snapshot.files[touched[i].index];
    txn.ReadFile(add.path);
    txn.AddAction(RemoveFor(add, now));
    if (add.deletion_vector) ++vectors_removed;
    auto descriptor = vector_file.descriptors.find(i);
    if (descriptor != vector_file.descriptors.end()) {
      AddFile kept = add;
      kept.deletion_vector = descriptor->second;
      kept.data_change = true;
      kept.stats = LooseStats(add.stats);
      txn.AddAction(std::move(kept));
      ++result.deletion_vectors;
    } else {
      ++result.files_removed;
    }
  }
  for (size_t index : changes.whole_files) {
    const AddFile& add = snapshot.files[index];
    txn.ReadFile(add.path);
    txn.AddAction(RemoveFor(add, now));
    if (add.deletion_vector) ++vectors_removed;
    ++result.files_removed;
  }
  for (const auto& add : written) txn.AddAction(add);
  result.files_touched += static_cast<int64_t>(changes.whole_files.size());
  result.files_added = static_cast<int64_t>(written.size());
  result.files_touched += static_cast<int64_t>(touched.size());
  if (options.app_id) txn.SetAppTransaction(*options.app_id, options.app_version);
  txn.SetCommitInfoField("operationMetrics", Metrics(result, changes, vectors_removed));
  auto commit = AppendCommitter(&table, options.checkpoint_when_due).Commit(txn, options.commit);
  if (!commit.ok()) {
    if (write_internal::CertainlyNotCommitted(commit.status())) cleanup();
    return commit.status();
  }
  if (commit->skipped) {
    cleanup();
    DmlResult skipped;
    skipped.version = commit->version;
    skipped.skipped = true;
    skipped.mode = result.mode;
    skipped.snapshot = commit->snapshot;
    return skipped;
  }
  result.version = commit->version;
  result.committed = true;
  result.post_commit_status = commit->post_commit_status;
  result.snapshot = commit->snapshot;
  return result;
}

}  // namespace neuralake::delta::dml_internal
